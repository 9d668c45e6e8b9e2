// The invite access mode: codes with a number of uses and an expiry, created, listed and
// revoked by moderators, redeemed at POST /api/session.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, type ModSession } from '../helpers/moderators.ts';

const HOUR_MS = 3600_000;
let clock = Date.now();
let server: TestServer;
let mod: ModSession;

test.before(async () => {
  server = await newServer({ accessMode: 'invite' }, { now: () => clock });
  await createModerator(server, 'mona', 'moderator');
  mod = await loginModerator(server, 'mona');
});
test.after(() => server.stop());

const join = (inviteCode?: string) =>
  fetch(`${server.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ acceptRules: true, age: 16, ...(inviteCode === undefined ? {} : { inviteCode }) }),
  });
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

async function createInvite(body: Record<string, unknown>): Promise<{ code: string; invite: { id: string; hint: string } }> {
  const res = await mod.request('/api/mod/invites', { method: 'POST', body });
  assert.is(res.status, 201);
  return (await res.json()) as { code: string; invite: { id: string; hint: string } };
}

test('/api/config says the access mode', async () => {
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as { accessMode: string };
  assert.is(config.accessMode, 'invite');
});

test('without a code: invite_required; with a wrong one: invite_invalid', async () => {
  const none = await join();
  assert.is(none.status, 403);
  assert.is(await errorCode(none), 'invite_required');
  const wrong = await join('AAAA-BBBB-CCCC');
  assert.is(wrong.status, 403);
  assert.is(await errorCode(wrong), 'invite_invalid');
});

test('a refused code stores nothing: no session, and no age-band lock for the browser', async () => {
  const count = async (table: 'sessions' | 'age_band_locks') => Number((await server.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const before = { sessions: await count('sessions'), locks: await count('age_band_locks') };
  assert.is((await join()).status, 403);
  assert.is((await join('AAAA-BBBB-CCCC')).status, 403);
  assert.equal({ sessions: await count('sessions'), locks: await count('age_band_locks') }, before);
});

test('a code works for exactly its number of uses, typed loosely', async () => {
  const { code } = await createInvite({ uses: 2 });
  assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  assert.is((await join(code)).status, 201);
  assert.is((await join(code.toLowerCase().replaceAll('-', ' '))).status, 201);
  const third = await join(code);
  assert.is(third.status, 403);
  assert.is(await errorCode(third), 'invite_invalid');
});

test('a code stops working when it expires', async () => {
  const { code } = await createInvite({ uses: 10, expiresInHours: 1 });
  assert.is((await join(code)).status, 201);
  clock += HOUR_MS + 1;
  assert.is((await join(code)).status, 403);
});

test('a revoked code stops working and shows as revoked', async () => {
  const { code, invite } = await createInvite({ uses: 10, note: 'class 4B' });
  assert.is((await mod.request(`/api/mod/invites/${invite.id}`, { method: 'DELETE' })).status, 200);
  assert.is((await join(code)).status, 403);
  const list = (await (await mod.request('/api/mod/invites')).json()) as { invites: Array<{ id: string; status: string; note: string; hint: string }> };
  const listed = list.invites.find((i) => i.id === invite.id)!;
  assert.is(listed.status, 'revoked');
  assert.is(listed.note, 'class 4B');
  assert.is(listed.hint, code.slice(0, 4));
});

test('codes are stored only as hashes', async () => {
  const { code } = await createInvite({ uses: 1 });
  const rows = await server.db.selectFrom('invites').selectAll().execute();
  assert.not.ok(JSON.stringify(rows).includes(code));
  assert.not.ok(JSON.stringify(rows).includes(code.replaceAll('-', '')));
});

test('concurrent redemptions never exceed the uses', async () => {
  const { code } = await createInvite({ uses: 3 });
  const results = await Promise.all(Array.from({ length: 12 }, () => join(code)));
  assert.is(results.filter((r) => r.status === 201).length, 3);
});

test('invalid invite requests are refused with the field named', async () => {
  for (const body of [{ uses: 0 }, { uses: 1.5 }, { uses: 'many' }, {}, { uses: 1, expiresInHours: -1 }]) {
    const res = await mod.request('/api/mod/invites', { method: 'POST', body });
    assert.is(res.status, 400, JSON.stringify(body));
    assert.is(await errorCode(res), 'invalid_body');
  }
});

test.run();
