// Bans against the real server with real WebSocket clients: written by the operator through a
// second database connection (as the CLI will), they reach the running server through the
// moderation feed; they are enforced at /api/session, at the WebSocket upgrade, on every other
// HTTP path (no_access), and live. The test client's address is 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, getTicket, openSocket, type TestClient } from '../helpers/client.ts';
import { banStatusOf, CLI_ACTOR, cliBans, deviceOf, refusedUpgrade, request, trySession, untilBanned } from '../helpers/bans.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';
import type { BanService } from '../../server/moderation/bans.ts';
import type { Ban } from '../../server/moderation/ban-index.ts';

/** DESIGN.md: a ban written by any process disconnects the person within 2 seconds. */
const LIVE_DEADLINE_MS = 2000;
const MINUTE = 60_000;
const APPEAL_URL = '/appeal';

let server: TestServer;
let operator: BanService;
/** The server's clock: real time plus a skew the expiry test moves forward. */
let skew = 0;
const now = () => Date.now() + skew;

test.before(async () => {
  server = await newServer({}, { now });
  operator = await cliBans(server, now);
});
test.after(() => server.stop());

type Client = Awaited<ReturnType<typeof connect>>;
const clients: TestClient[] = [];
const added: Ban[] = [];

/** Adds a ban as the operator; every test ends with its bans lifted. */
async function ban(target: string, options: { reason?: string; severity?: 'no_access' | 'no_matching'; durationMs?: number } = {}): Promise<Ban> {
  const created = await operator.add(
    { target, reason: options.reason ?? `test ban on ${target}`, severity: options.severity, durationMs: options.durationMs },
    CLI_ACTOR,
  );
  added.push(created);
  return created;
}

test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const created of added.splice(0)) await operator.lift(created.id, CLI_ACTOR);
  // Every lift has reached the server before the next test starts.
  await untilBanned(server.url, false);
});

async function join(): Promise<Client> {
  const client = await connect(server.url);
  clients.push(client);
  return client;
}

/** Two fresh people paired in a text conversation. */
async function pairUp(): Promise<[Client, Client]> {
  const a = await join();
  const b = await join();
  a.send({ type: 'find', mode: 'text' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'text' });
  await Promise.all([a.next('matched'), b.next('matched')]);
  return [a, b];
}

/** Expects the live kick: `banned` with the ban's reason and expiry, then close 4403, within 2 s of `since`. */
async function expectKicked(client: Client, expected: Ban, since: number): Promise<void> {
  const message = await client.next('banned', LIVE_DEADLINE_MS);
  const elapsed = Date.now() - since;
  assert.equal(message, { type: 'banned', reason: expected.reason, until: expected.expiresAt });
  assert.ok(elapsed < LIVE_DEADLINE_MS, `kicked ${elapsed} ms after the ban was written`);
  assert.is(await client.waitClose(), CloseCode.Banned);
}

function expectBannedError(body: { error?: Record<string, unknown> } | undefined, expected: Ban): void {
  assert.equal(body?.error, {
    code: 'banned',
    message: body?.error?.message,
    reason: expected.reason,
    until: expected.expiresAt,
    severity: expected.severity,
    appealUrl: APPEAL_URL,
  });
  assert.match(String(body?.error?.message), expected.reason);
}

test('a ban written through a second database connection kicks a live, paired client within 2 s; the partner is told', async () => {
  const [banned, partner] = await pairUp();
  const started = Date.now();
  const created = await ban(`device:${deviceOf(banned.cookie)}`, { reason: 'Spamming links' });
  await expectKicked(banned, created, started);
  assert.equal(await partner.next('ended'), { type: 'ended', by: 'system', reason: 'ban' });
  // The partner stays online and may look for someone else.
  partner.send({ type: 'find', mode: 'text' });
  await partner.next('queued');
  assert.is((await server.stats()).conversations, 0);
});

test('a banned device is refused at /api/session with the reason, until and appeal link; another device is not', async () => {
  const person = await join();
  const created = await ban(`device:${deviceOf(person.cookie)}`, { reason: 'Harassment', durationMs: 7 * 24 * 60 * MINUTE });
  await person.waitClose();
  const refused = await trySession(server.url, person.cookie);
  assert.is(refused.status, 403);
  expectBannedError(refused.body, created);
  assert.is(created.expiresAt, created.createdAt + 7 * 24 * 60 * MINUTE);
  assert.is((await trySession(server.url)).status, 201, 'a device ban leaves the address alone');
  assert.equal(await banStatusOf(server.url, person.cookie), { banned: true, reason: 'Harassment', until: created.expiresAt, severity: 'no_access', appealUrl: APPEAL_URL });
  assert.equal(await banStatusOf(server.url), { banned: false });
});

test('a banned device is refused at the WebSocket upgrade with 403, even holding a ticket issued before the ban', async () => {
  const { ticket, cookie } = await getTicket(server.url);
  const created = await ban(`device:${deviceOf(cookie)}`, { reason: 'Nudity' });
  await untilBanned(server.url, true, cookie);
  const refusal = await refusedUpgrade(openSocket(server.url, ticket));
  assert.is(refusal.status, 403);
  expectBannedError(refusal.body, created);
});

test('an IPv4 /32 ban on the address: live kick, then the session, the upgrade and the site are closed; lifting lets the person back in', async () => {
  const person = await join();
  const { ticket } = await getTicket(server.url);
  const started = Date.now();
  const created = await ban('127.0.0.1', { reason: 'Threats' });
  assert.is(created.targetKind, 'ip');
  await expectKicked(person, created, started);

  const session = await trySession(server.url);
  assert.is(session.status, 403);
  expectBannedError(session.body, created);
  const upgrade = await refusedUpgrade(openSocket(server.url, ticket));
  assert.is(upgrade.status, 403);
  assert.is(upgrade.body.error.code, 'banned');

  await operator.lift(created.id, CLI_ACTOR, 'appeal upheld');
  await untilBanned(server.url, false);
  assert.is((await trySession(server.url)).status, 201);
  const back = await join();
  back.send({ type: 'ping' });
  await back.next('pong');
});

test('no_access closes every HTTP path except health, the ban screen, the public config, appeals and the moderators', async () => {
  const created = await ban('127.0.0.1', { reason: 'Scam' });
  await untilBanned(server.url, true);
  for (const path of ['/', '/chat', '/api/email/status', '/api/anything']) {
    const answer = await request<{ error?: Record<string, unknown> }>(server.url, path);
    assert.is(answer.status, 403, path);
    expectBannedError(answer.body, created);
  }
  assert.equal(await request(server.url, '/healthz'), { status: 200, body: { status: 'ok' } });
  assert.is((await request(server.url, '/api/config')).status, 200);
  const status = await request(server.url, '/api/ban');
  assert.equal(status, { status: 200, body: { banned: true, reason: 'Scam', until: null, severity: 'no_access', appealUrl: APPEAL_URL } });
  // A moderator working from a banned network can still log in (and gets a plain 401 here).
  assert.is((await request(server.url, '/api/mod/me')).status, 401);
  // A browser opening a page is sent to the appeal page, which explains the ban.
  const page = await fetch(`${server.url}/chat`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
  assert.is(page.status, 302);
  assert.is(page.headers.get('location'), APPEAL_URL);
});

test('a CIDR containing the address bans it, in either notation; a range beside it does not', async () => {
  const neighbour = await ban('10.0.0.0/8', { reason: 'Not us' });
  await untilBanned(server.url, false);
  assert.is((await trySession(server.url)).status, 201, `${neighbour.target} does not hold 127.0.0.1`);

  const person = await join();
  const started = Date.now();
  const created = await ban('::ffff:127.0.0.0/104', { reason: 'Raid from this network' });
  assert.equal([created.targetKind, created.target], ['cidr', '127.0.0.0/8']);
  await expectKicked(person, created, started);
  const session = await trySession(server.url);
  assert.is(session.status, 403);
  expectBannedError(session.body, created);
});

test('no_matching: the site stays readable, but no session, no WebSocket, and live connections are closed', async () => {
  const person = await join();
  const { ticket, cookie } = await getTicket(server.url);
  const started = Date.now();
  const created = await ban('127.0.0.1/32', { reason: 'Under review', severity: 'no_matching' });
  await expectKicked(person, created, started);

  assert.equal(await request(server.url, '/api/email/status'), { status: 200, body: { verified: false } });
  assert.is((await request(server.url, '/api/config')).status, 200);
  assert.equal(await banStatusOf(server.url), { banned: true, reason: 'Under review', until: null, severity: 'no_matching', appealUrl: APPEAL_URL });
  const session = await trySession(server.url, cookie);
  assert.is(session.status, 403);
  expectBannedError(session.body, created);
  const upgrade = await refusedUpgrade(openSocket(server.url, ticket));
  assert.is(upgrade.status, 403);
  expectBannedError(upgrade.body, created);
});

test('the most severe of several matching bans decides', async () => {
  const person = await join();
  await ban(`device:${deviceOf(person.cookie)}`, { reason: 'Under review', severity: 'no_matching' });
  const severe = await ban('127.0.0.0/24', { reason: 'Threats', severity: 'no_access', durationMs: 60 * MINUTE });
  await untilBanned(server.url, true, person.cookie);
  const status = await banStatusOf(server.url, person.cookie);
  assert.equal(status, { banned: true, reason: 'Threats', until: severe.expiresAt, severity: 'no_access', appealUrl: APPEAL_URL });
});

test('an expiring ban stops applying at its expiry, without a restart', async () => {
  const { cookie } = await getTicket(server.url);
  const created = await ban(`device:${deviceOf(cookie)}`, { reason: 'Cool off', durationMs: 30 * MINUTE });
  await untilBanned(server.url, true, cookie);
  skew += 29 * MINUTE;
  assert.is((await trySession(server.url, cookie)).status, 403, 'a minute before its expiry');
  skew += MINUTE;
  assert.is(now() >= created.expiresAt!, true);
  assert.equal(await banStatusOf(server.url, cookie), { banned: false });
  const session = await trySession(server.url, cookie);
  assert.is(session.status, 201);
  const client = await openSocket(server.url, session.body.ticket!);
  clients.push(client);
  await client.next('welcome');
  assert.equal(
    (await operator.list(CLI_ACTOR, { status: 'expired' })).map((b) => b.id),
    [created.id],
  );
});

test.run();
