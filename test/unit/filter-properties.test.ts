// Property tests of the contact-detail filter, as an attacker would write them: take a contact
// detail, disguise it at random — separators between digit groups, invisible characters,
// look-alike letters and digits of other scripts, spelled-out digits, leetspeak, spaced-out
// letters, pieces sent as several messages with chatter between — and check it is still refused.
// And the other way round: ordinary chat mutated harmlessly still passes. fast-check shrinks a
// failure to its smallest case and prints the seed to replay it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { ConfiguredFilter, type FilterContext } from '../../server/moderation/filter.ts';
import { RecentMessages } from '../../server/moderation/message-window.ts';
import { makeConfig } from '../../server/config.ts';
import { ORDINARY } from '../helpers/corpus.ts';

const RUNS = 400;
const SEED = 20261201;
const PUPIL: FilterContext = { band: 'minor', profile: 'school' };
const filter = new ConfiguredFilter(makeConfig({}).settings.filters);

function refused(text: string): boolean {
  return filter.check(text, PUPIL).action === 'block';
}

function check<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>): void {
  fc.assert(property, { numRuns: RUNS, seed: SEED });
}

const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u202A', '\u202E', '\u2066', '\u2069', '\u00AD', '\u2060', '\uFEFF', '\u061C', '\u{E0020}', '\u180E', '\u2063'];
/** Inserts invisible characters at random places. */
const withInvisible = (text: string) =>
  fc.array(fc.tuple(fc.nat({ max: text.length }), fc.constantFrom(...INVISIBLE)), { maxLength: 6 }).map((insertions) => {
    let out = text;
    for (const [at, char] of [...insertions].sort((a, b) => b[0] - a[0])) out = out.slice(0, at) + char + out.slice(at);
    return out;
  });

// --- phone numbers ---

/** A French mobile, a UK mobile or a North American number: ten or eleven digits. */
const phoneDigits = fc.oneof(
  fc.tuple(fc.constantFrom('06', '07'), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 })).map(([start, rest]) => start + rest.join('')),
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 }).map((rest) => `07${rest.join('')}`),
  fc.tuple(fc.integer({ min: 201, max: 989 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 7, maxLength: 7 })).map(([area, rest]) => `${area}${rest.join('')}`),
);
/** What people put between digit groups: the issue's `_ * : | -- / emoji`, and more. */
const SEPARATORS = [' ', '.', '-', '_', '*', ':', '|', '--', '/', ' / ', ' - ', '😀', ' 💜 ', '~', '..', ' . ', '#'];
/** A letter between digit groups; not with look-alike letters as well (then nobody reads a number). */
const LETTER_SEPARATORS = ['a', 'x', ' k ', 'n'];
const LOOK_ALIKES: Record<string, string[]> = { 0: ['O', 'o'], 1: ['l', 'I', 'i'], 2: ['Z'], 3: ['E'], 4: ['A'], 5: ['S'], 6: ['G', 'b'], 7: ['T'], 8: ['B'], 9: ['g', 'q'] };
const SCRIPTS = [0x30, 0x660, 0x6f0, 0x966, 0x9e6, 0xff10, 0x1d7ce, 0x1d7ec];
const WORDS_EN = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const WORDS_FR = ['zéro', 'un', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf'];

/** How each digit is written: itself, in another script, as a look-alike letter (one per group at most), or as a word. */
type Way = { kind: 'digit'; script: number } | { kind: 'lookAlike'; pick: number } | { kind: 'word'; french: boolean; upper: boolean };
const way: fc.Arbitrary<Way> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('digit' as const), script: fc.constantFrom(...SCRIPTS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lookAlike' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('word' as const), french: fc.boolean(), upper: fc.boolean() }) },
);

function writeDigit(digit: string, how: Way, lookAlikeUsed: boolean): { text: string; lookAlike: boolean } {
  if (how.kind === 'lookAlike' && !lookAlikeUsed) {
    const options = LOOK_ALIKES[digit]!;
    return { text: options[how.pick % options.length]!, lookAlike: true };
  }
  if (how.kind === 'word') {
    const word = (how.french ? WORDS_FR : WORDS_EN)[Number(digit)]!;
    return { text: ` ${how.upper ? word.toUpperCase() : word} `, lookAlike: false };
  }
  const script = how.kind === 'digit' ? how.script : 0x30;
  return { text: String.fromCodePoint(script + Number(digit)), lookAlike: false };
}

const disguisedPhone = phoneDigits.chain((digits) =>
  fc
    .record({
      // Group lengths of 1 to 4 digits (at least three groups), one separator for the whole number or one per gap.
      cuts: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 12, maxLength: 12 }),
      uniform: fc.boolean(),
      separators: fc.array(fc.constantFrom(...SEPARATORS, ...LETTER_SEPARATORS), { minLength: 12, maxLength: 12 }),
      ways: fc.array(way, { minLength: digits.length, maxLength: digits.length }),
      prefix: fc.constantFrom('', 'call me ', 'mon num ', 'text ', 'appelle-moi au ', 'my number: '),
    })
    .map(({ cuts, uniform, separators: chosen, ways, prefix }) => {
      const lettered = ways.some((w) => w.kind === 'lookAlike');
      const separators = lettered ? chosen.map((s, i) => (LETTER_SEPARATORS.includes(s) ? SEPARATORS[i % SEPARATORS.length]! : s)) : chosen;
      let text = prefix;
      let at = 0;
      for (let g = 0; at < digits.length; g++) {
        const group = digits.slice(at, at + cuts[g]!);
        let lookAlike = false;
        for (let i = 0; i < group.length; i++) {
          const written = writeDigit(group[i]!, ways[at + i]!, lookAlike);
          lookAlike ||= written.lookAlike;
          text += written.text;
        }
        at += group.length;
        if (at < digits.length) text += uniform ? separators[0]! : separators[g]!;
      }
      return text;
    })
    .chain(withInvisible),
);

test('a phone number, however it is written, is refused', () => {
  check(fc.property(disguisedPhone, (text) => refused(text)));
});

// --- e-mail addresses and links ---

const LOCAL = ['jake2009', 'jake.smith', 'coolkid_14', 'emma.b', 'lea2010', 'tom'];
const DOMAINS: Array<[string, string]> = [['gmail', 'com'], ['hotmail', 'fr'], ['outlook', 'com'], ['orange', 'fr'], ['jakesite', 'net'], ['monsite', 'org'], ['example', 'co.uk'], ['yahoo', 'fr']];
const AT = ['@', ' @ ', '(at)', ' (at) ', '[at]', ' [at] ', '{at}', '[@]', '(@)', ' at ', ' arobase ', '＠', '﹫', ' [arobase] '];
const DOT = ['.', ' . ', '(dot)', ' (dot) ', '[.]', '(.)', ' dot ', ' point ', ' d0t ', '\u2024', '\u00B7', '\uFF0E', '\u3002', '{.}'];
/** Latin letters and look-alikes from other scripts that Unicode's confusables data maps to them. */
const CONFUSABLE: Record<string, string[]> = {
  a: ['а', 'ɑ', 'ａ'], c: ['с', 'ϲ', 'ｃ'], e: ['е', 'ｅ'], i: ['і', 'ı', 'ｉ'], j: ['ј'], k: ['κ'], m: ['ｍ'], o: ['о', 'ο', 'օ', 'ｏ'],
  p: ['р', 'ρ'], s: ['ѕ', 'ｓ'], t: ['ｔ'], x: ['х'], y: ['у'], l: ['ⅼ', 'ｌ'], n: ['ո', 'ｎ'], h: ['һ'], g: ['ɡ'],
};
/** Each letter kept or swapped for a look-alike, and in upper or lower case. */
const restyled = (text: string) =>
  fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat(), fc.boolean()), { minLength: text.length, maxLength: text.length }).map((choices) =>
    [...text]
      .map((char, i) => {
        const [swap, pick, upper] = choices[i] ?? [0, 0, false];
        const options = CONFUSABLE[char];
        if (swap === 0 && options) return options[pick % options.length]!;
        return upper && swap === 1 ? char.toUpperCase() : char;
      })
      .join(''),
  );

const disguisedEmail = fc
  .record({ local: fc.constantFrom(...LOCAL), domain: fc.constantFrom(...DOMAINS), at: fc.constantFrom(...AT), dot: fc.constantFrom(...DOT), prefix: fc.constantFrom('', 'mail me ', 'mon mail: ', 'écris-moi à ') })
  .chain(({ local, domain: [name, tld], at, dot, prefix }) => restyled(local).chain((l) => restyled(name).map((n) => `${prefix}${l}${at}${n}${dot}${tld.replace('.', dot)}`)))
  .chain(withInvisible);

test('an e-mail address, however it is written, is refused', () => {
  check(fc.property(disguisedEmail, (text) => refused(text)));
});

const HOSTS = ['t.me/jake', 'wa.me/33612345678', 'discord.gg/abcd', 'bit.ly/x1y2', 'jakesite.com', 'monsite.fr', 'jake2009.net', 'example.org/photos', 'instagram.com/jake', 'linktr.ee/jake'];
const SCHEMES = ['', '', 'https://', 'http://', 'hxxps://', 'hxxp://', 'www.', 'HTTPS://'];
const disguisedLink = fc
  .record({ host: fc.constantFrom(...HOSTS), scheme: fc.constantFrom(...SCHEMES), dot: fc.constantFrom(...DOT.filter((d) => !/point|dot|d0t/.test(d) || true)) })
  .chain(({ host, scheme, dot }) => restyled(host.split('.')[0]!).map((name) => `${scheme}${name}${dot}${host.slice(host.indexOf('.') + 1)}`))
  .chain(withInvisible);

test('a link, however it is written, is refused', () => {
  check(fc.property(disguisedLink, (text) => refused(text)));
});

// --- handles ---

const PLATFORMS = ['snap', 'snapchat', 'insta', 'instagram', 'discord', 'whatsapp', 'telegram', 'kik', 'tiktok'];
const LEET: Record<string, string[]> = { a: ['4', '@'], e: ['3'], i: ['1', '!'], o: ['0'], s: ['5', '$'], t: ['7'], g: ['9'], l: ['1'] };
/** Leetspeak, stretched letters, look-alikes, and the name spaced out letter by letter. */
const disguisedPlatform = fc.constantFrom(...PLATFORMS).chain((name) =>
  fc
    .record({
      letters: fc.array(fc.tuple(fc.nat({ max: 5 }), fc.nat()), { minLength: name.length, maxLength: name.length }),
      spaced: fc.constantFrom('', '', '', ' ', '.', '-'),
    })
    .map(({ letters, spaced }) =>
      [...name]
        .map((char, i) => {
          const [how, pick] = letters[i]!;
          if (how === 0 && LEET[char]) return LEET[char]![pick % LEET[char]!.length]!;
          if (how === 1 && CONFUSABLE[char]) return CONFUSABLE[char]![pick % CONFUSABLE[char]!.length]!;
          if (how === 2) return char.repeat(2 + (pick % 3));
          if (how === 3) return char.toUpperCase();
          return char;
        })
        .join(spaced),
    ),
);
const HANDLE_NAMES = ['jake_2009', 'jake.2009', 'coolkid14', 'emma_b', 'lea.2010', 'tom_x'];
const HANDLE_SENTENCES: Array<(platform: string, handle: string) => string> = [
  (p, h) => `my ${p} is ${h}`,
  (p, h) => `${h} on ${p}`,
  (p, h) => `${p} ${h}`,
  (p, h) => `${p}: ${h}`,
  (p) => `add me on ${p}`,
  (p) => `add me ${p}`,
  (p, h) => `mon ${p} c'est ${h}`,
  (p) => `ajoute-moi sur ${p}`,
  (p, h) => `${h} sur ${p}`,
  (p) => `t'as ${p} ?`,
  (p) => `what's your ${p}`,
  (p, h) => `${p} - ${h}`,
];
const disguisedHandle = fc
  .record({ platform: disguisedPlatform, handle: fc.constantFrom(...HANDLE_NAMES), sentence: fc.nat({ max: HANDLE_SENTENCES.length - 1 }) })
  .map(({ platform, handle, sentence }) => HANDLE_SENTENCES[sentence]!(platform, handle))
  .chain(withInvisible);

test('a handle or an invitation to another app, however it is written, is refused', () => {
  check(fc.property(disguisedHandle, (text) => refused(text)));
});

// --- split across messages ---

const FILLER = ['lol', 'wait', 'ok', 'hmm', 'attends', 'mdr'];
const WHOLE = fc.oneof(
  phoneDigits.map((digits) => digits.replace(/(\d\d)(?=\d)/g, '$1 ')),
  fc.constantFrom(...HANDLE_NAMES).map((h) => `my snap ${h}`),
  fc.constantFrom(...HANDLE_NAMES).map((h) => `${h} on insta`),
  fc.constantFrom(...LOCAL).map((l) => `${l}@gmail.com`),
  fc.constantFrom('t.me/jake', 'discord.gg/abcd', 'jakesite.com'),
);

/** Sends the messages in one conversation; true when one of them is refused, and every message before it passed. */
function refusedInPieces(messages: readonly string[]): boolean {
  const recent = new RecentMessages();
  return messages.some((text, i) => filter.check(text, { ...PUPIL, recent, at: 1_000 + i * 1_000 }).action === 'block');
}

test('a contact detail split across two or three messages, with chatter between, is refused', () => {
  check(
    fc.property(
      WHOLE.chain((whole) =>
        fc.record({
          whole: fc.constant(whole),
          cuts: fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { minLength: 1, maxLength: 2 }),
          filler: fc.option(fc.tuple(fc.nat({ max: 1 }), fc.constantFrom(...FILLER)), { nil: undefined }),
        }),
      ),
      ({ whole, cuts, filler }) => {
        const at = [0, ...[...cuts].sort((a, b) => a - b), whole.length];
        const pieces = at.slice(1).map((end, i) => whole.slice(at[i], end)).filter((piece) => piece.trim() !== '');
        // A word cut in two may be cut only once: the pieces are read with a space, or glued at the last cut.
        if (pieces.length === 3 && !/\s$|^\s/.test(pieces[1]!) && !/\s$/.test(pieces[0]!)) return true;
        if (filler && pieces.length > 1) pieces.splice(1 + (filler[0] % (pieces.length - 1)), 0, filler[1]);
        return refusedInPieces(pieces);
      },
    ),
  );
});

/** A window that never says its earlier pairs were read: every pair is read again, as before that shortcut. */
class RereadingMessages extends RecentMessages {
  override earlierPairsScreened(): boolean {
    return false;
  }
}

test('reading the earlier messages\' pairs once, when the newer came, changes no verdict of a conversation', () => {
  const piece = fc.oneof(
    fc.constantFrom(...ORDINARY.map((m) => m.delivered ?? m.text)),
    fc.constantFrom(...FILLER),
    WHOLE.chain((whole) => fc.tuple(fc.nat({ max: whole.length - 1 }), fc.nat({ max: whole.length - 1 })).map(([a, b]) => whole.slice(Math.min(a, b), Math.max(a, b) + 1))),
  );
  check(
    fc.property(fc.array(fc.tuple(piece, fc.integer({ min: 100, max: 40_000 })), { minLength: 2, maxLength: 9 }), (conversation) => {
      const recent = new RecentMessages();
      const rereading = new RereadingMessages();
      let at = 1_000;
      for (const [text, gap] of conversation) {
        at += gap;
        const verdict = filter.check(text, { ...PUPIL, recent, at });
        assert.equal(verdict, filter.check(text, { ...PUPIL, recent: rereading, at }), JSON.stringify(conversation));
      }
      return true;
    }),
  );
});

// --- ordinary chat ---

const ORDINARY_TEXTS = ORDINARY.map((m) => m.delivered ?? m.text);
const EMOJI = [' 😀', ' 😂😂', ' ❤️', ' 👍🏽', '!', '?', '...', ' lol', ' mdr', ' :)', '!!'];
const harmless = fc.constantFrom(...ORDINARY_TEXTS).chain((text) =>
  fc
    .record({
      casing: fc.constantFrom('same', 'lower', 'upper'),
      spaces: fc.boolean(),
      ending: fc.option(fc.constantFrom(...EMOJI), { nil: undefined }),
      leading: fc.constantFrom('', ' ', 'ok ', 'bah '),
    })
    .map(({ casing, spaces, ending, leading }) => {
      let out = casing === 'lower' ? text.toLowerCase() : casing === 'upper' ? text.toUpperCase() : text;
      if (spaces) out = out.replace(/ /g, '  ');
      return `${leading}${out}${ending ?? ''}`;
    })
    .chain(withInvisible),
);

test('ordinary chat, mutated harmlessly (case, spaces, emoji, invisible characters), still passes', () => {
  check(fc.property(harmless, (text) => filter.check(text, PUPIL).action === 'pass'));
});

test.run();
