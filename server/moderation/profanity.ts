// The built-in English word list (obscenity) behind a screen. obscenity runs its ~120 patterns
// one at a time, each through matchAll (which copies the RegExp), and finds the whitelisted
// spans first: about 50 µs for "hi there", on every chat message. The screen is the same
// patterns joined into one RegExp, run once over the same transformed text (about 1 µs); only
// a message it matches (a rude word, or a near miss such as "assume" that the whitelist then
// clears) goes on to obscenity, so the verdict is always obscenity's own.
import {
  RegExpMatcher,
  SyntaxKind,
  englishDataset,
  englishRecommendedTransformers,
  type MatchPayload,
  type Node,
  type ParsedPattern,
  type TransformerContainer,
  type TransformerFn,
} from 'obscenity';

const NO_MATCHES: readonly MatchPayload[] = Object.freeze([]);

/** Code points passed to one String.fromCodePoint call (arguments live on the stack). */
const CODES_PER_CALL = 4096;

/** The built-in list, plus `allowed`: words it would otherwise flag inside ordinary ones. */
export class ProfanityList {
  readonly #matcher: RegExpMatcher;
  readonly #screen: RegExp;
  readonly #transform: (text: string) => string;

  constructor(allowed: readonly string[]) {
    const dataset = englishDataset.build();
    const { blacklistMatcherTransformers } = englishRecommendedTransformers;
    this.#matcher = new RegExpMatcher({
      ...dataset,
      whitelistedTerms: [...(dataset.whitelistedTerms ?? []), ...allowed],
      ...englishRecommendedTransformers,
    });
    this.#screen = new RegExp(dataset.blacklistedTerms.map((term) => patternSource(term.pattern)).join('|'), 's');
    this.#transform = transformer(blacklistMatcherTransformers ?? []);
  }

  /**
   * obscenity's matches in `text` (endIndex inclusive); none without a call to obscenity when the
   * screen proves it, and then a shared empty list (most chat messages: nothing allocated).
   */
  matches(text: string): readonly MatchPayload[] {
    if (!this.#screen.test(this.#transform(text))) return NO_MATCHES;
    return this.#matcher.getAllMatches(text);
  }
}

/** The RegExp source obscenity compiles a pattern to (its flags: `s`), so that the screen matches where it would. */
function patternSource(pattern: ParsedPattern): string {
  const boundary = (required: boolean) => (required ? String.raw`\b` : '');
  return boundary(pattern.requireWordBoundaryAtStart) + pattern.nodes.map(nodeSource).join('') + boundary(pattern.requireWordBoundaryAtEnd);
}

function nodeSource(node: Node): string {
  switch (node.kind) {
    case SyntaxKind.Literal:
      return String.fromCodePoint(...node.chars).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    case SyntaxKind.Optional:
      return `(?:${nodeSource(node.childNode)})?`;
    case SyntaxKind.Wildcard:
      return '.';
    default:
      // A newer obscenity with a new kind of node: fail at start-up, never let words through.
      throw new TypeError(`unknown obscenity pattern node ${JSON.stringify(node)}`);
  }
}

/**
 * The text obscenity matches its patterns against: each code point through the transformers in
 * order (a transformer may drop it), stateful ones starting afresh on each text, as in
 * RegExpMatcher. The simple ones at the head are pure, so for ASCII their result is a table.
 */
function transformer(containers: readonly TransformerContainer[]): (text: string) => string {
  const head: TransformerFn[] = [];
  for (const c of containers) {
    if ('factory' in c) break;
    head.push(c.transform);
  }
  const tail = containers.slice(head.length).map((c) => ('factory' in c ? c.factory() : { transform: c.transform, reset() {} }));
  const throughHead = (code: number) => head.reduce<number | undefined>((out, transform) => (out === undefined ? out : transform(out)), code);
  const ascii = Array.from({ length: 0x80 }, (_, code) => throughHead(code));
  // Code points are gathered in one reused array and turned into a string at the end: adding
  // them to a string one by one allocated a string per character of every chat message.
  const codes: number[] = [];
  return (text) => {
    for (const stage of tail) stage.reset();
    codes.length = 0;
    for (let index = 0; index < text.length; ) {
      let code: number | undefined = text.codePointAt(index)!;
      index += code > 0xffff ? 2 : 1;
      code = code < 0x80 ? ascii[code] : throughHead(code);
      for (let i = 0; i < tail.length && code !== undefined; i++) code = tail[i]!.transform(code);
      if (code !== undefined) codes.push(code);
    }
    if (codes.length <= CODES_PER_CALL) return String.fromCodePoint.apply(null, codes);
    let out = '';
    for (let from = 0; from < codes.length; from += CODES_PER_CALL) out += String.fromCodePoint(...codes.slice(from, from + CODES_PER_CALL));
    return out;
  };
}
