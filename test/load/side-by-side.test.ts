// The side-by-side run (bench/side-by-side.ts) at a tiny size, so it never rots: every server —
// strangerchat and the reference peers — pairs under the same generator with zero errors and
// zero leaks, and the reference peers hold to the protocol subset the generator relies on; and
// the relay scenario runs against each peer (`bench/run.ts relay --peer NAME`, the relay's floor).
// It asserts no performance figure: CI machines vary.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import type { ServerMessage } from '../../server/protocol/messages.ts';
import { HttpClient, sourceAddresses } from '../../bench/lib/http.ts';
import { Population, type BenchClient } from '../../bench/lib/population.ts';
import { benchTempDir, build, isBuilt, ROOT, snapshotPackage, startServer, type ServerProcess } from '../../bench/lib/server.ts';
import { waitFor } from '../../bench/lib/stats.ts';
import { runBench } from '../../bench/lib/bench.ts';
import { PRESETS } from '../../bench/lib/presets.ts';
import {
  parseStraceCounts,
  REFERENCE_PEERS,
  renderSideBySide,
  runSideBySide,
  SIDE_BY_SIDE_SERVERS,
  type SideBySideResult,
} from '../../bench/scenarios/side-by-side.ts';

const CLIENTS = 40;
let result: SideBySideResult;
const progress: string[] = [];

test.before(async () => {
  if (!isBuilt()) build();
  const snapshot = await snapshotPackage();
  try {
    result = await runSideBySide({
      servers: SIDE_BY_SIDE_SERVERS,
      clients: [CLIENTS],
      // Two asked, one run: the time box (already past) must stop the second round.
      rounds: 2,
      deadline: performance.now(),
      seconds: 0.7,
      warmupSeconds: 0.3,
      addresses: 2,
      packageRoot: snapshot.root,
      log: (line) => progress.push(line),
    });
  } finally {
    snapshot.remove();
  }
});

const context = () => `\n${progress.join('\n')}`;

test('every server pairs under the same generator, each pairing timed once, with no error and no leak', () => {
  assert.equal(result.failures, [], `failures:${context()}`);
  assert.equal(result.runs.map((run) => run.server).sort(), [...SIDE_BY_SIDE_SERVERS].sort());
  for (const run of result.runs) {
    assert.is(run.clients, CLIENTS);
    assert.ok(run.pairs > 0 && run.pairsPerSec > 0, `${run.server} paired nobody${context()}`);
    assert.is(run.timeToPaired.count, run.pairs, `${run.server}: every pairing timed once`);
    assert.equal(run.errors, {}, `${run.server}: ${JSON.stringify(run.errors)}`);
    assert.is(run.settle.leaked, 0, `${run.server} leaked: ${JSON.stringify(run.settle)}`);
    assert.ok(run.serverCpuMsPerPair > 0 && run.rssMB > 10, `${run.server}: CPU and RSS read from /proc`);
    // A pairing takes three frames in and at least two writes out: fewer means /proc/<pid>/io was not read.
    assert.ok(run.syscalls.readsPerPair >= 1 && run.syscalls.writesPerPair >= 1, `${run.server} syscalls ${JSON.stringify(run.syscalls)}`);
  }
  assert.is(result.errorCount, 0);
  assert.equal(result.rounds, { asked: 2, run: 1 }, 'the time box did not end the run');
  const table = renderSideBySide(result);
  for (const name of SIDE_BY_SIDE_SERVERS) assert.ok(table.includes(`| ${name} |`), `no row for ${name}`);
  assert.ok(table.includes('Rounds: 1 of 2'), 'the table says the run was cut short');
});

test('strace -c output is read into calls by name, most frequent first, without the total', () => {
  const sample = [
    '% time     seconds  usecs/call     calls    errors syscall',
    '------ ----------- ----------- --------- --------- ----------------',
    ' 61.20    0.512345          12     41000           writev',
    ' 20.10    0.100000           5     20000       120 read',
    '  9.00    0.050000           2     25000           epoll_wait',
    '------ ----------- ----------- --------- --------- ----------------',
    '100.00    0.662345           7     86000       120 total',
  ].join('\n');
  assert.equal(parseStraceCounts(sample), [
    ['writev', 41000],
    ['epoll_wait', 25000],
    ['read', 20000],
  ]);
});

for (const peer of REFERENCE_PEERS) {
  test(`${peer}: the relay scenario relays chat messages and signals as sent, none lost, corrupted or misordered`, async () => {
    const lines: string[] = [];
    const results = await runBench({
      preset: { ...PRESETS.smoke, clients: 60, addresses: 2, relay: { pairs: 20, fixedRates: [200], ceilingRates: [400], stepSeconds: 0.7 } },
      scenarios: ['relay'],
      peer,
      log: (line) => lines.push(line),
    });
    const relay = results.scenarios.relay;
    assert.equal(results.failures, [], lines.join('\n'));
    assert.ok(relay, 'the relay ran');
    assert.is(relay!.pairs, 20);
    assert.is(relay!.corrupted, 0);
    assert.is(relay!.errorCount, 0, JSON.stringify(relay!.errors));
    for (const step of relay!.steps) {
      assert.is(step.lost, 0, `${step.targetPerSec}/s lost ${step.lost}`);
      assert.ok(step.message.count > 0 && step.signal.count > 0, 'both kinds were relayed');
      assert.ok(step.serverCpuUsPerFrame > 0, 'CPU per frame read from /proc');
    }
    assert.is(results.final?.onlineAfterClose, 0);
  });
}

// The generator's loop trusts these peers to answer as strangerchat does; check it directly.
for (const [name, command] of [
  ['ws-floor', [join(ROOT, 'bench', 'peers', 'ws.ts')]],
  ['ws-corked', [join(ROOT, 'bench', 'peers', 'ws.ts'), '--cork']],
  ['ws-validated', [join(ROOT, 'bench', 'peers', 'ws.ts'), '--validate']],
  ['peerjs', [join(ROOT, 'bench', 'peers', 'peerjs.ts')]],
] as const) {
  test(`${name}: one initiator, the offer relayed byte for byte, next ends both sides, a used ticket is refused`, async () => {
    const dir = benchTempDir();
    let server: ServerProcess | undefined;
    let http: HttpClient | undefined;
    let population: Population | undefined;
    try {
      server = await startServer({ dir, command: [...command] });
      http = new HttpClient(server.url);
      population = new Population({ baseUrl: server.url, addresses: sourceAddresses(1), http });
      await population.grow(2);
      const heard: Array<{ slot: number; message: ServerMessage; raw: string }> = [];
      population.handler = (client: BenchClient, message: ServerMessage) => heard.push({ slot: client.slot, message, raw: JSON.stringify(message) });
      const [a, b] = [population.clients[0]!, population.clients[1]!];
      a.sendText(JSON.stringify({ type: 'signal', data: { type: 'offer', sdp: 'v=0' } }));
      await waitFor(() => heard.length >= 1, 3000);
      assert.equal(heard[0]!.message, { type: 'error', code: 'not_matched', message: 'You are not in a conversation.' });
      heard.length = 0;
      a.sendText('{"type":"find","mode":"video"}');
      b.sendText('{"type":"find","mode":"video"}');
      await waitFor(() => heard.filter((h) => h.message.type === 'matched').length === 2, 3000);
      const matched = heard.filter((h) => h.message.type === 'matched').map((h) => ({ slot: h.slot, ...(h.message as Extract<ServerMessage, { type: 'matched' }>) }));
      assert.is(matched[0]!.conversationId, matched[1]!.conversationId);
      assert.is(matched.filter((m) => m.initiator).length, 1, 'exactly one initiator');
      const initiator = matched.find((m) => m.initiator)!.slot === 0 ? a : b;
      const other = initiator === a ? b : a;
      const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
      initiator.sendText(JSON.stringify({ type: 'signal', data: offer }));
      await waitFor(() => heard.some((h) => h.message.type === 'signal'), 3000);
      const signal = heard.find((h) => h.message.type === 'signal')!;
      assert.is(signal.slot, other.slot);
      assert.equal(signal.message, { type: 'signal', data: offer });
      other.sendText('{"type":"next"}');
      await waitFor(() => heard.filter((h) => h.message.type === 'ended').length === 2, 3000);
      const ended = heard.filter((h) => h.message.type === 'ended').map((h) => ({ slot: h.slot, by: (h.message as { by: string }).by }));
      assert.equal(ended.sort((x, y) => x.slot - y.slot), [
        { slot: a.slot, by: other === a ? 'self' : 'stranger' },
        { slot: b.slot, by: other === b ? 'self' : 'stranger' },
      ]);
      population.handler = () => {};
      const settled = await population.settle(server);
      assert.is(settled.leaked, 0, `leaked ${JSON.stringify(settled)}`);
      if (name !== 'peerjs') {
        // PeerJS has no tickets (an id and its token reconnect); the ws peers take each once.
        const res = await http.send('POST', '/api/session', { body: '{}' });
        const { ticket } = JSON.parse(res.body) as { ticket: string };
        const url = `${server.url.replace('http', 'ws')}/ws?ticket=${ticket}`;
        const first = new WebSocket(url);
        await new Promise((resolve, reject) => first.once('message', resolve).once('error', reject));
        first.terminate();
        const second = new WebSocket(url);
        const status = await new Promise<number>((resolve) => {
          second.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          second.once('open', () => resolve(101));
          second.once('error', () => {});
        });
        second.terminate();
        assert.is(status, 401, 'a used ticket opens no socket');
      }
    } finally {
      population?.closeAll();
      http?.close();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
