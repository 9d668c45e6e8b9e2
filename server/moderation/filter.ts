// The message filter. First the invisible characters go (invisible.ts), in every profile: what
// is checked is what is relayed, stored and shown to moderators. Then the built-in English
// profanity list (obscenity) and the operator's own block and mask lists, all matched on folded
// text so that case, leetspeak, look-alike letters, accents, repeated letters and spaced-out
// letters do not slip through; then, where the instance or the sender's age band calls for it,
// contact details and links, in the message and in the sender's last few messages read together
// (message-window.ts). Block wins over mask; a mask turns each matched span of the message into
// asterisks of the same length.
import type { InstanceSettings, Profile } from '../config.ts';
import type { AgeBand } from '../chat/hub.ts';
import { contactDetailsIn, mayHoldContactDetails, type ContactKind } from './contact-details.ts';
import { isEverydayWord } from './links.ts';
import { isBlank, withoutInvisible } from './invisible.ts';
import { head, type RecentMessages, type WindowLimits } from './message-window.ts';
import { ProfanityList } from './profanity.ts';
import { allMatches, foldText, joinSpacedLetters, originalSpan, type FoldedText } from './text-fold.ts';

export type FilterSettings = InstanceSettings['filters'];

/** Who is sending: the instance's profile and the sender's age band decide the contact rule. */
export interface FilterContext {
  band: AgeBand;
  profile: Profile;
  /**
   * The sender's earlier messages in this conversation, read with this one where contact details
   * are refused; a message that passes is added to it.
   */
  recent?: RecentMessages;
  /** When the message arrived (ms since the epoch), for the age of `recent`'s messages. */
  at?: number;
}

/** Why a message was refused: its words, the contact detail it carries, or nothing visible in it. */
export type BlockReason = 'words' | 'empty' | ContactKind;

export type FilterVerdict =
  | { action: 'pass'; text: string }
  | { action: 'block'; reason: BlockReason; /** Safe to show to the sender. */ message: string };

export interface MessageFilter {
  check(text: string, context: FilterContext): FilterVerdict;
}

/** What the sender reads when a message is refused (the error code is always `filtered`). */
export const BLOCK_MESSAGES: Readonly<Record<BlockReason, string>> = {
  words: 'That message was not sent: it breaks the rules of this space.',
  empty: 'That message was not sent: it has nothing visible in it.',
  email: "E-mail addresses can't be shared here — it keeps everyone safe.",
  phone: "Phone numbers can't be shared here — it keeps everyone safe.",
  link: "Contact details and links can't be shared here — it keeps everyone safe.",
  handle: "Social media names and usernames can't be shared here — it keeps everyone safe.",
};

/**
 * Words obscenity's English list would flag inside ordinary words (the Scunthorpe problem), and
 * French words it would flag. Its own whitelist covers many ("class", "assassin", "Scunthorpe");
 * these are the ones it misses.
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
  // French: "retard" is a delay ("je suis en retard"); the English slur stays ("you're a retard").
  'en retard',
  'du retard',
  'de retard',
  'un retard',
  'le retard',
  'au retard',
  'des retards',
  'les retards',
  'mon retard',
  'ton retard',
  'son retard',
  'ce retard',
  'retarder',
  'retardataire',
];

/** Characters that make up a word, leetspeak symbols included ("a$$", "@ss"). */
const WORD = String.raw`[\p{L}\p{N}@$]`;
/** Separators that may sit between the words of a listed phrase. */
const GAP = String.raw`[\s.\-_*~|/\\,+:;'"^=\u2022\u00b7\u2026]`;
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

/** A listed word as a pattern, one token per run of letters. */
function wordTokens(word: string): string[] {
  const chars = [...word];
  const tokens: string[] = [];
  for (let i = 0; i < chars.length; ) {
    let j = i;
    while (j < chars.length && chars[j] === chars[i]) j++;
    tokens.push(runPattern(chars[i]!, j - i));
    i = j;
  }
  return tokens;
}

interface ListEntry {
  /** The pattern of the entry's words on folded text, in tokens (each a whole regex atom). */
  tokens: string[];
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
  const tokens = words.flatMap((word, i) => (i === 0 ? wordTokens(word) : [`${GAP}*`, ...wordTokens(word)]));
  const leading = trimmed.startsWith('*');
  // A leading wildcard leaves the start unanchored, so V8 tries the entry at every position: over
  // a run of its first letter ("wwww…" against "*word") each try scans the rest of the run, and
  // 1,000 characters cost a whole second. A letter's run pattern takes any longer run, so a
  // match starting inside a run also starts where the run does: only try there.
  const first = words[0]![0]!;
  if (leading && /^[a-z]$/.test(first)) tokens[0] = `(?<!${letterClass(first)})${tokens[0]}`;
  return { tokens, leading, trailing: trimmed.endsWith('*') };
}

/** Entries per compiled pattern: V8 refuses one pattern for thousands, and runs smaller ones faster. */
const ENTRIES_PER_PATTERN = 50;
const WORD_CHAR = new RegExp(WORD, 'u');
const WARM_UP = 'warm up '.repeat(8);

/**
 * Alternatives with their common leading tokens taken out once ("word1|word2" → "word(?:1|2)").
 * V8 tries alternatives one after another at each position, so entries sharing a start would
 * cost once per entry at every place a message repeats that start ("wor wor wor…").
 */
function factored(alternatives: ReadonlyArray<readonly string[]>): string {
  const byFirst = new Map<string, string[][]>();
  let canEnd = false;
  for (const [first, ...rest] of alternatives) {
    if (first === undefined) canEnd = true;
    else byFirst.set(first, [...(byFirst.get(first) ?? []), rest]);
  }
  const branches = [...byFirst].map(([first, rests]) => first + factored(rests));
  if (canEnd) branches.push('');
  return branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
}

interface CompiledChunk {
  /** The entries in order of preference: where it matches, and which entry wins there. */
  pattern: RegExp;
  /** The same entries factored: finds the next place `pattern` matches, cheaply. */
  screen: RegExp;
}

interface PatternGroup {
  chunks: CompiledChunk[];
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
      .sort((a, b) => b.tokens.join('').length - a.tokens.join('').length);
    for (const leading of [false, true]) {
      for (const trailing of [false, true]) {
        const entries = parsed.filter((e) => e.leading === leading && e.trailing === trailing).map((e) => e.tokens);
        if (entries.length === 0) continue;
        const compile = (alternatives: string) => {
          const pattern = new RegExp(`${leading ? '' : `(?<!${WORD})`}(?:${alternatives})${trailing ? '' : `(?!${WORD})`}`, 'gu');
          // V8 interprets a pattern first and compiles it on later use: do both now, not during
          // someone's message (a few thousand entries take a moment to compile).
          for (let run = 0; run < 3; run++) allMatches(pattern, WARM_UP);
          return pattern;
        };
        const chunks: CompiledChunk[] = [];
        for (let i = 0; i < entries.length; i += ENTRIES_PER_PATTERN) {
          const chunk = entries.slice(i, i + ENTRIES_PER_PATTERN);
          chunks.push({ pattern: compile(chunk.map((tokens) => tokens.join('')).join('|')), screen: compile(factored(chunk)) });
        }
        this.#groups.push({ chunks, leading, trailing });
      }
    }
  }

  /** Matched spans [from, to) of the folded text. Numbers alone ("455") never spell a word. */
  spans(folded: FoldedText): Array<[number, number]> {
    return this.#screened(folded.text) ? [...this.#spans(folded.text)] : [];
  }

  /** True when the folded text has a listed word: stops at the first (a block list needs no more). */
  matches(folded: FoldedText): boolean {
    return this.#screened(folded.text) && !this.#spans(folded.text).next().done;
  }

  /** Whether any screen matches at all: most messages have no listed word, and this allocates nothing. */
  #screened(text: string): boolean {
    for (const { chunks } of this.#groups) {
      for (const { screen } of chunks) {
        screen.lastIndex = 0;
        if (screen.test(text)) return true;
      }
    }
    return false;
  }

  *#spans(text: string): Generator<[number, number]> {
    for (const { chunks, leading, trailing } of this.#groups) {
      for (const { pattern, screen } of chunks) {
        // The screen matches at exactly the places the pattern does (the same alternatives,
        // factored), so the pattern only runs where the screen says it will match.
        for (let at = 0; at <= text.length; ) {
          screen.lastIndex = at;
          const next = screen.exec(text);
          if (!next) break;
          pattern.lastIndex = next.index;
          const match = pattern.exec(text);
          if (!match) break;
          at = pattern.lastIndex + (match[0] === '' ? 1 : 0);
          if (isNumeric(match[0])) continue;
          let from = match.index;
          let to = from + match[0].length;
          if (leading) while (from > 0 && WORD_CHAR.test(text[from - 1]!)) from--;
          if (trailing) while (to < text.length && WORD_CHAR.test(text[to]!)) to++;
          yield [from, to];
        }
      }
    }
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
  readonly #window: WindowLimits;
  readonly #block: WordList;
  readonly #mask: WordList;
  readonly #profanity: ProfanityList | undefined;

  constructor(settings: FilterSettings) {
    this.#settings = settings;
    this.#window = { messages: settings.windowMessages, maxAgeMs: settings.windowSeconds * 1000 };
    this.#block = new WordList(settings.block);
    this.#mask = new WordList(settings.mask);
    if (settings.profanity !== 'off') this.#profanity = new ProfanityList(PROFANITY_ALLOWED);
  }

  /**
   * Spans of the built-in list's words. obscenity reads "1" and "|" as "i"; a second pass reads
   * them as "l" ("s1ut"). Both texts have the same length, so positions stay valid.
   */
  #profaneSpans(folded: FoldedText): ReadonlyArray<[number, number]> {
    const { text } = folded;
    const found = this.#profanity!.matches(text);
    const alternate = /[1|]/.test(text) ? this.#profanity!.matches(text.replace(/[1|]/g, 'l')) : undefined;
    if (found.length === 0 && !alternate?.length) return NO_SPANS;
    return [...found, ...(alternate ?? [])]
      .filter((m) => !isNumeric(text.slice(m.startIndex, m.endIndex + 1)))
      .map((m): [number, number] => originalSpan(folded, m.startIndex, m.endIndex + 1));
  }

  check(sent: string, context: FilterContext): FilterVerdict {
    // From here on, the text is the one relayed: every check reads what the partner will see.
    const text = withoutInvisible(sent);
    if (isBlank(text)) return blocked('empty');
    const plain = foldText(text);
    const folded = joinSpacedLetters(plain);
    if (this.#block.matches(folded)) return blocked('words');
    const profane = this.#profanity ? this.#profaneSpans(folded) : [];
    if (this.#settings.profanity === 'block' && profane.length) return blocked('words');
    if (contactDetailsBlocked(this.#settings.contactDetails, context)) {
      const alone = contactDetailsIn(text, plain, { letters: folded });
      if (alone) return blocked(alone);
      const across = this.#acrossMessages(text, context);
      if (across !== undefined && across !== SCREENED_CLEAN) return blocked(across);
      context.recent?.add(text, context.at ?? 0, this.#window, across === SCREENED_CLEAN);
    }
    const masked = this.#mask.spans(folded);
    if (masked.length === 0 && profane.length === 0) return { action: 'pass', text };
    return { action: 'pass', text: maskSpans(text, [...masked.map(([from, to]) => originalSpan(folded, from, to)), ...profane]) };
  }

  /**
   * A contact detail that this message completes: read after the sender's earlier messages, with a
   * space between them, and glued where a word may have been cut in two ("sn", "ap"): at the last
   * cut, or at every cut between two letters. Filler between the pieces ("555 123", "lol",
   * "4567") does not hide them: all earlier messages are read, then every choice of the last
   * MAX_COMBINED.
   */
  #acrossMessages(text: string, context: FilterContext): ContactKind | typeof SCREENED_CLEAN | undefined {
    const recent = context.recent;
    const earlier = recent?.earlier(context.at ?? 0, this.#window);
    if (!earlier?.length) return SCREENED_CLEAN;
    const start = head(text);
    const last = earlier.slice(-MAX_COMBINED);
    // Each earlier message was read with the ones before it when it came: what this message
    // completes meets it where it starts, and a reading is worth reading only when what ends
    // just before this message and this message hold something a contact detail is made of.
    // Ordinary chat holds nothing of the kind anywhere in the last messages: a look at them all,
    // and at each one's end glued to this one's start (a word cut in two, chatter between).
    // The earlier messages' pairs among themselves were read when the newer of each pair came
    // (RecentMessages.earlierPairsScreened): only the pairs with this message are new.
    const all = readings([...earlier, start]);
    const ends = earlier.map(ending);
    const between = recent!.earlierPairsScreened() ? [] : ends.flatMap((end, i) => earlier.slice(i + 1).map((next) => end + beginning(next)));
    const glued = [...between, ...ends.map((end) => end + beginning(start))];
    if (![all[0]!.reading, all[2]!.reading, ...glued].some((reading) => mayHoldContactDetails(foldText(reading).text))) return SCREENED_CLEAN;
    const choices: Array<readonly string[]> = [];
    if (earlier.length > last.length) choices.push(earlier);
    for (let chosen = (1 << last.length) - 1; chosen > 0; chosen--) choices.push(last.filter((_, i) => chosen & (1 << i)));
    const read = new Set<string>();
    for (const choice of choices) {
      for (const { reading, phones } of readings([...choice, start])) {
        if (read.has(reading)) continue;
        read.add(reading);
        // What this message completes meets it where it starts: look there first.
        if (!mayHoldContactDetails(foldText(ending(reading.slice(0, -start.length)) + reading.slice(-start.length)).text)) continue;
        const kind = contactDetailsIn(reading, foldText(reading), { phones });
        if (kind) return kind;
      }
    }
    return undefined;
  }
}

/** How much of what came before a message shows whether anything meets its start. */
const MEETING_CHARS = 24;

/** The last MEETING_CHARS characters, from a word's start ("…what are" is "are", not "at are"). */
function ending(text: string): string {
  if (text.length <= MEETING_CHARS) return text;
  const end = text.slice(-MEETING_CHARS);
  const space = end.search(/\s/);
  return space < 0 ? end : end.slice(space);
}

/** The first MEETING_CHARS characters, to a word's end. */
function beginning(text: string): string {
  if (text.length <= MEETING_CHARS) return text;
  const start = text.slice(0, MEETING_CHARS);
  const space = start.search(/\s\S*$/);
  return space <= 0 ? start : start.slice(0, space);
}

/**
 * Pieces read as one text: with spaces; glued at the last cut inside a word, and at every cut;
 * and also glued where a digit meets the new message ("jake.2" then "009", "coolkid" then "14"),
 * for all but phone numbers: two numbers sent one after the other ("2009", "2010") are two numbers.
 */
function readings(pieces: readonly string[]): Array<{ reading: string; phones: boolean }> {
  const boundary = (i: number) => {
    const before = WORD_END.exec(pieces[i - 1]!)?.[0];
    const after = WORD_START.exec(pieces[i]!)?.[0];
    if (before === undefined || after === undefined) return 'space';
    // "@5pm" then "ok" is no "@5pmok": a time is not the half of a word.
    if (AT_TIME.test(pieces[i - 1]!)) return 'space';
    const digits = [before, after].filter((char) => DIGIT.test(char)).length;
    if (digits === 0 || !ALNUM.test(before) || !ALNUM.test(after)) return 'word';
    if (digits === 2) return 'digits';
    // A digit next to a letter: "coolkid" then "14" may be one handle, "06 12" then "my snap" is no "12my".
    const word = LETTERS_AT_END.exec(pieces[i - 1]!)?.[0] ?? LETTERS_AT_START.exec(pieces[i]!)?.[0] ?? '';
    return isEverydayWord(word) ? 'space' : 'digits';
  };
  let lastGlued = pieces[0]!;
  let allGlued = pieces[0]!;
  let digitsGlued = pieces[0]!;
  for (let i = 1; i < pieces.length; i++) {
    const cut = boundary(i);
    const last = i === pieces.length - 1;
    lastGlued += (last && cut === 'word' ? '' : ' ') + pieces[i];
    allGlued += (cut === 'word' ? '' : ' ') + pieces[i];
    digitsGlued += (cut === 'word' || (last && cut === 'digits') ? '' : ' ') + pieces[i];
  }
  return [
    { reading: pieces.join(' '), phones: true },
    { reading: lastGlued, phones: true },
    { reading: allGlued, phones: true },
    { reading: digitsGlued, phones: false },
  ];
}

const AT_TIME = /@\s*\d{1,2}(?:[:h.]\d\d)?\s*(?:am|pm|h)?$/i;
const LETTERS_AT_END = /\p{L}+$/u;
const LETTERS_AT_START = /^\p{L}+/u;

/** A word cut across two messages: no space at the end of one nor at the start of the next. */
const WORD_END = /\S$/u;
const WORD_START = /^\S/u;
const DIGIT = /\p{N}/u;
const ALNUM = /[\p{L}\p{N}]/u;
/** Earlier messages tried in every combination with a new one (2^3 − 1 choices). */
const MAX_COMBINED = 3;

const NO_SPANS: ReadonlyArray<[number, number]> = [];
/** #acrossMessages found nothing a contact detail is made of where this message meets the earlier ones. */
const SCREENED_CLEAN = 'screened clean';

function blocked(reason: BlockReason): FilterVerdict {
  return { action: 'block', reason, message: BLOCK_MESSAGES[reason] };
}
