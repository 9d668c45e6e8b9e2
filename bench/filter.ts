// Times the message filter on ordinary and hostile messages (the per-message cost sits on the
// relay's hot path). Each line is the best of a few repetitions: on a shared machine the best
// run is the one least disturbed by other work. Usage: node bench/filter.ts
import { ConfiguredFilter } from '../server/moderation/filter.ts';
import { makeConfig } from '../server/config.ts';
import { HOSTILE_INPUTS } from '../test/helpers/hostile-inputs.ts';

/** Messages timed per repetition, whatever the number of inputs: enough for the JIT to settle. */
const MESSAGES = 30_000;
const HOSTILE_MESSAGES = 700;
const REPETITIONS = 5;
const ORDINARY = ['hi! what are you listening to?', 'I like chess and music, you?', 'lol same, my cat does that too'];
/** Closer to real chat: short lines, emoji, other scripts, accents, a near miss ("assume") and a masked word. */
const MIXED = [
  'hi', 'hey', 'm or f?', 'lol', 'where are you from?', 'haha 😂😂 same', 'ça va? très bien', 'привет, как дела?',
  '你好，你喜欢什么音乐？', 'I assume you play guitar', 'what the fuck', 'ok bye 👋', 'nice, I do too!!', 'brb',
];
const adult = { band: 'adult' as const, profile: 'community' as const };

function time(label: string, filter: ConfiguredFilter, inputs: string[], messages = MESSAGES): void {
  const rounds = Math.ceil(messages / inputs.length);
  let best = Infinity;
  for (let repetition = 0; repetition < REPETITIONS; repetition++) {
    const started = performance.now();
    for (let round = 0; round < rounds; round++) for (const input of inputs) filter.check(input, adult);
    best = Math.min(best, ((performance.now() - started) * 1000) / (rounds * inputs.length));
  }
  console.log(`${label.padEnd(40)} ${best.toFixed(1).padStart(9)} µs/message`);
}

const defaults = new ConfiguredFilter(makeConfig({}).settings.filters);
const heavy = new ConfiguredFilter(
  makeConfig({ settings: { filters: { profanity: 'mask', block: Array.from({ length: 300 }, (_, i) => `word${i}*`), mask: ['*darn'], contactDetails: 'always' } } }).settings.filters,
);
time('ordinary messages, default filter', defaults, ORDINARY);
time('ordinary messages, 300 wildcard entries', heavy, ORDINARY);
time('mixed chat, default filter', defaults, MIXED);
time('mixed chat, 300 wildcard entries', heavy, MIXED);
const leading = new ConfiguredFilter(
  makeConfig({ settings: { filters: { block: Array.from({ length: 300 }, (_, i) => `*word${i}`), mask: Array.from({ length: 300 }, (_, i) => `*wor${i}`) } } }).settings.filters,
);
time('hostile 1000-char messages, 300 entries', heavy, HOSTILE_INPUTS, HOSTILE_MESSAGES);
time('hostile, 300 leading-wildcard entries', leading, HOSTILE_INPUTS, HOSTILE_MESSAGES);
// The slowest single message: the figure that bounds how long one message can hold the loop.
let worst = { us: 0, input: '' };
for (const filter of [heavy, leading]) {
  for (const input of HOSTILE_INPUTS) {
    const started = performance.now();
    for (let i = 0; i < 20; i++) filter.check(input, adult);
    const us = ((performance.now() - started) * 1000) / 20;
    if (us > worst.us) worst = { us, input: `${JSON.stringify(input.slice(0, 8))}… (${input.length} chars)` };
  }
}
console.log(`${'slowest hostile message'.padEnd(40)} ${worst.us.toFixed(1).padStart(9)} µs/message  ${worst.input}`);
