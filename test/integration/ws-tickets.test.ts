// The WebSocket upgrade: who gets in (a fresh ticket, the right path and Origin) and what they hear first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, getTicket, openSocket, type TestClient } from '../helpers/client.ts';

/** Default ticket lifetime (settings.limits.ticketTtlSeconds). */
const TICKET_TTL_MS = 60_000;
const PUBLIC_URL = 'https://chat.example.org';
const PUBLIC_ORIGIN = 'https://chat.example.org';
const FOREIGN_ORIGIN = 'https://evil.example.com';

interface Refusal {
  status: number;
  body: { error: { code: string; message: string } };
}

/** Opens a socket that must be refused; resolves with the HTTP status and the parsed error body. */
async function refused(open: Promise<TestClient>): Promise<Refusal> {
  try {
    const client = await open;
    client.close();
  } catch (error) {
    const { status, body } = error as { status?: number; body?: string };
    assert.type(status, 'number', `expected an HTTP refusal, got ${String(error)}`);
    return { status: status!, body: JSON.parse(body ?? '') as Refusal['body'] };
  }
  throw new Error('the upgrade was accepted');
}

/** Opens a WebSocket on an arbitrary path (openSocket always uses /ws). */
function openPath(baseUrl: string, pathAndQuery: string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}${pathAndQuery}`);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`upgrade on ${pathAndQuery} was accepted`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}

/** Polls a condition (server-side cleanup follows a client's close by a moment). */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const clients: TestClient[] = [];
const track = <T extends TestClient>(client: T): T => (clients.push(client), client);

let clock = Date.now();
let server: TestServer;
test.before(async () => {
  server = await newServer({}, { now: () => clock });
});
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  await until(async () => (await server.stats()).online === 0);
});
test.after(() => server.stop());

test('a missing ticket is refused with 401 and the one error shape', async () => {
  const { status, body } = await refused(openSocket(server.url, null));
  assert.is(status, 401);
  assert.is(body.error.code, 'invalid_ticket');
  assert.type(body.error.message, 'string');
});

test('an unknown ticket is refused with 401', async () => {
  const { status, body } = await refused(openSocket(server.url, 'not-a-ticket-this-server-issued'));
  assert.is(status, 401);
  assert.is(body.error.code, 'invalid_ticket');
});

test('a ticket works once: the second upgrade with it is refused with 401', async () => {
  const { ticket } = await getTicket(server.url);
  const first = track(await openSocket(server.url, ticket));
  await first.next('welcome');
  const { status } = await refused(openSocket(server.url, ticket));
  assert.is(status, 401);
});

test('a ticket is accepted just before it expires', async () => {
  const { ticket } = await getTicket(server.url);
  clock += TICKET_TTL_MS - 1000;
  const client = track(await openSocket(server.url, ticket));
  await client.next('welcome');
});

test('an expired ticket is refused with 401', async () => {
  const { ticket } = await getTicket(server.url);
  clock += TICKET_TTL_MS + 1;
  const { status, body } = await refused(openSocket(server.url, ticket));
  assert.is(status, 401);
  assert.is(body.error.code, 'invalid_ticket');
});

test('an upgrade on another path is refused with 404, and the ticket stays usable', async () => {
  const { ticket } = await getTicket(server.url);
  const { status, body } = await refused(openPath(server.url, `/socket?ticket=${encodeURIComponent(ticket)}`));
  assert.is(status, 404);
  assert.is(body.error.code, 'not_found');
  const client = track(await openSocket(server.url, ticket));
  await client.next('welcome');
});

test('welcome carries protocol v1, the connection id, who is online and the ICE settings', async () => {
  const first = track(await connect(server.url));
  const second = track(await connect(server.url));
  for (const { welcome } of [first, second]) {
    assert.is(welcome.v, 1);
    assert.type(welcome.id, 'string');
    assert.ok(welcome.id.length > 0);
    assert.type(welcome.online, 'number');
    assert.ok(Array.isArray(welcome.iceServers), 'iceServers is an array');
    assert.is(welcome.relayOnly, false);
  }
  assert.is.not(first.welcome.id, second.welcome.id);
  assert.is(first.welcome.online, 1, 'online counts the newcomer');
  assert.is(second.welcome.online, 2);
});

test('with a public URL set, a foreign Origin is refused with 403 without spending the ticket', async () => {
  const guarded = await newServer({ publicUrl: PUBLIC_URL });
  try {
    const { ticket } = await getTicket(guarded.url);
    const { status, body } = await refused(openSocket(guarded.url, ticket, { Origin: FOREIGN_ORIGIN }));
    assert.is(status, 403);
    assert.is(body.error.code, 'forbidden_origin');
    const client = track(await openSocket(guarded.url, ticket, { Origin: PUBLIC_ORIGIN }));
    const welcome = await client.next('welcome');
    assert.is(welcome.v, 1);
  } finally {
    for (const client of clients.splice(0)) client.close();
    await guarded.stop();
  }
});

test('without a public URL any Origin is accepted', async () => {
  const { ticket } = await getTicket(server.url);
  const client = track(await openSocket(server.url, ticket, { Origin: FOREIGN_ORIGIN }));
  await client.next('welcome');
});

test.run();
