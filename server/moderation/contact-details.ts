// Contact details and links in a chat message: e-mail addresses, phone numbers, URLs and bare
// domains, social media handles. Moving a child from a moderated space to a private channel
// starts with one of these, so the school profile and the under-18 band refuse them
// (filter.ts decides when). The patterns see through the usual disguises ("name at gmail dot
// com", "example . com", "5 5 5 – 1 2 3 4", "five five five …", look-alike and invisible
// characters) and leave ordinary chat alone: ages, times, years, scores, prices, decimals,
// "welcome", "ok.bye", "wait...what".
import { allMatches, foldText, joinSpacedSymbols, type FoldedText } from './text-fold.ts';

export type ContactKind = 'email' | 'phone' | 'link' | 'handle';

/** Top-level domains that are not also everyday words: "x.com" is a domain, "ok.bye" is not. */
const STRONG_TLDS = [
  'com', 'net', 'org', 'edu', 'gov', 'info', 'biz', 'xyz', 'app', 'dev', 'io', 'ly', 'gg', 'co', 'ai', 'cc', 'tv', 'ws',
  'fm', 'gl', 'gd', 'uk', 'de', 'fr', 'ru', 'nl', 'es', 'pl', 'br', 'jp', 'cn', 'au', 'ca', 'ch', 'se', 'fi', 'dk',
  'eu', 'nz', 'za', 'mx', 'ar', 'kr', 'tk', 'ml', 'ga', 'cf', 'ir', 'pk', 'ng', 'ph', 'vn', 'sg', 'hk', 'tw', 'ua',
  'cz', 'sk', 'hu', 'ro', 'gr', 'pt', 'ie', 'lt', 'lv', 'ee', 'tr', 'il', 'ae', 'sa', 'eg', 'ke', 'cl', 'pe', 've',
  'icu', 'xxx', 'onion', 'ooo',
];
/** Top-level domains that are everyday words too: a domain only with a path ("t.me/…", "x.live/…"). */
const WORD_TLDS = [
  'me', 'to', 'in', 'it', 'is', 'so', 'be', 'at', 'us', 'no', 'my', 'do', 'am', 'an', 'as', 'by', 'id', 'im', 'la',
  'live', 'chat', 'fun', 'shop', 'store', 'club', 'link', 'page', 'art', 'games', 'video', 'news', 'team', 'world',
  'space', 'zone', 'social', 'email', 'top', 'pro', 'blog', 'bio', 'lol', 'wtf', 'site', 'online', 'website', 'media',
  'network', 'one', 'life', 'love', 'cool', 'best', 'run', 'win', 'work', 'wiki', 'tech', 'sex', 'porn', 'fyi',
];
/** Link shorteners and invite hosts, which are links even without a path. */
const KNOWN_HOSTS = ['t.me', 'wa.me', 'linktr.ee', 'discord.gg', 'bit.ly', 'goo.gl', 'is.gd', 'rb.gy', 'ow.ly', 'cutt.ly', 'tinyurl'];
/** Mail providers named without their domain ("name at gmail"). */
const MAIL_PROVIDERS = ['gmail', 'googlemail', 'hotmail', 'outlook', 'yahoo', 'icloud', 'protonmail', 'proton', 'aol', 'gmx', 'yandex'];

/** Messaging and social platforms, by names that are not everyday words. */
const PLATFORMS = String.raw`snap(?:chat)?|insta(?:gram)?|discord|telegram|whats\s?app|kik|tik\s?tok|skype|we\s?chat|facebook|twitter|onlyfans|viber|threads|twitch|reddit|youtube|roblox|xbox|psn|gamertag`;
/** Short forms that are ordinary words or slang on their own ("ig" = "I guess"): only in a clear context. */
const PLATFORM_SHORT = String.raw`sc|ig|dc|tg|wa|fb|yt|ttv|steam`;
/** Platforms whose names are everyday words: only after "add me on", "text me on", …. */
const PLATFORM_WORDS = String.raw`signal|line|x`;
/** Private messengers: asking for one is asking to move the conversation. */
const MESSENGERS = String.raw`snap(?:chat)?|insta(?:gram)?|ig|sc|discord|telegram|whats\s?app|kik|skype|we\s?chat|viber`;

const alternatives = (words: readonly string[]) => words.map((w) => w.replace(/\./g, '\\.')).join('|');
const STRONG = alternatives(STRONG_TLDS);
const ANY_TLD = alternatives([...STRONG_TLDS, ...WORD_TLDS]);
const LABEL = String.raw`[a-z0-9][a-z0-9-]*`;

// --- Disguised punctuation, undone before matching ---
const BRACKETED_DOT = /\s*[([{<]\s*(?:dot|\.)\s*[)\]}>]\s*/g;
const SPOKEN_DOT = new RegExp(String.raw`(?<!(?:^|\s)(?:the|a|an))\s+dot\s+(?=(?:${STRONG})(?![a-z0-9]))`, 'g');
const SPACED_DOT = /\s*\.\s+(?=(?:com|net|org)(?![a-z0-9]))|\s+\.\s*(?=(?:com|net|org)(?![a-z0-9]))/g;
const BRACKETED_AT = /\s*[([{<]\s*at\s*[)\]}>]\s*/g;
/** "name at gmail": only before a mail provider, so "look at example.com" stays a link. */
const SPOKEN_AT = new RegExp(String.raw`\s+at\s+(?=(?:${alternatives(MAIL_PROVIDERS)})(?![a-z0-9]))`, 'g');

/** "@" inside an address, or spaced on both sides ("jo @ gmail.com"); "follow @jo.x" is a handle. */
const MAIL_AT = String.raw`(?:\s+@\s+|@\s*)`;
const EMAIL = [
  new RegExp(String.raw`[a-z0-9._%+-]${MAIL_AT}${LABEL}(?:\.${LABEL})*\.[a-z]{2,}`),
  new RegExp(String.raw`[a-z0-9._%+-]${MAIL_AT}(?:${alternatives(MAIL_PROVIDERS)})(?![a-z0-9])`),
];

const LINK = [
  /(?<![a-z])(?:https?|ftp)\s*:\s*\/\s*\//,
  /(?<![a-z0-9])www\d{0,3}\.[a-z0-9]/,
  new RegExp(String.raw`(?<![a-z0-9@._-])(?:${LABEL}\.)+(?:${STRONG})(?![a-z0-9-])`),
  new RegExp(String.raw`(?<![a-z0-9@._-])(?:${LABEL}\.)+(?:${ANY_TLD})\/[a-z0-9_@+~-]`),
  new RegExp(String.raw`(?<![a-z0-9.])(?:${alternatives(KNOWN_HOSTS)})(?![a-z0-9])`),
];

/** An @handle; "@5pm" and "@ 10" are times, not handles. */
const AT_HANDLE = /(?<![\p{L}\p{N}_.@])@(?!\d{1,2}(?::\d\d)?\s*(?:am|pm)?(?![a-z0-9_]))[a-z0-9_][a-z0-9_.]{1,29}/u;
const NAME_WORDS = String.raw`id|name|user\s?name|user|handle|tag|acc(?:oun)?t|@`;
const HANDLE = [
  // "snap: name", "discord - name#1234", "ig = name", "insta id: name"
  new RegExp(String.raw`(?<![a-z0-9])(?:${PLATFORMS}|${PLATFORM_SHORT})\s*(?:${NAME_WORDS})?\s*(?:[:=]|->|→|[-–—](?=\s))\s*@?[a-z0-9_.#]*[a-z0-9][a-z0-9_.#]*`),
  // "my ig is …", "my snap's …", "my discord name is …", "my username is …"
  new RegExp(String.raw`(?<![a-z0-9])(?:my|mine|our)\s+(?:${MESSENGERS}|tik\s?tok|twitter|gamertag|user\s?name|handle|@)(?:\s+(?:${NAME_WORDS}))?\s*(?:is|=|:|['’]s)(?![a-z0-9])`),
  // "add me on snapchat", "hmu on ig", "let's talk on discord", "dm me at insta"
  new RegExp(String.raw`(?<![a-z0-9])(?:add|follow|dm|pm|msg|message|text|hmu|hit\s+me\s+up|find|friend|call|reach|contact|talk|chat|join)\s+(?:me\s+|us\s+)?(?:up\s+)?(?:on|at|via|thru|through|over)\s+(?:${PLATFORMS}|${PLATFORM_SHORT}|${PLATFORM_WORDS})(?![a-z0-9])`),
  // "what's your snap", "u have discord?", "ur insta?", "move to whatsapp"
  new RegExp(String.raw`(?<![a-z0-9])(?:your|ur|yur|you\s+have|u\s+have|you\s+got|u\s+got|you\s+use|u\s+use|(?:move|switch|go)\s+(?:to|on|onto))\s+(?:a\s+)?(?:${MESSENGERS})(?![a-z0-9])`),
];

const NUMBER_WORDS: Readonly<Record<string, string>> = {
  zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
};
const NUMBER_WORD = /(?<![a-z])(?:zero|one|two|three|four|five|six|seven|eight|nine)(?![a-z])/g;
/** Digits with up to three separators between them ("(555) 123-4567", "5 5 5 - 1 2 3"). */
const DIGIT_RUN = /(?<!\d)(?:\+\s?)?\d(?:[\s.,\-/()]{0,3}\d)+/g;
/** Fewest digits a phone number has (without the country code). */
const MIN_PHONE_DIGITS = 7;

/** Undoes spelled-out punctuation so the patterns below see "name@gmail.com". */
function undisguise(text: string): string {
  return text
    .replace(BRACKETED_DOT, '.')
    .replace(SPOKEN_DOT, '.')
    .replace(SPACED_DOT, '.')
    .replace(BRACKETED_AT, '@')
    .replace(SPOKEN_AT, '@');
}

function findIn(text: string): ContactKind | undefined {
  const plain = undisguise(text);
  if (EMAIL.some((p) => p.test(plain))) return 'email';
  if (LINK.some((p) => p.test(plain))) return 'link';
  const handle = AT_HANDLE.exec(plain);
  if (handle && /[a-z]/.test(handle[0])) return 'handle';
  if (HANDLE.some((p) => p.test(plain))) return 'handle';
  return undefined;
}

/** The first kind of contact detail in a message, or undefined when it carries none. */
export function findContactDetails(text: string): ContactKind | undefined {
  return contactDetailsIn(foldText(text));
}

/** findContactDetails for text already folded (the message filter folds once for all its checks). */
export function contactDetailsIn(folded: FoldedText): ContactKind | undefined {
  const joined = joinSpacedSymbols(folded);
  const kind = findIn(folded.text) ?? (joined === folded ? undefined : findIn(joined.text));
  if (kind) return kind;
  const digits = folded.text.replace(NUMBER_WORD, (word) => NUMBER_WORDS[word]!);
  for (const match of allMatches(DIGIT_RUN, digits)) if (isPhoneNumber(match[0])) return 'phone';
  return undefined;
}

/** True when a run of digits and separators reads as a phone number rather than a number. */
export function isPhoneNumber(run: string): boolean {
  const digits = run.replace(/\D/g, '');
  if (digits.length < MIN_PHONE_DIGITS) return false;
  if (run.startsWith('+')) return true;
  const groups = run.split(/\D+/).filter(Boolean);
  const separators = [...run.matchAll(/\d(\D+)(?=\d)/g)].map((m) => m[1]!.trim() || ' ');
  const uniform = separators.every((s) => s === separators[0]);
  // Commas make a list ("10, 25, 33") or thousands ("1,000,000"), unless digits are dictated one by one.
  if (separators.some((s) => s.includes(','))) return groups.every((g) => g.length === 1) && !isArithmetic(groups.map(Number));
  // A round count ("1000000 points").
  if (groups.length === 1) return !/^\d{1,2}0{5,}$/.test(digits);
  // A decimal ("3.14159265").
  if (groups.length === 2 && separators[0] === '.') return false;
  // Thousands ("1.000.000", "2 500 000").
  if (uniform && /^\d{1,3}$/.test(groups[0]!) && groups.slice(1).every((g) => g.length === 3) && (separators[0] === '.' || groups.at(-1) === '000')) {
    return false;
  }
  if (groups.length === 3 && uniform && isDate(groups, separators[0]!)) return false;
  // Years ("1990 2000", "2019-2024").
  if (groups.every((g) => /^(?:19|20)\d\d$/.test(g))) return false;
  // Counting or a list with a step ("1 2 3 4 5 6 7", "10 20 30 40").
  if (groups.length >= 3 && isArithmetic(groups.map(Number))) return false;
  // Scores and times listed ("21-15 21-18", "10.30 11.45"); digits dictated one by one stay phone-like.
  if (!uniform && groups.every((g) => g.length <= 2) && groups.some((g) => g.length === 2)) return false;
  return true;
}

function isDate(groups: readonly string[], separator: string): boolean {
  if (!['-', '/', '.'].includes(separator)) return false;
  const [a, b, c] = groups.map(Number) as [number, number, number];
  const day = (n: number) => n >= 1 && n <= 31;
  const month = (n: number) => n >= 1 && n <= 12;
  if (groups[0]!.length === 4) return month(b) && day(c);
  if (groups[2]!.length === 2 || groups[2]!.length === 4) return groups[0]!.length <= 2 && groups[1]!.length <= 2 && ((day(a) && month(b)) || (month(a) && day(b)));
  return false;
}

function isArithmetic(values: readonly number[]): boolean {
  const step = values[1]! - values[0]!;
  if (step === 0) return false;
  return values.every((v, i) => i === 0 || v - values[i - 1]! === step);
}
