// Phone numbers in a chat message, however they are written: digit groups with any short run of
// punctuation, symbols or emoji between them ("06_12*34|56--78", "555 😀 123 😀 4567"), or a
// single letter ("06a12b34"); look-alike letters among the digits ("O6 l2 34 S6 78"); digits of
// any script; numbers spelled out in English or French (number-words.ts). What reads as something
// else stays: ages, times, scores, prices, dates, years, counting, sums, round numbers.
import { spelledNumbersAsDigits } from './number-words.ts';
import type { FoldedText } from './text-fold.ts';

/** Fewest digits a phone number has (a local number without its area code). */
export const MIN_PHONE_DIGITS = 7;
/** Longest run of punctuation, symbols and spaces that still joins two digit groups. */
const MAX_GAP = 8;
/**
 * Letters that stand for digits inside a number, by case: O/o→0, l/I/i→1, Z→2, E→3, A→4, S→5,
 * G/b→6, T→7, B→8, g/q→9. Lower-case z, e, a, s, t are words' letters far more often.
 */
const LOOK_ALIKE_DIGITS: Readonly<Record<string, string>> = {
  O: '0', o: '0', l: '1', I: '1', i: '1', Z: '2', E: '3', A: '4', S: '5', G: '6', b: '6', T: '7', B: '8', g: '9', q: '9',
};
const LETTER = /\p{L}/u;
const ALNUM = /[\p{L}\p{N}]/u;
const DIGIT = /[0-9]/;
const WHITESPACE = /\s/;
const NUMBER_WORD_HINT = /(?<![a-z])(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|twel|teen|ty\b|un|deux|trois|quatre|cinq|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt|trente|quarante|cinquante|soixante|septante|octante|huitante|nonante|f[1!|]ve|s[3]ven|[0]ne|tw[0]|thr[3][3]|f[0]ur|n[1!|]ne|e[1!|]ght)/i;

/** A number as written: its digit groups and what separates them. */
export interface NumberRun {
  groups: string[];
  /** separators[i] is what stands between groups[i] and groups[i + 1], as written. */
  separators: string[];
  /** Written with a leading "+" (an international number). */
  international: boolean;
}

/**
 * The text as the number rule reads it: the folded text, with the original case of its letters
 * where the case decides whether a letter stands for a digit (B is 8, b is 6).
 */
function caseView(original: string, folded: FoldedText): string {
  // ASCII folds to its lower case position for position: the original is the view.
  if (!folded.start) return original.length === folded.text.length ? original : folded.text;
  let view = '';
  const { text, start } = folded;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const source = original.codePointAt(start[i]!);
    const from = source === undefined ? '' : String.fromCodePoint(source);
    view += char >= 'a' && char <= 'z' && from !== from.toLowerCase() ? char.toUpperCase() : char;
  }
  return view;
}

/** False when folded text has no digit and spells none: no number in it. */
export function mayHoldNumber(text: string): boolean {
  return /\d/.test(text) || NUMBER_WORD_HINT.test(text);
}

/** Fewest real digits a number has: look-alike letters stand for a few of them, never for most. */
const MIN_REAL_DIGITS = 2;

function countDigits(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) digits++;
  return digits;
}

/** True when the text carries a phone number. `folded` is foldText(original). */
export function hasPhoneNumber(original: string, folded: FoldedText): boolean {
  const text = folded.text;
  // Too few digits and no spelled number: nothing to read.
  if (countDigits(text) < MIN_REAL_DIGITS && !NUMBER_WORD_HINT.test(text)) return false;
  const view = spelledNumbersAsDigits(caseView(original, folded));
  // Words that spelled no number leave too few digits to read (a number needs a few real ones).
  if (view !== original && countDigits(view) < MIN_REAL_DIGITS) return false;
  return numberRuns(view).some(isPhoneNumber);
}

type CharClass = 'digit' | 'lookAlike' | 'letter' | 'gap';

// The hostile path is long ASCII ("1 1 1 …", 500 groups): ASCII characters are classified by
// their code, which reads exactly as the patterns do, and only other characters go to them.

/** True for 0-9 (a character of one code unit). */
function isAsciiDigit(char: string): boolean {
  if (char.length !== 1) return false;
  const code = char.charCodeAt(0);
  return code >= 48 && code <= 57;
}

/** ALNUM.test(text[i]), by code for ASCII. */
function isAlnumAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 128) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  return ALNUM.test(text[i]!);
}

function classify(char: string): CharClass {
  if (char.length === 1) {
    const code = char.charCodeAt(0);
    if (code < 128) {
      if (code >= 48 && code <= 57) return 'digit';
      if (LOOK_ALIKE_DIGITS[char] !== undefined) return 'lookAlike';
      return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ? 'letter' : 'gap';
    }
  }
  if (DIGIT.test(char)) return 'digit';
  if (LOOK_ALIKE_DIGITS[char] !== undefined) return 'lookAlike';
  return LETTER.test(char) || ALNUM.test(char) ? 'letter' : 'gap';
}

/** One piece of a text: a digit group (look-alikes read as digits), letters, a lone look-alike, a gap. */
interface Piece {
  kind: 'group' | 'letters' | 'lone' | 'gap';
  /** The digits of a group (or a lone look-alike's digit), the letters or the gap as written. */
  text: string;
  /** A lone look-alike as written. */
  letter?: string;
}

/**
 * A word (letters and digits) as pieces. A run of digits and look-alike letters is a group when
 * it has no more than one look-alike beyond its digits ("O6", "lZ3", not "lol5"); letters stay
 * letters. A look-alike letter alone is "lone": see resolveLone. Words of two look-alikes ("TO",
 * "IS", "il") are words.
 */
function piecesOf(word: string): Piece[] {
  if (word.length === 1 && word.charCodeAt(0) < 128) {
    // One ASCII character: a digit, a lone look-alike or a letter (what the general case gives).
    const kind = classify(word);
    if (kind === 'digit') return [{ kind: 'group', text: word }];
    if (kind === 'lookAlike') return [{ kind: 'lone', text: LOOK_ALIKE_DIGITS[word]!, letter: word }];
    if (kind === 'letter') return [{ kind: 'letters', text: word }];
  }
  const chars = [...word];
  const classes = chars.map(classify);
  if (chars.length === 1 && classes[0] === 'lookAlike') return [{ kind: 'lone', text: LOOK_ALIKE_DIGITS[chars[0]!]!, letter: chars[0]! }];
  const pieces: Piece[] = [];
  for (let i = 0; i < chars.length; ) {
    let j = i;
    if (classes[i] === 'letter') {
      while (j < chars.length && classes[j] === 'letter') j++;
      pieces.push({ kind: 'letters', text: chars.slice(i, j).join('') });
    } else {
      while (j < chars.length && classes[j] !== 'letter') j++;
      const run = chars.slice(i, j);
      let real = 0;
      for (const c of run) if (isAsciiDigit(c) || (c.length !== 1 && DIGIT.test(c))) real++;
      if (real > 0 && run.length - real <= real + 1) {
        pieces.push({ kind: 'group', text: run.map((c) => LOOK_ALIKE_DIGITS[c] ?? c).join('') });
      } else {
        // Look-alikes outnumber the digits: they are letters; the digits alone still count.
        for (const c of run) pieces.push(isAsciiDigit(c) || (c.length !== 1 && DIGIT.test(c)) ? { kind: 'group', text: c } : { kind: 'letters', text: c });
      }
    }
    i = j;
  }
  return mergeAdjacent(pieces);
}

/** Joins neighbours of one kind; `pieces` are piecesOf's own, so they are merged in place. */
function mergeAdjacent(pieces: Piece[]): Piece[] {
  const merged: Piece[] = [];
  for (const piece of pieces) {
    const last = merged.length ? merged[merged.length - 1] : undefined;
    if (last && last.kind === piece.kind && piece.kind !== 'lone') last.text += piece.text;
    else merged.push(piece);
  }
  return merged;
}

/** The text as pieces, and the punctuation, symbols and spaces between words as gaps. */
function piecesOfText(text: string): Piece[] {
  const pieces: Piece[] = [];
  for (let i = 0; i < text.length; ) {
    let j = i;
    const alnum = isAlnumAt(text, i);
    while (j < text.length && isAlnumAt(text, j) === alnum) j++;
    if (alnum) for (const piece of piecesOf(text.slice(i, j))) pieces.push(piece);
    else pieces.push({ kind: 'gap', text: text.slice(i, j) });
    i = j;
  }
  return pieces;
}

/**
 * A look-alike letter alone is a digit where digits are dictated one by one: next to another
 * lone look-alike or to a one-digit group ("0 7 l E 2", "8 S B 2"); an O is a zero anywhere.
 * Elsewhere it is a word of one letter: "3 À 1" and "12/05 À 10H30" keep their "à".
 */
function resolveLone(pieces: Piece[]): Piece[] {
  const lengthAt = (from: number, step: number): number | undefined => {
    for (let k = from + step; k >= 0 && k < pieces.length; k += step) {
      const piece = pieces[k]!;
      if (piece.kind === 'gap') continue;
      return piece.kind === 'group' || piece.kind === 'lone' ? piece.text.length : undefined;
    }
    return undefined;
  };
  return pieces.map((piece, k) => {
    if (piece.kind !== 'lone') return piece;
    const dictated = piece.text === '0' || lengthAt(k, -1) === 1 || lengthAt(k, 1) === 1;
    return dictated ? { kind: 'group', text: piece.text } : { kind: 'letters', text: piece.letter! };
  });
}

/**
 * The numbers in a text: digit groups joined by at most MAX_GAP characters of punctuation,
 * symbols, emoji and spaces (a run of spaces counts once), and at most one letter. Two letters
 * in a row end a number, so words between digits keep them apart ("I'm 14 and 15", "10h30 à 12h").
 */
export function numberRuns(text: string): NumberRun[] {
  const runs: NumberRun[] = [];
  let run: NumberRun | undefined;
  /** What has been written since the run's last group. */
  let separator = '';
  let gapLength = 0;
  let gapLetters = 0;
  /** The punctuation just before the text read now (a "+" before a number's first group). */
  let lead = '';
  const end = () => {
    if (run) runs.push(run);
    run = undefined;
  };
  for (const piece of resolveLone(piecesOfText(text))) {
    if (piece.kind === 'gap') {
      lead = piece.text;
      if (!run) continue;
      separator += piece.text;
      gapLength += gapWidth(piece.text);
      if (gapLength > MAX_GAP) end();
    } else if (piece.kind === 'letters') {
      lead = '';
      if (!run) continue;
      if ((piece.text.length > 1 && [...piece.text].length > 1) || ++gapLetters > 1) end();
      else separator += piece.text;
    } else if (run) {
      run.separators.push(separator);
      run.groups.push(piece.text);
    } else {
      run = { groups: [piece.text], separators: [], international: /\+[\s(]*$/.test(lead) };
    }
    if (piece.kind === 'group') {
      separator = '';
      gapLength = 0;
      gapLetters = 0;
    }
  }
  end();
  return runs;
}

/** Characters a gap counts: code points, a run of white space as one. */
function gapWidth(chunk: string): number {
  let width = 0;
  let space = false;
  for (const char of chunk) {
    const code = char.charCodeAt(0);
    const isSpace = char.length === 1 && code < 128 ? code === 32 || (code >= 9 && code <= 13) : WHITESPACE.test(char);
    if (!isSpace || !space) width++;
    space = isSpace;
  }
  return width;
}

const DATE_SEPARATORS = /^(?:[-/.]|\s+)$/;
const TIME_SEPARATORS = /^(?::|h|\.|\s*h\s*)$/i;
const SCORE_SEPARATORS = /^\s*(?:-|\u2013|:|x|\u00e0|a|to)\s*$/i;
const YEAR = /^(?:19|20)\d\d$/;
const LIST_SEPARATOR = /^[\s,;/|]+$/;

/** True when a number reads as a phone number rather than as a number. */
export function isPhoneNumber(run: NumberRun): boolean {
  const { groups, separators } = run;
  const digits = groups.join('');
  if (digits.length < MIN_PHONE_DIGITS) return false;
  if (run.international) return true;
  const seps = separators.map((s) => s.trim() || ' ');
  const uniform = seps.every((s) => s === seps[0]);
  const values = groups.map(Number);
  if (groups.length === 1) return !isPlainNumber(digits);
  // A decimal ("3.14159265", "0,5"): a whole part of one or two digits without a leading zero.
  if (groups.length === 2 && (seps[0] === '.' || seps[0] === ',') && /^(?:0|[1-9]\d?)$/.test(groups[0]!)) return false;
  if (isThousands(groups, seps, uniform)) return false;
  if (isEquation(groups, seps)) return false;
  // Years ("1990 2000", "2019-2024"), or a school year and its years ("year 9 (2023-2024)").
  if (groups.every((g) => YEAR.test(g))) return false;
  if (groups.length === 3 && groups[0]!.length <= 2 && YEAR.test(groups[1]!) && values[2]! - values[1]! === 1) return false;
  // Counting or a list with a step ("1 2 3 4 5 6 7", "10 20 30 40").
  if (groups.length >= 3 && isArithmetic(values)) return false;
  // Round numbers listed ("1000 or 2000", "1500-2300").
  if (groups.every((g) => /^[1-9]\d*0$/.test(g))) return false;
  // A list ("10, 25, 33, 47"): short, and without the leading zeros of a dialled number.
  // Digits dictated one by one ("5, 5, 5, 1, 2, 3, 4") are no list.
  const list = seps.some((s) => s.includes(',')) && groups.some((g) => g.length > 1);
  if (list && digits.length <= 8 && groups.every((g) => !/^0\d/.test(g))) return false;
  if (readsAsItems(groups, separators)) return false;
  return true;
}

/** One group that is no phone number: round ("1000000"), one digit repeated, or counted ("1234567"). */
function isPlainNumber(digits: string): boolean {
  if (/^[1-9]\d?0{5,}$/.test(digits)) return true;
  if (/^(\d)\1+$/.test(digits)) return true;
  return '0123456789'.includes(digits) || '9876543210'.includes(digits);
}

/**
 * Thousands ("1.000.000", "2 500 000", "1,234,567"): round, or with dots or commas no longer than
 * a local number (spaces are how numbers are dialled too: "555 123 456" is no count).
 */
function isThousands(groups: readonly string[], seps: readonly string[], uniform: boolean): boolean {
  if (!uniform || !['.', ',', ' ', "'"].includes(seps[0]!)) return false;
  if (!/^[1-9]\d{0,2}$/.test(groups[0]!) || !groups.slice(1).every((g) => g.length === 3)) return false;
  return groups.at(-1) === '000' || (seps[0] !== ' ' && groups.join('').length <= MIN_PHONE_DIGITS);
}

const OPERATORS = /^[+\-*x\u00d7/\u00f7^]$/;

/** A true sum or product written out ("12*12=144", "100+200=300", "1 000 + 2 000 = 3 000"). */
function isEquation(written: readonly string[], spaced: readonly string[]): boolean {
  // Thousands written with spaces are one number.
  const groups = [written[0]!];
  const seps: string[] = [];
  for (let i = 0; i < spaced.length; i++) {
    if (spaced[i] === ' ' && /^\d{3}$/.test(written[i + 1]!)) groups[groups.length - 1] += written[i + 1]!;
    else {
      seps.push(spaced[i]!);
      groups.push(written[i + 1]!);
    }
  }
  const equals = seps.indexOf('=');
  if (equals < 0 || seps.lastIndexOf('=') !== equals || equals !== seps.length - 1) return false;
  if (!seps.slice(0, equals).every((s) => OPERATORS.test(s))) return false;
  const terms = [Number(groups[0])];
  const ops: string[] = [];
  for (let i = 0; i < equals; i++) {
    ops.push(seps[i]!);
    terms.push(Number(groups[i + 1]));
  }
  // Multiplication and division first, then addition and subtraction.
  const sums: number[] = [terms[0]!];
  const signs: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const term = terms[i + 1]!;
    if (op === '*' || op === 'x' || op === '×') sums[sums.length - 1]! *= term;
    else if (op === '/' || op === '÷') sums[sums.length - 1]! /= term;
    else if (op === '^') sums[sums.length - 1] = sums.at(-1)! ** term;
    else {
      signs.push(op);
      sums.push(term);
    }
  }
  const left = sums.reduce((total, term, i) => (i === 0 ? term : signs[i - 1] === '-' ? total - term : total + term), 0);
  return Math.abs(left - Number(groups[equals + 1])) < 1e-9;
}

/**
 * Up to three dates, times and scores one after another ("12/05/2009 à 10h30", "10:30-11:45",
 * "21-15 21-18"): what a chat about school, matches or meeting up is full of. What joins two of
 * them differs from what is inside them (a number dialled "555-12-34-567" is no list of scores),
 * and there is a date with its year or a time among them, or they are all alike (scores, days).
 */
function readsAsItems(groups: readonly string[], separators: readonly string[]): boolean {
  const MAX_ITEMS = 3;
  const seps = separators.map((s) => s.trim() || ' ');
  const parse = (at: number, items: Item[]): boolean => {
    if (at === groups.length) return items.length > 0 && (items.some((i) => i === 'date' || i === 'time') || items.every((i) => i === items[0]));
    if (items.length === MAX_ITEMS) return false;
    for (const width of [3, 2]) {
      if (at + width > groups.length) continue;
      const inner = seps.slice(at, at + width - 1);
      const joining = at > 0 ? seps[at - 1]! : undefined;
      if (joining !== undefined && inner.includes(joining)) continue;
      const item = itemOf(groups.slice(at, at + width), inner);
      // Scores are listed with spaces or commas ("21-15, 21-18"), not with words or dashes.
      if (item === 'score' && joining !== undefined && !LIST_SEPARATOR.test(joining)) continue;
      if (item && items.at(-1) === 'score' && joining !== undefined && !LIST_SEPARATOR.test(joining)) continue;
      if (item && parse(at + width, [...items, item])) return true;
    }
    return false;
  };
  return parse(0, []);
}

type Item = 'date' | 'time' | 'dayMonth' | 'score';

function itemOf(groups: readonly string[], separators: readonly string[]): Item | undefined {
  const [a, b, c] = groups;
  const values = groups.map(Number);
  const sep = separators[0]!;
  if (groups.length === 3) return separators[0] === separators[1] && DATE_SEPARATORS.test(sep) && isDate(a!, b!, c!, sep === ' ') ? 'date' : undefined;
  if (TIME_SEPARATORS.test(sep) && a!.length <= 2 && b!.length === 2 && values[0]! <= 24 && values[1]! <= 59) return 'time';
  if ((sep === '/' || sep === '.') && a!.length <= 2 && b!.length <= 2 && isDayMonth(values[0]!, values[1]!)) return 'dayMonth';
  // A score: two numbers of one or two digits without a leading zero ("3-1", "21-15").
  return SCORE_SEPARATORS.test(sep) && groups.every((g) => g.length <= 2 && !/^0\d/.test(g)) ? 'score' : undefined;
}

function isDayMonth(a: number, b: number): boolean {
  const day = (n: number) => n >= 1 && n <= 31;
  const month = (n: number) => n >= 1 && n <= 12;
  return (day(a) && month(b)) || (month(a) && day(b));
}

function isDate(a: string, b: string, c: string, spaced = false): boolean {
  if (spaced && c.length !== 4) return false;
  const month = (n: number) => n >= 1 && n <= 12;
  const day = (n: number) => n >= 1 && n <= 31;
  if (a.length === 4) return YEAR.test(a) && month(Number(b)) && day(Number(c));
  if (c.length !== 2 && !YEAR.test(c)) return false;
  return a.length <= 2 && b.length <= 2 && isDayMonth(Number(a), Number(b));
}

function isArithmetic(values: readonly number[]): boolean {
  const step = values[1]! - values[0]!;
  if (step === 0) return false;
  return values.every((v, i) => i === 0 || v - values[i - 1]! === step);
}
