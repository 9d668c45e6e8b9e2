// The message filter: the built-in English profanity list (obscenity) and the operator's own
// block and mask lists, all matched on folded text so that case, leetspeak, invisible
// characters, look-alike letters, accents, repeated letters and spaced-out letters do not slip
// through; then, where the instance or the sender's age band calls for it, contact details
// and links. Block wins over mask; a mask turns each matched span of the message as sent into
// asterisks of the same length.
import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from 'obscenity';
import type { InstanceSettings, Profile } from '../config.ts';
import type { AgeBand } from '../chat/hub.ts';
import { findContactDetails, type ContactKind } from './contact-details.ts';
import { foldText, joinSpacedLetters, originalSpan, type FoldedText } from './text-fold.ts';

export type FilterSettings = InstanceSettings['filters'];

/** Who is sending: the instance's profile and the sender's age band decide the contact rule. */
export interface FilterContext {
  band: AgeBand;
  profile: Profile;
}

/** Why a message was refused: its words, or the contact detail it carries. */
export type BlockReason = 'words' | ContactKind;

export type FilterVerdict =
  | { action: 'pass'; text: string }
  | { action: 'block'; reason: BlockReason; /** Safe to show to the sender. */ message: string };

export interface MessageFilter {
  check(text: string, context: FilterContext): FilterVerdict;
}

/** What the sender reads when a message is refused (the error code is always `filtered`). */
export const BLOCK_MESSAGES: Readonly<Record<BlockReason, string>> = {
  words: 'That message was not sent: it breaks the rules of this space.',
  email: "E-mail addresses can't be shared here — it keeps everyone safe.",
  phone: "Phone numbers can't be shared here — it keeps everyone safe.",
  link: "Contact details and links can't be shared here — it keeps everyone safe.",
  handle: "Social media names and usernames can't be shared here — it keeps everyone safe.",
};

/**
 * Words obscenity's English list would flag inside ordinary words (the Scunthorpe problem).
 * Its own whitelist covers many ("class", "assassin", "Scunthorpe"); these are the ones it misses.
 */
const PROFANITY_ALLOWED = [
  'cockpit',
  'cockpits',
  'shiitake',
  'penistone',
  'dickinson',
  'mishit',
  'pussycat',
  'pussy willow',
  'tit for tat',
  'blue tit',
  'great tit',
  'coal tit',
];

/** Characters that make up a word, leetspeak symbols included ("a$$", "@ss"). */
const WORD = String.raw`[\p{L}\p{N}@$]`;
/** Separators that may sit between the words of a listed phrase. */
const GAP = String.raw`[\s.\-_*~|/\\,+:;'"^=•·…]`;
const GAP_SPLIT = new RegExp(`${GAP}+`, 'u');
/** Leetspeak stand-ins for each letter (the folded text keeps digits and symbols as they were). */
const LEET: Readonly<Record<string, string>> = { a: '4@', b: '8', e: '3', g: '6', i: '1!|', l: '1|', o: '0', s: '5$', t: '7+', z: '2' };
/**
 * Letters English itself doubles ("good", "class", "coffee"): for these a doubled letter is the
 * word's own, and only three or more in a row count as stretching ("gooood"). Other letters
 * may repeat freely ("fuuuck").
 */
const DOUBLING = new Set('bcdefglmnoprstz');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function letterClass(char: string): string {
  const stand = LEET[char];
  return stand ? `[${(char + stand).replace(/[\\\]^|-]/g, '\\$&')}]` : escapeRegExp(char);
}

/** A run of `count` identical characters of a listed word. */
function runPattern(char: string, count: number): string {
  const cls = letterClass(char);
  const exactly = count === 1 ? cls : `${cls}{${count}}`;
  if (!/^[a-z]$/.test(char)) return exactly;
  if (!DOUBLING.has(char) || count >= 3) return count === 1 ? `${cls}+` : `${cls}{${count},}`;
  return `(?:${exactly}|${cls}{3,})`;
}

function wordPattern(word: string): string {
  const chars = [...word];
  let out = '';
  for (let i = 0; i < chars.length; ) {
    let j = i;
    while (j < chars.length && chars[j] === chars[i]) j++;
    out += runPattern(chars[i]!, j - i);
    i = j;
  }
  return out;
}

interface ListEntry {
  /** The pattern of the entry's words on folded text. */
  body: string;
  /** `*word`: the word may start earlier. */
  leading: boolean;
  /** `word*`: the word may go on. */
  trailing: boolean;
}

/**
 * One entry of an operator list. Entries match whole words; a leading or trailing `*` lets the
 * word go on ("fuck*" also matches "fuckers", "*hole" matches "asshole").
 */
function parseEntry(entry: string): ListEntry | undefined {
  const trimmed = entry.trim();
  const words = foldText(trimmed.replace(/^\*+|\*+$/g, ''))
    .text.split(GAP_SPLIT)
    .filter(Boolean);
  if (words.length === 0) return undefined;
  return { body: words.map(wordPattern).join(`${GAP}*`), leading: trimmed.startsWith('*'), trailing: trimmed.endsWith('*') };
}

/** Entries per compiled pattern: V8 refuses one pattern for thousands, and runs smaller ones faster. */
const ENTRIES_PER_PATTERN = 50;
const WORD_CHAR = new RegExp(WORD, 'u');
const WARM_UP = 'warm up '.repeat(8);

interface PatternGroup {
  patterns: RegExp[];
  leading: boolean;
  trailing: boolean;
}

/**
 * An operator list compiled to a few patterns, grouped by wildcard: a word boundary is checked
 * once per position, not once per entry, and a wildcard is widened to the whole word in code,
 * so a long message costs about one scan per group.
 */
export class WordList {
  readonly #groups: PatternGroup[] = [];

  constructor(entries: readonly string[]) {
    const parsed = entries
      .map(parseEntry)
      .filter((e): e is ListEntry => e !== undefined)
      // Longer entries first, so a phrase wins over a word it starts with.
      .sort((a, b) => b.body.length - a.body.length);
    for (const leading of [false, true]) {
      for (const trailing of [false, true]) {
        const bodies = parsed.filter((e) => e.leading === leading && e.trailing === trailing).map((e) => e.body);
        if (bodies.length === 0) continue;
        const patterns: RegExp[] = [];
        for (let i = 0; i < bodies.length; i += ENTRIES_PER_PATTERN) {
          const alternatives = bodies.slice(i, i + ENTRIES_PER_PATTERN).join('|');
          const pattern = new RegExp(`${leading ? '' : `(?<!${WORD})`}(?:${alternatives})${trailing ? '' : `(?!${WORD})`}`, 'gu');
          // V8 interprets a pattern first and compiles it on later use: do both now, not during
          // someone's message (a few thousand entries take a moment to compile).
          for (let run = 0; run < 3; run++) [...WARM_UP.matchAll(pattern)];
          patterns.push(pattern);
        }
        this.#groups.push({ patterns, leading, trailing });
      }
    }
  }

  /** Matched spans [from, to) of the folded text. Numbers alone ("455") never spell a word. */
  spans(folded: FoldedText): Array<[number, number]> {
    const { text } = folded;
    const spans: Array<[number, number]> = [];
    for (const { patterns, leading, trailing } of this.#groups) {
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          if (isNumeric(match[0])) continue;
          let from = match.index;
          let to = from + match[0].length;
          if (leading) while (from > 0 && WORD_CHAR.test(text[from - 1]!)) from--;
          if (trailing) while (to < text.length && WORD_CHAR.test(text[to]!)) to++;
          spans.push([from, to]);
        }
      }
    }
    return spans;
  }
}

/** Digits and punctuation only ("455", "5-5-5"): leetspeak needs at least one real letter or symbol. */
function isNumeric(text: string): boolean {
  return /^[\d\s\p{P}]*$/u.test(text);
}

/** Replaces each span of the original text with as many asterisks as it has characters. */
export function maskSpans(text: string, spans: ReadonlyArray<readonly [number, number]>): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of sorted) {
    const start = Math.max(from, at);
    if (to <= start) continue;
    out += text.slice(at, start) + '*'.repeat([...text.slice(start, to)].length);
    at = to;
  }
  return out + text.slice(at);
}

/** True when messages from this sender must not carry contact details or links. */
export function contactDetailsBlocked(setting: FilterSettings['contactDetails'], context: FilterContext): boolean {
  if (setting === 'always') return true;
  if (setting === 'never') return false;
  return context.profile === 'school' || context.band === 'minor';
}

export class ConfiguredFilter implements MessageFilter {
  readonly #settings: FilterSettings;
  readonly #block: WordList;
  readonly #mask: WordList;
  readonly #profanity: RegExpMatcher | undefined;

  constructor(settings: FilterSettings) {
    this.#settings = settings;
    this.#block = new WordList(settings.block);
    this.#mask = new WordList(settings.mask);
    if (settings.profanity !== 'off') {
      const dataset = englishDataset.build();
      this.#profanity = new RegExpMatcher({
        ...dataset,
        whitelistedTerms: [...(dataset.whitelistedTerms ?? []), ...PROFANITY_ALLOWED],
        ...englishRecommendedTransformers,
      });
    }
  }

  /**
   * Spans of the built-in list's words. obscenity reads "1" and "|" as "i"; a second pass reads
   * them as "l" ("s1ut"). Both texts have the same length, so positions stay valid.
   */
  #profaneSpans(folded: FoldedText): Array<[number, number]> {
    const readings = [folded.text];
    if (/[1|]/.test(folded.text)) readings.push(folded.text.replace(/[1|]/g, 'l'));
    return readings.flatMap((reading) =>
      this.#profanity!.getAllMatches(reading)
        .filter((m) => !isNumeric(folded.text.slice(m.startIndex, m.endIndex + 1)))
        .map((m): [number, number] => originalSpan(folded, m.startIndex, m.endIndex + 1)),
    );
  }

  check(text: string, context: FilterContext): FilterVerdict {
    const folded = joinSpacedLetters(foldText(text));
    if (this.#block.spans(folded).length) return blocked('words');
    const profane = this.#profanity ? this.#profaneSpans(folded) : [];
    if (this.#settings.profanity === 'block' && profane.length) return blocked('words');
    if (contactDetailsBlocked(this.#settings.contactDetails, context)) {
      const kind = findContactDetails(text);
      if (kind) return blocked(kind);
    }
    const masked = this.#mask.spans(folded).map(([from, to]) => originalSpan(folded, from, to));
    return { action: 'pass', text: maskSpans(text, [...masked, ...profane]) };
  }
}

function blocked(reason: BlockReason): FilterVerdict {
  return { action: 'block', reason, message: BLOCK_MESSAGES[reason] };
}
