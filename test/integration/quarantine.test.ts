// Automatic quarantine: K distinct reporters (distinct devices AND distinct networks — an IPv4
// address or an IPv6 /56) within the window put the reported person in `no_matching` quarantine
// until a moderator reviews it. K reports from tabs of one browser, or from browsers behind one
// /56, are one reporter. The quarantined person is disconnected within 2 s and refused; a
// moderator lifting it lets them back; a reporter whose reports were dismissed counts half.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, type ModSession } from '../helpers/moderators.ts';
import { deviceOf, join, pairUp, report, reportedBy, requestSession, type Person } from '../helpers/people.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';
import { QUARANTINE_REASON } from '../../server/moderation/quarantine.ts';

const K = 3;
/** Long enough for the moderation feed (100 ms in tests) to have acted several times over. */
const QUIET_MS = 600;
const LIVE_ENFORCEMENT_MS = 2000;

let server: TestServer;
let mona: ModSession;
const everyone: Person[] = [];

async function start(): Promise<void> {
  server = await newServer({
    trustedProxies: ['127.0.0.1'],
    moderation: { quarantineReporters: K, quarantineWindowMinutes: 60, dismissedReportsBeforeDiscount: 1 },
  });
  await createModerator(server, 'mona', 'moderator');
  mona = await loginModerator(server, 'mona');
}

test.before.each(start);
test.after.each(async () => {
  for (const person of everyone.splice(0)) person.close();
  await server.stop();
});

async function person(address: string, cookie?: string): Promise<Person> {
  const joined = await join(server.url, { address, ...(cookie ? { cookie } : {}) });
  everyone.push(joined);
  return joined;
}

/** Quarantines in force (lifted ones are kept for the record). */
async function quarantines() {
  return server.db.selectFrom('bans').selectAll().where('quarantine', '=', 1).where('lifted_at', 'is', null).execute();
}

/** Nothing happened to the target: no ban row, still online, still pairable. */
async function notQuarantined(target: Person): Promise<void> {
  await target.none('banned', QUIET_MS);
  assert.is(target.closeCode, undefined, 'still connected');
  assert.equal(await quarantines(), []);
}

async function expectQuarantined(target: Person, since: number): Promise<void> {
  assert.equal(await target.next('banned', LIVE_ENFORCEMENT_MS), { type: 'banned', reason: QUARANTINE_REASON, until: null });
  assert.is(await target.waitClose(LIVE_ENFORCEMENT_MS), CloseCode.Banned);
  assert.ok(Date.now() - since < LIVE_ENFORCEMENT_MS, `disconnected within 2 s (${Date.now() - since} ms)`);
}

test('K reports from tabs of one browser are one reporter; exactly K distinct reporters quarantine', async () => {
  // The target has three tabs open; so has one reporting browser, each tab on a different network.
  const target = await person('198.51.100.1');
  const targetTabs = [target, await person('198.51.100.1', target.cookie), await person('198.51.100.1', target.cookie)];
  const reporterTabs = [await person('203.0.113.1')];
  reporterTabs.push(await person('203.0.113.2', reporterTabs[0]!.cookie), await person('203.0.113.3', reporterTabs[0]!.cookie));
  for (let i = 0; i < K; i++) await pairUp(targetTabs[i]!, reporterTabs[i]!);
  for (let i = 0; i < K; i++) {
    await report(reporterTabs[i]!);
    await targetTabs[i]!.next('ended');
  }
  assert.is(await server.db.selectFrom('reports').select('id').execute().then((r) => r.length), K, `${K} reports were filed`);
  await notQuarantined(target);

  // A second, distinct reporter: two of three.
  await reportedBy(target, await person('192.0.2.50'));
  await notQuarantined(target);

  // Someone is talking with another of the target's tabs when the third reporter acts.
  const bystander = await person('192.0.2.60');
  await pairUp(targetTabs[1]!, bystander);
  const third = await person('2001:db8:77::1');
  await pairUp(target, third);
  const since = Date.now();
  const { reportId } = await report(third);
  await Promise.all(targetTabs.map((tab) => expectQuarantined(tab, since)));

  const [ban, ...more] = await quarantines();
  assert.equal(more, [], 'one quarantine');
  assert.is(ban!.target_kind, 'device');
  assert.is(ban!.target, deviceOf(target.cookie));
  assert.is(ban!.severity, 'no_matching', 'never an automatic no_access ban');
  assert.is(ban!.expires_at, null, 'held until a moderator reviews it');
  assert.is(ban!.created_by, 'system:quarantine');
  assert.is(ban!.report_id, reportId);
  const audit = await server.db.selectFrom('audit_log').selectAll().where('action', '=', 'ban.quarantine').execute();
  assert.is(audit.length, 1);
  assert.is(audit[0]!.actor, 'system:quarantine');

  // The bystander's conversation ended with the ban; their report of it (within the grace period)
  // is a fourth reporter, and does not stack a second quarantine.
  await bystander.next('ended');
  bystander.send({ type: 'report', reason: 'harassment' });
  await bystander.next('reported');
  await new Promise((r) => setTimeout(r, QUIET_MS));
  assert.is((await quarantines()).length, 1, 'no duplicate quarantine');
});

test('K browsers behind one IPv6 /56 are one reporter, as are K behind one IPv4 address', async () => {
  const target = await person('198.51.100.2');
  // One household's /56: the same /64 or other /64s of it are one network.
  for (const address of ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:3:ffff::c', '2001:db8:1:ff::d']) await reportedBy(target, await person(address));
  await notQuarantined(target);
  for (const address of ['192.0.2.9', '192.0.2.9']) await reportedBy(target, await person(address));
  await notQuarantined(target);
  // Another /56 of the same /48 is another network: the third reporter.
  const third = await person('2001:db8:1:100::1');
  await pairUp(target, third);
  const since = Date.now();
  await report(third);
  await expectQuarantined(target, since);
});

test('the quarantined person is refused until a moderator lifts it; then they are back', async () => {
  const target = await person('198.51.100.3');
  let lastReport = '';
  for (let i = 1; i <= K; i++) lastReport = (await reportedBy(target, await person(`192.0.2.${i}`))).reportId;
  await target.next('banned', LIVE_ENFORCEMENT_MS);

  const refused = await requestSession(server.url, { address: '198.51.100.3', cookie: target.cookie });
  assert.is(refused.res.status, 403);
  const body = (await refused.res.json()) as { error: { code: string; reason: string; until: number | null } };
  assert.is(body.error.code, 'banned');
  assert.is(body.error.reason, QUARANTINE_REASON, 'the reason is shown to the person');
  assert.is(body.error.until, null);
  const fromElsewhere = await requestSession(server.url, { address: '203.0.113.99', cookie: target.cookie });
  assert.is(fromElsewhere.res.status, 403, 'the device is quarantined, wherever it connects from');
  // The site itself stays readable (no_matching, not no_access).
  assert.is((await fetch(`${server.url}/api/config`, { headers: { cookie: target.cookie } })).status, 200);

  const lift = await mona.request(`/api/mod/reports/${lastReport}/resolve`, { method: 'POST', body: { action: 'lift_quarantine', note: 'looked fine' } });
  assert.is(lift.status, 200);
  const lifted = (await lift.json()) as { liftedBanIds: string[] };
  assert.is(lifted.liftedBanIds.length, 1);
  const actions = (await server.db.selectFrom('audit_log').select('action').orderBy('id').execute()).map((r) => r.action);
  assert.ok(actions.includes('report.lift_quarantine'));
  assert.ok(actions.includes('ban.lift'));

  const back = await person('198.51.100.3', target.cookie);
  await pairUp(back, await person('192.0.2.200'));

  // The review reset the count: reports from before it do not quarantine again with one more.
  back.close();
  const again = await person('198.51.100.3', target.cookie);
  await reportedBy(again, await person('192.0.2.201'));
  await notQuarantined(again);
});

test('a reporter whose reports were dismissed counts half', async () => {
  // The reporter's earlier report is dismissed by a moderator.
  const someone = await person('198.51.100.50');
  const discounted = await person('203.0.113.50');
  await pairUp(someone, discounted);
  const earlier = await report(discounted);
  const dismiss = await mona.request(`/api/mod/reports/${earlier.reportId}/resolve`, { method: 'POST', body: { action: 'dismiss' } });
  assert.is(dismiss.status, 200);

  const target = await person('198.51.100.4');
  await reportedBy(target, discounted);
  await reportedBy(target, await person('192.0.2.71'));
  await reportedBy(target, await person('192.0.2.72'));
  await notQuarantined(target); // 0.5 + 1 + 1 < 3

  const fourth = await person('192.0.2.73');
  await pairUp(target, fourth);
  const since = Date.now();
  await report(fourth);
  await expectQuarantined(target, since); // 3.5
});

test.run();
