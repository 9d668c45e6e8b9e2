// Bad input, floods, idle sockets and shutdown: each gets the documented answer or close code,
// and nobody else notices.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, getTicket, type TestClient } from '../helpers/client.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';

/** Protocol v1: the largest frame the server accepts. */
const MAX_FRAME_BYTES = 64 * 1024;
const MAX_MESSAGE_CHARS = 1000;
const MAX_INTERESTS = 10;
const MAX_INTEREST_CHARS = 32;
/** Small limits so abuse trips them quickly. */
const LIMITS = { protocolStrikes: 3, messagesPerSecond: 2, messageBurst: 8, rateLimitStrikes: 3 };
/** The schema minimums of the heartbeat and idle settings. */
const HEARTBEAT_MS = 1000;
const IDLE_TIMEOUT_MS = 10_000;
const QUIET_MS = 400;
/** Well under the 30 s `ws` waits for a peer to answer a close frame. */
const PROMPT_MS = 2000;

type Client = Awaited<ReturnType<typeof connect>>;

let server: TestServer;
const clients: TestClient[] = [];

async function join(on: TestServer = server): Promise<Client> {
  const client = await connect(on.url);
  clients.push(client);
  return client;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function pairUp(a: TestClient, b: TestClient): Promise<void> {
  a.send({ type: 'find', mode: 'text' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'text' });
  await Promise.all([a.next('matched'), b.next('matched')]);
}

/** The connection still answers: a ping gets its pong. */
async function assertAlive(client: TestClient): Promise<void> {
  client.send({ type: 'ping' });
  await client.next('pong');
  assert.is(client.closeCode, undefined);
}

const count = (client: TestClient, predicate: (m: TestClient['inbox'][number]) => boolean) => client.inbox.filter(predicate).length;

test.before(async () => {
  server = await newServer({ limits: LIMITS });
});
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  await until(async () => (await server.stats()).online === 0);
});
test.after(() => server.stop());

const BAD_FRAMES: Array<{ name: string; frame: string | Buffer; code: string }> = [
  { name: 'not JSON', frame: 'hello?', code: 'bad_message' },
  { name: 'a JSON array', frame: '[{"type":"ping"}]', code: 'bad_message' },
  { name: 'JSON null', frame: 'null', code: 'bad_message' },
  { name: 'an object without type', frame: JSON.stringify({ mode: 'text' }), code: 'bad_message' },
  { name: 'a non-string type', frame: JSON.stringify({ type: 7 }), code: 'bad_message' },
  { name: 'an unknown type', frame: JSON.stringify({ type: 'dance' }), code: 'unknown_type' },
  { name: 'an unknown mode', frame: JSON.stringify({ type: 'find', mode: 'audio' }), code: 'bad_message' },
  { name: 'a numeric text', frame: JSON.stringify({ type: 'message', text: 42 }), code: 'bad_message' },
  { name: 'a string for a boolean', frame: JSON.stringify({ type: 'typing', on: 'yes' }), code: 'bad_message' },
  { name: 'an extra field', frame: JSON.stringify({ type: 'ping', from: 'someone-else' }), code: 'bad_message' },
  { name: 'an empty text', frame: JSON.stringify({ type: 'message', text: '' }), code: 'bad_message' },
  { name: 'an unknown report reason', frame: JSON.stringify({ type: 'report', reason: 'boring' }), code: 'bad_message' },
  { name: 'a text over 1000 characters', frame: JSON.stringify({ type: 'message', text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }), code: 'too_large' },
  {
    name: 'more than 10 interests',
    frame: JSON.stringify({ type: 'find', mode: 'text', interests: Array.from({ length: MAX_INTERESTS + 1 }, (_, i) => `topic${i}`) }),
    code: 'too_large',
  },
  { name: 'an interest over 32 characters', frame: JSON.stringify({ type: 'find', mode: 'text', interests: ['y'.repeat(MAX_INTEREST_CHARS + 1)] }), code: 'too_large' },
  { name: 'a binary frame', frame: Buffer.from(JSON.stringify({ type: 'ping' })), code: 'bad_message' },
];

for (const { name, frame, code } of BAD_FRAMES) {
  test(`${name} gets error ${code} and the connection carries on`, async () => {
    const client = await join();
    client.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    const error = await client.next('error');
    assert.is(error.code, code);
    assert.type(error.message, 'string');
    assert.ok(error.message.length > 0);
    await assertAlive(client);
  });
}

test('a text of exactly 1000 characters and exactly 10 interests are accepted', async () => {
  const a = await join();
  const b = await join();
  a.send({ type: 'find', mode: 'text', interests: Array.from({ length: MAX_INTERESTS }, (_, i) => `topic${i}`) });
  await a.next('queued');
  b.send({ type: 'find', mode: 'text', interests: ['topic9', 'i'.repeat(MAX_INTEREST_CHARS)] });
  const [matched] = await Promise.all([a.next('matched'), b.next('matched')]);
  assert.equal(matched.commonInterests, ['topic9']);
  a.send({ type: 'message', text: 'z'.repeat(MAX_MESSAGE_CHARS) });
  assert.is((await b.next('message')).text.length, MAX_MESSAGE_CHARS);
  await a.none('error', 0);
});

test('repeated protocol violations close the socket with 4400, fewer do not', async () => {
  const client = await join();
  for (let i = 1; i < LIMITS.protocolStrikes; i++) {
    client.send('garbage');
    await client.next('error');
  }
  await assertAlive(client);
  client.send({ type: 'nope' });
  assert.is((await client.next('error')).code, 'unknown_type');
  assert.is(await client.waitClose(), CloseCode.ProtocolViolation);
});

test('frames that follow the closing violation are ignored, not relayed', async () => {
  const abuser = await join();
  const partner = await join();
  await pairUp(abuser, partner);
  for (let i = 0; i < LIMITS.protocolStrikes; i++) abuser.send('garbage');
  abuser.send({ type: 'message', text: 'sent after the last straw' });
  assert.is(await abuser.waitClose(), CloseCode.ProtocolViolation);
  await until(() => count(partner, (m) => m.type === 'ended') === 1);
  assert.is(count(partner, (m) => m.type === 'message'), 0, 'nothing from the closed socket was relayed');
  assert.equal(await partner.next('ended'), { type: 'ended', by: 'stranger', reason: 'disconnected' });
});

test('the partner of a socket closed for abuse is freed at once, even if that socket never finishes closing', async () => {
  const abuser = await join();
  const partner = await join();
  await pairUp(abuser, partner);
  for (let i = 0; i < LIMITS.protocolStrikes; i++) abuser.send('garbage');
  // A hostile client that stops reading never answers the server's close frame.
  (abuser.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  assert.equal(await partner.next('ended', PROMPT_MS), { type: 'ended', by: 'stranger', reason: 'disconnected' });
  partner.send({ type: 'find', mode: 'text' });
  await partner.next('queued');
  assert.equal((await server.stats()).conversations, 0);
});

test('a frame over 64 KiB closes the socket with 1009; one just under it does not', async () => {
  const client = await join();
  const underLimit = JSON.stringify({ type: 'message', text: 'u'.repeat(MAX_FRAME_BYTES - 64) });
  assert.ok(Buffer.byteLength(underLimit) <= MAX_FRAME_BYTES);
  client.send(underLimit);
  assert.is((await client.next('error')).code, 'too_large');
  await assertAlive(client);

  client.send('o'.repeat(MAX_FRAME_BYTES + 1));
  assert.is(await client.waitClose(), CloseCode.TooLarge);
  const after = await join();
  await assertAlive(after);
});

test('a flood beyond the token bucket gets rate_limited, then close 4429', async () => {
  const client = await join();
  const flood = LIMITS.messageBurst + LIMITS.rateLimitStrikes + 20;
  for (let i = 0; i < flood; i++) client.send({ type: 'ping' });
  assert.is(await client.waitClose(), CloseCode.RateLimited);
  const pongs = count(client, (m) => m.type === 'pong');
  const limited = count(client, (m) => m.type === 'error' && m.code === 'rate_limited');
  // The bucket refills 2 a second: at most one extra token while the flood is read.
  assert.ok(pongs >= LIMITS.messageBurst && pongs <= LIMITS.messageBurst + 1, `${pongs} pongs`);
  assert.is(limited, LIMITS.rateLimitStrikes);
});

test('a burst within the bucket is served in full', async () => {
  const client = await join();
  for (let i = 0; i < LIMITS.messageBurst; i++) client.send({ type: 'ping' });
  await until(() => count(client, (m) => m.type === 'pong') === LIMITS.messageBurst);
  await client.none('error', QUIET_MS);
  assert.is(client.closeCode, undefined);
});

test('while one connection floods and sends garbage, another pair talks undisturbed', async () => {
  const abuser = await join();
  const abusersPartner = await join();
  await pairUp(abuser, abusersPartner);
  const alice = await join();
  const bob = await join();
  await pairUp(alice, bob);

  for (let i = 0; i < 200; i++) abuser.send(i % 2 ? 'x'.repeat(MAX_FRAME_BYTES - 16) : { type: 'message', text: `spam ${i}` });
  const lines = ['hi bob', 'hi alice', 'how are you?', 'fine'];
  for (const [i, text] of lines.entries()) {
    const [from, to] = i % 2 ? [bob, alice] : [alice, bob];
    from.send({ type: 'message', text });
    assert.is((await to.next('message')).text, text);
  }
  const code = await abuser.waitClose();
  assert.ok(code === CloseCode.RateLimited || code === CloseCode.ProtocolViolation, `closed with ${code}`);
  assert.equal(await abusersPartner.next('ended'), { type: 'ended', by: 'stranger', reason: 'disconnected' });
  assert.is(alice.closeCode, undefined);
  assert.is(bob.closeCode, undefined);
  await alice.none('ended', 0);
  await bob.none('ended', 0);
  assert.is((await server.stats()).conversations, 1);
});

test('an idle connection closes with 4408; queued, talking and recently active ones stay', async () => {
  let clock = Date.now();
  const idleServer = await newServer({ limits: { heartbeatIntervalMs: HEARTBEAT_MS, idleTimeoutMs: IDLE_TIMEOUT_MS } }, { now: () => clock });
  try {
    const idle = await join(idleServer);
    const queued = await join(idleServer);
    queued.send({ type: 'find', mode: 'video' });
    await queued.next('queued');
    const [a, b] = [await join(idleServer), await join(idleServer)];
    await pairUp(a, b);
    const active = await join(idleServer);

    clock += IDLE_TIMEOUT_MS / 2;
    await assertAlive(active);
    clock += IDLE_TIMEOUT_MS / 2 + 1;
    assert.is(await idle.waitClose(3 * HEARTBEAT_MS), CloseCode.Idle);
    // Another sweep passes without closing anyone else.
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS + 200));
    for (const client of [queued, a, b, active]) assert.is(client.closeCode, undefined);
  } finally {
    for (const client of clients.splice(0)) client.close();
    await idleServer.stop();
  }
});

test('a connection that stops answering pings is dropped', async () => {
  const heartbeatServer = await newServer({ limits: { heartbeatIntervalMs: HEARTBEAT_MS } });
  try {
    const partner = await join(heartbeatServer);
    const { ticket } = await getTicket(heartbeatServer.url);
    const silent = new WebSocket(`${heartbeatServer.url.replace(/^http/, 'ws')}/ws?ticket=${encodeURIComponent(ticket)}`, { autoPong: false });
    silent.on('error', () => {});
    const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    const matched = new Promise<void>((resolve) =>
      silent.on('message', (data) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === 'matched') resolve();
      }),
    );
    await new Promise((resolve) => silent.once('open', resolve));
    partner.send({ type: 'find', mode: 'text' });
    await partner.next('queued');
    silent.send(JSON.stringify({ type: 'find', mode: 'text' }));
    await matched;
    // Abnormal closure: the server terminates the socket without a close frame.
    const code = await Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 3 * HEARTBEAT_MS))]);
    assert.is(code, 1006);
    assert.equal(await partner.next('ended', 3 * HEARTBEAT_MS), { type: 'ended', by: 'stranger', reason: 'disconnected' });
    assert.is(partner.closeCode, undefined);
  } finally {
    for (const client of clients.splice(0)) client.close();
    await heartbeatServer.stop();
  }
});

test('graceful shutdown closes every client with 1001', async () => {
  const closing = await newServer();
  try {
    const idle = await join(closing);
    const [a, b] = [await join(closing), await join(closing)];
    await pairUp(a, b);
    await closing.close();
    for (const client of [idle, a, b]) assert.is(await client.waitClose(), CloseCode.GoingAway);
  } finally {
    clients.splice(0);
    await closing.stop();
  }
});

test.run();
