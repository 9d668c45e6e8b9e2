// Two real `strangerchat start` processes, one private PostgreSQL and one private Redis: the
// cluster as an operator runs it (docs/scaling.md). People on different nodes are paired; what
// they send crosses in order; a report on one node ends the conversation on the other and the two
// never meet again; a ban typed in the terminal closes a socket on the other node within 2 s;
// per-address and login limits are shared; random churn across both nodes keeps the invariants;
// a Redis restart is survived; and a node killed with SIGKILL after it ends its partners'
// conversations.
// (Hocuspocus tests its Redis extension the same way: two servers, one Redis.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { runBin, spawnStart } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';
import { newPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { newRedis, type TestRedis } from '../helpers/redis.ts';
import { join as joinChat, requestSession, sleep, type Person } from '../helpers/people.ts';
import { seededRandom } from '../helpers/random.ts';
import type { ServerMessage } from '../../server/protocol/messages.ts';
import { LOGIN_LIMITS } from '../../server/access/login-limits.ts';

const SESSIONS_PER_ADDRESS = 12;

let postgres: TestPostgres;
let redis: TestRedis;
let here: string;
let env: Record<string, string>;
const nodes: Array<{ name: string; child: ChildProcess; url: string; stderr(): string; exited: Promise<number | null> }> = [];
const people: Person[] = [];
let addresses = 0;

/** A fresh documentation address per person, so the per-address limits stay out of the way. */
const nextAddress = () => `198.51.${100 + Math.floor(addresses / 250)}.${(addresses++ % 250) + 1}`;

async function person(url: string, address = nextAddress(), cookie?: string): Promise<Person> {
  const p = await joinChat(url, { address, ...(cookie ? { cookie } : {}) });
  people.push(p);
  return p;
}

async function startNode(name: string, dir: string) {
  const started = await spawnStart(['-C', dir], { cwd: here, env: { ...env, STRANGERCHAT_NODE_ID: name } });
  const node = { name, ...started };
  nodes.push(node);
  // Both nodes must be registered before a test relies on pairing across them.
  return node;
}

test.before(async () => {
  try {
    await setUp();
  } catch (error) {
    console.error(error);
    throw error;
  }
});

async function setUp(): Promise<void> {
  [postgres, redis] = await Promise.all([newPostgres(), newRedis()]);
  here = tempDir('strangerchat-cluster-');
  const made = await runBin(['init', 'chat', '--yes', '--port', '0'], { cwd: here });
  assert.is(made.code, 0, made.stderr);
  const dirA = join(here, 'chat');
  const settingsFile = join(dirA, 'strangerchat.json');
  const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
  settings.trustedProxies = ['127.0.0.1'];
  settings.rateLimits = { ...(settings.rateLimits as object), sessionsPer10Minutes: SESSIONS_PER_ADDRESS };
  settings.pairing = { ...(settings.pairing as object), interestWaitMs: 500 };
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  // The second node: the same instance (its settings and .env secrets) in a folder of its own.
  const dirB = join(here, 'chat-b');
  cpSync(dirA, dirB, { recursive: true });
  env = { STRANGERCHAT_DATABASE_URL: postgres.url, STRANGERCHAT_REDIS_URL: redis.url, STRANGERCHAT_LOG_LEVEL: 'warn' };
  await startNode('node-a', dirA);
  await startNode('node-b', dirB);
}

test.after(async () => {
  if (process.env.CLUSTER_TEST_LOGS) for (const node of nodes) writeFileSync(join(process.env.CLUSTER_TEST_LOGS, `${node.name}.log`), node.stderr());
  for (const p of people) p.close();
  for (const node of nodes) {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
  }
  await Promise.all(nodes.map((node) => Promise.race([node.exited, sleep(8000)])));
  for (const node of nodes) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  await redis?.stop();
  await postgres?.stop();
  if (here) rmSync(here, { recursive: true, force: true });
});

const [A, B] = [0, 1];
const url = (i: number) => nodes[i]!.url;

/** Leaves everyone who is still connected idle and closed, so one test's people never meet another's. */
function dismiss(...ps: Person[]): void {
  for (const p of ps) p.close();
}

test('people on different nodes are paired, exactly one of them the initiator', async () => {
  const alice = await person(url(A));
  const bob = await person(url(B));
  alice.send({ type: 'find', mode: 'text' });
  await alice.next('queued');
  bob.send({ type: 'find', mode: 'text' });
  const [ma, mb] = await Promise.all([alice.next('matched'), bob.next('matched')]);
  assert.is(ma.conversationId, mb.conversationId);
  assert.is(Number(ma.initiator) + Number(mb.initiator), 1);
  dismiss(alice, bob);
});

test('messages and signals cross nodes in order, stamped by the server; ends reach the other node', async () => {
  const viv = await person(url(A));
  const vic = await person(url(B));
  viv.send({ type: 'find', mode: 'video' });
  await viv.next('queued');
  vic.send({ type: 'find', mode: 'video' });
  await Promise.all([viv.next('matched'), vic.next('matched')]);
  // 25 of each: 50 frames stay inside the per-connection burst (limits.messageBurst, 60), so the leave after them counts.
  for (let i = 0; i < 25; i++) {
    viv.send({ type: 'message', text: `line ${i}` });
    viv.send({ type: 'signal', data: { candidate: { candidate: `candidate:${i} 1 udp 1 198.51.100.9 ${9000 + i} typ relay raddr 0.0.0.0 rport 0`, sdpMid: '0', sdpMLineIndex: 0 } } });
  }
  const relayed = () => vic.inbox.filter((m) => m.type === 'message' || m.type === 'signal');
  for (let i = 0; i < 100 && relayed().length < 50; i++) await sleep(50);
  const order = relayed().map((m) =>
    m.type === 'message' ? m.text : `signal ${/^candidate:(\d+)/.exec((m as Extract<ServerMessage, { type: 'signal' }>).data && 'candidate' in m.data ? (m.data.candidate as { candidate: string }).candidate : '')?.[1]}`,
  );
  assert.equal(order, Array.from({ length: 25 }, (_, i) => [`line ${i}`, `signal ${i}`]).flat(), 'in the order sent');
  assert.ok(vic.inbox.filter((m) => m.type === 'message').every((m) => m.type === 'message' && typeof m.at === 'number'));
  viv.send({ type: 'leave' });
  assert.equal(await vic.next('ended'), { type: 'ended', by: 'stranger', reason: 'left' });
  dismiss(viv, vic);
});

test('a report on one node ends the conversation on the other, carries both sides, and the two never meet again', async () => {
  const reporter = await person(url(A));
  const reported = await person(url(B));
  reporter.send({ type: 'find', mode: 'text' });
  await reporter.next('queued');
  reported.send({ type: 'find', mode: 'text' });
  await Promise.all([reporter.next('matched'), reported.next('matched')]);
  reported.send({ type: 'message', text: 'something nasty' });
  await reporter.next('message');
  reporter.send({ type: 'message', text: 'stop it' });
  await reported.next('message');
  reporter.send({ type: 'report', reason: 'harassment' });
  assert.equal(await reported.next('ended'), { type: 'ended', by: 'stranger', reason: 'left' });
  await reporter.next('reported');
  // The report holds both sides' lines, read back through the CLI.
  const listed = await runBin(['reports', 'list', '--json', '-C', join(here, 'chat')], { cwd: here, env });
  assert.is(listed.code, 0, listed.stderr);
  const { reports } = JSON.parse(listed.stdout) as { reports: Array<{ id: string }> };
  assert.is(reports.length, 1);
  const shown = await runBin(['reports', 'show', reports[0]!.id, '--json', '-C', join(here, 'chat')], { cwd: here, env });
  assert.is(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /something nasty/);
  assert.match(shown.stdout, /stop it/);
  // Many finds on both nodes, with a third person around: the reported pair never meets again.
  const third = await person(url(B));
  for (let round = 0; round < 4; round++) {
    reporter.send({ type: 'find', mode: 'text' });
    await reporter.next('queued');
    reported.send({ type: 'find', mode: 'text' });
    await reported.next('queued');
    third.send({ type: 'find', mode: 'text' });
    await third.next('queued');
    const matched = await third.next('matched');
    const metThird = (p: Person) => p.inbox.some((m) => m.type === 'matched' && m.conversationId === matched.conversationId);
    for (let i = 0; i < 40 && !metThird(reporter) && !metThird(reported); i++) await sleep(50);
    const other = [reporter, reported].find(metThird);
    assert.ok(other, 'the third person met one of the two');
    await other!.next('matched');
    const alone = other === reporter ? reported : reporter;
    await alone.none('matched', 300);
    third.send({ type: 'leave' });
    await other!.next('ended');
    alone.send({ type: 'leave' });
    await sleep(50);
  }
  dismiss(reporter, reported, third);
});

test('a ban typed in the terminal closes a socket on the other node within 2 s', async () => {
  const address = '203.0.113.77';
  const target = await person(url(B), address);
  const started = Date.now();
  const banned = await runBin(['ban', 'add', address, '--reason', 'spam', '--duration', '1d', '-C', join(here, 'chat')], { cwd: here, env });
  assert.is(banned.code, 0, banned.stderr);
  const written = Date.now();
  const message = await target.next('banned', 4000);
  assert.is(message.reason, 'spam');
  const code = await target.waitClose(4000);
  assert.is(code, 4403);
  const after = Date.now() - written;
  assert.ok(after < 2000, `closed ${after} ms after the ban was written (the command took ${written - started} ms)`);
});

test('per-address limits are shared by the nodes', async () => {
  const address = '203.0.113.200';
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < SESSIONS_PER_ADDRESS * 2; i++) {
    const { res } = await requestSession(url(i % 2), { address });
    await res.body?.cancel();
    if (res.status === 201) accepted++;
    else if (res.status === 429) refused++;
  }
  assert.is(accepted, SESSIONS_PER_ADDRESS, 'one budget for the address, whichever node it reaches');
  assert.is(refused, SESSIONS_PER_ADDRESS);
});

test('wrong passwords spread over both nodes count against one login limit', async () => {
  const added = await runBin(['mod', 'add', 'olive', '--role', 'owner', '--password-stdin', '-C', join(here, 'chat')], { cwd: here, env, stdin: 'correct horse battery staple' });
  assert.is(added.code, 0, added.stderr);
  const statuses: number[] = [];
  const attempts = LOGIN_LIMITS.perAccountPlace.attempts;
  // One guesser at one address, alternating nodes: each node alone would allow `attempts` of them.
  for (let i = 0; i < attempts + 3; i++) {
    const res = await fetch(`${url(i % 2)}/api/mod/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.150' },
      body: JSON.stringify({ username: 'olive', password: `wrong guess ${i}` }),
    });
    await res.body?.cancel();
    statuses.push(res.status);
  }
  assert.equal(statuses, [...Array(attempts).fill(401), 429, 429, 429], 'one budget for the account at that address, whichever node checks');
});

test('random churn across both nodes keeps the invariants: no self, no double pairing, one initiator', async () => {
  const random = seededRandom(7);
  const crowd: Person[] = [];
  for (let i = 0; i < 12; i++) crowd.push(await person(url(i % 2)));
  for (let step = 0; step < 150; step++) {
    const p = crowd[Math.floor(random() * crowd.length)]!;
    const roll = random();
    if (roll < 0.5) p.send({ type: 'find', mode: 'text', ...(random() < 0.3 ? { interests: ['music'] } : {}) });
    else if (roll < 0.8) p.send({ type: 'next' });
    else p.send({ type: 'leave' });
    if (step % 10 === 0) await sleep(20);
  }
  await sleep(1500);
  // Every conversation was announced to exactly two different people, one the initiator.
  const sides = new Map<string, Array<{ who: number; initiator: boolean }>>();
  crowd.forEach((p, who) => {
    for (const m of p.inbox) if (m.type === 'matched') sides.set(m.conversationId, [...(sides.get(m.conversationId) ?? []), { who, initiator: m.initiator }]);
  });
  assert.ok(sides.size > 5, `only ${sides.size} conversations`);
  const crossNode = [...sides.values()].filter((s) => s.length === 2 && s[0]!.who % 2 !== s[1]!.who % 2).length;
  assert.ok(crossNode > 0, 'some conversations crossed nodes');
  for (const [id, told] of sides) {
    if (told.length === 1) {
      // Taken from the queue in the instant its person pressed next or leave on the other node:
      // the seeker hears at once that the stranger left. Never a conversation half-held.
      const inbox = crowd[told[0]!.who]!.inbox;
      const at = inbox.findIndex((m) => m.type === 'matched' && m.conversationId === id);
      assert.ok(inbox.slice(at + 1).some((m) => m.type === 'ended'), `conversation ${id} told to one side, and never ended`);
      continue;
    }
    assert.is(told.length, 2, `conversation ${id} told to ${told.length}`);
    assert.is.not(told[0]!.who, told[1]!.who, 'nobody is paired with themselves');
    assert.is(Number(told[0]!.initiator) + Number(told[1]!.initiator), 1);
  }
  // Nobody is in two conversations at once: between two matched, an ended.
  for (const p of crowd) {
    let inConversation = false;
    for (const m of p.inbox) {
      if (m.type === 'matched') {
        assert.not.ok(inConversation, 'matched again without the first conversation ending');
        inConversation = true;
      } else if (m.type === 'ended') inConversation = false;
    }
  }
  dismiss(...crowd);
});

test('a Redis restart is survived: a person waiting before it is paired across nodes after it', async () => {
  const early = await person(url(A));
  early.send({ type: 'find', mode: 'text' });
  await early.next('queued');
  // Down for longer than a heartbeat's period (1 s), as a real restart can be: each node beats
  // at least once while Redis is away.
  await redis.kill();
  await sleep(1200);
  await redis.restart();
  await sleep(1500);
  const late = await person(url(B));
  late.send({ type: 'find', mode: 'text' });
  const [me, ml] = await Promise.all([early.next('matched', 8000), late.next('matched', 8000)]);
  assert.is(me.conversationId, ml.conversationId);
  early.send({ type: 'message', text: 'still here' });
  assert.is((await late.next('message')).text, 'still here');
  dismiss(early, late);
});

// After the Redis restart on purpose: a node must keep watching its partners' nodes through one.
test("SIGKILL of one node, after the Redis restart, ends its partners' conversations on the other within a few seconds", async () => {
  const survivor = await person(url(A));
  const doomed = await person(url(B));
  survivor.send({ type: 'find', mode: 'text' });
  await survivor.next('queued');
  doomed.send({ type: 'find', mode: 'text' });
  const [ms, md] = await Promise.all([survivor.next('matched'), doomed.next('matched')]);
  assert.is(ms.conversationId, md.conversationId, 'the two met each other');
  const killedAt = Date.now();
  nodes[B]!.child.kill('SIGKILL');
  assert.equal(await survivor.next('ended', 10_000), { type: 'ended', by: 'stranger', reason: 'disconnected' });
  const after = Date.now() - killedAt;
  assert.ok(after < 8000, `ended ${after} ms after the kill`);
  // The dead node's waiting people are never matched: a find on the survivor's node just waits.
  survivor.send({ type: 'find', mode: 'text' });
  await survivor.next('queued');
  await survivor.none('matched', 500);
  dismiss(survivor, doomed);
});

test.run();
