// The load harness at smoke size (a few hundred clients, each scenario for a second or so) against
// a real `strangerchat start`, so bench/ never rots. It asserts that the harness measured
// something sane with zero errors and zero leaks, never a performance target: CI machines vary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { runBench } from '../../bench/lib/bench.ts';
import { HttpClient, sourceAddresses } from '../../bench/lib/http.ts';
import { Population } from '../../bench/lib/population.ts';
import { PRESETS } from '../../bench/lib/presets.ts';
import { renderResults } from '../../bench/lib/render.ts';
import type { BenchResults } from '../../bench/lib/results.ts';
import { benchTempDir, build, isBuilt, snapshotPackage, startServer, writeBenchInstance, type ServerProcess } from '../../bench/lib/server.ts';
import { waitFor } from '../../bench/lib/stats.ts';
import { END_MARKER, spliceResults, START_MARKER } from '../../bench/report.ts';
import { rmSync } from 'node:fs';

const preset = PRESETS.smoke;
let results: BenchResults;
const progress: string[] = [];

test.before(async () => {
  // `npm test` builds first; a bare `node scripts/run-tests.ts load` on a fresh clone may not have.
  if (!isBuilt()) build();
  results = await runBench({ preset, log: (line) => progress.push(line) });
});

const context = () => `\n${progress.join('\n')}`;

test('the run completes every scenario and the server stops cleanly with nobody left online', () => {
  assert.equal(results.failures, [], `scenarios failed:${context()}`);
  assert.equal(Object.keys(results.scenarios).sort(), ['churn', 'http', 'idle', 'pairing', 'relay', 'saturated', 'startup']);
  assert.equal(results.final?.onlineAfterClose, 0);
  assert.equal(results.final?.serverExitCode, 0);
  assert.equal(results.final?.serverLogErrors, 0, 'the server logged errors');
});

test('idle: every client connects and survives two heartbeats; memory grows with them', () => {
  const idle = results.scenarios.idle!;
  assert.equal(idle.connected, preset.clients);
  assert.equal(idle.onlineAfterHold, preset.clients, 'the server lost clients during the hold');
  assert.equal(idle.errors, {});
  assert.ok(idle.baseline.rssMB > 10 && idle.loaded.rssMB > 10, `RSS read from /proc: ${idle.baseline.rssMB} → ${idle.loaded.rssMB} MB`);
  assert.ok(idle.loaded.heapUsedMB > idle.baseline.heapUsedMB, 'connections cost no heap: the GC figures are not read');
  assert.ok(idle.perThousand.heapMB > 0 && idle.perThousand.heapMB < 1000, `heap per 1,000: ${idle.perThousand.heapMB} MB`);
});

test('pairing: pairs form at no more than the rate asked, time-to-match is ordered, nothing is left queued', () => {
  const pairing = results.scenarios.pairing!;
  assert.ok(pairing.steps.length >= 1);
  for (const step of pairing.steps) {
    assert.ok(step.pairs > 0, `no pair at ${step.targetPairsPerSec}/s`);
    // The rate controller owes at most the rate asked; more means the count is wrong.
    assert.ok(step.achievedPairsPerSec <= step.targetPairsPerSec * 1.2, `${step.achievedPairsPerSec} pairs/s for ${step.targetPairsPerSec} asked`);
    const t = step.timeToMatch;
    assert.ok(t.count === step.pairs && t.p50 > 0 && t.p50 <= t.p99 && t.p99 <= t.max, `time-to-match ${JSON.stringify(t)}`);
    assert.ok(step.eventLoop.samples > 0 && step.eventLoop.p99 >= 0 && step.eventLoop.p99 <= step.eventLoop.max, `event loop ${JSON.stringify(step.eventLoop)}`);
  }
  assert.equal(pairing.settle.leaked, 0, `leaked: ${JSON.stringify(pairing.settle)}`);
  assert.equal(pairing.errors, {});
});

test('saturated pairing: each loop size pairs, every pairing is timed once, nothing is left behind', () => {
  const saturated = results.scenarios.saturated!;
  assert.equal(saturated.runs.map((run) => run.clients), preset.saturated.clients);
  for (const run of saturated.runs) {
    assert.ok(run.pairs > 0 && run.pairsPerSec > 0, `no pairing with ${run.clients} clients`);
    // A closed loop of N people completes at most N/2 pairings at a time: more means double counting.
    const t = run.timeToPaired;
    assert.is(t.count, run.pairs);
    assert.ok(t.p50 > 0 && t.p50 <= t.p99 && t.p99 <= t.max, `time-to-paired ${JSON.stringify(t)}`);
    assert.ok(run.cpu.server > 0, 'server CPU read from /proc');
    assert.ok(run.rssMB > 10, `server RSS ${run.rssMB} MB`);
    assert.equal(run.errors, {});
    assert.is(run.settle.leaked, 0, `leaked: ${JSON.stringify(run.settle)}`);
  }
  assert.is(saturated.errorCount, 0);
});

test('relay: every message and signal arrives intact and in order', () => {
  const relay = results.scenarios.relay!;
  assert.ok(relay.pairs >= preset.relay.pairs * 0.9, `only ${relay.pairs} conversations formed`);
  for (const step of relay.steps) {
    assert.ok(step.sent > 0);
    assert.is(step.lost, 0, `${step.lost} frames lost at ${step.targetPerSec}/s`);
    assert.ok(step.message.count > 0 && step.signal.count > 0, 'both kinds measured');
    assert.ok(step.message.p50 > 0 && step.message.p50 <= step.message.p99);
    assert.ok(step.deliveredPerSec <= step.sentPerSec * 1.05, 'more delivered than sent');
  }
  assert.is(relay.corrupted, 0);
  assert.equal(relay.errors, {});
  assert.is(relay.settle.leaked, 0);
});

test('churn: every kind of event happens, with zero errors and zero leaked queue entries or conversations', () => {
  const churn = results.scenarios.churn!;
  for (const key of ['finds', 'nexts', 'leaves', 'matches', 'messagesSent', 'messagesReceived', 'signalsSent', 'signalsReceived', 'reports', 'reportedAcks', 'reconnects']) {
    assert.ok((churn.actions[key] ?? 0) > 0, `no ${key} in the mix: ${JSON.stringify(churn.actions)}`);
  }
  assert.equal(churn.errors, {}, `errors: ${JSON.stringify(churn.errors)} ${churn.serverLogSample.join('\n')}`);
  assert.is(churn.invariantViolations, 0);
  assert.is(churn.ghostMatches, 0, 'matched with someone who had already gone');
  assert.is(churn.settle.leaked, 0, `leaked: ${JSON.stringify(churn.settle)}`);
  assert.is(churn.settle.online, churn.population, 'reconnected people are all online again');
});

test('http: both endpoints answer only with their success status', () => {
  const http = results.scenarios.http!;
  for (const endpoint of [http.config, http.session]) {
    assert.ok(endpoint.requests > 0 && endpoint.perSec > 0);
    assert.equal(endpoint.unexpected, {});
    assert.is(endpoint.failures, 0);
  }
});

test('start-up: each case reaches a healthy /healthz; the populated database holds the rows', () => {
  const startup = results.scenarios.startup!;
  for (const c of [startup.fresh, startup.empty, startup.populated]) assert.ok(c.median > 0 && c.median < 60_000, `start-up ${c.median} ms`);
  assert.is(startup.bans, preset.startup.bans);
  assert.ok(startup.activeBans > 0 && startup.activeBans < startup.bans);
  assert.ok(startup.databaseMB > 0);
  assert.is(startup.errorCount, 0);
});

test('the targets table and the report render from the results', () => {
  assert.is(results.targets.length, 9);
  const rendered = renderResults(JSON.parse(JSON.stringify(results)) as BenchResults);
  for (const heading of ['### Targets', '### 1. Idle', '### 2. Pairing', '### 2b. Saturated pairing', '### 3. Relay', '### 4. Churn', '### 5. HTTP', '### 6. Start-up']) {
    assert.ok(rendered.includes(heading), `missing ${heading}`);
  }
  const doc = `# Doc\n\n${START_MARKER}\nold figures\n${END_MARKER}\n\nafter\n`;
  const spliced = spliceResults(doc, rendered);
  assert.not.ok(spliced.includes('old figures'));
  assert.ok(spliced.includes('### Targets') && spliced.endsWith(`${END_MARKER}\n\nafter\n`));
});

// The checks above can only fail if the harness can see a leak and an error: prove both.
test('the leak check and the error tally see what they must', async () => {
  const dir = benchTempDir();
  writeBenchInstance(dir, { heartbeatMs: 30_000 });
  const pkg = await snapshotPackage();
  let server: ServerProcess | undefined;
  let client: HttpClient | undefined;
  let population: Population | undefined;
  let outsider: WebSocket | undefined;
  try {
    server = await startServer({ dir, packageRoot: pkg.root });
    client = new HttpClient(server.url);
    population = new Population({ baseUrl: server.url, addresses: sourceAddresses(1), http: client });
    await population.grow(2);
    population.clients[0]!.send({ type: 'nonsense' });
    await waitFor(() => population!.errors.total > 0, 3000);
    assert.equal(population.errors.counts, { 'error:unknown_type': 1 });
    // A socket the generator does not hold, queued: leave from everyone else cannot clear it.
    const res = await client.send('POST', '/api/session', { body: JSON.stringify({ acceptRules: true, age: 30 }) });
    const { ticket } = JSON.parse(res.body) as { ticket: string };
    outsider = new WebSocket(`${server.url.replace('http', 'ws')}/ws?ticket=${ticket}`);
    await new Promise((resolve) => outsider!.once('message', resolve));
    outsider.send(JSON.stringify({ type: 'find', mode: 'text' }));
    await waitFor(async () => (await server!.stats()).hub.queued === 1, 3000);
    const settle = await population.settle(server, 500);
    assert.is(settle.queued, 1);
    assert.is(settle.leaked, 2, 'one queue entry and one connection the generator does not know');
  } finally {
    population?.closeAll();
    client?.close();
    outsider?.terminate();
    await server?.stop();
    pkg.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
