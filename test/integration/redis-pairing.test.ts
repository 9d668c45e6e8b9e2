// The cluster's pairing script on a real, private redis-server: bands and modes never meet, the
// same device never meets itself, avoids hold (shared addresses included), a dead node's entries
// are never taken, interests come first, a retried find never takes a second person, and the
// script survives a Redis restart (NOSCRIPT, loaded again).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectRedis, type RedisConnection } from '../../server/cluster/redis/client.ts';
import { RedisPairing, type FindInput } from '../../server/cluster/redis/pairing.ts';
import type { Participant } from '../../server/chat/hub.ts';
import { avoidSubject, avoidsAfterReport } from '../../server/chat/avoids.ts';
import { newRedis, type TestRedis } from '../helpers/redis.ts';

const PREFIX = 't:';
let redis: TestRedis;
let conn: RedisConnection;
let pairing: RedisPairing;
let seq = 0;

test.before(async () => {
  redis = await newRedis();
  conn = await connectRedis(redis.url);
  pairing = new RedisPairing(conn, PREFIX);
});
test.after(async () => {
  await conn?.close();
  await redis?.stop();
});
test.before.each(async () => {
  await conn.command(['FLUSHALL']);
  await alive('n1');
  await alive('n2');
});

/** Nothing waiting, no avoid; both nodes alive. */
async function reset(): Promise<void> {
  await conn.command(['FLUSHALL']);
  await alive('n1');
  await alive('n2');
}

async function alive(node: string): Promise<void> {
  await conn.command(['SET', `${PREFIX}node:${node}`, '1', 'PX', '60000']);
}

function person(name: string, extra: Partial<Participant> = {}): Participant {
  return { id: `c-${name}`, sessionId: `s-${name}`, deviceId: `d-${name}`, band: 'adult', address: '203.0.113.9', ...extra };
}

function find(p: Participant, extra: Partial<FindInput> = {}): ReturnType<RedisPairing['find']> {
  seq++;
  return pairing.find({
    entry: `e-${p.id}-${seq}`,
    node: 'n1',
    participant: p,
    mode: 'text',
    interests: [],
    ready: true,
    conversationId: `conv-${seq}`,
    now: Date.now(),
    random: 0.5,
    ...extra,
  });
}

test('two ready people are paired; the second takes the first, who is told in its node inbox', async () => {
  assert.is((await find(person('a'), { node: 'n2' })).kind, 'queued');
  const outcome = await find(person('b'));
  assert.is(outcome.kind, 'matched');
  if (outcome.kind !== 'matched') return;
  assert.is(outcome.partner.id, 'c-a');
  assert.is(outcome.node, 'n2');
  const inbox = (await conn.command(['XRANGE', `${PREFIX}inbox:n2`, '-', '+'])) as [string, string[]][];
  assert.is(inbox.length, 1);
  const told = JSON.parse(inbox[0]![1][1]!);
  assert.is(told.t, 'matched');
  assert.is(told.to, 'c-a');
  assert.is(told.from.id, 'c-b');
  assert.is(told.conv, outcome.conversationId);
  // Nobody is left waiting.
  assert.is(await conn.command(['ZCARD', `${PREFIX}q:text:adult:all`]), 0);
});

test('a match on one node sends nothing to an inbox', async () => {
  await find(person('a'));
  assert.is((await find(person('b'))).kind, 'matched');
  assert.is(await conn.command(['EXISTS', `${PREFIX}inbox:n1`]), 0);
});

test('bands and modes never meet', async () => {
  await find(person('minor', { band: 'minor' }));
  assert.is((await find(person('adult'))).kind, 'queued');
  assert.is((await find(person('video'), { mode: 'video' })).kind, 'queued');
  const outcome = await find(person('minor2', { band: 'minor' }));
  assert.is(outcome.kind === 'matched' && outcome.partner.id, 'c-minor');
});

test('one device, session or identity is never paired with itself', async () => {
  await find(person('a'));
  assert.is((await find(person('b', { deviceId: 'd-a' }))).kind, 'queued');
  await reset();
  await find(person('a'));
  assert.is((await find(person('c', { sessionId: 's-a', deviceId: 'd-c' }))).kind, 'queued');
  await reset();
  await find(person('x', { identityHash: 'same' }));
  assert.is((await find(person('y', { identityHash: 'same' }))).kind, 'queued');
});

test('an avoided pair is never paired, from either side, until the avoid expires', async () => {
  const reporter = person('r', { address: '198.51.100.1' });
  const reported = person('x', { address: '198.51.100.2' });
  const now = Date.now();
  await pairing.avoid(avoidsAfterReport(avoidSubject(reporter), avoidSubject(reported), { now, addressWindowMs: 60_000, reportedAddressShared: false }));
  await find(reporter);
  assert.is((await find(reported)).kind, 'queued');
  // A new cookie on the reported side's address: still avoided (the address, for the window).
  await reset();
  await pairing.avoid(avoidsAfterReport(avoidSubject(reporter), avoidSubject(reported), { now, addressWindowMs: 60_000, reportedAddressShared: false }));
  await find(reporter);
  assert.is((await find(person('x2', { address: '198.51.100.2' }))).kind, 'queued');
  // After the window the new device is free, the old one never.
  await reset();
  await pairing.avoid(avoidsAfterReport(avoidSubject(reporter), avoidSubject(reported), { now: now - 120_000, addressWindowMs: 60_000, reportedAddressShared: false }));
  await find(reporter);
  const later = await find(person('x3', { address: '198.51.100.2' }));
  assert.is(later.kind === 'matched' && later.partner.id, 'c-r');
  await reset();
  await pairing.avoid(avoidsAfterReport(avoidSubject(reporter), avoidSubject(reported), { now: now - 120_000, addressWindowMs: 60_000, reportedAddressShared: false }));
  await find(reporter);
  assert.is((await find(reported)).kind, 'queued');
});

test('an avoid of a shared address keeps apart only devices first seen there after the report', async () => {
  const reporter = person('r', { address: '198.51.100.1' });
  const reported = person('x', { address: '198.51.100.7' });
  const now = Date.now();
  await pairing.avoid(avoidsAfterReport(avoidSubject(reporter), avoidSubject(reported), { now, addressWindowMs: 60_000, reportedAddressShared: true }));
  await find(reporter);
  // A classmate known there before the report may meet the reporter.
  const classmate = await find(person('old', { address: '198.51.100.7', deviceSince: now - 10_000 }));
  assert.is(classmate.kind === 'matched' && classmate.partner.id, 'c-r');
  await find(reporter);
  // A device new there since the report (the reported person's new cookie) may not.
  assert.is((await find(person('new', { address: '198.51.100.7', deviceSince: now + 1 }))).kind, 'queued');
});

test('avoids merge as mergeAvoids does: the longer and the stricter', async () => {
  const base = { a: 'device:1', b: 'address:198.51.100.3', createdAt: 1000 };
  await pairing.avoid([{ ...base, expiresAt: 5000, shared: true }]);
  await pairing.avoid([{ ...base, createdAt: 500, expiresAt: 9000, shared: false }]);
  assert.is(await conn.command(['HGET', `${PREFIX}av:device:1`, 'address:198.51.100.3']), '500|9000|0');
  await pairing.avoid([{ ...base, expiresAt: null, shared: true }]);
  assert.is(await conn.command(['HGET', `${PREFIX}av:address:198.51.100.3`, 'device:1']), '500||0');
});

test("a dead node's waiting entries are never taken, and are removed when met", async () => {
  await find(person('ghost'), { node: 'n9' });
  assert.is((await find(person('b'))).kind, 'queued');
  assert.is(await conn.command(['EXISTS', `${PREFIX}e:e-c-ghost-${seq - 1}`]), 0);
});

test('shared interests first, the most shared first; random only when ready', async () => {
  // One device behind 'one', 'two' and 'none', so that they never take each other.
  await find(person('one', { deviceId: 'd-same' }), { interests: ['chess'], ready: false });
  await find(person('two', { deviceId: 'd-same' }), { interests: ['chess', 'go'], ready: false });
  await find(person('none', { deviceId: 'd-same' }));
  const outcome = await find(person('seeker'), { interests: ['chess', 'go'], ready: false });
  assert.is(outcome.kind === 'matched' && outcome.partner.id, 'c-two');
  assert.equal(outcome.kind === 'matched' && outcome.commonInterests, ['chess', 'go']);
  // Without a shared interest and not ready yet: queued, even with a ready person waiting.
  assert.is((await find(person('waiter'), { interests: ['knitting'], ready: false })).kind, 'queued');
  // Once ready (the same entry, again), the random pairing takes someone.
  const entry = `e-c-waiter-${seq}`;
  const again = await pairing.find({ entry, node: 'n1', participant: person('waiter'), mode: 'text', interests: ['knitting'], ready: true, conversationId: 'cv', now: Date.now(), random: 0 });
  assert.is(again.kind, 'matched');
  assert.equal(again.kind === 'matched' && again.commonInterests, []);
});

test('a retried find returns the first outcome and never takes a second person', async () => {
  await find(person('a', { deviceId: 'd-same' }));
  await find(person('c', { deviceId: 'd-same' }));
  const input: FindInput = { entry: 'retry-1', node: 'n1', participant: person('b'), mode: 'text', interests: [], ready: true, conversationId: 'cv-1', now: Date.now(), random: 0 };
  const first = await pairing.find(input);
  const second = await pairing.find({ ...input, conversationId: 'cv-2' });
  assert.equal(second, first);
  assert.is(await conn.command(['ZCARD', `${PREFIX}q:text:adult:all`]), 1);
  // The taken side's entry, found again (a node re-enqueuing after a blip), says it was taken.
  const takenEntry = first.kind === 'matched' ? first.entry : '';
  const replay = await pairing.find({ ...input, entry: takenEntry, participant: first.kind === 'matched' ? first.partner : person('x') });
  assert.equal(replay, { kind: 'taken', conversationId: 'cv-1' });
  // A repeated enqueue of a waiting entry does not queue it twice.
  const waiting: FindInput = { ...input, entry: 'wait-1', participant: person('w'), mode: 'video' };
  await pairing.find(waiting);
  await pairing.find(waiting);
  assert.is(await conn.command(['ZCARD', `${PREFIX}q:video:adult:all`]), 1);
});

test('cancel removes a waiting entry and says when it was already taken', async () => {
  const input: FindInput = { entry: 'c-1', node: 'n1', participant: person('a'), mode: 'text', interests: ['x'], ready: false, conversationId: 'cv', now: Date.now(), random: 0 };
  await pairing.find(input);
  assert.is(await pairing.cancel('c-1'), true);
  assert.is(await pairing.cancel('c-1'), false);
  assert.is(await conn.command(['EXISTS', `${PREFIX}q:text:adult:i:x`]), 0);
});

test('the script is loaded again after a Redis restart', async () => {
  await find(person('a'));
  await redis.restart();
  await waitReady();
  await alive('n1');
  assert.is((await find(person('b'))).kind, 'queued');
  assert.is((await find(person('c'))).kind, 'matched');
});

async function waitReady(): Promise<void> {
  for (let i = 0; i < 200 && !conn.isReady; i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

test.run();
