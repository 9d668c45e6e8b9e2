// Times the message filter on ordinary and hostile messages (the per-message cost sits on the
// relay's hot path). Each line is the best of a few repetitions: on a shared machine the best
// run is the one least disturbed by other work. Usage: node bench/filter.ts
import { ConfiguredFilter, type FilterContext } from '../server/moderation/filter.ts';
import { makeConfig } from '../server/config.ts';
import { HOSTILE_INPUTS } from '../test/helpers/hostile-inputs.ts';

/** The window of a sender's last messages (absent before it existed: the same bench times older code). */
const windowModule = await import('../server/moderation/message-window.ts').catch(() => undefined);

/** Messages timed per repetition, whatever the number of inputs: enough for the JIT to settle. */
const MESSAGES = 30_000;
const HOSTILE_MESSAGES = 700;
const REPETITIONS = 5;
const ORDINARY = ['hi! what are you listening to?', 'I like chess and music, you?', 'lol same, my cat does that too'];
const ORDINARY_FR = ['salut ! tu écoutes quoi ?', "j'aime les échecs et la musique, et toi ?", 'mdr pareil, mon chat fait ça aussi'];
/** Closer to real chat: short lines, emoji, other scripts, accents, a near miss ("assume") and a masked word. */
const MIXED = [
  'hi', 'hey', 'm or f?', 'lol', 'where are you from?', 'haha 😂😂 same', 'ça va? très bien', 'привет, как дела?',
  '你好，你喜欢什么音乐？', 'I assume you play guitar', 'what the fuck', 'ok bye 👋', 'nice, I do too!!', 'brb',
];
/** Ordinary chat with numbers and dots, the lines the contact-detail rules look at twice. */
const NUMBERS = [
  "I'm 14, you?", 'see you at 5pm', 'we won 3-1', 'Year 9, room 204', "le contrôle est à 10h30", 'ok.bye', 'wait...what',
  'born 12/05/2009', 'j’ai 14 ans et demi', 'it costs $19.99', 'level 99 now', 'on a gagné 3 à 1',
];
/** Contact details in disguise, each refused: the cost of catching them. */
const EVASIONS = [
  'my snap is jake_2009', 'ajoute-moi sur insta : jake.2009', 'call 06 12 34 56 78', 'five five five one two three four',
  'zero six douze trente-quatre cinquante-six soixante-dix-huit', 'jake (at) gmail (dot) com', 'hxxps://t . me/jake',
  'O6 l2 34 S6 78', 'jake2009 ＠ gmail ․ com', 'd1sc0rd: jake#1234', 'moc.liamg@9002ekaj\u202E', 'add me on 👻 jake_09',
];
const adult: FilterContext = { band: 'adult', profile: 'community' };
const pupil: FilterContext = { band: 'minor', profile: 'school' };

function time(label: string, filter: ConfiguredFilter, inputs: string[], context: FilterContext, messages = MESSAGES): void {
  const rounds = Math.ceil(messages / inputs.length);
  let best = Infinity;
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    const started = performance.now();
    for (let round = 0; round < rounds; round++) for (const input of inputs) filter.check(input, context);
    best = Math.min(best, ((performance.now() - started) * 1000) / (rounds * inputs.length));
  }
  console.log(`${label.padEnd(52)} ${best.toFixed(1).padStart(9)} µs/message`);
}

/** One pupil's messages in one conversation: each is read with the last ones (the window is full after three). */
function conversation(label: string, filter: ConfiguredFilter, inputs: string[], messages = MESSAGES): void {
  if (!windowModule) return console.log(`${label.padEnd(52)} ${'—'.padStart(9)}`);
  const recent = new windowModule.RecentMessages();
  let at = 0;
  time(label, filter, inputs, {
    ...pupil,
    recent,
    get at() {
      return (at += 1000);
    },
  }, messages);
}

const defaults = new ConfiguredFilter(makeConfig({}).settings.filters);
const heavy = new ConfiguredFilter(
  makeConfig({ settings: { filters: { profanity: 'mask', block: Array.from({ length: 300 }, (_, i) => `word${i}*`), mask: ['*darn'], contactDetails: 'always' } } }).settings.filters,
);
time('ordinary messages, default filter, adults', defaults, ORDINARY, adult);
time('ordinary messages, default filter, school', defaults, ORDINARY, pupil);
time('ordinary French messages, school', defaults, ORDINARY_FR, pupil);
time('ordinary messages, 300 wildcard entries', heavy, ORDINARY, adult);
time('mixed chat, default filter, adults', defaults, MIXED, adult);
time('mixed chat, default filter, school', defaults, MIXED, pupil);
time('mixed chat, 300 wildcard entries', heavy, MIXED, adult);
time('numbers and dots in ordinary chat, school', defaults, NUMBERS, pupil);
time('disguised contact details, school (refused)', defaults, EVASIONS, pupil);
conversation('ordinary messages, school, read with the last ones', defaults, ORDINARY);
conversation('ordinary French messages, school, with the last ones', defaults, ORDINARY_FR);
conversation('mixed chat, school, read with the last ones', defaults, MIXED);
conversation('numbers and dots, school, read with the last ones', defaults, NUMBERS);
const leading = new ConfiguredFilter(
  makeConfig({ settings: { filters: { block: Array.from({ length: 300 }, (_, i) => `*word${i}`), mask: Array.from({ length: 300 }, (_, i) => `*wor${i}`) } } }).settings.filters,
);
time('hostile 1000-char messages, 300 entries', heavy, HOSTILE_INPUTS, adult, HOSTILE_MESSAGES);
time('hostile 1000-char messages, school', defaults, HOSTILE_INPUTS, pupil, HOSTILE_MESSAGES);
conversation('hostile 1000-char messages, school, with the last ones', defaults, HOSTILE_INPUTS, HOSTILE_MESSAGES);
time('hostile, 300 leading-wildcard entries', leading, HOSTILE_INPUTS, adult, HOSTILE_MESSAGES);
// The slowest single message: the figure that bounds how long one message can hold the loop.
let worst = { us: 0, input: '' };
for (const [filter, context] of [[heavy, adult], [leading, adult], [defaults, pupil]] as const) {
  for (const input of HOSTILE_INPUTS) {
    const started = performance.now();
    for (let i = 0; i < 20; i++) filter.check(input, context);
    const us = ((performance.now() - started) * 1000) / 20;
    if (us > worst.us) worst = { us, input: `${JSON.stringify(input.slice(0, 8))}… (${input.length} chars)` };
  }
}
console.log(`${'slowest hostile message'.padEnd(52)} ${worst.us.toFixed(1).padStart(9)} µs/message  ${worst.input}`);
