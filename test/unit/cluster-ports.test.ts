// The memory cluster's ports: the EventBus wakes subscribers after a notify (once per turn, never
// during the notify), the Lock runs one holder of a name at a time, and ifFree skips work another
// runner is doing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryEventBus } from '../../server/cluster/event-bus.ts';
import { memoryLock } from '../../server/cluster/lock.ts';
import { memoryCluster } from '../../server/cluster/cluster.ts';

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('EventBus: a notify wakes every subscriber on a later turn, several notifies in one turn wake once', async () => {
  const bus = memoryEventBus();
  let a = 0;
  let b = 0;
  bus.subscribe(() => a++);
  const unsubscribe = bus.subscribe(() => b++);
  bus.notify();
  bus.notify();
  assert.equal([a, b], [0, 0], 'not during notify: the committer is never held up by a reader');
  await turn();
  assert.equal([a, b], [1, 1]);
  unsubscribe();
  bus.notify();
  await turn();
  assert.equal([a, b], [2, 1], 'an unsubscribed reader is not woken');
  await bus.close();
  bus.notify();
  await turn();
  assert.is(a, 2, 'a closed bus wakes nobody');
});

test('EventBus: a subscriber that throws does not keep the others from being woken', async () => {
  const bus = memoryEventBus();
  let woken = 0;
  bus.subscribe(() => {
    throw new Error('reader failed');
  });
  bus.subscribe(() => woken++);
  bus.notify();
  await turn();
  assert.is(woken, 1);
});

test('Lock: withLock runs the holders of one name one after the other, other names beside them', async () => {
  const locks = memoryLock();
  const order: string[] = [];
  let release!: () => void;
  const first = locks.withLock('purge', async () => {
    order.push('first in');
    await new Promise<void>((resolve) => (release = resolve));
    order.push('first out');
    return 1;
  });
  const second = locks.withLock('purge', async () => {
    order.push('second in');
    return 2;
  });
  const other = locks.withLock('quarantine:x', async () => {
    order.push('other');
    return 3;
  });
  assert.is(await other, 3);
  assert.equal(order, ['first in', 'other'], 'the second waits for the first; another name does not');
  release();
  assert.equal([await first, await second], [1, 2]);
  assert.equal(order, ['first in', 'other', 'first out', 'second in']);
});

test('Lock: a failed holder releases the name; ifFree skips while held and runs once free', async () => {
  const locks = memoryLock();
  await locks.withLock('recount', async () => {
    throw new Error('failed');
  }).catch(() => undefined);
  let release!: () => void;
  const held = locks.withLock('recount', () => new Promise<void>((resolve) => (release = resolve)));
  assert.equal(await locks.ifFree('recount', async () => 'ran'), { ran: false });
  release();
  await held;
  assert.equal(await locks.ifFree('recount', async () => 'ran'), { ran: true, value: 'ran' });
});

test('memoryCluster: its Hub serves the cluster node id; its limits count on the given clock', async () => {
  let now = 0;
  const cluster = memoryCluster({ now: () => now, nodeId: 'node-a' });
  const hub = cluster.createHub({
    interestWaitMs: 1000,
    reportGraceMs: 1000,
    transcriptLinesPerSide: 5,
    reportedAddressAvoidMs: 0,
    sharedAddressDevices: 5,
    now: () => now,
    random: () => 0.5,
    newId: () => 'c1',
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  });
  assert.is(hub.nodeId, 'node-a');
  const limit = cluster.limiters.limit({ name: 'test', points: 1, durationSeconds: 60 });
  assert.ok((await limit.consume('k')).allowed);
  assert.not.ok((await limit.consume('k')).allowed);
  now += 60_000;
  assert.ok((await limit.consume('k')).allowed, 'a new window on the injected clock');
  await hub.close();
  await cluster.close();
});

test.run();
