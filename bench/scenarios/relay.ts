// Scenario 3, relay: `message` and `signal` frames between paired clients at fixed rates (1k and
// 5k per second), then stepped up to find the ceiling. Latency is one way, sender → partner,
// on the generator's single clock; a round trip is two of these. Frames of one direction arrive
// in order (one TCP connection each way, one server thread), so each receiver pops the send time
// of the oldest frame in flight towards it.
import type { ServerMessage } from '../../server/protocol/messages.ts';
import type { BenchContext, LoopDelay } from '../lib/context.ts';
import { candidate, isSentence, logWatch, SENTENCES, sessionDescription, loopDelayOf } from '../lib/context.ts';
import { CpuMeter, type CpuFigures } from '../lib/proc.ts';
import type { BenchClient, SettleResult } from '../lib/population.ts';
import { NumberQueue, sleep, summarize, waitFor, type Summary } from '../lib/stats.ts';

/** A step keeps up when ≥ 97 % of what was sent in it arrived in it and p99 stayed within this. */
export const RELAY_KEEP_UP_P99_MS = 50;
/** The share of a step's rate the generator must have sent for the step to count as the ceiling. */
const SUSTAINED_SHARE = 0.99;

export interface RelayStep {
  targetPerSec: number;
  sentPerSec: number;
  deliveredPerSec: number;
  sent: number;
  /** Frames that never arrived (after a 3 s drain). */
  lost: number;
  message: Summary;
  signal: Summary;
  eventLoop: LoopDelay;
  cpu: CpuFigures;
  /** Server CPU (user + system) per frame delivered in the step, in µs: the figure that holds on a busy machine. */
  serverCpuUsPerFrame: number;
  keptUp: boolean;
  /** The generator could not send at the rate asked: the step measures the generator, not the server. */
  generatorLimited: boolean;
}

export interface RelayResult {
  pairs: number;
  steps: RelayStep[];
  /**
   * The highest rate asked of a step that kept up: every frame it sent arrived, ≥ 97 % within the
   * step, p99 within RELAY_KEEP_UP_P99_MS, the generator at ≥ 99 % of the rate. Not the delivered
   * rate: that counts only what arrived before the step's end, so the frames still on the wire
   * then (a few ms of the rate) and the generator's last partial tick put it just under the asked
   * rate of a step that kept up fully (14,964–14,990/s at a 15,000 step).
   */
  ceilingPerSec: number | null;
  settle: SettleResult;
  /** Messages whose text arrived different from any sent, or frames out of order. */
  corrupted: number;
  errors: Record<string, number>;
  errorCount: number;
  crossedEnds: number;
}

const MESSAGE = 0;
const SIGNAL = 1;

export async function runRelay(ctx: BenchContext): Promise<RelayResult> {
  const { population, server, preset } = ctx;
  const { stepSeconds } = preset.relay;
  population.resetCounters();
  const logs = logWatch(server);
  const pairs = await pairUp(ctx, Math.min(preset.relay.pairs, Math.floor(population.openClients().length / 2)));
  const k = pairs.length;
  if (k === 0) throw new Error('relay: no conversation could be formed');
  ctx.log(`relay: ${k} video conversations formed`);

  /** side → its pair and side: queue `pair * 2 + side` holds frames travelling to that side. */
  const position = new Map<BenchClient, number>();
  pairs.forEach(([a, b], p) => {
    position.set(a, p * 2);
    position.set(b, p * 2 + 1);
  });
  const sentAt = Array.from({ length: k * 2 }, () => new NumberQueue());
  const kinds = Array.from({ length: k * 2 }, () => new NumberQueue());
  let inFlight = 0;
  let corrupted = 0;
  let window = { start: 0, end: Number.POSITIVE_INFINITY };
  let delivered = 0;
  let messageLatency: number[] = [];
  let signalLatency: number[] = [];

  population.handler = (client: BenchClient, message: ServerMessage) => {
    if (message.type !== 'message' && message.type !== 'signal') return;
    const now = performance.now();
    const q = position.get(client);
    if (q === undefined) return;
    const at = sentAt[q]!.shift();
    const kind = kinds[q]!.shift();
    if (at === undefined) {
      corrupted++;
      return;
    }
    inFlight--;
    const expected = message.type === 'message' ? MESSAGE : SIGNAL;
    if (kind !== expected || (message.type === 'message' && !isSentence(message.text))) corrupted++;
    if (at >= window.start && at < window.end) {
      (expected === MESSAGE ? messageLatency : signalLatency).push(now - at);
      if (now < window.end) delivered++;
    }
  };

  let rate = 0;
  let stepStart = 0;
  let sent = 0;
  const messageFrames = SENTENCES.map((text) => JSON.stringify({ type: 'message', text }));
  const signalFrames = [candidate(1), candidate(2), candidate(3), candidate(4), sessionDescription('offer')].map((data) => JSON.stringify({ type: 'signal', data }));
  const tick = () => {
    const now = performance.now();
    const due = Math.floor(((now - stepStart) / 1000) * rate);
    while (sent < due) {
      const e = sent++;
      const p = e % k;
      const round = Math.floor(e / k);
      const from = round & 1;
      // Messages and signals alternate frame by frame, so both kinds meet the same moments of the step.
      const kind = (e + round) & 1;
      const client = pairs[p]![from]!;
      const q = p * 2 + (1 - from);
      sentAt[q]!.push(now);
      kinds[q]!.push(kind);
      inFlight++;
      client.sendText(kind === MESSAGE ? messageFrames[e % messageFrames.length]! : signalFrames[e % signalFrames.length]!);
    }
  };

  const cpu = new CpuMeter(server.pid);
  const steps: RelayStep[] = [];
  const runStep = async (target: number): Promise<RelayStep> => {
    messageLatency = [];
    signalLatency = [];
    delivered = 0;
    await server.resetEventLoop();
    cpu.start();
    const cpuMsAtStart = server.cpuMs();
    rate = target;
    sent = 0;
    stepStart = performance.now();
    window = { start: stepStart, end: Number.POSITIVE_INFINITY };
    const timer = setInterval(tick, 1);
    await sleep(stepSeconds * 1000);
    clearInterval(timer);
    const end = performance.now();
    window = { start: stepStart, end };
    const [stats, used, cpuMsAtEnd] = [await server.stats(), cpu.read(), server.cpuMs()];
    await waitFor(() => inFlight === 0, 3000);
    const lost = inFlight;
    if (lost) {
      // Realign: what is still owed is written off, so later steps measure their own frames.
      for (const q of sentAt) q.clear();
      for (const q of kinds) q.clear();
      inFlight = 0;
    }
    const elapsed = (end - stepStart) / 1000;
    const message = summarize(messageLatency);
    const signal = summarize(signalLatency);
    const sentPerSec = Math.round(sent / elapsed);
    const deliveredPerSec = Math.round(delivered / elapsed);
    const generatorLimited = sentPerSec < target * 0.95;
    return {
      targetPerSec: target,
      sentPerSec,
      deliveredPerSec,
      sent,
      lost,
      message,
      signal,
      eventLoop: loopDelayOf(stats),
      cpu: used,
      serverCpuUsPerFrame: delivered ? Math.round(((cpuMsAtEnd - cpuMsAtStart) * 1000) / delivered) : 0,
      keptUp: !generatorLimited && lost === 0 && delivered >= sent * 0.97 && Math.max(message.p99, signal.p99) <= RELAY_KEEP_UP_P99_MS,
      generatorLimited,
    };
  };

  for (const target of preset.relay.fixedRates) {
    const step = await runStep(target);
    steps.push(step);
    report(ctx, step);
  }
  for (const target of preset.relay.ceilingRates) {
    const step = await runStep(target);
    steps.push(step);
    report(ctx, step);
    if (!step.keptUp) break;
  }

  const settle = await population.settle(server);
  population.handler = () => {};
  const kept = steps.filter((s) => s.keptUp);
  const sustained = kept.filter((s) => s.sentPerSec >= s.targetPerSec * SUSTAINED_SHARE);
  const errors = { ...population.errors.counts };
  if (logs.errors()) errors['server_log:error'] = logs.errors();
  return {
    pairs: k,
    steps,
    ceilingPerSec: sustained.length ? Math.max(...sustained.map((s) => s.targetPerSec)) : null,
    settle,
    corrupted,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0) + corrupted + settle.leaked,
    crossedEnds: population.crossedEnds,
  };
}

function report(ctx: BenchContext, s: RelayStep): void {
  ctx.log(
    `relay: ${s.targetPerSec}/s → sent ${s.sentPerSec}/s delivered ${s.deliveredPerSec}/s, message p50 ${s.message.p50} p99 ${s.message.p99} ms, signal p99 ${s.signal.p99} ms, loop p99 ${s.eventLoop.p99} ms (GC max ${s.eventLoop.gc?.maxMs} ms ${s.eventLoop.gc?.maxKind}, ${s.eventLoop.gc?.count} pauses), cpu server ${s.cpu.server} generator ${s.cpu.generator} others ${s.cpu.others}, server ${s.serverCpuUsPerFrame} µs/frame${s.keptUp ? '' : ' (did not keep up)'}`,
  );
}

/** Pairs the first 2k open clients in video mode (signals need it); returns the pairs formed. */
async function pairUp(ctx: BenchContext, k: number): Promise<Array<[BenchClient, BenchClient]>> {
  const { population } = ctx;
  const clients = population.openClients().slice(0, k * 2);
  const first = new Map<string, BenchClient>();
  const pairs: Array<[BenchClient, BenchClient]> = [];
  const matched = new Set<BenchClient>();
  population.handler = (client, message) => {
    if (message.type !== 'matched') return;
    matched.add(client);
    const other = first.get(message.conversationId);
    if (!other) first.set(message.conversationId, client);
    else {
      first.delete(message.conversationId);
      pairs.push([other, client]);
    }
  };
  for (const client of clients) client.send({ type: 'find', mode: 'video' });
  // At most one person per queue (band) can be left without a partner.
  await waitFor(() => matched.size >= clients.length - 2 && first.size === 0, 10_000);
  for (const client of clients) if (!matched.has(client)) client.send({ type: 'leave' });
  population.handler = () => {};
  return pairs;
}
