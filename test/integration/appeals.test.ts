// Appeals: a banned person (matched to their ban by address, device cookie and identity) files
// one appeal per ban; moderators list them; the moderator who made the ban may not decide its
// appeal; another one upholds or lifts it, recorded and audited, and a lift lets the person back;
// after a decision, a new appeal of the same ban waits for the cool-down.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, type ModSession } from '../helpers/moderators.ts';
import { join, pairUp, report, requestSession, type Person } from '../helpers/people.ts';

let server: TestServer;
const mods: Record<string, ModSession> = {};
const online: Person[] = [];
let addressCounter = 0;

test.before(async () => {
  server = await newServer({ trustedProxies: ['127.0.0.1'] });
  for (const [name, role] of [['mona', 'moderator'], ['max', 'moderator'], ['ada', 'auditor']] as const) {
    await createModerator(server, name, role);
    mods[name] = await loginModerator(server, name);
  }
});
test.after.each(() => {
  for (const person of online.splice(0)) person.close();
});
test.after(() => server.stop());

/** Someone reported and banned by mona through the report; returns their cookie and address. */
function bannedByMona(): Promise<{ cookie: string; address: string; banId: string }> {
  return bannedBy(server, mods.mona!);
}

async function bannedBy(on: TestServer, moderator: ModSession): Promise<{ cookie: string; address: string; banId: string }> {
  const address = `203.0.113.${++addressCounter}`;
  const reported = await join(on.url, { address });
  const reporter = await join(on.url, { address: `198.51.100.${++addressCounter}` });
  online.push(reported, reporter);
  await pairUp(reported, reporter);
  const { reportId } = await report(reporter, 'harassment');
  const res = await moderator.request(`/api/mod/reports/${reportId}/resolve`, {
    method: 'POST',
    body: { action: 'ban', ban: { target: 'device', severity: 'no_access', duration: 'permanent', reason: 'Repeated harassment.' } },
  });
  assert.is(res.status, 200);
  const { ban } = (await res.json()) as { ban: { id: string } };
  await reported.next('banned', 2000);
  return { cookie: reported.cookie, address, banId: ban.id };
}

function appeal(who: { cookie: string; address: string }, body: unknown): Promise<Response> {
  return fetch(`${server.url}/api/appeals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: who.cookie, 'x-forwarded-for': who.address },
    body: JSON.stringify(body),
  });
}

async function code(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

type ModAppeal = { id: string; status: string; message: string; ban: { id: string; createdBy: string; reason: string } };

async function listAppeals(who: string, status = 'open'): Promise<ModAppeal[]> {
  const res = await mods[who]!.request(`/api/mod/appeals?status=${status}`);
  assert.is(res.status, 200);
  return ((await res.json()) as { appeals: ModAppeal[] }).appeals;
}

function decide(who: string, id: string, body: unknown): Promise<Response> {
  return mods[who]!.request(`/api/mod/appeals/${id}/decide`, { method: 'POST', body });
}

test('a banned person appeals once per ban; someone not banned has nothing to appeal', async () => {
  const banned = await bannedByMona();
  assert.is((await appeal(banned, { message: '' })).status, 400);
  assert.is((await appeal(banned, { message: '   ' })).status, 400);
  assert.is((await appeal(banned, { message: 'x'.repeat(2001) })).status, 400);
  const filed = await appeal(banned, { message: 'x'.repeat(2000) });
  assert.is(filed.status, 201);
  const second = await appeal(banned, { message: 'Please, again.' });
  assert.is(second.status, 409);
  assert.is(await code(second), 'appeal_exists');
  const mine = await fetch(`${server.url}/api/appeals`, { headers: { cookie: banned.cookie, 'x-forwarded-for': banned.address } });
  assert.is(((await mine.json()) as { appeal: { status: string } }).appeal.status, 'open');

  const free = await requestSession(server.url, { address: '192.0.2.200' });
  const notBanned = await appeal({ cookie: free.cookie, address: '192.0.2.200' }, { message: 'Hello?' });
  assert.is(notBanned.status, 404);
  assert.is(await code(notBanned), 'not_banned');
  const rows = await server.db.selectFrom('appeals').selectAll().execute();
  assert.equal(rows.map((r) => [r.ban_id, r.status]), [[banned.banId, 'open']]);
});

test('simultaneous appeals of one ban: exactly one is stored', async () => {
  const banned = await bannedByMona();
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => appeal(banned, { message: `attempt ${i}` })));
  assert.equal(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
  assert.is((await server.db.selectFrom('appeals').select('id').where('ban_id', '=', banned.banId).execute()).length, 1);
});

test('the moderator who made the ban may not decide its appeal; another lifts it and the person is back', async () => {
  const banned = await bannedByMona();
  assert.is((await appeal(banned, { message: 'It was a misunderstanding.' })).status, 201);
  const listed = (await listAppeals('ada')).find((a) => a.ban.id === banned.banId)!;
  assert.ok(listed, 'the auditor may list appeals');
  assert.is(listed.message, 'It was a misunderstanding.');
  assert.is(listed.ban.createdBy, 'moderator:mona');
  assert.is(listed.ban.reason, 'Repeated harassment.');

  const own = await decide('mona', listed.id, { decision: 'lift', note: 'I was hasty.' });
  assert.is(own.status, 403);
  assert.is(await code(own), 'same_moderator');
  const auditor = await decide('ada', listed.id, { decision: 'lift', note: 'Looks fine.' });
  assert.is(auditor.status, 403);
  assert.is(await code(auditor), 'forbidden');
  assert.is((await decide('max', listed.id, { decision: 'lift' })).status, 400, 'a decision needs a note');
  assert.is((await requestSession(server.url, banned)).res.status, 403, 'still banned while the appeal is open');

  const lifted = await decide('max', listed.id, { decision: 'lift', note: 'Context shows banter.' });
  assert.is(lifted.status, 200);
  assert.is(((await lifted.json()) as { appeal: { status: string } }).appeal.status, 'lifted');
  const row = await server.db.selectFrom('appeals').selectAll().where('id', '=', listed.id).executeTakeFirstOrThrow();
  assert.equal([row.status, row.decided_by, row.decision_note], ['lifted', 'moderator:max', 'Context shows banter.']);
  assert.ok(row.decided_at);
  const ban = await server.db.selectFrom('bans').selectAll().where('id', '=', banned.banId).executeTakeFirstOrThrow();
  assert.is(ban.lifted_by, 'moderator:max');
  const audit = await server.db.selectFrom('audit_log').select(['action', 'actor']).where('action', 'in', ['appeal.lift', 'ban.lift']).execute();
  assert.equal(audit.map((a) => [a.action, a.actor]), [['ban.lift', 'moderator:max'], ['appeal.lift', 'moderator:max']]);

  // The lift reaches this process's ban index: the person may start a session again.
  const back = await requestSession(server.url, banned);
  assert.is(back.res.status, 201);
  assert.is((await decide('max', listed.id, { decision: 'uphold', note: 'again' })).status, 409, 'decided once');
  assert.ok((await listAppeals('max', 'decided')).some((a) => a.id === listed.id));
  assert.not.ok((await listAppeals('max')).some((a) => a.id === listed.id), 'no longer open');
});

test('an upheld appeal leaves the ban in place, recorded and audited', async () => {
  const banned = await bannedByMona();
  assert.is((await appeal(banned, { message: 'Not me.' })).status, 201);
  const listed = (await listAppeals('max')).find((a) => a.ban.id === banned.banId)!;
  const upheld = await decide('max', listed.id, { decision: 'uphold', note: 'The transcript is clear.' });
  assert.is(upheld.status, 200);
  assert.is((await server.db.selectFrom('bans').select('lifted_at').where('id', '=', banned.banId).executeTakeFirstOrThrow()).lifted_at, null);
  assert.is((await requestSession(server.url, banned)).res.status, 403);
  const audit = await server.db.selectFrom('audit_log').selectAll().where('action', '=', 'appeal.uphold').execute();
  assert.is(audit.length, 1);
  assert.is(audit[0]!.reason, 'The transcript is clear.');
  const again = await appeal(banned, { message: 'Once more.' });
  assert.is(again.status, 429, 'a decided appeal blocks a new one for the cool-down');
  assert.is(await code(again), 'appeal_too_soon');
});

test('after a decision the same ban may be appealed again only once the cool-down has passed, and the answer says when', async () => {
  const clock = { at: Date.parse('2026-12-01T10:00:00Z') };
  const timed = await newServer({ trustedProxies: ['127.0.0.1'], moderation: { appealCooldownDays: 7 } }, { now: () => clock.at });
  try {
    await createModerator(timed, 'mona', 'moderator');
    await createModerator(timed, 'max', 'moderator');
    const banned = await bannedBy(timed, await loginModerator(timed, 'mona'));
    const post = (message: string) =>
      fetch(`${timed.url}/api/appeals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: banned.cookie, 'x-forwarded-for': banned.address },
        body: JSON.stringify({ message }),
      });
    const mine = async () =>
      ((await (await fetch(`${timed.url}/api/appeals`, { headers: { cookie: banned.cookie, 'x-forwarded-for': banned.address } })).json()) as {
        appeal: { status: string; nextAppealAt: number | null };
      }).appeal;
    assert.is((await post('It was not me.')).status, 201);
    assert.is((await mine()).nextAppealAt, null, 'no date while the appeal is open');
    const max = await loginModerator(timed, 'max');
    const [open] = ((await (await max.request('/api/mod/appeals')).json()) as { appeals: Array<{ id: string }> }).appeals;
    clock.at += 3600_000;
    const decidedAt = clock.at;
    assert.is((await max.request(`/api/mod/appeals/${open!.id}/decide`, { method: 'POST', body: { decision: 'uphold', note: 'The transcript is clear.' } })).status, 200);
    const opensAt = decidedAt + 7 * 86_400_000;
    const decided = await mine();
    assert.equal([decided.status, decided.nextAppealAt], ['upheld', opensAt], 'the person can see from when');

    clock.at = opensAt - 60_000;
    const early = await post('Please look again.');
    assert.is(early.status, 429);
    const { error } = (await early.json()) as { error: { code: string; message: string; retryAt: number; retryAfter: number } };
    assert.is(error.code, 'appeal_too_soon');
    assert.is(error.retryAt, opensAt);
    assert.is(error.retryAfter, 60);
    assert.match(error.message, new Date(opensAt).toISOString().slice(0, 16).replace('T', ' ') + ' UTC');
    assert.is((await timed.db.selectFrom('appeals').select('id').execute()).length, 1, 'nothing was stored');

    clock.at = opensAt;
    assert.is((await post('Please look again.')).status, 201, 'accepted once the cool-down has passed');
    assert.is((await mine()).status, 'open');
  } finally {
    await timed.stop();
  }
});

test.run();
