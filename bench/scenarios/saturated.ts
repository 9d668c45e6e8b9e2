// Scenario 7, saturated pairing (issue 19): a closed loop with no rate controller. N clients each
// ask again the moment their conversation is over — `find` → `matched` on both sides → the
// initiator's offer (≈1.2 KB of SDP) reaches the other side → that side sends `next` (it is queued
// again) and the initiator, told `ended`, sends `find` → … — so the server pairs as fast as it
// can. Time-to-paired is from the later of the two requests to the offer's arrival: everything the
// server does for one pairing (queue, match, TURN credentials, `matched` twice, the offer's
// validation, filter and relay), as the second person to arrive waits for it.
import type { ServerMessage } from '../../server/protocol/messages.ts';
import type { BenchContext, LoopDelay } from '../lib/context.ts';
import { logWatch, loopDelayOf } from '../lib/context.ts';
import { CpuMeter, type CpuFigures } from '../lib/proc.ts';
import type { BenchClient, SettleResult } from '../lib/population.ts';
import { round2, sleep, summarize, type Summary } from '../lib/stats.ts';

/** The bounds of issue 19 at 1,000 clients. */
export const SATURATED_TARGET_PAIRS_PER_SEC = 12_000;
export const SATURATED_P99_BOUND_MS = 100;

export interface SaturatedRun {
  /** Clients in the loop. */
  clients: number;
  seconds: number;
  /** Offers that reached their receiver during the measured span, per second. */
  pairsPerSec: number;
  pairs: number;
  timeToPaired: Summary;
  eventLoop: LoopDelay;
  cpu: CpuFigures;
  /**
   * Server CPU time per pairing (ms): the figure that survives a busy machine best, since a server
   * starved of its core pairs slower but spends about the same per pairing.
   */
  serverCpuMsPerPair: number;
  /** Server resident memory at the end of the span, MB. */
  rssMB: number;
  errors: Record<string, number>;
  errorCount: number;
  settle: SettleResult;
}

export interface SaturatedResult {
  runs: SaturatedRun[];
  errorCount: number;
}

/**
 * An audio-only browser offer, about 1.2 KB: the size a real first offer of a text-and-voice
 * client has. It is valid SDP with no candidate lines (trickle ICE sends them apart).
 */
export const COMPACT_OFFER_SDP = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS stream',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:sbkW',
  'a=ice-pwd:8yJrPcFQpYHhOmBZfRh9dH2b',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 1B:3E:1F:7D:DC:0A:56:6B:7C:49:9A:1C:6A:1E:E3:9B:1D:47:CF:8E:82:26:F8:15:50:29:AA:63:5E:7D:2F:11',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:stream audio0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:1001 cname:bench',
  'a=ssrc:1001 msid:stream audio0',
  '',
].join('\r\n');

const OFFER_FRAME = JSON.stringify({ type: 'signal', data: { type: 'offer', sdp: COMPACT_OFFER_SDP } });
const FIND_FRAME = JSON.stringify({ type: 'find', mode: 'video' });
const NEXT_FRAME = JSON.stringify({ type: 'next' });

export async function runSaturated(ctx: BenchContext): Promise<SaturatedResult> {
  const sizes = ctx.preset.saturated.clients;
  const runs: SaturatedRun[] = [];
  for (const size of sizes) {
    const open = ctx.population.openClients();
    if (open.length < size) ctx.log(`saturated: ${size} clients asked, ${open.length} connected: running with ${open.length}`);
    runs.push(await runLoop(ctx, open.slice(0, size)));
    if (open.length <= size) break;
  }
  return { runs, errorCount: runs.reduce((sum, run) => sum + run.errorCount, 0) };
}

async function runLoop(ctx: BenchContext, clients: BenchClient[]): Promise<SaturatedRun> {
  const { population, server, preset } = ctx;
  const { seconds, warmupSeconds } = preset.saturated;
  const n = clients.length;
  if (n < 4) throw new Error(`saturated pairing needs at least 4 connected clients, has ${n}`);
  population.resetCounters();
  const logs = logWatch(server);
  const indexOf = new Map<BenchClient, number>(clients.map((client, i) => [client, i]));
  /** When each client last asked (find or next). */
  const askedAt = new Float64Array(n);
  /** The partner of each client in its current conversation, -1 when none is known yet. */
  const partner = new Int32Array(n).fill(-1);
  /** The first side's `matched`, waiting for the second, by conversation id. */
  const firstSide = new Map<string, number>();
  let running = true;
  let recording = false;
  let pairs = 0;
  let samples: number[] = [];

  const ask = (i: number, frame: string) => {
    askedAt[i] = performance.now();
    partner[i] = -1;
    clients[i]!.sendText(frame);
  };

  population.handler = (client: BenchClient, message: ServerMessage) => {
    const i = indexOf.get(client);
    if (i === undefined) return;
    switch (message.type) {
      case 'matched': {
        const j = firstSide.get(message.conversationId);
        if (j === undefined) firstSide.set(message.conversationId, i);
        else {
          firstSide.delete(message.conversationId);
          partner[i] = j;
          partner[j] = i;
        }
        // The initiator offers at once: the other side may not have read its `matched` yet.
        if (message.initiator && running) client.sendText(OFFER_FRAME);
        return;
      }
      case 'signal': {
        // The receiver of the offer: the pairing is complete.
        const j = partner[i]!;
        if (recording && j >= 0) {
          samples.push(performance.now() - Math.max(askedAt[i]!, askedAt[j]!));
          pairs++;
        }
        if (running) ask(i, NEXT_FRAME);
        return;
      }
      case 'ended':
        if (message.by === 'stranger' && running) ask(i, FIND_FRAME);
        return;
    }
  };

  const cpu = new CpuMeter(server.pid);
  for (let i = 0; i < n; i++) ask(i, FIND_FRAME);
  await sleep(warmupSeconds * 1000);
  await server.resetEventLoop();
  cpu.start();
  const cpuMsBefore = server.cpuMs();
  const startedAt = performance.now();
  recording = true;
  await sleep(seconds * 1000);
  recording = false;
  const elapsed = (performance.now() - startedAt) / 1000;
  const serverCpuMs = server.cpuMs() - cpuMsBefore;
  const [stats, used] = [await server.stats(), cpu.read()];
  const rssMB = round2(server.rss() / 2 ** 20);
  running = false;
  await sleep(300);
  const settle = await population.settle(server);
  population.handler = () => {};
  const errors = { ...population.errors.counts };
  if (logs.errors()) errors['server_log:error'] = logs.errors();
  const run: SaturatedRun = {
    clients: n,
    seconds: round2(elapsed),
    pairsPerSec: Math.round(pairs / elapsed),
    pairs,
    timeToPaired: summarize(samples),
    eventLoop: loopDelayOf(stats),
    cpu: used,
    serverCpuMsPerPair: pairs ? Math.round((serverCpuMs / pairs) * 1000) / 1000 : 0,
    rssMB,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0) + settle.leaked,
    settle,
  };
  samples = [];
  ctx.log(
    `saturated: ${n} clients → ${run.pairsPerSec} pairs/s, time-to-paired p50 ${run.timeToPaired.p50} p99 ${run.timeToPaired.p99} ms, cpu server ${used.server} generator ${used.generator} (server ${run.serverCpuMsPerPair} ms per pairing), RSS ${rssMB} MB, errors ${run.errorCount}`,
  );
  return run;
}
