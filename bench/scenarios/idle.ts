// Scenario 1, idle: N connected clients holding their sockets through two heartbeat intervals;
// server memory per 1,000 clients after a full GC, against the same server before they came, and
// between half and all of them (the cost of one more thousand once the server is warm).
import type { BenchContext } from '../lib/context.ts';
import { logWatch } from '../lib/context.ts';
import { round2, sleep } from '../lib/stats.ts';

const MB = 2 ** 20;

export interface MemoryFigures {
  /** Resident memory from /proc/<pid>/status, MB. */
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

export interface IdleResult {
  clients: number;
  connected: number;
  failedConnects: number;
  connectSeconds: number;
  connectsPerSec: number;
  holdSeconds: number;
  /** The server's own count after the hold: every client survived the heartbeat when it equals `connected`. */
  onlineAfterHold: number;
  baseline: MemoryFigures;
  /** With half the clients connected. */
  half: MemoryFigures;
  loaded: MemoryFigures;
  /**
   * (loaded − baseline) per 1,000 clients: what the target is checked against. It includes what a
   * busy server grows once whatever the count (V8's young generation, compiled code, allocator arenas).
   */
  perThousand: { rssMB: number; heapMB: number };
  /** (loaded − half) per 1,000 clients: what one more thousand costs once the server is warm. */
  marginalPerThousand: { rssMB: number; heapMB: number };
  errors: Record<string, number>;
  errorCount: number;
}

/** Memory after a forced GC: RSS from outside the process, heap from inside. */
export async function memoryAfterGc(ctx: Pick<BenchContext, 'server'>): Promise<MemoryFigures> {
  const stats = await ctx.server.gc();
  if (!stats.gcAvailable) throw new Error('the server has no gc(): it must run with --expose-gc');
  await sleep(200);
  return {
    rssMB: round2(ctx.server.rss() / MB),
    heapUsedMB: round2(stats.memory.heapUsed / MB),
    heapTotalMB: round2(stats.memory.heapTotal / MB),
    externalMB: round2(stats.memory.external / MB),
  };
}

export async function runIdle(ctx: BenchContext, baseline: MemoryFigures): Promise<IdleResult> {
  const { population, preset, server } = ctx;
  population.resetCounters();
  const logs = logWatch(server);
  ctx.log(`idle: connecting ${preset.clients} clients over ${ctx.addresses.length} source addresses`);
  const halfCount = Math.floor(preset.clients / 2);
  const first = await population.grow(halfCount, preset.connectConcurrency);
  const halfConnected = population.openClients().length;
  const half = await memoryAfterGc(ctx);
  const second = await population.grow(preset.clients, preset.connectConcurrency);
  const grown = { connected: second.connected, failed: first.failed + second.failed, ms: first.ms + second.ms };
  ctx.log(`idle: ${grown.connected} connected in ${(grown.ms / 1000).toFixed(1)} s (${grown.failed} failed); holding`);
  // Two ping intervals: the first marks every socket, the second drops any that did not answer.
  const holdMs = preset.heartbeatMs * 2 + 1000;
  await sleep(holdMs);
  const online = (await server.stats()).hub.online;
  const loaded = await memoryAfterGc(ctx);
  const connected = population.openClients().length;
  const per = (loadedMB: number, baseMB: number, count = connected) => (count > 0 ? round2(((loadedMB - baseMB) / count) * 1000) : 0);
  const errors = { ...population.errors.counts };
  if (logs.errors()) errors['server_log:error'] = logs.errors();
  return {
    clients: preset.clients,
    connected,
    failedConnects: grown.failed,
    connectSeconds: round2(grown.ms / 1000),
    connectsPerSec: Math.round(grown.connected / (grown.ms / 1000)),
    holdSeconds: round2(holdMs / 1000),
    onlineAfterHold: online,
    baseline,
    half,
    loaded,
    perThousand: { rssMB: per(loaded.rssMB, baseline.rssMB), heapMB: per(loaded.heapUsedMB, baseline.heapUsedMB) },
    marginalPerThousand: {
      rssMB: per(loaded.rssMB, half.rssMB, connected - halfConnected),
      heapMB: per(loaded.heapUsedMB, half.heapUsedMB, connected - halfConnected),
    },
    errors,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0) + Math.abs(online - connected),
  };
}
