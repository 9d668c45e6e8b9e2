// The Redis Hub held to the Hub contract (test/helpers/hub-contract.ts) on a real, private
// redis-server: every test gets a fresh key prefix, so Hubs never see each other's keys. Then what
// only a cluster has: two nodes on one Redis that is restarted under them (it loses everything,
// as an unpersisted Redis does, inboxes and what they held unread included), and a node that
// dies without a word, as after SIGKILL.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeHub } from '../helpers/hub-contract.ts';
import { createHubHarness, type HubHarness, type MakeHub } from '../helpers/hub-harness.ts';
import { connectRedisCluster, type RedisCluster } from '../../server/cluster/redis/redis-cluster.ts';
import { connectRedis, type RedisConnection } from '../../server/cluster/redis/client.ts';
import { openInbox, type NodeInbox } from '../../server/cluster/redis/inbox.ts';
import { registerNode } from '../../server/cluster/redis/nodes.ts';
import { RedisHub } from '../../server/cluster/redis/redis-hub.ts';
import type { FindRequest } from '../../server/chat/hub.ts';
import { newRedis, type TestRedis } from '../helpers/redis.ts';
import { sleep } from '../helpers/people.ts';

let redis: TestRedis | undefined;
let made = 0;

const redisHub: MakeHub = async (options) => {
  redis ??= await newRedis();
  const { nodeId, ...hubOptions } = options;
  const cluster = await connectRedisCluster({ url: redis.url, nodeId, prefix: `t${++made}:` });
  const hub = cluster.createHub(hubOptions);
  const under = cluster.hub!;
  return {
    hub,
    settle: () => under.settled(),
    snapshot: async () => under.snapshot(),
    dispose: () => cluster.close(),
  };
};

const suiteOfContract = describeHub('Redis Hub', redisHub);
suiteOfContract.after(async () => {
  await redis?.stop();
  redis = undefined;
});
suiteOfContract.run();

// --- Two nodes, a Redis restart, a node's death ---

/** Short, so that a death is seen in well under a second (the default is 3 s). */
const NODE_TTL_MS = 400;
const TEXT: FindRequest = { mode: 'text', interests: [] };

const cluster = suite('Redis Hub: two nodes through a Redis restart and a node death');
let server: TestRedis;
let admin: RedisConnection;
let prefix = '';
let opened: Array<() => Promise<void>> = [];

cluster.before(async () => {
  server = await newRedis();
});
cluster.after(async () => {
  await server.stop();
});
cluster.before.each(async () => {
  prefix = `r${++made}:`;
});
cluster.after.each(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
  opened = [];
});

/** A node as `strangerchat start` composes it (connectRedisCluster), driven by the suite's harness. */
async function clusterNode(nodeId: string): Promise<{ h: HubHarness; node: RedisCluster }> {
  let node: RedisCluster | undefined;
  const make: MakeHub = async (options) => {
    node = await connectRedisCluster({ url: server.url, nodeId, prefix, nodeTtlMs: NODE_TTL_MS });
    const { nodeId: _ignored, ...hubOptions } = options;
    node.createHub(hubOptions);
    const under = node.hub!;
    return { hub: under, settle: () => under.settled(), snapshot: async () => under.snapshot(), dispose: () => node!.close() };
  };
  const h = await createHubHarness(make);
  opened.push(() => h.close());
  return { h, node: node! };
}

/**
 * A node that can die: built from the same parts, so that its connection can be dropped before
 * its registry stops (its key is then left to expire, as after SIGKILL, instead of being removed).
 */
async function mortalNode(nodeId: string): Promise<{ h: HubHarness; die(): Promise<void>; unread: UnreadInbox }> {
  const redis = await connectRedis(server.url, { name: 'main' });
  const reader = await redis.duplicate('inbox');
  const nodes = await registerNode({ redis, prefix, nodeId, ttlMs: NODE_TTL_MS });
  const unread = new UnreadInbox(await openInbox({ redis, reader, prefix, nodeId }));
  const inbox = unread.inbox;
  let dead = false;
  const make: MakeHub = (options) => {
    const hub = new RedisHub({ ...options, nodeId }, { redis, prefix, inbox, nodes });
    return { hub, settle: () => hub.settled(), snapshot: async () => hub.snapshot(), dispose: async () => undefined };
  };
  const h = await createHubHarness(make);
  const die = async () => {
    if (dead) return;
    dead = true;
    await redis.close();
    await inbox.close();
    await nodes.close();
    await h.close();
  };
  opened.push(die);
  return { h, die, unread };
}

/**
 * A node's inbox whose reading can be held back: what arrives meanwhile stays unread, as it does
 * for an instant in every inbox, and `lose()` forgets it, as a Redis restart in that instant does.
 */
class UnreadInbox {
  readonly inbox: NodeInbox;
  #holding = false;
  #held: Array<() => void> = [];
  constructor(real: NodeInbox) {
    this.inbox = {
      ...real,
      send: (node, event) => real.send(node, event),
      flushed: () => real.flushed(),
      close: () => real.close(),
      onEvent: (listener) =>
        real.onEvent((event) => {
          if (this.#holding) this.#held.push(() => listener(event));
          else listener(event);
        }),
    };
  }
  hold(): void {
    this.#holding = true;
  }
  get unread(): number {
    return this.#held.length;
  }
  /** Forgets what was held and reads again. */
  lose(): void {
    this.#held = [];
    this.#holding = false;
  }
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.unreachable(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function adminConnection(): Promise<RedisConnection> {
  admin = await connectRedis(server.url, { name: 'admin' });
  opened.push(() => admin.close());
  return admin;
}

/** Redis down, long enough for every node to have beaten (or tried to) while it was, then back. */
async function restartRedis(...nodes: RedisCluster[]): Promise<void> {
  await server.kill();
  await sleep(NODE_TTL_MS / 2);
  // The timers beat every NODE_TTL_MS / 3 anyway; beating here makes "a beat while Redis is down" certain.
  await Promise.all(nodes.map((node) => node.nodes.beat()));
  await server.restart();
}

const liveIds = async (node: RedisCluster) => (await node.liveNodes()).map((n) => n.id).sort();
const matched = (h: HubHarness, id: string) => h.inbox(id).of('matched');

cluster('a node keeps its registration alive after a Redis restart, heartbeats and all', async () => {
  const a = await clusterNode('node-a');
  const b = await clusterNode('node-b');
  await restartRedis(a.node, b.node);
  // Past several expiries: a node that stopped beating has dropped out of the list by now.
  await sleep(NODE_TTL_MS * 3);
  assert.equal(await liveIds(a.node), ['node-a', 'node-b']);
  assert.equal(await liveIds(b.node), ['node-a', 'node-b']);
});

cluster('a Redis restart during a find: the waiting person is put back once and paired across nodes after it', async () => {
  const a = await clusterNode('node-a');
  const b = await clusterNode('node-b');
  await a.h.connect('early');
  // The find is on its way to Redis (not settled) when Redis goes.
  a.h.hub.enqueue('early', TEXT);
  await restartRedis(a.node, b.node);
  await a.h.settle();
  const redis = await adminConnection();
  const waiting = () => redis.command(['ZCARD', `${prefix}q:text:adult:all`]);
  await eventually('the waiting person is back in the queue', async () => Number(await waiting()) === 1);
  await b.h.connect('late');
  await b.h.enqueue('late', TEXT);
  await eventually('both are told', () => matched(a.h, 'early').length === 1 && matched(b.h, 'late').length === 1);
  assert.is(matched(a.h, 'early')[0]!.conversationId, matched(b.h, 'late')[0]!.conversationId, 'they met each other');
  // No ghost entry left behind: the next person waits, alone.
  await b.h.connect('third');
  await b.h.enqueue('third', TEXT);
  await sleep(100);
  assert.equal(matched(b.h, 'third'), []);
  assert.is(Number(await waiting()), 1);
});

cluster('after a Redis restart every node puts back its own avoids, not only the first node to notice', async () => {
  const a = await clusterNode('node-a');
  const b = await clusterNode('node-b');
  const now = a.h.time.now();
  // Each node holds one avoid (a report filed there, or loaded at its start).
  await a.h.avoid({ a: 'device:device-x1', b: 'device:device-y1', createdAt: now, expiresAt: null, shared: false });
  await b.h.avoid({ a: 'device:device-x2', b: 'device:device-y2', createdAt: now, expiresAt: null, shared: false });
  await restartRedis(a.node, b.node);
  const redis = await adminConnection();
  await eventually('both avoids are back in Redis', async () =>
    (await redis.command(['HGET', `${prefix}av:device:device-x1`, 'device:device-y1'])) !== null &&
    (await redis.command(['HGET', `${prefix}av:device:device-x2`, 'device:device-y2'])) !== null,
  );
  for (const pair of [['x1', 'y1'], ['x2', 'y2']]) {
    await b.h.connect(pair[0]!);
    await a.h.connect(pair[1]!);
    await b.h.enqueue(pair[0]!, TEXT);
    await a.h.enqueue(pair[1]!, TEXT);
    await sleep(100);
    assert.equal(matched(b.h, pair[0]!), [], `${pair[0]} and ${pair[1]} are kept apart`);
    await b.h.leave(pair[0]!);
    await a.h.leave(pair[1]!);
  }
});

cluster("a node that dies after a Redis restart ends its partners' conversations on the other node", async () => {
  const a = await clusterNode('node-a');
  const b = await mortalNode('node-b');
  await restartRedis(a.node);
  await eventually('both nodes are registered again', async () => (await liveIds(a.node)).length === 2);
  await b.h.connect('doomed');
  await b.h.enqueue('doomed', TEXT);
  await a.h.connect('survivor');
  await a.h.enqueue('survivor', TEXT);
  await eventually('the two meet', () => matched(b.h, 'doomed').length === 1);
  assert.is(matched(a.h, 'survivor')[0]!.conversationId, matched(b.h, 'doomed')[0]!.conversationId);
  // Past the grace a node gives its partners after a reconnect (one expiry), then the death.
  await sleep(NODE_TTL_MS * 2);
  const diedAt = Date.now();
  await b.die();
  await eventually('the survivor hears', () => a.h.inbox('survivor').of('ended').length > 0, NODE_TTL_MS * 6);
  assert.equal(a.h.inbox('survivor').of('ended'), [{ type: 'ended', by: 'stranger', reason: 'disconnected' }]);
  const after = Date.now() - diedAt;
  assert.ok(after < NODE_TTL_MS * 4, `told ${after} ms after the death`);
});

cluster("a conversation whose 'matched' was lost with Redis ends for the side that was told, and the other waits on", async () => {
  const a = await mortalNode('node-a');
  const b = await clusterNode('node-b');
  await a.h.connect('waiting');
  await a.h.enqueue('waiting', TEXT);
  a.unread.hold();
  await b.h.connect('seeker');
  await b.h.enqueue('seeker', TEXT);
  assert.is(matched(b.h, 'seeker').length, 1, 'the seeker took the waiting person');
  await eventually("the taken person's matched is in node A's inbox, unread", () => a.unread.unread === 1);
  await restartRedis(b.node);
  a.unread.lose();
  await eventually('the seeker hears the stranger is gone', () => b.h.inbox('seeker').of('ended').length > 0);
  assert.equal(b.h.inbox('seeker').of('ended'), [{ type: 'ended', by: 'stranger', reason: 'disconnected' }]);
  assert.equal(matched(a.h, 'waiting'), [], 'never told of a conversation it never had');
  // The waiting person was put back and meets the next one.
  await b.h.connect('next-one');
  await b.h.enqueue('next-one', TEXT);
  await eventually('the waiting person meets the next one', () => matched(a.h, 'waiting').length === 1);
  assert.is(matched(a.h, 'waiting')[0]!.conversationId, matched(b.h, 'next-one')[0]!.conversationId);
});

cluster.run();
