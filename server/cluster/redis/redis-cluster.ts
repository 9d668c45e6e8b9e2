// The cluster's ports on Redis (cluster.ts): the Redis Hub, pub/sub wake-ups for the moderation
// feed, limits counted in Redis (fixed windows, the same rules as the memory store), slot counts
// per node (a dead node's slots stop counting), and locks (SET NX PX with a token, renewed while
// the work runs, released only by their holder). One main connection for commands, one for the
// inbox's blocking reads, one for subscriptions.
import { randomUUID } from 'node:crypto';
import type { Hub, HubOptions } from '../../chat/hub.ts';
import type { Logger } from '../../logger.ts';
import type { Cluster } from '../cluster.ts';
import { memoryEventBus, wakeAll, type EventBus } from '../event-bus.ts';
import type { KeyedLimit, LimiterStore, LimitRule, SlotCounter } from '../limiter-store.ts';
import type { IfFree, Lock } from '../lock.ts';
import { connectRedis, defineRedisScript, MIN_REDIS_VERSION, redisVersion, versionAtLeast, type RedisConnection } from './client.ts';
import { openInbox, type NodeInbox } from './inbox.ts';
import { registerNode, type NodeInfo, type NodeRegistry } from './nodes.ts';
import { RedisHub } from './redis-hub.ts';

/** Keys of one instance start with this (several instances may share one Redis with different prefixes). */
export const DEFAULT_PREFIX = 'strangerchat:';
export const DEFAULT_NODE_TTL_MS = 3000;
/** A lock is held this long without renewal before it frees itself (a holder that died). */
const LOCK_LEASE_MS = 30_000;
const LOCK_POLL_MS = 50;

export interface RedisClusterOptions {
  url: string;
  nodeId?: string;
  prefix?: string;
  /** How long the node's key lives without a refresh. */
  nodeTtlMs?: number;
  logger?: Logger;
  version?: string;
  /** The limits' clock (the store counts windows in Redis's time; this only dates verdicts). */
  now?: () => number;
}

/** A cluster on Redis, with the nodes listed for `status`. */
export interface RedisCluster extends Cluster {
  readonly nodes: NodeRegistry;
  /** Every live node with its figures. */
  liveNodes(): Promise<NodeInfo[]>;
  /** The Hub, once made (the suite's settle and snapshot read it). */
  readonly hub: RedisHub | undefined;
}

export async function connectRedisCluster(options: RedisClusterOptions): Promise<RedisCluster> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const nodeId = options.nodeId ?? `node-${randomUUID()}`;
  const logger = options.logger?.child({ node: nodeId });
  const redis = await connectRedis(options.url, { logger, name: 'main' });
  const opened: RedisConnection[] = [redis];
  try {
    const version = await redisVersion(redis);
    if (!versionAtLeast(version, MIN_REDIS_VERSION)) throw new Error(`Redis ${version} is too old: strangerchat needs Redis ${MIN_REDIS_VERSION} or newer`);
    const reader = await redis.duplicate('inbox');
    opened.push(reader);
    const subscriber = await redis.duplicate('subscriber');
    opened.push(subscriber);
    const nodes = await registerNode({ redis, prefix, nodeId, ttlMs: options.nodeTtlMs ?? DEFAULT_NODE_TTL_MS, logger, version: options.version });
    const inbox = await openInbox({ redis, reader, prefix, nodeId, logger });
    const events = await redisEventBus(redis, subscriber, `${prefix}feed`);
    let hub: RedisHub | undefined;
    return {
      nodeId,
      nodes,
      get hub() {
        return hub;
      },
      createHub(hubOptions: Omit<HubOptions, 'nodeId'>): Hub {
        if (hub) throw new TypeError('this cluster node already has its Hub');
        hub = new RedisHub({ ...hubOptions, nodeId }, { redis, prefix, inbox, nodes });
        return hub;
      },
      events,
      limiters: redisLimiterStore(redis, prefix, nodeId),
      locks: redisLock(redis, prefix),
      liveNodes: () => nodes.liveNodes(),
      async close() {
        await events.close();
        await inbox.close();
        await nodes.close();
        for (const connection of opened.reverse()) await connection.close();
      },
    };
  } catch (error) {
    for (const connection of opened.reverse()) await connection.close().catch(() => undefined);
    throw error;
  }
}

/** Wake-ups over pub/sub: a notify reaches every node's subscribers (this one's too, through Redis). */
async function redisEventBus(redis: RedisConnection, subscriber: RedisConnection, channel: string): Promise<EventBus> {
  const subscribers = new Set<() => void>();
  let closed = false;
  await subscriber.subscribe(channel, () => {
    if (!closed) wakeAll(subscribers);
  });
  return {
    notify() {
      if (closed) return;
      // A lost wake-up costs only the poll's delay: never thrown.
      void redis.command(['PUBLISH', channel, '1']).catch(() => undefined);
    },
    subscribe(wake) {
      subscribers.add(wake);
      return () => void subscribers.delete(wake);
    },
    async close() {
      closed = true;
      subscribers.clear();
    },
  };
}

/** How long a process that is not a node waits, at most, for its wake-ups to reach Redis. */
const PUBLISH_TIMEOUT_MS = 2000;

/**
 * The feed's wake-ups for a process that is not a node (a command typed in the terminal): a
 * notify publishes on the nodes' channel, so every node reads the feed now rather than at its next
 * poll; the rows stay the source of truth. It connects at the first notify, without retrying, and
 * close waits for the publishing at most `timeoutMs`: an unreachable Redis costs the command that
 * long at most, and the nodes only their poll's delay.
 */
export function redisFeedPublisher(options: { url: string; prefix?: string; timeoutMs?: number; logger?: Logger }): EventBus {
  const channel = `${options.prefix ?? DEFAULT_PREFIX}feed`;
  const timeoutMs = options.timeoutMs ?? PUBLISH_TIMEOUT_MS;
  // This process's own subscribers, if any, are woken as the memory bus wakes them.
  const local = memoryEventBus();
  let connection: Promise<RedisConnection> | undefined;
  let publishing: Promise<unknown> = Promise.resolve();
  let warned = false;
  let closed = false;
  return {
    notify() {
      if (closed) return;
      local.notify();
      connection ??= connectRedis(options.url, { name: 'wake-ups', connectTimeoutMs: timeoutMs, reconnect: false });
      const published = connection
        .then((redis) => redis.command(['PUBLISH', channel, '1']))
        .catch((error: unknown) => {
          if (!warned) options.logger?.warn({ err: (error as Error).message }, 'could not wake the nodes through Redis: they apply the change at their next poll (within 1 s)');
          warned = true;
        });
      publishing = Promise.all([publishing, published]);
    },
    subscribe: (wake) => local.subscribe(wake),
    async close() {
      closed = true;
      await local.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([publishing, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      const redis = await connection?.catch(() => undefined);
      await redis?.close();
    },
  };
}

/** consume(KEYS[1]; ARGV: points, window ms, allowed points, block ms) → {consumed, ms left}. */
const CONSUME_SCRIPT = defineRedisScript(
  'strangerchat:limit',
  String.raw`
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
local block = tonumber(ARGV[4])
if v > tonumber(ARGV[3]) and block > 0 and ttl < block then
  redis.call('PEXPIRE', KEYS[1], block)
  ttl = block
end
return {v, ttl}
`,
);

/** acquire(KEYS[1] the slot hash; ARGV: prefix, node, cap) → 1 taken, 0 full. Only live nodes' slots count. */
const SLOT_ACQUIRE_SCRIPT = defineRedisScript(
  'strangerchat:slot',
  String.raw`
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  if fields[i] == ARGV[2] or redis.call('EXISTS', ARGV[1] .. 'node:' .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if total >= tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
return 1
`,
);

const SLOT_RELEASE_SCRIPT = defineRedisScript(
  'strangerchat:slot-release',
  String.raw`
local v = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if v <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v
`,
);

function redisLimiterStore(redis: RedisConnection, prefix: string, nodeId: string): LimiterStore {
  return {
    limit(rule: LimitRule): KeyedLimit {
      const keyOf = (key: string) => `${prefix}limit:${rule.name}:${key}`;
      return {
        rule,
        async consume(key, points = 1) {
          const [consumed, ms] = (await redis.script(CONSUME_SCRIPT, [keyOf(key)], [points, rule.durationSeconds * 1000, rule.points, (rule.blockSeconds ?? 0) * 1000])) as [number, number];
          return { allowed: consumed <= rule.points, consumed, msBeforeNext: Math.max(0, ms) };
        },
        async reward(key, points = 1) {
          await redis.command(['DECRBY', keyOf(key), points]);
        },
      };
    },
    slots(name: string, perKey: number): SlotCounter {
      const keyOf = (key: string) => `${prefix}slots:${name}:${key}`;
      return {
        async acquire(key) {
          return Number(await redis.script(SLOT_ACQUIRE_SCRIPT, [keyOf(key)], [prefix, nodeId, perKey])) === 1;
        },
        release(key) {
          void redis.script(SLOT_RELEASE_SCRIPT, [keyOf(key)], [nodeId]).catch(() => undefined);
        },
        async count(key) {
          const fields = (await redis.command(['HVALS', keyOf(key)])) as string[];
          return fields.reduce((sum, value) => sum + Number(value), 0);
        },
      };
    },
  };
}

const UNLOCK_SCRIPT = defineRedisScript(
  'strangerchat:unlock',
  String.raw`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);
const RENEW_SCRIPT = defineRedisScript(
  'strangerchat:renew',
  String.raw`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`,
);

function redisLock(redis: RedisConnection, prefix: string): Lock {
  const tryTake = async (key: string, token: string) => (await redis.command(['SET', key, token, 'NX', 'PX', LOCK_LEASE_MS])) === 'OK';
  const holding = async <T>(key: string, token: string, work: () => Promise<T>): Promise<T> => {
    const renew = setInterval(() => void redis.script(RENEW_SCRIPT, [key], [token, LOCK_LEASE_MS]).catch(() => undefined), LOCK_LEASE_MS / 3);
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await redis.script(UNLOCK_SCRIPT, [key], [token]).catch(() => undefined);
    }
  };
  return {
    async withLock(name, work) {
      const key = `${prefix}lock:${name}`;
      const token = randomUUID();
      while (!(await tryTake(key, token))) await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      return holding(key, token, work);
    },
    async ifFree<T>(name: string, work: () => Promise<T>): Promise<IfFree<T>> {
      const key = `${prefix}lock:${name}`;
      const token = randomUUID();
      if (!(await tryTake(key, token))) return { ran: false };
      return { ran: true, value: await holding(key, token, work) };
    },
  };
}
