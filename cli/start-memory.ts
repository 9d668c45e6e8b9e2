// V8 grows its young generation to the largest size bin/strangerchat.js allows whenever many
// allocations survive (start-up compiling the modules and loading bans; a crowd connecting), and
// keeps it at that size once the server is quiet again: about 23 MB of an empty server's RSS, and
// as much again after a wave of connections (docs/benchmarks.md, issue 19). A memory-reducing
// collection when the server is ready, and again whenever it has gone quiet with a grown young
// generation, hands that back; it grows again under load.
import { cpuUsage } from 'node:process';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the trimmer looks at the process's CPU time and young generation. */
export const TRIM_CHECK_MS = 10_000;
/** Quiet: the process used less than this share of one core since the last look. */
export const QUIET_CPU_SHARE = 0.05;
/** A young generation larger than this is worth a collection to shrink (V8 starts it at 1-2 MB). */
export const GROWN_YOUNG_BYTES = 8 * 1024 * 1024;
/** At most one trim in this long after another (the one at start-up aside), whatever the load does. */
export const MIN_TRIM_GAP_MS = 60_000;

export interface TrimSample {
  /** CPU time (user + system) the process used since the last look. */
  cpuMs: number;
  /** Wall time since the last look. */
  elapsedMs: number;
  /** The young generation's committed size now. */
  youngBytes: number;
  /** Since the last trim (Infinity: none yet). */
  sinceTrimMs: number;
}

/** Whether to collect now: quiet, the young generation grown, and not trimmed a moment ago. */
export function shouldTrim(sample: TrimSample): boolean {
  return sample.youngBytes > GROWN_YOUNG_BYTES && sample.cpuMs < sample.elapsedMs * QUIET_CPU_SHARE && sample.sinceTrimMs >= MIN_TRIM_GAP_MS;
}

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * V8's collector from a fresh context, so the instance's own global has no gc(); undefined from
 * an engine that has none to give.
 */
function memoryReducingCollector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as Collect;
    // "last resort": a full collection that also shrinks the young generation (a regular one keeps it).
    return () => collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    return undefined;
  }
}

/** The young generation's committed bytes (V8 names its spaces; new_space is the young one). */
function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

export interface MemoryTrimmer {
  stop(): void;
}

/**
 * Collects once now (call it when the server is ready) and then whenever the process has been
 * quiet for a check interval with a grown young generation: a pause of a few tens of
 * milliseconds, only when there is little to delay.
 */
export function startMemoryTrimmer(options: { now?: () => number } = {}): MemoryTrimmer {
  const now = options.now ?? (() => performance.now());
  const collect = memoryReducingCollector();
  if (!collect) return { stop() {} };
  collect();
  // The gap bounds how often load that comes and goes is paused for; the start-up collection
  // does not count, so the first wave of people is trimmed at its first quiet moment.
  let trimmedAt = -Infinity;
  let lastAt = now();
  let lastCpu = cpuUsage();
  const timer = setInterval(() => {
    const at = now();
    const cpu = cpuUsage(lastCpu);
    const sample = { cpuMs: (cpu.user + cpu.system) / 1000, elapsedMs: at - lastAt, youngBytes: youngGenerationBytes(), sinceTrimMs: at - trimmedAt };
    if (shouldTrim(sample)) {
      collect();
      trimmedAt = now();
    }
    lastAt = now();
    lastCpu = cpuUsage();
  }, TRIM_CHECK_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
