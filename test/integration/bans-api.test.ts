// The moderators' bans API over HTTP: who may list, add and lift (the permission matrix), what
// is refused (400s naming the field), the list's filters and pages, the check of a subject, and
// the audit log entry every add and lift leaves, with its actor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, type ModSession } from '../helpers/moderators.ts';
import { CLI_ACTOR, cliBans } from '../helpers/bans.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DEVICE = '0b3c8f52-6a8e-4e58-9d37-6f1f2a7c1d10';

interface BanJson {
  id: string;
  targetKind: string;
  target: string;
  reason: string;
  severity: string;
  note: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  liftedAt: number | null;
  liftedBy: string | null;
  status: string;
}
interface ErrorJson {
  error: { code: string; message: string; field?: string };
}

let server: TestServer;
let mona: ModSession;
let ada: ModSession;
let sam: ModSession;
test.before(async () => {
  server = await newServer();
  await createModerator(server, 'mona', 'moderator');
  await createModerator(server, 'ada', 'auditor');
  await createModerator(server, 'sam', 'safeguarding');
  [mona, ada, sam] = await Promise.all([loginModerator(server, 'mona'), loginModerator(server, 'ada'), loginModerator(server, 'sam')]);
});
test.after(() => server.stop());

async function json<T>(res: Response): Promise<{ status: number; body: T }> {
  return { status: res.status, body: (await res.json()) as T };
}

async function addBan(session: ModSession, body: Record<string, unknown>): Promise<BanJson> {
  const { status, body: answer } = await json<{ ban: BanJson } & ErrorJson>(await session.request('/api/mod/bans', { method: 'POST', body }));
  assert.is(status, 201, JSON.stringify(answer));
  return answer.ban;
}

async function auditRows(banId: string) {
  const rows = await server.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
  return rows.filter((row) => row.details && (JSON.parse(row.details) as { banId?: string }).banId === banId);
}

test('a ban that could lock the instance out is made, with warnings that name the risk (the terminal refuses it without --force)', async () => {
  const res = await json<{ ban: BanJson; warnings: Array<{ code: string; message: string }> }>(
    await mona.request('/api/mod/bans', { method: 'POST', body: { target: '127.0.0.1', reason: 'Testing.', duration: '1h' } }),
  );
  assert.is(res.status, 201);
  assert.equal(res.body.warnings.map((w) => w.code), ['loopback']);
  assert.match(res.body.warnings[0]!.message, /covers loopback/);
  const ordinary = await json<{ warnings: unknown[] }>(await mona.request('/api/mod/bans', { method: 'POST', body: { target: `device:${DEVICE}`, reason: 'Testing.', duration: '1h' } }));
  assert.equal(ordinary.body.warnings, []);
  const wide = await json<{ warnings: Array<{ code: string }> }>(await mona.request('/api/mod/bans', { method: 'POST', body: { target: '198.0.0.0/12', reason: 'Testing.', duration: '1h' } }));
  assert.equal(wide.body.warnings.map((w) => w.code), ['wide_range']);
  for (const ban of (await server.db.selectFrom('bans').select('id').where('lifted_at', 'is', null).execute())) {
    await mona.request(`/api/mod/bans/${ban.id}`, { method: 'DELETE', body: {} });
  }
});

test('a moderator adds a ban (201) with a duration, severity and note; it is audited with the moderator as actor', async () => {
  const before = Date.now();
  const ban = await addBan(mona, { target: '203.0.113.7', reason: 'Spam', severity: 'no_matching', duration: '7d', note: 'report #12' });
  assert.equal(
    { ...ban, id: undefined, createdAt: undefined, expiresAt: undefined },
    {
      ...ban,
      id: undefined,
      createdAt: undefined,
      expiresAt: undefined,
      targetKind: 'ip',
      target: '203.0.113.7',
      reason: 'Spam',
      severity: 'no_matching',
      note: 'report #12',
      createdBy: 'moderator:mona',
      liftedAt: null,
      liftedBy: null,
      status: 'active',
    },
  );
  assert.ok(ban.createdAt >= before && ban.createdAt <= Date.now());
  assert.is(ban.expiresAt, ban.createdAt + 7 * DAY);
  const rows = await auditRows(ban.id);
  assert.is(rows.length, 1);
  assert.equal([rows[0]!.actor, rows[0]!.action, rows[0]!.target, rows[0]!.reason], ['moderator:mona', 'ban.add', 'ip:203.0.113.7', 'Spam']);
});

test('durations: 30m, 12h, 2w, permanent and null', async () => {
  for (const [duration, ms] of [['30m', 30 * MINUTE], ['12h', 12 * HOUR], ['2w', 14 * DAY], ['permanent', null], [null, null]] as const) {
    const ban = await addBan(mona, { target: '198.51.100.0/24', reason: 'Raid', duration });
    assert.is(ban.expiresAt === null ? null : ban.expiresAt - ban.createdAt, ms, String(duration));
  }
  const omitted = await addBan(mona, { target: '198.51.100.0/24', reason: 'Raid' });
  assert.is(omitted.expiresAt, null);
  assert.is(omitted.severity, 'no_access', 'no_access unless said otherwise');
});

test('invalid targets, durations, severities and bodies are answered 400 naming the field', async () => {
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ target: 'nobody', reason: 'x' }, 'invalid_target', 'target'],
    [{ target: '203.0.113.7/33', reason: 'x' }, 'invalid_target', 'target'],
    [{ target: '0.0.0.0/0', reason: 'x' }, 'invalid_target', 'target'],
    [{ target: 'device:abc', reason: 'x' }, 'invalid_target', 'target'],
    [{ target: '203.0.113.7', reason: 'x', duration: '7x' }, 'invalid_duration', 'duration'],
    [{ target: '203.0.113.7', reason: 'x', duration: '0d' }, 'invalid_duration', 'duration'],
    [{ target: '203.0.113.7', reason: 'x', duration: '-1d' }, 'invalid_duration', 'duration'],
    [{ target: '203.0.113.7', reason: '   ' }, 'invalid_reason', 'reason'],
  ];
  for (const [body, code, field] of cases) {
    const { status, body: answer } = await json<ErrorJson>(await mona.request('/api/mod/bans', { method: 'POST', body }));
    assert.is(status, 400, JSON.stringify(body));
    assert.is(answer.error.code, code, JSON.stringify(body));
    assert.match(answer.error.message, new RegExp(`^${field}: `), answer.error.message);
  }
  // Schema errors (types, unknown severities, missing fields) name the field too.
  for (const [body, field] of [
    [{ target: '203.0.113.7', reason: 'x', severity: 'forever' }, 'severity'],
    [{ target: '203.0.113.7' }, 'reason'],
    [{ reason: 'x' }, 'target'],
    [{ target: '203.0.113.7', reason: 'x', duration: 7 }, 'duration'],
    [{ target: '203.0.113.7', reason: 'x', extra: true }, 'body'],
  ] as const) {
    const { status, body: answer } = await json<ErrorJson>(await mona.request('/api/mod/bans', { method: 'POST', body }));
    assert.is(status, 400, JSON.stringify(body));
    assert.is(answer.error.code, 'invalid_body');
    assert.ok(answer.error.message.includes(field), answer.error.message);
  }
  const count = await server.db.selectFrom('bans').select((eb) => eb.fn.countAll().as('n')).where('reason', '=', 'x').executeTakeFirst();
  assert.is(Number(count?.n), 0, 'nothing refused was stored');
});

test('an auditor can list and check bans but cannot add or lift them', async () => {
  const ban = await addBan(mona, { target: `device:${DEVICE}`, reason: 'Nudity' });
  const list = await json<{ bans: BanJson[] }>(await ada.request('/api/mod/bans?status=all'));
  assert.is(list.status, 200);
  assert.ok(list.body.bans.some((b) => b.id === ban.id));
  assert.is((await ada.request(`/api/mod/bans/check?subject=device:${DEVICE}`)).status, 200);
  assert.is((await ada.request(`/api/mod/bans/${ban.id}`)).status, 200);

  const add = await json<ErrorJson>(await ada.request('/api/mod/bans', { method: 'POST', body: { target: '192.0.2.1', reason: 'x' } }));
  assert.equal([add.status, add.body.error.code], [403, 'forbidden']);
  assert.match(add.body.error.message, 'bans.add');
  const lift = await json<ErrorJson>(await ada.request(`/api/mod/bans/${ban.id}`, { method: 'DELETE' }));
  assert.equal([lift.status, lift.body.error.code], [403, 'forbidden']);
  assert.is((await server.db.selectFrom('bans').select('lifted_at').where('id', '=', ban.id).executeTakeFirst())?.lifted_at, null);
  assert.is(await server.db.selectFrom('bans').select('id').where('target', '=', '192.0.2.1').executeTakeFirst(), undefined);
});

test('no session, no API; no CSRF token, no change', async () => {
  assert.is((await fetch(`${server.url}/api/mod/bans`)).status, 401);
  assert.is((await fetch(`${server.url}/api/mod/bans/check?subject=192.0.2.1`)).status, 401);
  const noCsrf = await json<ErrorJson>(await mona.request('/api/mod/bans', { method: 'POST', body: { target: '192.0.2.2', reason: 'x' }, csrf: false }));
  assert.equal([noCsrf.status, noCsrf.body.error.code], [403, 'csrf_failed']);
});

test('a moderator lifts a ban with a reason; safeguarding may too; each lift is audited with its actor', async () => {
  const first = await addBan(sam, { target: '2001:db8:7::1', reason: 'Hate' });
  assert.equal([first.targetKind, first.target, first.createdBy], ['ip', '2001:db8:7::/64', 'moderator:sam']);
  const lifted = await json<{ ban: BanJson }>(await mona.request(`/api/mod/bans/${first.id}`, { method: 'DELETE', body: { reason: 'appeal upheld' } }));
  assert.is(lifted.status, 200);
  assert.equal([lifted.body.ban.status, lifted.body.ban.liftedBy], ['lifted', 'moderator:mona']);
  const second = await addBan(mona, { target: '2001:db8:8::/48', reason: 'Hate' });
  assert.is((await sam.request(`/api/mod/bans/${second.id}`, { method: 'DELETE' })).status, 200);

  const firstRows = await auditRows(first.id);
  assert.equal(firstRows.map((r) => [r.actor, r.action, r.target, r.reason]), [
    ['moderator:sam', 'ban.add', 'ip:2001:db8:7::/64', 'Hate'],
    ['moderator:mona', 'ban.lift', 'ip:2001:db8:7::/64', 'appeal upheld'],
  ]);
  const secondRows = await auditRows(second.id);
  assert.equal(secondRows.map((r) => [r.actor, r.action]), [['moderator:mona', 'ban.add'], ['moderator:sam', 'ban.lift']]);
  const missing = await json<ErrorJson>(await mona.request('/api/mod/bans/no-such-ban', { method: 'DELETE' }));
  assert.equal([missing.status, missing.body.error.code], [404, 'not_found']);
  assert.is((await mona.request('/api/mod/bans/no-such-ban')).status, 404);
  const one = await json<{ ban: BanJson }>(await ada.request(`/api/mod/bans/${first.id}`));
  assert.equal([one.status, one.body.ban.id, one.body.ban.status], [200, first.id, 'lifted']);
  const badBody = await mona.request(`/api/mod/bans/${second.id}`, { method: 'DELETE', body: { reason: 5 } });
  assert.is(badBody.status, 400);
});

test('bans added and lifted from the terminal are audited with the operator as actor', async () => {
  const operator = await cliBans(server);
  const ban = await operator.add({ target: '192.0.2.0/28', reason: 'Botnet', durationMs: HOUR }, CLI_ACTOR);
  await operator.lift(ban.id, CLI_ACTOR, 'false positive');
  const rows = await auditRows(ban.id);
  assert.equal(rows.map((r) => [r.actor, r.action, r.target, r.reason]), [
    ['cli:test', 'ban.add', 'cidr:192.0.2.0/28', 'Botnet'],
    ['cli:test', 'ban.lift', 'cidr:192.0.2.0/28', 'false positive'],
  ]);
});

test('the list filters by status and pages with limit and offset', async () => {
  const fresh = await newServer();
  try {
    await createModerator(fresh, 'mona', 'moderator');
    const session = await loginModerator(fresh, 'mona');
    const operator = await cliBans(fresh);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await operator.add({ target: `192.0.2.${i + 1}`, reason: `active ${i}` }, CLI_ACTOR)).id);
    const lifted = await operator.add({ target: '192.0.2.100', reason: 'lifted' }, CLI_ACTOR);
    await operator.lift(lifted.id, CLI_ACTOR);
    // An expired ban: written with a clock an hour behind.
    const past = await cliBans(fresh, () => Date.now() - 2 * HOUR);
    const expired = await past.add({ target: '192.0.2.200', reason: 'expired', durationMs: HOUR }, CLI_ACTOR);

    const list = async (query: string) => json<{ bans: BanJson[]; hasMore: boolean; status: string }>(await session.request(`/api/mod/bans${query}`));
    const byDefault = await list('');
    assert.equal([byDefault.body.status, byDefault.body.bans.length], ['active', 5]);
    assert.ok(byDefault.body.bans.every((b) => b.status === 'active'));
    assert.equal((await list('?status=lifted')).body.bans.map((b) => [b.id, b.status]), [[lifted.id, 'lifted']]);
    assert.equal((await list('?status=expired')).body.bans.map((b) => [b.id, b.status]), [[expired.id, 'expired']]);
    assert.is((await list('?status=all')).body.bans.length, 7);

    const page1 = await list('?status=active&limit=2');
    const page2 = await list('?status=active&limit=2&offset=2');
    const page3 = await list('?status=active&limit=2&offset=4');
    assert.equal([page1.body.hasMore, page2.body.hasMore, page3.body.hasMore], [true, true, false]);
    const paged = [...page1.body.bans, ...page2.body.bans, ...page3.body.bans];
    assert.equal(paged.map((b) => b.id).sort(), [...made].sort(), 'each active ban once');
    assert.ok(paged.every((b, i) => i === 0 || paged[i - 1]!.createdAt >= b.createdAt), 'newest first');

    for (const [query, field] of [['?status=forever', 'status'], ['?limit=0', 'limit'], ['?limit=100000', 'limit'], ['?offset=-1', 'offset'], ['?limit=ten', 'limit']]) {
      const refused = await json<ErrorJson>(await session.request(`/api/mod/bans${query}`));
      assert.is(refused.status, 400, query);
      assert.is(refused.body.error.field, field, query);
      assert.match(refused.body.error.message, new RegExp(`^${field}: `));
    }
  } finally {
    await fresh.stop();
  }
});

test('check tells which active bans match a subject, and why', async () => {
  const range = await addBan(mona, { target: '203.0.113.128/25', reason: 'Raid', severity: 'no_matching' });
  const exact = await addBan(mona, { target: '203.0.113.200', reason: 'Threats' });
  const liftedOne = await addBan(mona, { target: '203.0.113.201', reason: 'Old' });
  await mona.request(`/api/mod/bans/${liftedOne.id}`, { method: 'DELETE' });

  const check = async (subject: string) =>
    json<{ banned: boolean; matches: Array<{ ban: BanJson; why: string }> } & ErrorJson>(await ada.request(`/api/mod/bans/check?subject=${encodeURIComponent(subject)}`));
  const hit = await check('::ffff:203.0.113.200');
  assert.is(hit.body.banned, true);
  assert.equal(hit.body.matches.map((m) => [m.ban.id, m.why]), [
    [exact.id, 'address 203.0.113.200 in 203.0.113.200'],
    [range.id, 'address 203.0.113.200 in 203.0.113.128/25'],
  ]);
  assert.equal((await check('203.0.113.201')).body.matches.map((m) => m.ban.id), [range.id], 'the lifted ban no longer matches');
  assert.equal(await check('203.0.113.127').then((r) => r.body), { subject: '203.0.113.127', banned: false, matches: [] } as never);
  const device = await check(`device:${DEVICE}`);
  assert.ok(device.body.matches.every((m) => m.why === `device ${DEVICE}`));

  for (const subject of ['', 'nobody', '203.0.113.0/24', 'device:x']) {
    const refused = await check(subject);
    assert.is(refused.status, 400, subject);
    assert.is(refused.body.error.code, 'invalid_subject');
    assert.match(refused.body.error.message, /^subject: /);
  }
});

test.run();
