// Social media and messaging handles in a chat message, and asking to move the conversation to
// another app: "my snap is jake_2009", "jake_2009 on insta", "discord: jake#1234", "add me on 👻",
// "mon snap c'est jake", "ajoute-moi sur insta", "t'as whatsapp ?", "@jake". Platforms by name,
// nickname and short form ("the gram", "ghost app", "ig", "sc", "tg", "wa"), in any script (the
// text is folded: look-alikes are Latin) and in leetspeak ("5n4p", "d1sc0rd"). Short forms and
// platforms that are everyday words ("signal", "line", "x", "steam") count only where the
// sentence leaves no doubt; "I love tiktok videos" and "my signal is bad" pass.
//
// The patterns run on folded text with repeated characters collapsed ("snaaap" → "snap",
// "whatsapp" → "whatsap"), so every word below is written collapsed too.
import type { ContactKind } from './contact-details.ts';

/** Platform names that are nobody's everyday word. */
const NAMES = [
  'snapchat', 'snap', 'instagram', 'insta', 'instagramm', 'tiktok', 'tik tok', 'whatsapp', 'whats app', "what's app", 'watsapp', 'watsap', 'wtsp',
  'telegram', 'telegramme', 'discord', 'kik', 'facebook', 'face book', 'messenger', 'msngr', 'twitter', 'twitch', 'youtube', 'you tube',
  'roblox', 'xbox', 'playstation', 'psn', 'skype', 'wechat', 'we chat', 'viber', 'reddit', 'onlyfans', 'only fans', 'yubo', 'bereal',
  'tumblr', 'imessage', 'facetime', 'gamertag',
];
/** Nicknames and short forms, and platforms named by everyday words: only where the sentence says so. */
const SHORT = ['ig', 'sc', 'tg', 'wa', 'dc', 'fb', 'yt', 'xbl', 'gram', 'the gram', 'ghost app'];
const WORD_PLATFORMS = ['signal', 'line', 'x', 'steam', 'threads', 'zoom'];
/** Where people talk privately: asking whether someone has one is asking to move there. */
const MESSENGERS = [
  'snapchat', 'snap', 'insta', 'instagram', 'ig', 'sc', 'discord', 'telegram', 'tg', 'whatsapp', 'whats app', 'watsapp', 'wtsp', 'wa', 'kik',
  'skype', 'wechat', 'viber', 'messenger', 'facebook', 'fb', 'twitter', 'the gram', 'yubo', 'imessage', 'facetime', 'ghost app',
  // Where children are asked for their account to be messaged there.
  'tiktok', 'tik tok', 'roblox',
];
/** Snapchat's ghost stands for it. */
const EMOJI_NAMES = ['👻'];
/** Words for an account name. */
const NAME_NOUNS = String.raw`user\s?name|username|handle|gamertag|pseudo|identifiant|friend\s?code|code\s?ami|@`;
const NAME_WORDS = String.raw`${NAME_NOUNS}|id|name|user|tag|ac(?:oun)?t|compte|profile?`;

/** Leetspeak stand-ins, as they stand in folded text. */
const LEET: Readonly<Record<string, string>> = {
  a: 'a4@', b: 'b8', e: 'e3', g: 'g69', i: 'i1!|l', l: 'l1|i', o: 'o0', s: 's5$', t: 't7+', z: 'z2',
};
/** What may split a name ("snap.chat", "insta_gram", "what's app"). */
const INNER = String.raw`[._*'\u2019-]?`;

/** Repeated characters as one: the form every pattern here is written in. */
export function collapseRepeats(text: string): string {
  let first = -1;
  for (let i = 1; i < text.length; i++) {
    if (text.charCodeAt(i) === text.charCodeAt(i - 1)) {
      first = i;
      break;
    }
  }
  if (first < 0) return text;
  // By UTF-16 unit: the two halves of a surrogate pair never repeat each other, so no pair is split.
  let out = text.slice(0, first);
  let from = first;
  for (let i = first; i < text.length; i++) {
    if (text.charCodeAt(i) !== text.charCodeAt(i - 1)) continue;
    out += text.slice(from, i);
    from = i + 1;
  }
  return out + text.slice(from);
}

/** A pattern's source with its doubled letters as one (its brackets and escapes stay). */
function collapsed(source: string): string {
  return source.replace(/([a-z])\1+/g, '$1');
}

function escape(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A name as a pattern: leetspeak for each letter, a separator allowed inside longer names. */
function namePattern(name: string): string {
  const chars = [...collapsed(name)];
  const letters = chars.map((char) => {
    if (char === ' ') return String.raw`\s?`;
    if (char === "'") return `['’]?`;
    const stand = LEET[char];
    return stand ? `[${escape(char + stand)}]` : escape(char);
  });
  return chars.length >= 5 && !name.includes(' ') ? letters.join(INNER) : letters.join('');
}

const alternatives = (names: readonly string[]) =>
  [...names].sort((a, b) => b.length - a.length).map(namePattern).join('|');
/** A word of its own: no letter or digit right before or after. */
const word = (pattern: string) => String.raw`(?<![a-z0-9])(?:${pattern})(?![a-z0-9])`;
const either = (...patterns: string[]) => patterns.filter(Boolean).join('|');

const NAME = alternatives(NAMES);
const ANY_PLATFORM = either(NAME, alternatives(SHORT), alternatives(WORD_PLATFORMS), EMOJI_NAMES.join('|'));
const CLEAR_PLATFORM = either(NAME, alternatives(SHORT), EMOJI_NAMES.join('|'));
const MESSENGER = either(alternatives(MESSENGERS), EMOJI_NAMES.join('|'));

/** An account name as written after a label ("snap: jake_2009", "discord - jake#1234"). */
const ACCOUNT = String.raw`@?[a-z0-9_.#]*[a-z0-9][a-z0-9_.#]*`;
/** A word that looks like a handle, not like a word: a digit, "_" or "." inside, or an "@" before. */
const HANDLE_LIKE = String.raw`(?:@[a-z0-9_.]*[a-z][a-z0-9_.]*|[a-z0-9]*[a-z][a-z0-9]*[_.][a-z0-9_.]*[a-z0-9]|[a-z]{2,}[0-9]+[a-z0-9]*|[0-9]+[a-z]{2,}[a-z0-9]*)`;
/** A handle beyond doubt, for the short forms: "_" or "." inside, or two digits. */
const SURE_HANDLE = String.raw`(?:@[a-z0-9_.]*[a-z][a-z0-9_.]*|[a-z0-9]*[a-z][a-z0-9]*[_.][a-z0-9_.]*[a-z0-9]|[a-z]+[0-9]{2,}[a-z0-9]*)`;
const LABEL_SEPARATOR = String.raw`\s*(?:[:=>|]|->|\u2192|[-\u2013\u2014](?=\s))\s*`;
const PREPOSITION = String.raw`on|at|via|thru|through|over|sur|en|par|with|w`;
const ME = String.raw`me|moi|us|nous|m`;
const VERBS = [
  // English
  'add', 'follow', 'dm', 'pm', 'msg', 'message', 'text', 'txt', 'hmu', String.raw`hit\s+me\s+up`, String.raw`hit\s+up`, 'find', 'friend',
  'call', 'reach', 'contact', 'talk', 'chat', 'join', 'send', 'ping', 'write', 'search', String.raw`look\s+me\s+up`,
  // French (folded: no accents)
  'ajoute', 'ajoutes', 'ajouter', 'rajoute', 'rajoutes', 'ajt', 'suis', 'suit', 'ecris', 'ecrit', 'envoie', 'envoies', 'parle', 'parles',
  'parler', 'contacte', 'appelle', 'viens', 'venez', 'rejoins', 'rejoint', 'retrouve', 'cherche', 'trouve', 'passe', 'passes', 'tape',
].map(collapsed).join('|');
const ASKS = [
  'your', 'ur', 'yur', 'yo', 'ton', 'ta', 'tn', String.raw`t'?\s?as`, String.raw`tu\s+as`, String.raw`tu\s+a`, String.raw`vous\s+avez`,
  String.raw`(?:do|did)\s+(?:you|u)\s+(?:have|got|use)`, String.raw`(?:you|u)\s+(?:have|got|use)`, 'got', String.raw`any`,
].join('|');
/** Moving there, or being there: where a platform named by an everyday word is meant too. */
const MOVES = [
  String.raw`(?:are|r)\s+(?:you|u)\s+on`, String.raw`(?:you|u)\s+on`, String.raw`(?:move|switch|go|come|jump|hop)\s+(?:over\s+)?(?:to|on|onto)`,
  String.raw`t'?\s?es\s+sur`, String.raw`tu\s+es\s+sur`, String.raw`t\s+sur`, String.raw`(?:on\s+)?pase\s+sur`, String.raw`pasons\s+sur`,
  String.raw`(?:viens|venez|va|alons|alez|go)\s+sur`,
].join('|');
const ARTICLE = String.raw`(?:a|an|the|un|une|le|la|l'|my|mon|ma|mes)\s+`;

const HANDLE_PATTERNS: readonly RegExp[] = [
  // "snap: jake", "discord - jake#1234", "ig = jake", "insta id: jake", "steam id: jake"
  new RegExp(String.raw`${word(CLEAR_PLATFORM)}\s*(?:(?:${NAME_WORDS})\s*)?${LABEL_SEPARATOR}${ACCOUNT}`),
  new RegExp(String.raw`${word(alternatives(WORD_PLATFORMS))}\s*(?:${NAME_WORDS})\s*${LABEL_SEPARATOR}${ACCOUNT}`),
  // "my snap is …", "my insta's …", "mon snap c'est …", "mon insta : …", "my username is …"
  new RegExp(String.raw`${word(String.raw`my|mine|our|mon|ma|mes|notre`)}\s+(?:${CLEAR_PLATFORM}|${NAME_NOUNS})(?:\s+(?:${NAME_WORDS}))?\s*(?:is|=|:|['\u2019]s|c['\u2019]?\s?est|c\s+est|est|->|\u2192|-\s)`),
  new RegExp(String.raw`${word(String.raw`my|mine|our|mon|ma|mes|notre`)}\s+(?:${alternatives(WORD_PLATFORMS)})\s+(?:${NAME_WORDS})`),
  // "add me on snap", "add me snap", "hmu on insta", "ajoute-moi sur snap", "talk on signal"
  new RegExp(String.raw`${word(VERBS)}[\s-]*(?:(?:${ME})\b[\s-]*)?(?:up\s+)?(?:(?:${PREPOSITION})\s+)?(?:${ARTICLE})?(?:${CLEAR_PLATFORM})(?![a-z0-9])`),
  new RegExp(String.raw`${word(VERBS)}[\s-]*(?:(?:${ME})\b[\s-]*)?(?:up\s+)?(?:${PREPOSITION})\s+(?:${ARTICLE})?(?:${alternatives(WORD_PLATFORMS)})(?![a-z0-9])`),
  // "snap me", "facetime me", "whatsapp moi"
  new RegExp(String.raw`${word(either(alternatives(['snapchat', 'snap', 'sc', 'insta', 'ig', 'whatsapp', 'wa', 'discord', 'kik', 'telegram', 'facetime', 'ft']), EMOJI_NAMES.join('|')))}[\s-]*(?:me|moi)(?![a-z0-9])`),
  // "what's your snap", "ur insta?", "t'as snap ?", "tu as insta", "do you have discord"
  new RegExp(String.raw`${word(ASKS)}\s+(?:${ARTICLE})?(?:${MESSENGER})(?![a-z0-9])`),
  // "are you on signal", "move to whatsapp", "passe sur snap", "viens sur discord"
  new RegExp(String.raw`${word(MOVES)}\s+(?:${ARTICLE})?(?:${MESSENGER}|${alternatives(WORD_PLATFORMS)})(?![a-z0-9])`),
  // "snap jake_2009", "insta @jake", "jake_2009 on snap", "jake.2009 (insta)"
  new RegExp(String.raw`${word(NAME)}\s*[:@(\[-]?\s*${HANDLE_LIKE}(?![a-z0-9_.])`),
  new RegExp(String.raw`(?<![a-z0-9_.@])${HANDLE_LIKE}\s*(?:(?:${PREPOSITION})\s+|[(\[@:-]\s*)?${word(either(NAME, EMOJI_NAMES.join('|')))}`),
  new RegExp(String.raw`${word(alternatives(SHORT))}\s*[:@(\[-]?\s*${SURE_HANDLE}(?![a-z0-9_.])`),
  new RegExp(String.raw`(?<![a-z0-9_.@])${SURE_HANDLE}\s*(?:(?:${PREPOSITION})\s+|[(\[@:-]\s*)?${word(alternatives(SHORT))}`),
  // "roblox username", "snap name", "discord tag", "pseudo insta", "compte snap", "steam id"
  new RegExp(String.raw`${word(ANY_PLATFORM)}\s*(?:${NAME_WORDS})(?![a-z])`),
  new RegExp(String.raw`${word(String.raw`pseudo|compte|identifiant|profil|user\s?name|username|gamertag|handle`)}\s+(?:(?:${PREPOSITION})\s+)?(?:${ARTICLE})?(?:${ANY_PLATFORM})(?![a-z0-9])`),
];

/** Handles whose digits count, so they are read before repeated characters are collapsed. */
const WRITTEN_PATTERNS: readonly RegExp[] = [
  // Discord-style tags: "jake#1234"
  /(?<![a-z0-9_.])(?=[a-z0-9_.]*[a-z])[a-z0-9_.]{2,32}#\d{4}(?!\d)/,
  // An @handle; "@5pm" and "@ 10" are times, not handles.
  /(?<![\p{L}\p{N}_.@])@(?!\d{1,2}(?::\d\d)?\s*(?:am|pm|h)?(?![a-z0-9_]))[a-z0-9_][a-z0-9_.]{1,29}/u,
];

/** Asking for or giving a number or an address: "what's your number", "ton num", "my email is". */
const NUMBER_NOUNS = String.raw`phone\s?number|phone\s?numero|(?:cell|mobile)(?:\s?(?:number|phone))?|digits|num|numero|tel|telephone|portable|06|07`;
const MAIL_NOUNS = String.raw`e-?mail|mail|adresse\s+(?:e-?)?mail|gmail|hotmail|outlook|icloud`;
const GIVE = [
  String.raw`what'?s|whats|wats|what\s+is`, String.raw`give\s+me|gimme|send\s+me|send`, String.raw`can\s+i\s+(?:get|have)`,
  String.raw`donne(?:s|r|z)?(?:[\s-]+moi)?|pase(?:s|r)?(?:[\s-]+moi)?|file(?:s|r)?(?:[\s-]+moi)?|envoie(?:s)?(?:[\s-]+moi)?`,
  String.raw`c['\u2019]?\s?est\s+(?:quoi|koi)|c\s+(?:quoi|koi)|quel\s+est|quelle\s+est`, String.raw`t'?\s?as|tu\s+as|tu\s+a`,
].map(collapsed).join('|');
const REQUEST_PATTERNS: ReadonlyArray<[RegExp, Extract<ContactKind, 'phone' | 'email'>]> = [
  [new RegExp(String.raw`${word(GIVE)}\s+(?:(?:your|ur|yur|ton|ta|tn|un|une|le)\s+)?(?:${collapsed(NUMBER_NOUNS)}|number)(?![a-z0-9])`), 'phone'],
  [new RegExp(String.raw`${word(String.raw`my|mon|ma`)}\s+(?:${collapsed(NUMBER_NOUNS)}|number)\s*(?:is|=|:|['\u2019]s|c['\u2019]?\s?est|c\s+est|est)(?![a-z])`), 'phone'],
  [new RegExp(String.raw`${word(GIVE)}\s+(?:(?:your|ur|yur|ton|ta|tn|un|une|le)\s+)?(?:${collapsed(MAIL_NOUNS)})(?![a-z0-9])`), 'email'],
  [new RegExp(String.raw`${word(String.raw`my|mon|ma`)}\s+(?:${collapsed(MAIL_NOUNS)})(?:\s+(?:adres|adrese))?\s*(?:is|=|:|['\u2019]s|c['\u2019]?\s?est|c\s+est|est)(?![a-z])`), 'email'],
];

/**
 * The cheap first look: most messages name no platform, carry no "@" or "#", and ask for no
 * number; only those that do go through the patterns. The platform names are looked for in the
 * text's skeleton (leetspeak as letters, separators inside words gone, repeats collapsed:
 * "5n4.p" → "snap"), anywhere in it: a plain list of words, far cheaper than the patterns'
 * letter classes, and it finds at least everything they do.
 */
/** Each ASCII character as the skeleton has it: leetspeak stand-ins as their letter, separators inside words gone. */
const SKELETON_ASCII: readonly string[] = Array.from({ length: 0x80 }, (_, code) => {
  const char = String.fromCharCode(code);
  if ("._*'-".includes(char)) return '';
  if (char === 'l' || char === '1' || char === '|') return 'i';
  return Object.entries(LEET).find(([, stands]) => stands.includes(char))?.[0] ?? char;
});

/** The skeleton the name screen reads: leetspeak stand-ins as letters (l and i alike), no separators inside words, no repeats. */
function skeleton(text: string): string {
  let out = '';
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const mapped = code < 0x80 ? SKELETON_ASCII[code]! : code === 0x2019 ? '' : text[i]!;
    if (mapped !== '' && mapped !== last) {
      out += mapped;
      last = mapped;
    }
  }
  return out;
}

/** Short forms ("ig", "wa") hide inside any word: the word screen looks for them as words. */
const SCREENED_NAMES = [...NAMES, ...MESSENGERS].map((name) => skeleton(collapsed(name))).filter((name) => name.length >= 3);
const NAME_SCREEN = new RegExp([...new Set([...SCREENED_NAMES, ...EMOJI_NAMES])].sort((a, b) => b.length - a.length).join('|'));
/** The words that make the other patterns: short forms, platforms that are words, names for an account, a number, an address. */
const SCREENED_WORDS = [
  ...SHORT.map((name) => name.split(' ').at(-1)!), ...WORD_PLATFORMS, 'username', 'user', 'handle', 'gamertag', 'pseudo', 'identifiant', 'code', 'id', 'name', 'tag',
  'acount', 'compte', 'profile', 'profil', 'phone', 'cel', 'mobile', 'digits', 'num', 'numero', 'tel', 'telephone', 'portable', '06', '07', 'number', 'email', 'mail', 'gmail',
  'hotmail', 'outlook', 'icloud',
];
const WORD_SCREEN = new RegExp(String.raw`@|#\d|(?<![a-z0-9])(?:${[...new Set(SCREENED_WORDS.map(collapsed))].sort((a, b) => b.length - a.length).join('|')})(?![a-z0-9])`);

function screened(text: string, short: string): boolean {
  return WORD_SCREEN.test(short) || NAME_SCREEN.test(skeleton(text));
}

/** False when the text names no platform, holds no "@" or "#" and asks for nothing: no handle in it. */
export function mayHoldHandle(text: string): boolean {
  return screened(text, collapseRepeats(text));
}

/** The kind of handle or request in folded text. */
export function handleIn(text: string): Extract<ContactKind, 'handle' | 'phone' | 'email'> | undefined {
  const short = collapseRepeats(text);
  if (!screened(text, short)) return undefined;
  for (const pattern of WRITTEN_PATTERNS) if (pattern.test(text)) return 'handle';
  for (const [pattern, kind] of REQUEST_PATTERNS) if (pattern.test(short)) return kind;
  for (const pattern of HANDLE_PATTERNS) if (pattern.test(short)) return 'handle';
  return undefined;
}
