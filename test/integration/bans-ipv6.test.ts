// IPv6 bans against the real server listening on ::1: one address stands for its /64, so a ban
// typed as another address of the same /64 holds the client; a range elsewhere does not.
// Skipped, with a note, on a machine without an IPv6 loopback.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer as createNetServer } from 'node:net';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, getTicket, openSocket, type TestClient } from '../helpers/client.ts';
import { banStatusOf, CLI_ACTOR, cliBans, refusedUpgrade, trySession, untilBanned } from '../helpers/bans.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';
import type { BanService } from '../../server/moderation/bans.ts';

const LIVE_DEADLINE_MS = 2000;

async function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

const ipv6 = await hasIpv6Loopback();
if (!ipv6) console.log('bans-ipv6.test.ts: this machine has no IPv6 loopback (::1); the IPv6 /64 ban test is skipped.');
const maybe = ipv6 ? test : test.skip;

let server: TestServer;
let operator: BanService;
const clients: TestClient[] = [];
test.before(async () => {
  if (!ipv6) return;
  server = await newServer({ server: { host: '::1' } });
  operator = await cliBans(server);
});
test.after(async () => {
  for (const client of clients) client.close();
  await server?.stop();
});

maybe('the server listens on ::1 and sees the client as ::1', async () => {
  assert.match(server.url, /^http:\/\/\[::1\]:\d+$/);
  const client = await connect(server.url);
  clients.push(client);
  const row = await server.db.selectFrom('sessions').select('address').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  assert.is(row.address, '::1');
});

maybe('a ban typed as another address of the same /64 kicks a live ::1 client and closes session and upgrade', async () => {
  const person = await connect(server.url);
  clients.push(person);
  const { ticket } = await getTicket(server.url);
  const elsewhere = await operator.add({ target: '2001:db8::/32', reason: 'Elsewhere' }, CLI_ACTOR);
  const started = Date.now();
  const ban = await operator.add({ target: '::abcd:1234', reason: 'Ban evasion' }, CLI_ACTOR);
  assert.equal([ban.targetKind, ban.target], ['ip', '::/64']);
  const message = await person.next('banned', LIVE_DEADLINE_MS);
  assert.ok(Date.now() - started < LIVE_DEADLINE_MS);
  assert.equal(message, { type: 'banned', reason: 'Ban evasion', until: null });
  assert.is(await person.waitClose(), CloseCode.Banned);

  const session = await trySession(server.url);
  assert.is(session.status, 403);
  assert.equal([session.body.error?.code, session.body.error?.reason], ['banned', 'Ban evasion']);
  const upgrade = await refusedUpgrade(openSocket(server.url, ticket));
  assert.equal([upgrade.status, upgrade.body.error.code], [403, 'banned']);
  assert.equal(await banStatusOf(server.url), { banned: true, reason: 'Ban evasion', until: null, severity: 'no_access', appealUrl: '/appeal' });

  await operator.lift(ban.id, CLI_ACTOR);
  await untilBanned(server.url, false);
  assert.is((await trySession(server.url)).status, 201, `${elsewhere.target} does not hold ::1`);
  await operator.lift(elsewhere.id, CLI_ACTOR);
});

maybe('an IPv6 CIDR holding ::1 bans it; the neighbouring /64 does not', async () => {
  const neighbour = await operator.add({ target: '0:0:0:1::/64', reason: 'Next door' }, CLI_ACTOR);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await banStatusOf(server.url), { banned: false });
  const range = await operator.add({ target: '::/48', reason: 'Range', severity: 'no_matching' }, CLI_ACTOR);
  const status = await untilBanned(server.url, true);
  assert.equal(status, { banned: true, reason: 'Range', until: null, severity: 'no_matching', appealUrl: '/appeal' });
  assert.is((await trySession(server.url)).status, 403);
  await operator.lift(range.id, CLI_ACTOR);
  await operator.lift(neighbour.id, CLI_ACTOR);
  await untilBanned(server.url, false);
});

test.run();
