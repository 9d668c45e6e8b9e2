// Times each hostile message alone, warm, for a pupil (the `school` profile, the minors' band: every
// contact-detail rule runs), with and without the sender's last messages: the figure that bounds
// what one message can make the server spend. `--profile` repeats the slowest one under a CPU
// profile (node --cpu-prof) so its cost can be read by function.
//
//   node bench/filter-hostile.ts
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/filter-hostile.ts --only 2 --runs 2000
import { parseArgs } from 'node:util';
import { ConfiguredFilter, type FilterContext } from '../server/moderation/filter.ts';
import { makeConfig } from '../server/config.ts';
import { RecentMessages } from '../server/moderation/message-window.ts';
import { HOSTILE_INPUTS } from '../test/helpers/hostile-inputs.ts';

const { values } = parseArgs({ options: { only: { type: 'string' }, runs: { type: 'string' } } });
const WARM = 30;
/**
 * Each message is timed alone, this many times, and the fastest run is kept: on a machine shared
 * with other work, a run of a few milliseconds is often not interrupted at all, where a block of
 * twenty almost always is.
 */
const SINGLE_RUNS = 200;

const filter = new ConfiguredFilter(makeConfig({}).settings.filters);
const pupil: FilterContext = { band: 'minor', profile: 'school' };
const inputs = values.only === undefined ? HOSTILE_INPUTS.map((input, i) => [i, input] as const) : [[Number(values.only), HOSTILE_INPUTS[Number(values.only)]!] as const];

/** A context with the window of the last messages, filled with the same message (a flood). */
function withWindow(): FilterContext {
  const recent = new RecentMessages();
  let at = 0;
  return {
    ...pupil,
    recent,
    get at() {
      return (at += 1000);
    },
  };
}

function best(input: string, context: () => FilterContext): number {
  const ctx = context();
  for (let i = 0; i < WARM; i++) filter.check(input, ctx);
  let fastest = Infinity;
  for (let r = 0; r < SINGLE_RUNS; r++) {
    const started = performance.now();
    filter.check(input, ctx);
    fastest = Math.min(fastest, (performance.now() - started) * 1000);
  }
  return fastest;
}

if (values.runs) {
  const runs = Number(values.runs);
  for (const [, input] of inputs) {
    const ctx = pupil;
    const started = performance.now();
    for (let i = 0; i < runs; i++) filter.check(input, ctx);
    console.log(`${runs} runs: ${(((performance.now() - started) * 1000) / runs).toFixed(1)} µs each`);
  }
} else {
  console.log(`${'input'.padEnd(28)} ${'alone'.padStart(10)} ${'with last'.padStart(10)}`);
  for (const [i, input] of inputs) {
    const label = `${i}: ${JSON.stringify(input.slice(0, 8))}… (${input.length})`;
    console.log(`${label.padEnd(28)} ${best(input, () => pupil).toFixed(1).padStart(7)} µs ${best(input, withWindow).toFixed(1).padStart(7)} µs`);
  }
}
