// Bans on a verified identity (the `email` access mode): they follow the person from device to
// device. The identity cookie is signed here as the server signs it (Koa's keygrip, HMAC-SHA1),
// standing in for a magic link opened earlier (email-access.test.ts covers that part).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, randomBytes } from 'node:crypto';
import { newServer, type TestServer } from '../helpers/server.ts';
import { openSocket, type TestClient } from '../helpers/client.ts';
import { banStatusOf, CLI_ACTOR, cliBans, request, trySession, untilBanned } from '../helpers/bans.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';
import type { BanService } from '../../server/moderation/bans.ts';

const SESSION_SECRET = 'bans-identity-test-secret-0123456789abcdef';
const PUBLIC_URL = 'https://chat.school.example.org';
const DAY = 24 * 3600_000;
/** An operator's own appeal page (`moderation.appealUrl`), shown instead of the built-in one. */
const APPEAL_URL = 'https://school.example.org/chat-appeals';

let server: TestServer;
let operator: BanService;
const clients: TestClient[] = [];
test.before(async () => {
  server = await newServer(
    { accessMode: 'email', publicUrl: PUBLIC_URL, email: { domains: ['school.example.org'], smtp: { host: '127.0.0.1', port: 9 } }, moderation: { appealUrl: APPEAL_URL } },
    { secrets: { sessionSecret: SESSION_SECRET } },
  );
  operator = await cliBans(server);
});
test.after(async () => {
  for (const client of clients) client.close();
  await server.stop();
});

/** A signed `sc_identity` cookie for a verified identity, valid for a day. */
function identityCookie(identityHash: string): string {
  const value = `${identityHash}.${Date.now() + DAY}`;
  const sig = createHmac('sha1', SESSION_SECRET).update(`sc_identity=${value}`).digest('base64url');
  return `sc_identity=${value}; sc_identity.sig=${sig}`;
}

const newIdentity = () => randomBytes(32).toString('base64url');

/** A session and a live socket for a verified identity, on a fresh device. */
async function connectAs(identityHash: string): Promise<TestClient> {
  const session = await trySession(server.url, identityCookie(identityHash));
  assert.is(session.status, 201, JSON.stringify(session.body));
  const client = await openSocket(server.url, session.body.ticket!, { origin: PUBLIC_URL });
  clients.push(client);
  await client.next('welcome');
  return client;
}

test('an identity ban kicks the live connection, refuses a session from any device, and closes the site to it', async () => {
  const banned = newIdentity();
  const other = newIdentity();
  const person = await connectAs(banned);
  const bystander = await connectAs(other);
  const ban = await operator.add({ target: `identity:${banned}`, reason: 'Grooming attempt' }, CLI_ACTOR);
  assert.equal(await person.next('banned', 2000), { type: 'banned', reason: 'Grooming attempt', until: null });
  assert.is(await person.waitClose(), CloseCode.Banned);

  // A new device (no device cookie) with the same verified identity.
  const session = await trySession(server.url, identityCookie(banned));
  assert.is(session.status, 403);
  assert.equal([session.body.error?.code, session.body.error?.reason, session.body.error?.appealUrl], ['banned', 'Grooming attempt', APPEAL_URL]);
  assert.equal(await banStatusOf(server.url, identityCookie(banned)), { banned: true, reason: 'Grooming attempt', until: null, severity: 'no_access', appealUrl: APPEAL_URL });
  const gate = await request<{ error: Record<string, unknown> }>(server.url, '/api/email/status', { cookie: identityCookie(banned) });
  assert.equal([gate.status, gate.body.error.code, gate.body.error.appealUrl], [403, 'banned', APPEAL_URL]);

  // Someone else on the same address and the same kind of device is not affected.
  assert.equal(await banStatusOf(server.url, identityCookie(other)), { banned: false });
  assert.is((await trySession(server.url, identityCookie(other))).status, 201);
  bystander.send({ type: 'ping' });
  await bystander.next('pong');

  await operator.lift(ban.id, CLI_ACTOR);
  await untilBanned(server.url, false, identityCookie(banned));
  assert.is((await trySession(server.url, identityCookie(banned))).status, 201);
});

test.run();
