// Node liveness: each node holds `<prefix>node:<id>` with a short expiry (its live figures as the
// value) and refreshes it several times per expiry; `<prefix>nodes` lists the ids ever seen, and a
// reader drops those whose key has gone. A node also watches the nodes of its people's partners:
// a node whose key has gone is dead, and its partners' conversations end. Redis losing its data
// (a restart without persistence) is seen by the `<prefix>epoch` key having gone, and told to the
// Hub, which puts back what it holds (avoids, waiting people).
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
  const beat = () =>
    (beating ??= (async () => {
      try {
        if (closed || !redis.isReady) return;
        await refresh();
        await checkPartners();
      } catch (error) {
        logger?.debug({ err: (error as Error).message }, 'node heartbeat failed');
      } finally {
        beating = undefined;
      }
    })());

  const live = async (): Promise<NodeInfo[]> => {
    const ids = ((await redis.command(['ZRANGE', nodesKey, 0, -1])) as string[]) ?? [];
    if (ids.length === 0) return [];
    const values = (await redis.command(['MGET', ...ids.map(nodeKey)])) as (string | null)[];
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length) void redis.command(['ZREM', nodesKey, ...gone]).catch(() => undefined);
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as NodeInfo]));
  };

  await redis.command(['SET', epochKey, String(startedAt), 'NX']);
  await refresh();
  redis.onReady(() => {
    if (closed) return;
    // Back after a blip or a Redis restart: say we are alive before anyone judges us, give the
    // others a full expiry to do the same, and put back what a restart lost.
    judgeAfter = Date.now() + ttlMs;
    void (async () => {
      try {
        await refresh();
        const fresh = (await redis.command(['SET', epochKey, String(now()), 'NX'])) === 'OK';
        if (fresh) {
          logger?.warn('redis lost its data (restarted?): putting back the avoids and the waiting people');
          for (const listener of resets) listener();
        } else {
          for (const listener of reconnects) listener();
        }
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
