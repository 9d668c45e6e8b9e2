// What `strangerchat doctor redis` asks of a cluster's Redis: its version (≥ 7.0), its latency,
// and a round trip of the pairing script under a throwaway key prefix (two made-up people: the
// first waits, the second takes them), whose keys are removed afterwards.
import { randomUUID } from 'node:crypto';
import { connectRedis, MIN_REDIS_VERSION, redisVersion, versionAtLeast } from './client.ts';
import { RedisPairing } from './pairing.ts';

export interface RedisHealth {
  version: string;
  versionOk: boolean;
  /** Median PING round trip, in ms. */
  latencyMs: number;
  /** The pairing script queued one and paired the next. */
  pairingOk: boolean;
  /** How long the two script calls took together, in ms. */
  pairingMs: number;
}

const PINGS = 9;

export async function checkRedisHealth(url: string, options: { connectTimeoutMs?: number } = {}): Promise<RedisHealth> {
  const redis = await connectRedis(url, { name: 'doctor', connectTimeoutMs: options.connectTimeoutMs });
  const prefix = `strangerchat:doctor:${randomUUID()}:`;
  try {
    const version = await redisVersion(redis);
    const times: number[] = [];
    for (let i = 0; i < PINGS; i++) {
      const started = performance.now();
      await redis.command(['PING']);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const node = 'doctor';
    await redis.command(['SET', `${prefix}node:${node}`, '1', 'PX', 10_000]);
    const pairing = new RedisPairing(redis, prefix);
    const person = (name: string) => ({ id: name, sessionId: `s-${name}`, deviceId: `d-${name}`, band: 'adult' as const });
    const started = performance.now();
    const first = await pairing.find({ entry: 'e1', node, participant: person('a'), mode: 'text', interests: [], ready: true, conversationId: 'c1', now: Date.now(), random: 0 });
    const second = await pairing.find({ entry: 'e2', node, participant: person('b'), mode: 'text', interests: [], ready: true, conversationId: 'c2', now: Date.now(), random: 0 });
    const pairingMs = performance.now() - started;
    return {
      version,
      versionOk: versionAtLeast(version, MIN_REDIS_VERSION),
      latencyMs: times[Math.floor(times.length / 2)]!,
      pairingOk: first.kind === 'queued' && second.kind === 'matched' && second.partner.id === 'a',
      pairingMs,
    };
  } finally {
    // The doctor's keys only: SCAN by its own prefix (never KEYS, never a flush).
    let cursor = '0';
    do {
      const [next, keys] = (await redis.command(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', 100])) as [string, string[]];
      cursor = next;
      if (keys.length) await redis.command(['DEL', ...keys]);
    } while (cursor !== '0');
    await redis.close();
  }
}
