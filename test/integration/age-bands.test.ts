// Age bands stick to the device (and the verified identity): against the real server, a browser
// that declared an adult age is refused an under-18 session for the lock period, and the other way
// round; the refusal is the HTTP error shape, an audit entry and a counter moderators see on a
// report; racing sessions with two ages cannot both pass; a band the server cannot read is minor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { newDatabase } from '../helpers/database.ts';
import { openSocket, type TestClient } from '../helpers/client.ts';
import { createModerator, loginModerator } from '../helpers/moderators.ts';
import { deviceOf, join, pairUp, report, requestSession } from '../helpers/people.ts';
import { AgeBandLocks, BAND_LOCKED_MESSAGE, BAND_SWITCH_ACTION } from '../../server/access/age-bands.ts';
import { bandOf } from '../../server/access/sessions.ts';
import { auditOn } from '../helpers/audit.ts';
import type { ServerMessage } from '../../server/protocol/messages.ts';

const DAY_MS = 86_400_000;
const LOCK_DAYS = 30;
const HOME = '198.51.100.40';

let server: TestServer;
let clock = Date.UTC(2026, 2, 2, 9, 0, 0);
const open: TestClient[] = [];

test.before.each(async () => {
  server = await newServer({ trustedProxies: ['127.0.0.1'], profile: 'community' }, { now: () => clock });
});
test.after.each(async () => {
  for (const client of open.splice(0)) client.close();
  await server.stop();
});

async function session(age: number, cookie?: string, address = HOME): Promise<{ status: number; body: Record<string, any>; cookie: string }> {
  const { res, cookie: device } = await requestSession(server.url, { address, age, ...(cookie ? { cookie } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, any>, cookie: device };
}

const audits = () => server.db.selectFrom('audit_log').select(['actor', 'action', 'target', 'details']).where('action', '=', BAND_SWITCH_ACTION).execute();

test('an adult browser is refused an under-18 session, with the error shape, an audit entry and a count', async () => {
  const adult = await session(30);
  assert.is(adult.status, 201);
  const device = deviceOf(adult.cookie);

  const refused = await session(15, adult.cookie);
  assert.is(refused.status, 403);
  assert.equal(refused.body, { error: { code: 'age_band_locked', message: BAND_LOCKED_MESSAGE } });
  const sessions = await server.db.selectFrom('sessions').select('age_band').where('device_id', '=', device).execute();
  assert.equal(sessions.map((s) => s.age_band), ['adult'], 'no minor session was created');

  const [entry] = await audits();
  assert.is(entry?.actor, 'system:age-band');
  assert.is(entry?.target, `device:${device}`);
  assert.equal(JSON.parse(entry!.details!), { from: 'adult', to: 'minor', subjects: [`device:${device}`] });

  // A script retrying: every attempt counts, the audit log gets one entry an hour.
  for (let i = 0; i < 3; i++) assert.is((await session(15 + i, adult.cookie)).status, 403);
  assert.is((await audits()).length, 1);
  const lock = await server.db.selectFrom('age_band_locks').selectAll().where('subject', '=', `device:${device}`).executeTakeFirstOrThrow();
  assert.equal([lock.band, lock.switch_attempts], ['adult', 4]);
  clock += 3600_000;
  assert.is((await session(15, adult.cookie)).status, 403);
  assert.is((await audits()).length, 2, 'an hour later, a new entry');

  // The same adult age again is fine.
  assert.is((await session(44, adult.cookie)).status, 201);
});

test('a minor browser is refused an adult session, the lock runs from the last session, and ends', async () => {
  const minor = await session(14);
  assert.is(minor.status, 201);
  assert.is((await session(21, minor.cookie)).status, 403, 'the other way round');
  // Another session as a minor 20 days later extends the lock.
  clock += 20 * DAY_MS;
  assert.is((await session(14, minor.cookie)).status, 201);
  clock += 20 * DAY_MS;
  assert.is((await session(21, minor.cookie)).status, 403, '40 days after the first, 20 after the last');
  clock += (LOCK_DAYS - 20) * DAY_MS;
  assert.is((await session(21, minor.cookie)).status, 201, 'the lock period after the last session has passed');
  assert.is((await session(14, minor.cookie)).status, 403, 'and now the adult band sticks');
});

test('sessions racing with two ages on one browser: only one band ever gets through', async () => {
  const first = await session(30);
  const device = first.cookie;
  await server.db.deleteFrom('age_band_locks').execute();
  await server.db.deleteFrom('sessions').execute();
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => session(i % 2 === 0 ? 15 : 35, device)));
  const bands = await server.db.selectFrom('sessions').select('age_band').where('device_id', '=', deviceOf(device)).execute();
  assert.ok(bands.length > 0 && results.some((r) => r.status === 403), 'some passed, some were refused');
  assert.is(new Set(bands.map((b) => b.age_band)).size, 1, `one band only: ${bands.map((b) => b.age_band).join(', ')}`);
  assert.is(results.filter((r) => r.status === 201).length, bands.length);
});

test('moderators see refused switches on a report about that browser', async () => {
  const adult = await join(server.url, { address: HOME, age: 40 });
  open.push(adult);
  assert.is((await session(15, adult.cookie)).status, 403);
  const reporter = await join(server.url, { address: '203.0.113.40', age: 30 });
  open.push(reporter);
  await pairUp(adult, reporter);
  const { reportId } = await report(reporter, 'minor');
  await createModerator(server, 'mona', 'moderator');
  const mona = await loginModerator(server, 'mona');
  const opened = (await (await mona.request(`/api/mod/reports/${reportId}`)).json()) as { report: { reportedBandSwitches: number; sameNetwork: boolean } };
  assert.is(opened.report.reportedBandSwitches, 1);
  assert.is(opened.report.sameNetwork, false);
});

test('a band the server cannot read is minor: relay-only, paired only with minors', async () => {
  const { res, cookie } = await requestSession(server.url, { address: HOME, age: 30 });
  const { ticket } = (await res.json()) as { ticket: string };
  // A damaged row (or a future value this version does not know).
  await server.db.updateTable('sessions').set({ age_band: 'grown-up' }).where('device_id', '=', deviceOf(cookie)).execute();
  const client = await openSocket(server.url, ticket, { 'x-forwarded-for': HOME });
  open.push(client);
  const welcome = (await client.next('welcome')) as Extract<ServerMessage, { type: 'welcome' }>;
  assert.is(welcome.relayOnly, true);
  assert.equal(welcome.modes, ['text'], 'no TURN here: text only, as for any minor');
  assert.is(welcome.band, 'minor', "the page applies the minors' protections too");
  const adult = await join(server.url, { address: '203.0.113.41', age: 30 });
  const minor = await join(server.url, { address: '203.0.113.42', age: 15 });
  open.push(adult, minor);
  adult.send({ type: 'find', mode: 'text' });
  await adult.next('queued');
  client.send({ type: 'find', mode: 'text' });
  await client.next('queued');
  await adult.none('matched', 300);
  minor.send({ type: 'find', mode: 'text' });
  const [a, b] = await Promise.all([client.next('matched'), minor.next('matched')]);
  assert.is(a.conversationId, b.conversationId);
  assert.equal(['adult', 'minor', 'grown-up', '', null, undefined].map(bandOf), ['adult', 'minor', 'minor', 'minor', 'minor', 'minor']);
});

test('a verified identity carries its band to every browser', async () => {
  const store = await newDatabase();
  try {
    const locks = new AgeBandLocks({ db: store.db, audit: auditOn(store, store.db, () => clock), now: () => clock, lockDays: LOCK_DAYS });
    await locks.claim({ deviceId: 'device-laptop', identityHash: 'identity-ana' }, 'adult');
    // A new browser, the same verified e-mail identity, an under-18 age: refused.
    const refused = await locks.claim({ deviceId: 'device-phone', identityHash: 'identity-ana' }, 'minor').then(
      () => undefined,
      (error: { code?: string }) => error.code,
    );
    assert.is(refused, 'age_band_locked');
    const rows = await store.db.selectFrom('age_band_locks').select(['subject', 'band', 'switch_attempts']).orderBy('subject').execute();
    assert.equal(rows, [
      { subject: 'device:device-laptop', band: 'adult', switch_attempts: 0 },
      { subject: 'identity:identity-ana', band: 'adult', switch_attempts: 1 },
    ], 'the refused claim left no lock on the new browser (one transaction)');
    await locks.claim({ deviceId: 'device-phone', identityHash: 'identity-ana' }, 'adult');
  } finally {
    await store.destroy();
  }
});

test.run();
