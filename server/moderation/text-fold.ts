// Folding text for the message filter: undoing the tricks people use to slip words and contact
// details past a filter (invisible characters, look-alike letters, fullwidth and mathematical
// forms, accents, letters spaced out with separators), while remembering where every folded
// character came from so a match can be masked in the text as it was sent.
import UTS39_PROTOTYPES from 'unhomoglyph/data.json' with { type: 'json' };
import { confusablesMap as ENGLISH_LOOK_ALIKES } from 'confusables';

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
 * The filter removes the invisible ones before folding (invisible.ts); folding drops them too,
 * for callers that fold text of their own.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{M}]/u;

/**
 * Look-alikes: Unicode's confusables (UTS #39, confusables.txt as the unhomoglyph package ships
 * it) map a character to the prototype it is confused with; many prototypes are themselves not
 * Latin (Cyrillic в → small capital ʙ), so what is still not ASCII then goes through the
 * confusables package's table of look-alikes for English letters and digits (ʙ → B).
 */
const PROTOTYPES: Readonly<Record<string, string>> = UTS39_PROTOTYPES;
/** confusables.txt's prototype for "m" is "rn" (what a skeleton compares); a reader sees an m. */
const RN = 'rn';
/** Prototypes of the middle and ideographic dots: in an address they stand for ".". */
const DOT_PROTOTYPES = new Set(['·', '˳']);
/** confusables.txt's prototype for a capital I is "l"; folded text has the lower-case "i" of "I". */
const CAPITAL_I_PROTOTYPE = 'l';
/**
 * Two letters the tables leave wrong: ß folds to "ss" (Unicode case folding; the look-alike table
 * reads it as B), and the small capital F is in neither (test/unit/text-fold.test.ts checks that
 * each is still a gap).
 */
export const FOLD_GAPS: Readonly<Record<string, string>> = { ß: 'ss', ꜰ: 'f' };

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

/** What the look-alike tables may change: letters and digits; a symbol stays itself (the look-alike table reads ❤ as "o"). */
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** The Latin letters (or digits, or dot) a non-ASCII letter imitates, in lower case. */
function latinOf(char: string): string {
  const gap = FOLD_GAPS[char];
  if (gap !== undefined) return gap;
  const prototype = PROTOTYPES[char];
  if (DOT_PROTOTYPES.has(prototype ?? char)) return '.';
  if (!LETTER_OR_DIGIT.test(char)) return char.toLowerCase();
  if (prototype === RN) return 'm';
  if (prototype === CAPITAL_I_PROTOTYPE && char !== char.toLowerCase()) return 'i';
  let out = '';
  for (const part of (prototype ?? char).normalize('NFKD')) {
    if (INVISIBLE.test(part)) continue;
    out += (part < '\u0080' ? part : (ENGLISH_LOOK_ALIKES.get(part) ?? ENGLISH_LOOK_ALIKES.get(char) ?? part)).toLowerCase();
  }
  return out;
}

/** Folds one code point: compatibility decomposition, no marks, digits as ASCII, look-alikes mapped, lower case. */
function foldCodePoint(char: string): string {
  if (char.length === 1 && char < '\u0080') return char.toLowerCase();
  let out = '';
  for (const part of char.normalize('NFKD')) {
    if (part < '\u0080') out += part.toLowerCase();
    else if (DECIMAL_DIGIT.test(part)) out += asciiDigit(part);
    else if (!INVISIBLE.test(part)) out += latinOf(part);
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
const SPACING = String.raw`[\s.\-_*~|/\\,+:;'"^=\u2022\u00b7\u2026]`;
/** A letter before an apostrophe starts a word ("c'est", "l'insta"): it is not spaced out. */
const SPACED_RUN = new RegExp(`(?<!${WORD_CHAR})${WORD_CHAR}(?:${SPACING}+${WORD_CHAR}(?!${WORD_CHAR}|['’])){2,}`, 'gu');
const SPACING_CHAR = new RegExp(SPACING, 'u');
/** SPACING_CHAR's ASCII members by code (white space 9–13 and 32, and the punctuation above). */
const ASCII_SPACING = new Uint8Array(128);
for (let code = 0; code < 128; code++) ASCII_SPACING[code] = SPACING_CHAR.test(String.fromCharCode(code)) ? 1 : 0;

/** SPACING_CHAR.test(text[i]), by a table for ASCII. */
function isSpacingAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code < 128 ? ASCII_SPACING[code] === 1 : SPACING_CHAR.test(text[i]!);
}

/** /\s/.test(text[i]), by code for ASCII. */
function isSpaceAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code < 128 ? code === 32 || (code >= 9 && code <= 13) : /\s/.test(text[i]!);
}

/** Joins spaced-out single letters ("f . u . c . k" → "fuck"); everything else is kept. */
export function joinSpacedLetters(folded: FoldedText): FoldedText {
  SPACED_RUN.lastIndex = 0;
  if (!SPACED_RUN.test(folded.text)) return folded;
  const drop = new Set<number>();
  for (const match of allMatches(SPACED_RUN, folded.text)) {
    for (let i = match.index; i < match.index + match[0].length; i++) {
      if (isSpacingAt(folded.text, i)) drop.add(i);
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
      if (isSpaceAt(folded.text, i)) drop.add(i);
    }
  }
  return removeAt(folded, drop);
}

/** The span of the original text that folded positions [from, to) came from. */
export function originalSpan(folded: FoldedText, from: number, to: number): [number, number] {
  return [folded.start ? folded.start[from]! : from, folded.end ? folded.end[to - 1]! : to];
}
