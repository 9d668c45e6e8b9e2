// Bench-only figures for the load harness (bench/): with STRANGERCHAT_BENCH_STATS=1, `start` also
// listens on a loopback-only port and answers with the live Hub figures, memory (after a forced
// GC when Node runs with --expose-gc) and the event-loop delay measured inside this process.
// Never enabled otherwise: it is a measuring instrument, not an operator feature.
import { createServer, type Server } from 'node:http';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { RunningServer } from '../server/app.ts';

/** Environment variable that turns the bench figures on (`1`). */
export const BENCH_STATS_ENV = 'STRANGERCHAT_BENCH_STATS';
/** The line `start` writes on stderr with the figures' address: `bench stats: http://127.0.0.1:<port>`. */
export const BENCH_STATS_LINE = 'bench stats: ';

/** perf_hooks' GC kinds, by their flag value. */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Sampling interval of the event-loop delay histogram. */
const LOOP_RESOLUTION_MS = 10;

export interface BenchStats {
  hub: Awaited<ReturnType<RunningServer['stats']>>;
  memory: NodeJS.MemoryUsage;
  /** Event-loop delay since the last reset, in milliseconds. */
  eventLoop: { p50: number; p99: number; max: number; mean: number; samples: number };
  /** Garbage-collection pauses since the last reset (a long pause is a long event-loop delay). */
  gc: { count: number; totalMs: number; maxMs: number; maxKind: string };
  /** CPU time of this process since it started, in milliseconds. */
  cpu: { user: number; system: number };
  gcAvailable: boolean;
}

const round = (value: number) => Math.round(value * 100) / 100;

export interface BenchStatsListener {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * GET /stats: the figures; POST /gc: a full GC (twice, so weak references and finalisers settle),
 * then the figures; POST /reset: restarts the event-loop histogram (the bench resets it per step).
 */
export async function startBenchStats(server: RunningServer): Promise<BenchStatsListener> {
  // 10 ms is Node's default resolution: a task that holds the loop is seen whenever it overlaps
  // a tick, and the sampling itself stays negligible next to the load being measured.
  const delay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  delay.enable();
  const gc = (globalThis as { gc?: () => void }).gc;
  let pauses = { count: 0, totalMs: 0, maxMs: 0, maxKind: '' };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.count++;
      pauses.totalMs += entry.duration;
      if (entry.duration > pauses.maxMs) {
        pauses.maxMs = entry.duration;
        pauses.maxKind = GC_KINDS[((entry as { detail?: { kind?: number } }).detail)?.kind ?? 0] ?? 'other';
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  // The histogram holds the time between two ticks, the resolution included: the delay is the rest.
  const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - LOOP_RESOLUTION_MS);
  const figures = async (): Promise<BenchStats> => {
    const hub = await server.stats();
    const cpu = process.cpuUsage();
    return {
      hub,
      memory: process.memoryUsage(),
      eventLoop: {
        p50: delay.count ? round(ms(delay.percentile(50))) : 0,
        p99: delay.count ? round(ms(delay.percentile(99))) : 0,
        max: delay.count ? round(ms(delay.max)) : 0,
        mean: delay.count ? round(ms(delay.mean)) : 0,
        samples: delay.count,
      },
      gc: { count: pauses.count, totalMs: round(pauses.totalMs), maxMs: round(pauses.maxMs), maxKind: pauses.maxKind },
      cpu: { user: cpu.user / 1000, system: cpu.system / 1000 },
      gcAvailable: gc !== undefined,
    };
  };
  const listener: Server = createServer((req, res) => {
    const route = `${req.method} ${req.url}`;
    if (route === 'POST /gc') {
      gc?.();
      gc?.();
    } else if (route === 'POST /reset') {
      delay.reset();
      pauses = { count: 0, totalMs: 0, maxMs: 0, maxKind: '' };
    } else if (route !== 'GET /stats') {
      res.writeHead(404).end();
      return;
    }
    void figures().then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve());
  });
  const address = listener.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        delay.disable();
        gcObserver.disconnect();
        listener.closeAllConnections();
        listener.close(() => resolve());
      }),
  };
}
