// Node liveness: each node holds `<prefix>node:<id>` with a short expiry (its live figures as the
// value) and refreshes it several times per expiry; `<prefix>nodes` lists the ids ever seen, and a
// reader drops those whose key has gone. A node also watches the nodes of its people's partners:
// a node whose key has gone is dead, and its partners' conversations end. Redis losing its data
// (a restart without persistence) is seen by each node on its own: `<prefix>epoch` holds a value
// the first node to come back writes, and a node that finds another value there than the one it
// knew tells its Hub, which puts back what it holds (avoids, waiting people). Every node must see
// it, not only the first one: each puts back what only it held.
import { randomUUID } from 'node:crypto';
import type { HubStats } from '../../chat/hub.ts';
import type { Logger } from '../../logger.ts';
import type { RedisConnection } from './client.ts';

/** What a node says of itself. */
export interface NodeInfo {
  id: string;
  startedAt: number;
  /** When it last refreshed its key. */
  seenAt: number;
  stats: HubStats;
  version?: string;
}

export interface NodeRegistry {
  readonly nodeId: string;
  /** Live nodes other than this one. */
  otherNodes(): Promise<NodeInfo[]>;
  /** Every live node, this one included, by id. */
  liveNodes(): Promise<NodeInfo[]>;
  setLocalStats(read: () => HubStats): void;
  setPartnerNodes(read: () => Set<string>): void;
  onNodesLost(listener: (nodes: ReadonlySet<string>) => void): () => void;
  onStoreReset(listener: () => void): () => void;
  onReconnect(listener: () => void): () => void;
  /** Refreshes now (and checks the partners' nodes). */
  beat(): Promise<void>;
  /** Leaves the cluster: the key goes at once, so partners hear at once. */
  close(): Promise<void>;
}

const EMPTY_STATS: HubStats = { online: 0, queued: 0, inConversation: 0, conversations: 0 };

export async function registerNode(options: {
  redis: RedisConnection;
  prefix: string;
  nodeId: string;
  ttlMs: number;
  logger?: Logger;
  version?: string;
  now?: () => number;
}): Promise<NodeRegistry> {
  const { redis, prefix, nodeId, ttlMs, logger } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const nodesKey = `${prefix}nodes`;
  const epochKey = `${prefix}epoch`;
  const nodeKey = (id: string) => `${prefix}node:${id}`;
  let readStats: () => HubStats = () => EMPTY_STATS;
  let readPartners: () => Set<string> = () => new Set();
  const lost = new Set<(nodes: ReadonlySet<string>) => void>();
  const resets = new Set<() => void>();
  const reconnects = new Set<() => void>();
  let closed = false;
  /** Until then, partners' nodes are not judged (this node has just come back itself). */
  let judgeAfter = 0;
  let beating: Promise<void> | undefined;

  const info = (): NodeInfo => ({ id: nodeId, startedAt, seenAt: now(), stats: readStats(), version: options.version });
  const refresh = async () => {
    await redis.command(['SET', nodeKey(nodeId), JSON.stringify(info()), 'PX', ttlMs]);
    await redis.command(['ZADD', nodesKey, now(), nodeId]);
  };
  const checkPartners = async () => {
    if (Date.now() < judgeAfter) return;
    const partners = [...readPartners()];
    if (partners.length === 0) return;
    const values = (await redis.command(['MGET', ...partners.map(nodeKey)])) as (string | null)[];
    const dead = new Set(partners.filter((_, i) => values[i] === null));
    if (dead.size === 0) return;
    logger?.warn({ nodes: [...dead] }, 'nodes of the cluster stopped answering: their conversations here end');
    for (const listener of lost) listener(dead);
  };
  /** The epoch this node last saw in Redis: another one there means Redis lost what this node put there. */
  let epoch = '';
  /** The epoch in Redis, written first when there is none (SET NX GET: Redis 7.0). */
  const readEpoch = async (): Promise<string> => {
    const candidate = `${now()}-${randomUUID()}`;
    const old = await redis.command(['SET', epochKey, candidate, 'NX', 'GET']);
    return old === null ? candidate : String(old);
  };
  /** True when Redis lost its data since this node last looked; the Hub is then told. */
  const checkEpoch = async (): Promise<boolean> => {
    const seen = await readEpoch();
    if (seen === epoch) return false;
    epoch = seen;
    logger?.warn('redis lost its data (restarted?): putting back the avoids and the waiting people');
    for (const listener of resets) listener();
    return true;
  };
  const beatOnce = async () => {
    if (closed || !redis.isReady) return;
    try {
      await refresh();
      // Also here, not only after a reconnect: a reconnect whose registration failed, or data
      // lost without one (a flush, a failover to an empty replica), is still seen within a beat.
      await checkEpoch();
      await checkPartners();
    } catch (error) {
      logger?.debug({ err: (error as Error).message }, 'node heartbeat failed');
    }
  };
  // One beat at a time. The slot is freed by a callback on the beat's promise, which runs only
  // after the slot was taken: a beat that returns at once (Redis not ready) must not keep it for
  // ever, which would end this node's heartbeats and its watch over its partners' nodes.
  const beat = (): Promise<void> => {
    if (beating) return beating;
    const current = beatOnce().finally(() => {
      if (beating === current) beating = undefined;
    });
    beating = current;
    return current;
  };

  const live = async (): Promise<NodeInfo[]> => {
    const ids = ((await redis.command(['ZRANGE', nodesKey, 0, -1])) as string[]) ?? [];
    if (ids.length === 0) return [];
    const values = (await redis.command(['MGET', ...ids.map(nodeKey)])) as (string | null)[];
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length) void redis.command(['ZREM', nodesKey, ...gone]).catch(() => undefined);
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as NodeInfo]));
  };

  epoch = await readEpoch();
  await refresh();
  redis.onReady(() => {
    if (closed) return;
    // Back after a blip or a Redis restart: say we are alive before anyone judges us, give the
    // others a full expiry to do the same, and put back what a restart lost.
    judgeAfter = Date.now() + ttlMs;
    void (async () => {
      try {
        await refresh();
        if (!(await checkEpoch())) for (const listener of reconnects) listener();
      } catch (error) {
        logger?.warn({ err: (error as Error).message }, 'registering again after a reconnect failed');
      }
    })();
  });
  const timer = setInterval(() => void beat(), Math.max(100, Math.floor(ttlMs / 3)));
  timer.unref();

  const subscribe = <T>(set: Set<T>, listener: T) => {
    set.add(listener);
    return () => void set.delete(listener);
  };
  return {
    nodeId,
    async otherNodes() {
      return (await live()).filter((node) => node.id !== nodeId);
    },
    liveNodes: live,
    setLocalStats(read) {
      readStats = read;
    },
    setPartnerNodes(read) {
      readPartners = read;
    },
    onNodesLost: (listener) => subscribe(lost, listener),
    onStoreReset: (listener) => subscribe(resets, listener),
    onReconnect: (listener) => subscribe(reconnects, listener),
    beat,
    async close() {
      closed = true;
      clearInterval(timer);
      await beating;
      try {
        await redis.command(['DEL', nodeKey(nodeId)]);
        await redis.command(['ZREM', nodesKey, nodeId]);
      } catch {
        // Redis unreachable: the key expires by itself.
      }
    },
  };
}
