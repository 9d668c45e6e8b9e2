// The shape of bench/results/<timestamp>.json, and the targets of issue 7 checked against it.
import type { ChurnResult } from '../scenarios/churn.ts';
import { formatMs } from './stats.ts';
import type { HttpResult } from '../scenarios/http.ts';
import type { IdleResult } from '../scenarios/idle.ts';
import type { PairingResult } from '../scenarios/pairing.ts';
import type { RelayResult } from '../scenarios/relay.ts';
import { SATURATED_P99_BOUND_MS, SATURATED_TARGET_PAIRS_PER_SEC, type SaturatedResult } from '../scenarios/saturated.ts';
import type { StartupResult } from '../scenarios/startup.ts';
import type { MachineInfo } from './proc.ts';
import type { ScenarioName } from './presets.ts';

export interface BenchResults {
  schema: 1;
  preset: string;
  /** Set with --label: e.g. "preliminary, noisy machine". */
  label?: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: {
    clients: number;
    addresses: number;
    heartbeatMs: number;
    /** The share of people who are 15 (absent in results from before --minors: 0.7). */
    minorsShare?: number;
    scenarios: ScenarioName[];
  };
  scenarios: {
    idle?: IdleResult;
    pairing?: PairingResult;
    saturated?: SaturatedResult;
    relay?: RelayResult;
    churn?: ChurnResult;
    http?: HttpResult;
    startup?: StartupResult;
  };
  /** After every client was dropped: the server must count nobody online and stop cleanly. */
  final?: { onlineAfterClose: number; serverExitCode: number | null; serverLogErrors: number };
  /** Scenarios that threw (the message); the others still ran. */
  failures: string[];
  warnings: string[];
  targets: TargetCheck[];
}

export interface TargetCheck {
  measure: string;
  target: string;
  result: string;
  /** null: not measured (scenario not run, or run smaller than the target asks). */
  met: boolean | null;
}

/** The targets of issue 7, with issue 19's memory targets (2 cores, generator on the same machine). */
export const TARGETS = {
  clients: 10_000,
  rssPerThousandMB: 6,
  emptyServerRssMB: 70,
  pairsPerSec: 2000,
  timeToMatchP99Ms: 25,
  relayRate: 5000,
  relayP99Ms: 10,
  relayCeiling: 15_000,
  eventLoopP99Ms: 20,
  startupMs: 1000,
} as const;

const fmt = (n: number) => n.toLocaleString('en-US');

export function checkTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const { idle, pairing, relay, startup } = results.scenarios;
  const checks: TargetCheck[] = [];

  checks.push({
    measure: 'concurrent clients',
    target: `${fmt(TARGETS.clients)} with no error`,
    result: idle ? `${fmt(idle.connected)} of ${fmt(idle.clients)} connected, ${idle.errorCount} errors` : 'not run',
    met: !idle ? null : idle.clients < TARGETS.clients ? null : idle.connected >= TARGETS.clients && idle.errorCount === 0,
  });
  checks.push({
    measure: 'memory',
    target: `≤ ${TARGETS.rssPerThousandMB} MB RSS per 1,000 idle clients`,
    result: idle
      ? `${idle.perThousand.rssMB} MB RSS, ${idle.perThousand.heapMB} MB heap per 1,000 (${fmt(idle.connected)} clients; ${idle.marginalPerThousand.rssMB} MB RSS per 1,000 more once warm)`
      : 'not run',
    met: idle ? idle.perThousand.rssMB <= TARGETS.rssPerThousandMB : null,
  });

  checks.push({
    measure: 'empty server',
    target: `≤ ${TARGETS.emptyServerRssMB} MB RSS`,
    result: idle ? `${idle.baseline.rssMB} MB RSS (after a full GC, nobody connected)` : 'not run',
    met: idle ? idle.baseline.rssMB <= TARGETS.emptyServerRssMB : null,
  });

  const pairingStep = pairing?.steps.find((s) => s.targetPairsPerSec === TARGETS.pairsPerSec);
  checks.push({
    measure: 'pairing',
    target: `≥ ${fmt(TARGETS.pairsPerSec)} pairs/s with time-to-match p99 ≤ ${formatMs(TARGETS.timeToMatchP99Ms)}`,
    result: pairing
      ? `best ${pairing.bestPairsPerSec === null ? 'none' : `${fmt(pairing.bestPairsPerSec)} pairs/s`} within ${formatMs(TARGETS.timeToMatchP99Ms)}` +
        (pairingStep ? `; at ${fmt(TARGETS.pairsPerSec)}/s: p99 ${formatMs(pairingStep.timeToMatch.p99)}` : '')
      : 'not run',
    met: pairing ? (pairing.bestPairsPerSec ?? 0) >= TARGETS.pairsPerSec : null,
  });

  const { saturated } = results.scenarios;
  const loop1000 = saturated?.runs.find((run) => run.clients === 1000);
  checks.push({
    measure: 'saturated pairing',
    target: `≥ ${fmt(SATURATED_TARGET_PAIRS_PER_SEC)} pairs/s at 1,000 clients, time-to-paired p99 ≤ ${formatMs(SATURATED_P99_BOUND_MS)}`,
    result: saturated
      ? saturated.runs.map((run) => `${fmt(run.clients)} clients: ${fmt(run.pairsPerSec)} pairs/s, p99 ${formatMs(run.timeToPaired.p99)}`).join('; ')
      : 'not run',
    met: loop1000
      ? loop1000.pairsPerSec >= SATURATED_TARGET_PAIRS_PER_SEC && loop1000.timeToPaired.p99 <= SATURATED_P99_BOUND_MS && loop1000.errorCount === 0
      : null,
  });

  const at5k = relay?.steps.find((s) => s.targetPerSec === TARGETS.relayRate);
  checks.push({
    measure: 'relay latency',
    target: `p99 ≤ ${formatMs(TARGETS.relayP99Ms)} at ${fmt(TARGETS.relayRate)} messages/s`,
    result: at5k
      ? `message p99 ${formatMs(at5k.message.p99)}, signal p99 ${formatMs(at5k.signal.p99)} at ${fmt(at5k.deliveredPerSec)}/s delivered`
      : relay
        ? 'rate not reached'
        : 'not run',
    met: at5k ? at5k.keptUp && Math.max(at5k.message.p99, at5k.signal.p99) <= TARGETS.relayP99Ms : relay ? false : null,
  });
  checks.push({
    measure: 'relay ceiling',
    target: `≥ ${fmt(TARGETS.relayCeiling)} messages/s`,
    result: relay
      ? relay.ceilingPerSec === null
        ? 'no step kept up'
        : `${fmt(relay.ceilingPerSec)} messages/s` + (relay.steps.some((s) => s.generatorLimited) ? ' (generator-limited)' : '')
      : 'not run',
    met: relay ? (relay.ceilingPerSec ?? 0) >= TARGETS.relayCeiling : null,
  });

  // Under the target loads: the pairing step at 2,000 pairs/s (or the last one run, if it stopped
  // before) and the relay step at 5,000 messages/s.
  const loopPairing = pairingStep ?? pairing?.steps.at(-1);
  const loops = [loopPairing?.eventLoop.p99, at5k?.eventLoop.p99].filter((v): v is number => v !== undefined);
  checks.push({
    measure: 'event loop',
    target: `delay p99 ≤ ${formatMs(TARGETS.eventLoopP99Ms)} under the pairing and relay loads`,
    result: loops.length
      ? [
          loopPairing ? `pairing ${fmt(loopPairing.targetPairsPerSec)}/s: ${formatMs(loopPairing.eventLoop.p99)}` : '',
          at5k ? `relay ${fmt(at5k.targetPerSec)}/s: ${formatMs(at5k.eventLoop.p99)}` : '',
        ]
          .filter(Boolean)
          .join('; ')
      : 'not run',
    met: loops.length ? Math.max(...loops) <= TARGETS.eventLoopP99Ms : null,
  });

  checks.push({
    measure: 'start-up',
    target: `≤ ${formatMs(TARGETS.startupMs)} to healthy, empty or populated`,
    result: startup
      ? `empty ${formatMs(startup.empty.median)}, new ${formatMs(startup.fresh.median)}, ${fmt(startup.bans)} bans + ${fmt(startup.reports)} reports ${formatMs(startup.populated.median)}` +
        (startup.populated.readyMedian === undefined ? '' : ` (ready, bans loaded: ${formatMs(startup.populated.readyMedian)})`)
      : 'not run',
    met: startup ? Math.max(startup.empty.median, startup.populated.median) <= TARGETS.startupMs : null,
  });
  return checks;
}
