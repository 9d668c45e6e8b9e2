// Times the message filter on ordinary and hostile messages (the per-message cost sits on the
// relay's hot path). Usage: node bench/filter.ts
import { ConfiguredFilter } from '../server/moderation/filter.ts';
import { makeConfig } from '../server/config.ts';
import { HOSTILE_INPUTS } from '../test/helpers/hostile-inputs.ts';

const ROUNDS = 200;
const ORDINARY = ['hi! what are you listening to?', 'I like chess and music, you?', 'lol same, my cat does that too'];
const adult = { band: 'adult' as const, profile: 'community' as const };

function time(label: string, filter: ConfiguredFilter, inputs: string[]): void {
  for (const input of inputs) filter.check(input, adult);
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) for (const input of inputs) filter.check(input, adult);
  const perMessageUs = ((performance.now() - started) * 1000) / (ROUNDS * inputs.length);
  console.log(`${label.padEnd(40)} ${perMessageUs.toFixed(1).padStart(9)} µs/message`);
}

const defaults = new ConfiguredFilter(makeConfig({}).settings.filters);
const heavy = new ConfiguredFilter(
  makeConfig({ settings: { filters: { profanity: 'mask', block: Array.from({ length: 300 }, (_, i) => `word${i}*`), mask: ['*darn'], contactDetails: 'always' } } }).settings.filters,
);
time('ordinary messages, default filter', defaults, ORDINARY);
time('ordinary messages, 300 wildcard entries', heavy, ORDINARY);
time('hostile 1000-char messages, 300 entries', heavy, HOSTILE_INPUTS);
