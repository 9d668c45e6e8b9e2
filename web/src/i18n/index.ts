// The string catalogs, one JSON file per language: adding a language means adding a file here.
// Pages are built once per catalog; a key missing from a catalog falls back to English.
type Catalog = Record<string, string>;

const files = import.meta.glob<Catalog>('./*.json', { eager: true, import: 'default' });
const catalogs: Record<string, Catalog> = Object.fromEntries(
  Object.entries(files).map(([path, catalog]) => [path.replace(/^\.\/|\.json$/g, ''), catalog]),
);

export const languages = Object.keys(catalogs).sort();

/** The full catalog of a language, English underneath. */
export function catalog(lang: string): Catalog {
  return { ...catalogs.en, ...catalogs[lang] };
}

/** `{name}` placeholders are replaced from `vars`; a key absent from English fails the build. */
export function translator(lang: string) {
  const strings = catalog(lang);
  return (key: string, vars: Record<string, string | number> = {}): string => {
    const text = strings[key];
    if (text === undefined) throw new Error(`i18n: no string "${key}" in ${lang}.json or en.json`);
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
  };
}

/** The strings a page's script needs: every key starting with one of the prefixes. */
export function clientStrings(lang: string, prefixes: string[]): Catalog {
  return Object.fromEntries(Object.entries(catalog(lang)).filter(([key]) => prefixes.some((prefix) => key.startsWith(prefix))));
}

/** For getStaticPaths: one page per language. */
export function languagePaths() {
  return languages.map((lang) => ({ params: { lang } }));
}
