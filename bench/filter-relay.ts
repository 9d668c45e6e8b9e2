// Times the filter on the relay scenario's chat lines (bench/lib/context.ts SENTENCES), as the
// relay sends them: a community minor's messages read with the last ones, and an adult's.
// Usage: node bench/filter-relay.ts [messages]
import { ConfiguredFilter, type FilterContext } from '../server/moderation/filter.ts';
import { RecentMessages } from '../server/moderation/message-window.ts';
import { makeConfig } from '../server/config.ts';
import { SENTENCES } from './lib/context.ts';

const MESSAGES = Number(process.argv[2] ?? 200_000);
const filter = new ConfiguredFilter(makeConfig({}).settings.filters);
const recent = new RecentMessages();
let at = 0;
const minor: FilterContext = {
  band: 'minor',
  profile: 'community',
  recent,
  get at() {
    return (at += 10);
  },
};
const adult: FilterContext = { band: 'adult', profile: 'community' };
for (const [label, context] of [['community minor, with the last ones', minor], ['community adult', adult]] as const) {
  let best = Infinity;
  for (let repetition = 0; repetition < 5; repetition++) {
    const started = performance.now();
    for (let i = 0; i < MESSAGES; i++) filter.check(SENTENCES[i % SENTENCES.length]!, context);
    best = Math.min(best, ((performance.now() - started) * 1000) / MESSAGES);
  }
  console.log(`${label.padEnd(40)} ${best.toFixed(2).padStart(8)} µs/message`);
}
