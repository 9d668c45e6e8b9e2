// Numbers spelled out in English and French, turned into digits so that a phone number dictated
// in words ("zero six, twelve, thirty-four …", "zéro six douze trente-quatre cinquante-six
// soixante-dix-huit") reads to the phone-number rule as it reads to a person. Works on folded
// text (lower case, accents gone: "zéro" is "zero"), through leetspeak ("f1ve", "s3ven") and words
// run together ("fivefivefive"). Only whole words count: "someone", "often", "phone" hold no number.

type Kind = 'unit' | 'teen' | 'ten' | 'hundred' | 'repeat' | 'and' | 'zero?';

interface NumberWord {
  kind: Kind;
  value: number;
}

const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  un: 1, une: 1, deux: 2, trois: 3, quatre: 4, cinq: 5, sept: 7, huit: 8, neuf: 9,
};
const TEENS: Record<string, number> = {
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
  dix: 10, onze: 11, douze: 12, treize: 13, quatorze: 14, quinze: 15, seize: 16,
};
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
  vingt: 20, vingts: 20, trente: 30, quarante: 40, cinquante: 50, soixante: 60, septante: 70, huitante: 80, octante: 80, nonante: 90,
};
const WORDS = new Map<string, NumberWord>([
  ...Object.entries(UNITS).map(([word, value]): [string, NumberWord] => [word, { kind: 'unit', value }]),
  ...Object.entries(TEENS).map(([word, value]): [string, NumberWord] => [word, { kind: 'teen', value }]),
  ...Object.entries(TENS).map(([word, value]): [string, NumberWord] => [word, { kind: 'ten', value }]),
  ['hundred', { kind: 'hundred', value: 100 }],
  ['cent', { kind: 'hundred', value: 100 }],
  ['cents', { kind: 'hundred', value: 100 }],
  ['double', { kind: 'repeat', value: 2 }],
  ['triple', { kind: 'repeat', value: 3 }],
  ['and', { kind: 'and', value: 0 }],
  ['et', { kind: 'and', value: 0 }],
  // "oh" is zero only next to other digits ("oh seven nine …", not "oh my god").
  ['oh', { kind: 'zero?', value: 0 }],
]);

/** Leetspeak stand-ins for the letters of number words. */
const LEET: Readonly<Record<string, string>> = { a: '4@', e: '3', g: '69', i: '1!|', l: '1|', o: '0', s: '5$', t: '7+', z: '2' };

function letterPattern(char: string): string {
  const stand = LEET[char];
  return stand ? `[${char}${stand.replace(/[\\\]^|-]/g, '\\$&')}]` : char;
}

/** One number word at the current position, longest first ("seventeen" before "seven"). */
const WORD_AT = new RegExp(
  `(?:${[...WORDS.keys()]
    .sort((a, b) => b.length - a.length)
    .map((word) => [...word].map(letterPattern).join(''))
    .join('|')})`,
  'iy',
);
/** A word a number word could hide in: letters, with the digits and symbols leetspeak uses. */
const CANDIDATE = /[a-z0-9@$!|]+/gi;
const LETTER = /[a-z]/gi;
/** What may sit between the words of one spelled number ("thirty-four", "vingt et un", "five, five"). */
const BETWEEN = /^[\s\-_.,/]{1,3}$/;

/** The number words a candidate is made of, or undefined when it is anything else. */
function segment(candidate: string): NumberWord[] | undefined {
  // Leetspeak needs real letters: "0n3" is digits with a letter between, which the phone rule reads anyway.
  if ((candidate.match(LETTER)?.length ?? 0) < 2) return undefined;
  const words: NumberWord[] = [];
  for (let at = 0; at < candidate.length; ) {
    WORD_AT.lastIndex = at;
    const match = WORD_AT.exec(candidate);
    if (!match) return undefined;
    words.push(WORDS.get(unleet(match[0].toLowerCase()))!);
    at += match[0].length;
  }
  return words;
}

/** The number word a leetspeak spelling stands for. */
function unleet(spelling: string): string {
  if (WORDS.has(spelling)) return spelling;
  // Try the spellings the pattern allowed, letter by letter (few words, few letters).
  for (const word of WORDS.keys()) {
    if (word.length === spelling.length && [...word].every((char, i) => char === spelling[i] || (LEET[char]?.includes(spelling[i]!) ?? false))) return word;
  }
  return spelling;
}

/** Digit groups for a sequence of number words: "thirty four" → ["34"], "five five" → ["5", "5"]. */
function groupsOf(words: readonly NumberWord[]): string[] {
  const groups: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const next = words[i + 1];
    switch (word.kind) {
      case 'repeat':
        if (next?.kind === 'unit' || next?.kind === 'zero?') {
          groups.push(String(next.value).repeat(word.value));
          i++;
        }
        break;
      case 'unit':
        // "quatre-vingt" is four twenties; "cinq cent" five hundreds.
        if (word.value === 4 && next?.kind === 'ten' && next.value === 20) {
          i = tensFrom(words, i + 1, 80, groups);
        } else if (next?.kind === 'hundred') {
          i = hundredsFrom(words, i + 1, word.value * 100, groups);
        } else {
          groups.push(String(word.value));
        }
        break;
      case 'zero?':
        groups.push('0');
        break;
      case 'teen':
        // "dix sept" written apart is seventeen.
        if (word.value === 10 && next?.kind === 'unit' && next.value >= 7) {
          groups.push(String(10 + next.value));
          i++;
        } else {
          groups.push(String(word.value));
        }
        break;
      case 'ten':
        i = tensFrom(words, i, word.value, groups);
        break;
      case 'hundred':
        i = hundredsFrom(words, i, 100, groups);
        break;
      case 'and':
        break;
    }
  }
  return groups;
}

/** A ten (at `i`, worth `value`) and what completes it: "thirty four", "soixante-dix-huit", "vingt et un". */
function tensFrom(words: readonly NumberWord[], i: number, value: number, groups: string[]): number {
  let at = i + 1;
  if (words[at]?.kind === 'and' && (words[at + 1]?.kind === 'unit' || words[at + 1]?.kind === 'teen')) at++;
  const next = words[at];
  if (next?.kind === 'teen' && (value === 60 || value === 80)) {
    const seven = words[at + 1];
    const teen = next.value === 10 && seven?.kind === 'unit' && seven.value >= 7 ? 10 + seven.value : next.value;
    groups.push(String(value + teen));
    return teen === next.value ? at : at + 1;
  }
  if (next?.kind === 'unit' && next.value > 0) {
    groups.push(String(value + next.value));
    return at;
  }
  groups.push(String(value));
  return i;
}

/** Hundreds (the word at `i`) and what follows them: "five hundred fifty five" → 555. */
function hundredsFrom(words: readonly NumberWord[], i: number, value: number, groups: string[]): number {
  let at = i + 1;
  if (words[at]?.kind === 'and') at++;
  const rest: string[] = [];
  const next = words[at];
  let end = i;
  if (next?.kind === 'ten') end = tensFrom(words, at, next.value, rest);
  else if (next?.kind === 'teen' || (next?.kind === 'unit' && next.value > 0)) {
    rest.push(String(next.value));
    end = at;
  }
  groups.push(String(value + (rest.length ? Number(rest[0]) : 0)));
  return end;
}

/**
 * The text with spelled-out numbers replaced by their digits, groups apart ("call five five
 * five" → "call 5 5 5", "trente-quatre" → "34"). The same string when it spells none.
 */
export function spelledNumbersAsDigits(text: string): string {
  const pieces: Piece[] = [];
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match; match = CANDIDATE.exec(text)) {
    const words = segment(match[0]);
    if (words) pieces.push({ from: match.index, to: match.index + match[0].length, words });
  }
  if (pieces.length === 0) return text;
  // The words of one number: neighbours with only a short separator between them.
  const numbers: Piece[][] = [];
  for (const piece of pieces) {
    const last = numbers.at(-1);
    if (last && BETWEEN.test(text.slice(last.at(-1)!.to, piece.from))) last.push(piece);
    else numbers.push([piece]);
  }
  let out = '';
  let at = 0;
  for (const number of numbers) {
    // "and"/"et" join number words; at either end they are ordinary words ("five and a half").
    while (number.length && isAnd(number[0]!)) number.shift();
    while (number.length && isAnd(number.at(-1)!)) number.pop();
    if (number.length === 0) continue;
    const from = number[0]!.from;
    const to = number.at(-1)!.to;
    const words = number.flatMap((piece) => piece.words);
    // A lone "oh" is a word, not a number: it needs a digit or another number word beside it.
    if (words.every((w) => w.kind === 'zero?' || w.kind === 'and') && !nextToDigits(text, from, to)) continue;
    out += text.slice(at, from) + groupsOf(words).join(' ');
    at = to;
  }
  return at === 0 ? text : out + text.slice(at);
}

interface Piece {
  from: number;
  to: number;
  words: NumberWord[];
}

function isAnd(piece: Piece): boolean {
  return piece.words.every((w) => w.kind === 'and');
}

/** True when a digit sits just before or after [from, to), past a short separator. */
function nextToDigits(text: string, from: number, to: number): boolean {
  const before = /\d[\s\-_.,/]{0,3}$/.test(text.slice(Math.max(0, from - 4), from));
  const after = /^[\s\-_.,/]{0,3}\d/.test(text.slice(to, to + 4));
  return before || after;
}

