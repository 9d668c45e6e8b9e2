// The two-node scenario (issue 16): two real `strangerchat start` processes on one private
// PostgreSQL and one private Redis, real `ws` clients, every pair split across the nodes. It
// measures pairs per second and the time to match across nodes, then the relay latency across
// nodes (ping-pong in many pairs at once), and prints the figures for docs/benchmarks.md.
//
//   node bench/cluster.ts [--pairs N] [--relay-pairs N] [--messages N] [--no-build]
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { runBin, spawnStart } from '../test/helpers/cli.ts';
import { tempDir } from '../test/helpers/server.ts';
import { newPostgres } from '../test/helpers/postgres.ts';
import { newRedis } from '../test/helpers/redis.ts';
import { join as joinChat, type Person } from '../test/helpers/people.ts';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '400' },
    'relay-pairs': { type: 'string', default: '100' },
    messages: { type: 'string', default: '50' },
    wave: { type: 'string', default: '25' },
    'no-build': { type: 'boolean', default: false },
  },
});
const PAIRS = Number(values.pairs);
const RELAY_PAIRS = Number(values['relay-pairs']);
const MESSAGES = Number(values.messages);
const WAVE = Number(values.wave);

const ROOT = join(import.meta.dirname, '..');
if (!values['no-build']) execFileSync(join(ROOT, 'scripts/build.sh'), { stdio: 'inherit' });

const WORDS = ['apple', 'river', 'cloud', 'stone', 'maple', 'tiger', 'ocean', 'piano', 'lemon', 'comet', 'grape', 'frost', 'eagle', 'amber', 'cedar', 'delta'];
let addresses = 0;
const nextAddress = () => `198.${18 + Math.floor(addresses / 62500)}.${Math.floor((addresses % 62500) / 250)}.${(addresses++ % 250) + 1}`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const summary = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
};
const fmt = (s: ReturnType<typeof summary>) => `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (n=${s.n})`;

const [postgres, redis] = await Promise.all([newPostgres(), newRedis()]);
const here = tempDir('strangerchat-bench-cluster-');
const nodes: Awaited<ReturnType<typeof spawnStart>>[] = [];
const people: Person[] = [];
try {
  const made = await runBin(['init', 'chat', '--yes', '--port', '0'], { cwd: here });
  if (made.code !== 0) throw new Error(made.stderr);
  const dirA = join(here, 'chat');
  const file = join(dirA, 'strangerchat.json');
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  settings.trustedProxies = ['127.0.0.1'];
  writeFileSync(file, JSON.stringify(settings, null, 2));
  const dirB = join(here, 'chat-b');
  cpSync(dirA, dirB, { recursive: true });
  const env = { STRANGERCHAT_DATABASE_URL: postgres.url, STRANGERCHAT_REDIS_URL: redis.url, STRANGERCHAT_LOG_LEVEL: 'warn' };
  nodes.push(await spawnStart(['-C', dirA], { cwd: here, env: { ...env, STRANGERCHAT_NODE_ID: 'bench-a' } }));
  nodes.push(await spawnStart(['-C', dirB], { cwd: here, env: { ...env, STRANGERCHAT_NODE_ID: 'bench-b' } }));
  const [urlA, urlB] = [nodes[0]!.url, nodes[1]!.url];

  // --- Pairing across nodes ---
  const seekers: Person[] = [];
  const takers: Person[] = [];
  for (let i = 0; i < PAIRS; i++) {
    seekers.push(await joinChat(urlA, { address: nextAddress() }));
    takers.push(await joinChat(urlB, { address: nextAddress() }));
  }
  people.push(...seekers, ...takers);
  const matchTimes: number[] = [];
  // A wave's takers may take any of the wave's seekers (or each other): pairs are found again by conversation.
  const byConversation = new Map<string, Person[]>();
  const met = (conversationId: string, person: Person) => byConversation.set(conversationId, [...(byConversation.get(conversationId) ?? []), person]);
  const started = performance.now();
  for (let w = 0; w < PAIRS; w += WAVE) {
    const wave = Array.from({ length: Math.min(WAVE, PAIRS - w) }, (_, i) => w + i);
    // Seeker i and taker i share one interest of their own: the find pairs them (across the nodes)
    // before anyone else, so every conversation crosses nodes.
    for (const i of wave) seekers[i]!.send({ type: 'find', mode: 'text', interests: [`topic${i}`] });
    await Promise.all(wave.map((i) => seekers[i]!.next('queued', 20_000)));
    await Promise.all(
      wave.map(async (i) => {
        const sent = performance.now();
        takers[i]!.send({ type: 'find', mode: 'text', interests: [`topic${i}`] });
        const matched = await takers[i]!.next('matched', 20_000);
        matchTimes.push(performance.now() - sent);
        met(matched.conversationId, takers[i]!);
      }),
    );
    await Promise.all(
      wave.map(async (i) => {
        const matched = await seekers[i]!.next('matched', 20_000);
        met(matched.conversationId, seekers[i]!);
      }),
    );
  }
  const pairingSeconds = (performance.now() - started) / 1000;

  // --- Relay across nodes: ping-pong in RELAY_PAIRS pairs at once ---
  const relayTimes: number[] = [];
  const pairs = [...byConversation.values()].filter((side) => side.length === 2).slice(0, RELAY_PAIRS) as Array<[Person, Person]>;
  const crossNode = [...byConversation.values()].filter((side) => side.length === 2 && seekers.includes(side[0]!) !== seekers.includes(side[1]!)).length;
  await Promise.all(
    pairs.map(async ([a, b], i) => {
      for (let m = 0; m < MESSAGES; m++) {
        const [from, to] = m % 2 === 0 ? [a, b] : [b, a];
        const sent = performance.now();
        // Distinct texts: the filter holds back a message repeated over and over.
        from.send({ type: 'message', text: `hello ${WORDS[m % WORDS.length]} ${WORDS[Math.floor(m / WORDS.length) % WORDS.length]} ${i}` });
        const got = await Promise.race([to.next('message', 20_000), from.next('error', 20_000)]);
        if (got.type === 'error') throw new Error(`the relay refused a message: ${got.code}`);
        relayTimes.push(performance.now() - sent);
      }
    }),
  );

  const match = summary(matchTimes);
  const relay = summary(relayTimes);
  console.log(`two nodes, one PostgreSQL, one Redis (redis-server ${execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1]}), ${PAIRS} pairs split across the nodes in waves of ${WAVE}`);
  console.log(`${crossNode} of ${byConversation.size} conversations crossed nodes`);
  console.log(`pairs/s across nodes: ${(PAIRS / pairingSeconds).toFixed(0)} (${PAIRS} pairs in ${pairingSeconds.toFixed(2)} s, including each wave's queued round trip)`);
  console.log(`time to match across nodes (second find sent → both matched): ${fmt(match)}`);
  console.log(`relay across nodes (message sent → received on the other node, ${Math.min(RELAY_PAIRS, PAIRS)} pairs ping-ponging at once): ${fmt(relay)}`.replace(`${Math.min(RELAY_PAIRS, PAIRS)} pairs`, `${pairs.length} pairs`));
} finally {
  for (const p of people) p.close();
  for (const node of nodes) node.child.kill('SIGTERM');
  await Promise.all(nodes.map((node) => Promise.race([node.exited, new Promise((r) => setTimeout(r, 8000))])));
  await redis.stop();
  await postgres.stop();
  rmSync(here, { recursive: true, force: true });
}
