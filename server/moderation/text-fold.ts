// Folding text for the message filter: undoing the tricks people use to slip words and contact
// details past a filter (invisible characters, look-alike letters, fullwidth and mathematical
// forms, accents, letters spaced out with separators), while remembering where every folded
// character came from so a match can be masked in the text as it was sent.

/**
 * Folded text with, for each UTF-16 unit, the span [start, end) of the original it came from.
 * Without the maps each unit came from the same position (ASCII text, the common case, folds
 * with one toLowerCase and allocates no map: the filter runs on every chat message).
 */
export interface FoldedText {
  readonly text: string;
  readonly start?: readonly number[];
  readonly end?: readonly number[];
}

/**
 * Characters that render as nothing (zero-width spaces and joiners, soft hyphen, bidi controls,
 * variation selectors, tag characters, Hangul fillers) and combining marks (accents, "Zalgo").
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{M}]/u;

/**
 * Look-alike letters that Unicode normalisation leaves alone: Cyrillic, Greek, Armenian and
 * small capitals, mapped to the Latin letter they imitate. Case-sensitive on purpose: Greek
 * capital eta looks like H, its small form like n.
 */
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  // Cyrillic
  А: 'a', а: 'a', В: 'b', в: 'b', Ь: 'b', ь: 'b', С: 'c', с: 'c', Ԁ: 'd', ԁ: 'd', Е: 'e', е: 'e', Ё: 'e', ё: 'e',
  Н: 'h', н: 'h', Һ: 'h', һ: 'h', І: 'i', і: 'i', Ї: 'i', ї: 'i', Ј: 'j', ј: 'j', К: 'k', к: 'k', Ӏ: 'l', ӏ: 'l',
  М: 'm', м: 'm', П: 'n', п: 'n', О: 'o', о: 'o', Р: 'p', р: 'p', Ԛ: 'q', ԛ: 'q', Г: 'r', г: 'r', Ѕ: 's', ѕ: 's',
  Т: 't', т: 't', У: 'y', у: 'y', Ү: 'y', ү: 'y', Ԝ: 'w', ԝ: 'w', Х: 'x', х: 'x',
  // Greek
  Α: 'a', α: 'a', Β: 'b', β: 'b', Ε: 'e', ε: 'e', Ζ: 'z', Η: 'h', η: 'n', Ι: 'i', ι: 'i', Κ: 'k', κ: 'k',
  Μ: 'm', Ν: 'n', ν: 'v', Ο: 'o', ο: 'o', Ρ: 'p', ρ: 'p', Τ: 't', τ: 't', Υ: 'y', υ: 'u', Χ: 'x', χ: 'x',
  ω: 'w', ϲ: 'c', Ϲ: 'c',
  // Armenian
  օ: 'o', Օ: 'o', ս: 'u', Ս: 'u', հ: 'h', ո: 'n', ց: 'g', զ: 'q',
  // Latin letters without a decomposition, and small capitals
  ı: 'i', ȷ: 'j', ɑ: 'a', ɡ: 'g', ß: 'ss', æ: 'ae', Æ: 'ae', œ: 'oe', Œ: 'oe', ø: 'o', Ø: 'o', đ: 'd', Đ: 'd',
  ł: 'l', Ł: 'l', ħ: 'h', ŧ: 't', ƒ: 'f', ʃ: 's',
  ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ꜰ: 'f', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ʟ: 'l', ᴍ: 'm',
  ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z',
  // Full stops that are not "." (NFKD maps the fullwidth one already)
  '。': '.', '｡': '.',
};

const DECIMAL_DIGIT = /\p{Nd}/u;

/** The ASCII digit of any decimal digit (Arabic-Indic, Devanagari, …): Unicode keeps them in runs of ten. */
function asciiDigit(char: string): string {
  let code = char.codePointAt(0)!;
  let offset = 0;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(code - 1))) {
    code--;
    offset++;
  }
  return String(offset % 10);
}

/** Folds one code point: compatibility decomposition, no marks, look-alikes mapped, lower case. */
function foldCodePoint(char: string): string {
  if (char.length === 1 && char < '\u0080') return char.toLowerCase();
  let out = '';
  for (const part of char.normalize('NFKD')) {
    if (INVISIBLE.test(part)) continue;
    const mapped = HOMOGLYPHS[part];
    if (mapped !== undefined) out += mapped;
    else if (part >= '0' && part <= '9') out += part;
    else if (DECIMAL_DIGIT.test(part)) out += asciiDigit(part);
    else {
      const lower = part.toLowerCase();
      out += HOMOGLYPHS[lower] ?? lower;
    }
  }
  return out;
}

/** Text that folds to itself in lower case: ASCII, most chat. */
const ASCII = /^[\x00-\x7F]*$/;
/**
 * Folded code points already seen. Folding one takes a normalisation and several Unicode
 * property tests (about 1 µs); chat in one script uses few distinct ones. Bounded so that
 * messages made of ever new characters cannot grow it.
 */
const foldedCodePoints = new Map<number, string>();
const FOLDED_CODE_POINTS_MAX = 10_000;

function foldCodePointCached(char: string, code: number): string {
  let folded = foldedCodePoints.get(code);
  if (folded === undefined) {
    if (foldedCodePoints.size >= FOLDED_CODE_POINTS_MAX) foldedCodePoints.clear();
    folded = foldCodePoint(char);
    foldedCodePoints.set(code, folded);
  }
  return folded;
}

/** Folds text to lower-case Latin where it imitates Latin; digits and punctuation stay. */
export function foldText(input: string): FoldedText {
  if (ASCII.test(input)) return { text: input.toLowerCase() };
  let text = '';
  const start: number[] = [];
  const end: number[] = [];
  for (let index = 0; index < input.length; ) {
    const code = input.codePointAt(index)!;
    const width = code > 0xffff ? 2 : 1;
    const folded = code < 0x80 ? input[index]!.toLowerCase() : foldCodePointCached(input.slice(index, index + width), code);
    for (let i = 0; i < folded.length; i++) {
      start.push(index);
      end.push(index + width);
    }
    text += folded;
    index += width;
  }
  return { text, start, end };
}

/**
 * Every match of a global pattern, found with exec: matchAll copies the RegExp on each call,
 * which costs more than the search itself on a chat message.
 */
export function allMatches(pattern: RegExp, text: string): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    matches.push(match);
    if (match[0] === '') pattern.lastIndex++;
  }
  return matches;
}

/** Removes the characters of `text` at the given positions, keeping the map to the original. */
function removeAt(folded: FoldedText, drop: ReadonlySet<number>): FoldedText {
  if (drop.size === 0) return folded;
  let text = '';
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < folded.text.length; i++) {
    if (drop.has(i)) continue;
    text += folded.text[i];
    start.push(folded.start ? folded.start[i]! : i);
    end.push(folded.end ? folded.end[i]! : i + 1);
  }
  return { text, start, end };
}

/**
 * A run of at least three single characters with separators between them ("f.u.c.k",
 * "f u c k", "s-e-x"): letters spaced out to dodge a filter. Leetspeak symbols count as letters.
 */
const WORD_CHAR = String.raw`[\p{L}\p{N}@$!]`;
const SPACING = String.raw`[\s.\-_*~|/\\,+:;'"^=•·…]`;
const SPACED_RUN = new RegExp(`(?<!${WORD_CHAR})${WORD_CHAR}(?:${SPACING}+${WORD_CHAR}(?!${WORD_CHAR})){2,}`, 'gu');
const SPACING_CHAR = new RegExp(SPACING, 'u');

/** Joins spaced-out single letters ("f . u . c . k" → "fuck"); everything else is kept. */
export function joinSpacedLetters(folded: FoldedText): FoldedText {
  SPACED_RUN.lastIndex = 0;
  if (!SPACED_RUN.test(folded.text)) return folded;
  const drop = new Set<number>();
  for (const match of allMatches(SPACED_RUN, folded.text)) {
    for (let i = match.index; i < match.index + match[0].length; i++) {
      if (SPACING_CHAR.test(folded.text[i]!)) drop.add(i);
    }
  }
  return removeAt(folded, drop);
}

/** Like joinSpacedLetters, but only whitespace is removed ("e x a m p l e . c o m" → "example.com"). */
const SPACED_SYMBOLS = /(?<!\S)\S(?:\s+\S(?!\S)){2,}/gu;
export function joinSpacedSymbols(folded: FoldedText): FoldedText {
  SPACED_SYMBOLS.lastIndex = 0;
  if (!SPACED_SYMBOLS.test(folded.text)) return folded;
  const drop = new Set<number>();
  for (const match of allMatches(SPACED_SYMBOLS, folded.text)) {
    for (let i = match.index; i < match.index + match[0].length; i++) {
      if (/\s/.test(folded.text[i]!)) drop.add(i);
    }
  }
  return removeAt(folded, drop);
}

/** The span of the original text that folded positions [from, to) came from. */
export function originalSpan(folded: FoldedText, from: number, to: number): [number, number] {
  return [folded.start ? folded.start[from]! : from, folded.end ? folded.end[to - 1]! : to];
}
