// Types for the two word lists links.ts imports from stopword's per-language modules, which its
// own typings (the package index only) do not cover.
declare module 'stopword/src/stopwords_eng.js' {
  export const eng: string[];
}
declare module 'stopword/src/stopwords_fra.js' {
  export const fra: string[];
}
