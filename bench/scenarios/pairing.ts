// Scenario 2, pairing: a steady rate of `find` / `next` over the connected population, stepped up
// until time-to-match p99 leaves 25 ms. Time-to-match is what the person who completes a pair
// waits: from the later of the two `find`s (or `next`s) to `matched` on both sides, seen by the
// clients. The earlier one's wait for a partner to arrive is the arrival rate, not the server.
import type { ServerMessage } from '../../server/protocol/messages.ts';
import type { BenchContext, LoopDelay } from '../lib/context.ts';
import { logWatch, loopDelayOf } from '../lib/context.ts';
import { CpuMeter, type CpuFigures } from '../lib/proc.ts';
import type { BenchClient, SettleResult } from '../lib/population.ts';
import { sleep, summarize, type Summary } from '../lib/stats.ts';

/** The time-to-match bound of issue 7. */
export const PAIRING_P99_BOUND_MS = 25;

export interface PairingStep {
  targetPairsPerSec: number;
  achievedPairsPerSec: number;
  /** find + next frames sent per second (two per pair when the server keeps up). */
  findsPerSec: number;
  pairs: number;
  timeToMatch: Summary;
  eventLoop: LoopDelay;
  /** Cores used: server (from /proc) and generator (this process). */
  cpu: CpuFigures;
  /** Events the generator could not send for lack of an idle or long-enough matched client. */
  starved: number;
}

export interface PairingResult {
  population: number;
  steps: PairingStep[];
  /** The highest rate whose p99 stayed within 25 ms while the server kept up (≥ 95 % of the rate). */
  bestPairsPerSec: number | null;
  settle: SettleResult;
  errors: Record<string, number>;
  errorCount: number;
  crossedEnds: number;
}

const IDLE = 0;
const FINDING = 1;
const QUEUED = 2;
const MATCHED = 3;

export async function runPairing(ctx: BenchContext): Promise<PairingResult> {
  const { population, server, preset } = ctx;
  const { rates, stepSeconds, warmupSeconds, minHoldMs } = preset.pairing;
  population.resetCounters();
  const logs = logWatch(server);
  const clients = population.openClients();
  const n = clients.length;
  if (n < 4) throw new Error(`pairing needs at least 4 connected clients, has ${n}`);
  const indexOf = new Map<BenchClient, number>(clients.map((client, i) => [client, i]));
  const state = new Uint8Array(n);
  const findAt = new Float64Array(n);
  const conversationOf = new Int32Array(n).fill(-1);
  const idle: number[] = clients.map((_, i) => i);
  /** The first side's `matched`, waiting for the second. */
  const halfMatched = new Map<string, number>();
  /** Conversations both sides know about, oldest first: candidates for `next`. */
  const ready: Array<{ a: number; b: number; serial: number; at: number }> = [];
  let readyHead = 0;
  let serial = 0;

  let recording = false;
  let samples: number[] = [];
  let pairsInStep = 0;

  population.handler = (client: BenchClient, message: ServerMessage) => {
    const i = indexOf.get(client);
    if (i === undefined) return;
    switch (message.type) {
      case 'queued':
        if (state[i] === FINDING) state[i] = QUEUED;
        return;
      case 'matched': {
        state[i] = MATCHED;
        const j = halfMatched.get(message.conversationId);
        if (j === undefined) {
          halfMatched.set(message.conversationId, i);
          return;
        }
        halfMatched.delete(message.conversationId);
        const now = performance.now();
        serial++;
        conversationOf[i] = serial;
        conversationOf[j] = serial;
        ready.push({ a: j, b: i, serial, at: now });
        if (recording) {
          samples.push(now - Math.max(findAt[i]!, findAt[j]!));
          pairsInStep++;
        }
        return;
      }
      case 'ended':
        // Only the partner of a `next` hears `ended` while still MATCHED; the actor is already FINDING.
        if (state[i] === MATCHED) {
          state[i] = IDLE;
          idle.push(i);
        }
        return;
    }
  };

  const send = (i: number, type: 'find' | 'next', now: number) => {
    const client = clients[i]!;
    client.send(type === 'find' ? { type: 'find', mode: i % 2 ? 'text' : 'video' } : { type: 'next' });
    state[i] = FINDING;
    findAt[i] = now;
  };
  const tryFind = (now: number): boolean => {
    while (idle.length) {
      const k = Math.floor(Math.random() * idle.length);
      const i = idle[k]!;
      idle[k] = idle[idle.length - 1]!;
      idle.pop();
      if (state[i] !== IDLE || !clients[i]!.open) continue;
      send(i, 'find', now);
      return true;
    }
    return false;
  };
  const tryNext = (now: number): boolean => {
    while (readyHead < ready.length) {
      const c = ready[readyHead]!;
      const alive = conversationOf[c.a] === c.serial && conversationOf[c.b] === c.serial && state[c.a] === MATCHED && state[c.b] === MATCHED;
      if (!alive) {
        readyHead++;
        continue;
      }
      if (now - c.at < minHoldMs) return false;
      readyHead++;
      send(Math.random() < 0.5 ? c.a : c.b, 'next', now);
      return true;
    }
    return false;
  };

  // The sender: a 1 ms tick sends what the rate owes since the step began, alternating the
  // preference between an idle person's `find` and a matched person's `next`.
  let rate = 0;
  let stepStart = performance.now();
  let sent = 0;
  let starved = 0;
  const tick = () => {
    const now = performance.now();
    const due = Math.floor(((now - stepStart) / 1000) * rate * 2);
    while (sent < due) {
      const ok = sent % 2 === 0 ? tryFind(now) || tryNext(now) : tryNext(now) || tryFind(now);
      if (!ok) starved++;
      sent++;
    }
    if (readyHead > 4096 && readyHead * 2 > ready.length) {
      ready.splice(0, readyHead);
      readyHead = 0;
    }
  };
  const timer = setInterval(tick, 1);
  const cpu = new CpuMeter(server.pid);
  const steps: PairingStep[] = [];
  try {
    const setRate = (pairsPerSec: number) => {
      rate = pairsPerSec;
      stepStart = performance.now();
      sent = 0;
      starved = 0;
    };
    setRate(rates[0]!);
    await sleep(warmupSeconds * 1000);
    let misses = 0;
    for (const target of rates) {
      setRate(target);
      samples = [];
      pairsInStep = 0;
      await server.resetEventLoop();
      cpu.start();
      recording = true;
      await sleep(stepSeconds * 1000);
      recording = false;
      const elapsed = (performance.now() - stepStart) / 1000;
      const [stats, used] = [await server.stats(), cpu.read()];
      const step: PairingStep = {
        targetPairsPerSec: target,
        achievedPairsPerSec: Math.round(pairsInStep / elapsed),
        findsPerSec: Math.round(sent / elapsed),
        pairs: pairsInStep,
        timeToMatch: summarize(samples),
        eventLoop: loopDelayOf(stats),
        cpu: used,
        starved,
      };
      steps.push(step);
      ctx.log(
        `pairing: ${target}/s → ${step.achievedPairsPerSec} pairs/s, time-to-match p50 ${step.timeToMatch.p50} p99 ${step.timeToMatch.p99} ms, loop p99 ${step.eventLoop.p99} ms (GC max ${step.eventLoop.gc?.maxMs} ms ${step.eventLoop.gc?.maxKind}), cpu server ${used.server} generator ${used.generator}`,
      );
      const keptUp = step.achievedPairsPerSec >= target * 0.95 && starved <= sent * 0.01;
      misses = step.timeToMatch.p99 <= PAIRING_P99_BOUND_MS && keptUp ? 0 : misses + 1;
      if (misses >= 2 || step.achievedPairsPerSec < target * 0.8) break;
    }
  } finally {
    clearInterval(timer);
  }
  await sleep(300);
  const settle = await population.settle(server);
  population.handler = () => {};
  const errors = { ...population.errors.counts };
  if (logs.errors()) errors['server_log:error'] = logs.errors();
  const met = steps.filter((s) => s.timeToMatch.p99 <= PAIRING_P99_BOUND_MS && s.achievedPairsPerSec >= s.targetPairsPerSec * 0.95);
  return {
    population: n,
    steps,
    bestPairsPerSec: met.length ? Math.max(...met.map((s) => s.targetPairsPerSec)) : null,
    settle,
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0) + settle.leaked,
    crossedEnds: population.crossedEnds,
  };
}
