// Links and e-mail addresses in a chat message, written out or disguised: "t . me/x",
// "jake (at) gmail (dot) com", "jake arobase gmail point com", "example[.]org", "hxxps://…",
// "gmail,com", "example·com" (the dot look-alikes fold to "."), bare domains of any public TLD
// (IANA's list, from the tlds package), IP addresses, shorteners and invite hosts.
//
// When is a bare "word.word" a web address? Chat leaves out the space after a full stop ("I'm at
// school.so tired", "ok.bye", "hi.how are you") and hundreds of TLDs are everyday words. So:
//   - with a path, a port, a scheme, "www." or a bracketed dot, any TLD makes an address;
//   - a name with a digit, "_" or "-", or of one letter ("jake_2009.so", "x.me") is an address
//     with any TLD;
//   - otherwise the dot reads as a missing space when the name or the TLD is an everyday English
//     or French word (stopword's lists: "so", "you", "me", "ça" …); it is an address when the TLD
//     is a country code, an internationalised TLD or one of the original generic TLDs ("com",
//     "org", "net" …), and with one of the newer generic TLDs (mostly dictionary words: "school",
//     "cool", "love") when nothing follows it: "jakesite.xyz" is an address, "school.fun day" a
//     missing space.
import IANA_TLDS from 'tlds' with { type: 'json' };
// The two lists from their own modules: the package's index holds sixty languages (2.6 MB RSS for two).
import { eng } from 'stopword/src/stopwords_eng.js';
import { fra } from 'stopword/src/stopwords_fra.js';
import type { ContactKind } from './contact-details.ts';

/** The generic TLDs from before ICANN's 2012 programme: addresses, not words. */
const ORIGINAL_GENERIC_TLDS = ['com', 'net', 'org', 'edu', 'gov', 'mil', 'int', 'info', 'biz', 'name', 'pro', 'aero', 'coop', 'museum', 'mobi', 'asia', 'tel', 'travel', 'jobs', 'cat', 'xxx', 'post'];
/**
 * Two-letter words of chat that stopword's lists leave out and that are also country codes: after
 * a missing space they start a sentence ("so tired", "no way", "ça va", "si tu veux").
 */
const SHORT_WORDS = ['so', 'no', 'us', 'ça', 'si', 'ni', 'ci', 'va', 'vu', 'nu', 'lu', 're', 'ok'];
/** Shorteners and invite hosts whose TLD is an everyday word, so the rules above would let them pass. */
const KNOWN_HOSTS = ['wa.me', 'kik.me', 'ig.me', 'fb.me', 'telegram.me', 'youtu.be', 'amzn.to', 'lnkd.in', 'shorturl.at', 'is.gd', 'ow.ly'];
/** Mail services named without their domain ("jake at gmail"). */
const MAIL_PROVIDERS = ['gmail', 'googlemail', 'hotmail', 'outlook', 'yahoo', 'icloud', 'protonmail', 'proton', 'aol', 'gmx', 'yandex', 'laposte', 'wanadoo', 'orange', 'sfr', 'free'];

function fold(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

const TLDS = new Set(IANA_TLDS.map(fold));
/** Country codes, internationalised TLDs and the original generic TLDs: a bare name with one is an address. */
const ADDRESS_TLDS = new Set([...TLDS].filter((tld) => tld.length === 2 || /[^a-z0-9]/.test(tld) || ORIGINAL_GENERIC_TLDS.includes(tld)));
const EVERYDAY_WORDS = new Set([...eng, ...fra, ...SHORT_WORDS].map(fold));
const PROVIDERS = MAIL_PROVIDERS.join('|');

/** True for an everyday English or French word ("ok", "so", "my", "ça"), in any case and accents. */
export function isEverydayWord(word: string): boolean {
  return EVERYDAY_WORDS.has(fold(word));
}

/** One label of a host name. */
const LABEL = String.raw`[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?`;
/**
 * What may stand for the dot between labels: a dot, a bracketed dot or word ("(.)", "[dot]",
 * "{point}"), a dot with spaces, the word itself ("dot", "d0t", "point"), a comma.
 */
const DOT = String.raw`(?:\s*[([{<]\s*(?:\.|dot|d0t|point|pt)\s*[)\]}>]\s*|\s*\.\s*|\s+(?:dot|d0t|dott|point)\s+|,)`;
const HOST = new RegExp(String.raw`(?<![a-z0-9@._%+-])((?:${LABEL}${DOT}){1,8})(${LABEL})(?![a-z0-9_-])`, 'g');
const PATH_AFTER = /^(?:\s*[/\\]\s*[a-z0-9_@~%+-]|:\d{2,5}(?!\d)|\?[a-z0-9]|#[a-z])/;
const WORD_AFTER = /^\s+[a-z]/;
const LETTER = /[a-z]/;
const DOMAIN_LIKE = /[0-9_-]/;

type DotKind = 'tight' | 'bracketed' | 'spaced' | 'after' | 'spoken' | 'comma';

function dotKind(dot: string): DotKind {
  if (/[([{<]/.test(dot)) return 'bracketed';
  if (dot === '.') return 'tight';
  if (dot === ',') return 'comma';
  if (!dot.includes('.')) return 'spoken';
  return /^\s/.test(dot) ? 'spaced' : 'after';
}

const DOT_SPLIT = new RegExp(DOT, 'g');

/** Whether a host name found in the text (labels, the dots between them) is an address. */
function isAddress(labels: readonly string[], dots: readonly DotKind[], after: string): boolean {
  const tld = labels.at(-1)!;
  const names = labels.slice(0, -1);
  const host = labels.join('.');
  if (KNOWN_HOSTS.some((known) => host === known || host.endsWith(`.${known}`))) return true;
  if (!TLDS.has(tld)) return false;
  const name = names.at(-1)!;
  if (!names.some((label) => LETTER.test(label))) return false;
  // Abbreviations: "u.s.a", "e.g.so".
  if (names.length >= 2 && names.every((label) => label.length === 1)) return false;
  if (dots.includes('bracketed') || PATH_AFTER.test(after)) return true;
  const subdomain = names.length >= 2 && !names.some((label) => EVERYDAY_WORDS.has(label));
  const domainLike = names.some((label) => DOMAIN_LIKE.test(label)) || (names.length === 1 && name.length === 1) || subdomain;
  if (domainLike && dots.every((d) => d === 'tight' || d === 'spaced' || d === 'spoken')) return true;
  if (EVERYDAY_WORDS.has(name) || EVERYDAY_WORDS.has(tld)) return false;
  // "Went to the beach. Fun day": a dot then a space before more words is a sentence; so is a
  // newer TLD followed by more words ("school.fun day"), or any but a tight dot before one.
  const continues = WORD_AFTER.test(after);
  if (ADDRESS_TLDS.has(tld)) return !(dots.includes('after') && continues);
  return !continues && dots.every((d) => d === 'tight' || d === 'comma');
}

/** True when a host name in the text is a web address. */
function addresses(text: string): boolean {
  HOST.lastIndex = 0;
  for (let match = HOST.exec(text); match; match = HOST.exec(text)) {
    const written = match[0];
    const dots = [...written.matchAll(DOT_SPLIT)].map((m) => dotKind(m[0]));
    const labels = written.split(DOT_SPLIT).map((label) => label.trim());
    if (isAddress(labels, dots, text.slice(match.index + written.length, match.index + written.length + 8))) return true;
  }
  return false;
}

/** A scheme, written out or defanged: "https://", "hxxp://", "h**ps://", "http//", "ftp:\\". */
const SCHEME = /(?<![a-z])(?:h[tx*]{2}ps?|ftp)\s*[:;]?\s*[/\\]\s*[/\\]/;
const WWW = new RegExp(String.raw`(?<![a-z0-9])www\d{0,3}${DOT}${LABEL}`);
const IPV4 = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])/g;

function ipAddress(text: string): boolean {
  IPV4.lastIndex = 0;
  for (let match = IPV4.exec(text); match; match = IPV4.exec(text)) {
    const octets = match.slice(1, 5).map(Number);
    if (octets.some((o) => o > 255)) continue;
    const after = text.slice(match.index + match[0].length, match.index + match[0].length + 6);
    // A version number ("2.1.3.4") has small parts; an address usually starts with a larger one.
    if (PATH_AFTER.test(after) || match[1]!.length >= 2) return true;
  }
  return false;
}

/** "@" written in words or brackets: "(at)", "[@]", "{at}", "arobase", " at " before a mail service. */
const AT_WORDS = [
  /\s*[([{<]\s*(?:at|@|arobase)\s*[)\]}>]\s*/g,
  /\s+(?:arr?obase?|arobaz|arrobas)\s+/g,
  new RegExp(String.raw`\s+(?:at|chez)\s+(?=(?:${PROVIDERS})(?![a-z0-9]))`, 'g'),
];
const SPOKEN_AT = /\s+at\s+(?=[a-z0-9])/g;
const LOCAL_PART = String.raw`[a-z0-9](?:[a-z0-9._%+-]{0,63})`;
/** "@" inside an address, or spaced on both sides ("jo @ gmail.com"); "follow @jo.x" is a handle. */
const MAIL_AT = String.raw`(?:\s+@\s+|@\s?)`;
const EMAIL_DOMAIN = new RegExp(String.raw`(?<![a-z0-9._%+-])${LOCAL_PART}${MAIL_AT}((?:${LABEL}${DOT}){1,8}${LABEL})(?![a-z0-9_-])`, 'g');
const EMAIL_PROVIDER = new RegExp(String.raw`(?<![a-z0-9._%+-])${LOCAL_PART}${MAIL_AT}(?:${PROVIDERS})(?![a-z0-9])`);

function hasEmail(text: string): boolean {
  let plain = text;
  for (const pattern of AT_WORDS) plain = plain.replace(pattern, '@');
  if (EMAIL_PROVIDER.test(plain)) return true;
  if (emailWith(plain, (labels) => TLDS.has(labels.at(-1)!) && labels.slice(0, -1).some((l) => LETTER.test(l)))) return true;
  // "jake at school dot com": "at" in words only after a name that is not an everyday word ("find
  // me at", "look at") and before a host that is an address by itself.
  const spoken = plain.replace(SPOKEN_AT, (at, offset: number) => (EVERYDAY_WORDS.has(wordBefore(plain, offset)) ? at : '@'));
  return spoken !== plain && emailWith(spoken, (labels, dots, after) => isAddress(labels, dots, after));
}

function wordBefore(text: string, end: number): string {
  return /[a-z0-9._%+-]*$/.exec(text.slice(Math.max(0, end - 64), end))![0];
}

function emailWith(text: string, accept: (labels: string[], dots: DotKind[], after: string) => boolean): boolean {
  EMAIL_DOMAIN.lastIndex = 0;
  for (let match = EMAIL_DOMAIN.exec(text); match; match = EMAIL_DOMAIN.exec(text)) {
    const domain = match[1]!;
    const dots = [...domain.matchAll(DOT_SPLIT)].map((m) => dotKind(m[0]));
    const labels = domain.split(DOT_SPLIT).map((label) => label.trim());
    const end = match.index + match[0].length;
    if (accept(labels, dots, text.slice(end, end + 8))) return true;
  }
  return false;
}

/**
 * What every address, link and e-mail has one of: a dot between characters (or with a space
 * before it, or after it before a last word), a comma between characters, an "@", a word or
 * brackets for either, a scheme.
 */
const LINK_HINT = /[a-z0-9](?:\.|\s+\.)\s*[a-z0-9]|\.\s+[a-z0-9-]+\s*(?:$|[/\\?:#])|[a-z0-9],[a-z0-9]|[([{<]\s*(?:\.|dot|d0t|point|pt|at|@|arobase)|@|\b(?:dot|d0t|dott|point|www|at|chez|arr?obase?|arobaz|arrobas)\b|h[tx*]{2}ps?|ftp/;

/** False when folded text cannot hold a link or an e-mail address. */
export function mayHoldLink(text: string): boolean {
  return LINK_HINT.test(text);
}

/** The kind of link or address in folded text ("email" before "link": an address holds a domain). */
export function linkIn(text: string): Extract<ContactKind, 'email' | 'link'> | undefined {
  if (!LINK_HINT.test(text)) return undefined;
  if (text.includes('@') || /\b(?:at|arr?obase?|arobaz|arrobas|chez)\b/.test(text)) {
    if (hasEmail(text)) return 'email';
  }
  if (SCHEME.test(text) || WWW.test(text) || addresses(text) || ipAddress(text)) return 'link';
  return undefined;
}
