// Rate limits against the real server with small configured values: new sessions, open
// connections and chat messages per address (IPv6 counted per /64), find/next and reports per
// connection. Addresses come through a trusted proxy (127.0.0.1) as X-Forwarded-For.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { openSocket, type TestClient } from '../helpers/client.ts';
import { join, pairUp, requestSession, type Person } from '../helpers/people.ts';

const PROXY = { trustedProxies: ['127.0.0.1'] };
const TEN_MINUTES_MS = 10 * 60_000;
/** How long "nothing arrives" is watched for. */
const QUIET_MS = 400;

const servers: TestServer[] = [];
const clients: TestClient[] = [];

async function start(rateLimits: Record<string, number>, now?: () => number): Promise<TestServer> {
  const server = await newServer({ ...PROXY, rateLimits }, now ? { now } : {});
  servers.push(server);
  return server;
}

async function person(server: TestServer, address: string): Promise<Person> {
  const client = await join(server.url, { address });
  clients.push(client);
  return client;
}

async function sessionStatus(server: TestServer, address: string): Promise<number> {
  const { res } = await requestSession(server.url, { address });
  await res.body?.cancel();
  return res.status;
}

async function ticketFor(server: TestServer, address: string): Promise<string> {
  const { res } = await requestSession(server.url, { address });
  assert.is(res.status, 201);
  return ((await res.json()) as { ticket: string }).ticket;
}

/** The refusal of an upgrade: its HTTP status and error body. */
async function refusedUpgrade(server: TestServer, ticket: string, address: string): Promise<{ status: number; body: { error: Record<string, unknown> } }> {
  try {
    const client = await openSocket(server.url, ticket, { 'x-forwarded-for': address });
    clients.push(client);
  } catch (error) {
    const { status, body } = error as { status?: number; body?: string };
    if (status === undefined) throw error;
    return { status, body: JSON.parse(body ?? '{}') as { error: Record<string, unknown> } };
  }
  throw new Error('the upgrade was accepted');
}

/** Opens a socket, retrying while the server has not yet seen an earlier socket close. */
async function openWhenFree(server: TestServer, ticket: string, address: string, timeoutMs = 2000): Promise<TestClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const client = await openSocket(server.url, ticket, { 'x-forwarded-for': address });
      clients.push(client);
      await client.next('welcome');
      return client;
    } catch (error) {
      if ((error as { status?: number }).status !== 429 || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

test('sessions per address: over the limit POST /api/session answers 429 rate_limited with retryAfter', async () => {
  let offsetMs = 0;
  const server = await start({ sessionsPer10Minutes: 3 }, () => Date.now() + offsetMs);
  for (let i = 0; i < 3; i++) assert.is(await sessionStatus(server, '203.0.113.7'), 201);

  const { res } = await requestSession(server.url, { address: '203.0.113.7' });
  assert.is(res.status, 429);
  const body = (await res.json()) as { error: { code: string; message: string; retryAfter: number } };
  assert.is(body.error.code, 'rate_limited');
  assert.type(body.error.message, 'string');
  assert.ok(Number.isInteger(body.error.retryAfter) && body.error.retryAfter > 590 && body.error.retryAfter <= 600, `retryAfter ${body.error.retryAfter}`);
  assert.is(res.headers.get('retry-after'), String(body.error.retryAfter));
  assert.equal(await server.db.selectFrom('sessions').select('id').where('address', '=', '203.0.113.7').execute().then((r) => r.length), 3, 'no session was created');

  assert.is(await sessionStatus(server, '203.0.113.8'), 201, 'another address is not affected');
  offsetMs = TEN_MINUTES_MS;
  assert.is(await sessionStatus(server, '203.0.113.7'), 201, 'allowed again once the window has passed');
});

test('sessions per address: IPv6 addresses count per /64', async () => {
  const server = await start({ sessionsPer10Minutes: 2 });
  assert.is(await sessionStatus(server, '2001:db8:1:1::1'), 201);
  assert.is(await sessionStatus(server, '2001:db8:1:1::2'), 201);
  assert.is(await sessionStatus(server, '2001:db8:1:1:ffff:ffff:ffff:ffff'), 429, 'a third address in the same /64');
  assert.is(await sessionStatus(server, '2001:db8:1:2::1'), 201, 'the next /64 is someone else');
  assert.is(await sessionStatus(server, '2001:db8:1:2::2'), 201);
  assert.is(await sessionStatus(server, '2001:db8:1:2::3'), 429);
  assert.is(await sessionStatus(server, '198.51.100.1'), 201);
});

test('connections per address: the upgrade over the limit is refused with HTTP 429; closing frees a slot', async () => {
  const server = await start({ connectionsPerAddress: 2 });
  const first = await person(server, '203.0.113.20');
  await person(server, '203.0.113.20');
  const ticket = await ticketFor(server, '203.0.113.20');
  const refusal = await refusedUpgrade(server, ticket, '203.0.113.20');
  assert.is(refusal.status, 429);
  assert.is(refusal.body.error.code, 'rate_limited');
  assert.type(refusal.body.error.message, 'string');
  await person(server, '203.0.113.21'); // another address is not affected

  first.close();
  // The refused upgrade did not use the ticket up.
  const replacement = await openWhenFree(server, ticket, '203.0.113.20');
  assert.is(replacement.inbox.length, 0);
});

test('connections per address: slots are given back however a socket ends (no leak)', async () => {
  const server = await start({ connectionsPerAddress: 2 });
  const address = '203.0.113.30';
  for (let round = 0; round < 3; round++) {
    const a = await openWhenFree(server, await ticketFor(server, address), address);
    const b = await openWhenFree(server, await ticketFor(server, address), address);
    a.close(); // abrupt
    b.ws.close(1000, 'bye'); // clean
  }
  // Refused upgrades (bad ticket, 401) hold no slot either.
  for (let i = 0; i < 4; i++) assert.is((await refusedUpgrade(server, 'not-a-ticket', address)).status, 401);
  await openWhenFree(server, await ticketFor(server, address), address);
  await openWhenFree(server, await ticketFor(server, address), address);
  assert.is((await refusedUpgrade(server, await ticketFor(server, address), address)).status, 429, 'and the limit still holds');
});

test('connections per address: IPv6 addresses count per /64', async () => {
  const server = await start({ connectionsPerAddress: 1 });
  await person(server, '2001:db8:a:b::1');
  const sameNetwork = await refusedUpgrade(server, await ticketFor(server, '2001:db8:a:b::2'), '2001:db8:a:b::2');
  assert.is(sameNetwork.status, 429);
  await person(server, '2001:db8:a:c::1');
  await person(server, '198.51.100.40');
});

test('find and next per connection: over the limit answers rate_limited and the request is dropped', async () => {
  const server = await start({ findsPerMinute: 3 });
  const a = await person(server, '203.0.113.50');
  const b = await person(server, '203.0.113.51');
  a.send({ type: 'find', mode: 'text' });
  await a.next('queued');
  a.send({ type: 'next' });
  await a.next('queued');
  a.send({ type: 'next' });
  await a.next('queued');
  a.send({ type: 'leave' });
  a.send({ type: 'find', mode: 'text' });
  const error = await a.next('error');
  assert.is(error.code, 'rate_limited');
  a.send({ type: 'next' });
  assert.is((await a.next('error')).code, 'rate_limited');

  // a is not queued: b waits alone.
  b.send({ type: 'find', mode: 'text' });
  await b.next('queued');
  await b.none('matched', QUIET_MS);
  assert.is((await server.stats()).queued, 1);
  // Another connection has its own allowance.
  const c = await person(server, '203.0.113.50');
  c.send({ type: 'find', mode: 'text' });
  await Promise.all([b.next('matched'), c.next('matched')]);
});

test('reports per connection: over the limit answers rate_limited and the conversation goes on', async () => {
  const server = await start({ reportsPer10Minutes: 1 });
  const reporter = await person(server, '203.0.113.60');
  const first = await person(server, '203.0.113.61');
  const second = await person(server, '203.0.113.62');
  await pairUp(reporter, first);
  reporter.send({ type: 'report', reason: 'spam' });
  await reporter.next('reported');
  await first.next('ended');

  await pairUp(reporter, second);
  reporter.send({ type: 'report', reason: 'spam' });
  assert.is((await reporter.next('error')).code, 'rate_limited');
  await second.none('ended', QUIET_MS);
  reporter.send({ type: 'message', text: 'still talking' });
  assert.is((await second.next('message')).text, 'still talking');
  assert.is(await server.db.selectFrom('reports').select('id').execute().then((r) => r.length), 1);
});

test('messages per address: counted across all of an address’s connections (IPv6: its /64)', async () => {
  const server = await start({ messagesPerMinutePerAddress: 4 });
  const x1 = await person(server, '2001:db8:5:5::1');
  const y = await person(server, '198.51.100.70');
  await pairUp(x1, y);
  const x2 = await person(server, '2001:db8:5:5:abcd::2');
  const z = await person(server, '198.51.100.71');
  await pairUp(x2, z);

  for (const [from, to] of [[x1, y], [x1, y], [x2, z], [x2, z]] as const) {
    from.send({ type: 'message', text: 'hello' });
    assert.is((await to.next('message')).text, 'hello');
  }
  x2.send({ type: 'message', text: 'one too many' });
  assert.is((await x2.next('error')).code, 'rate_limited');
  x1.send({ type: 'message', text: 'one too many' });
  assert.is((await x1.next('error')).code, 'rate_limited');
  await z.none('message', QUIET_MS);
  await y.none('message', 0);

  // Their partners' addresses have their own allowance.
  y.send({ type: 'message', text: 'hi back' });
  assert.is((await x1.next('message')).text, 'hi back');
  // So does another /64.
  const w = await person(server, '2001:db8:5:6::1');
  const v = await person(server, '198.51.100.72');
  await pairUp(w, v);
  w.send({ type: 'message', text: 'hello' });
  assert.is((await v.next('message')).text, 'hello');
});

test.run();
