// Reports from the WebSocket `report` message: what is stored (both sides' session, device,
// identity and address, the reported person's band, the mode, the last 50 lines of each side with
// times), that chat text is stored nowhere else and never logged, and that the two are never
// paired again, on this process and on one started later on the same database.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from '../../server/app.ts';
import { silentLogger } from '../../server/logger.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { captureLogs } from '../helpers/logs.ts';
import { deviceOf, join, pairUp, report, type Person } from '../helpers/people.ts';
import type { TestClient } from '../helpers/client.ts';

const logs = captureLogs('debug');
let server: TestServer;
const open: TestClient[] = [];
const QUIET_MS = 500;
/** Said in the conversation; must end up in the report's transcript and nowhere else. */
const SECRET = 'marmalade-telescope-quietly';

test.before(async () => {
  server = await newServer({ trustedProxies: ['127.0.0.1'] }, { logger: logs.logger });
});
test.after.each(() => {
  for (const client of open.splice(0)) client.close();
});
test.after(() => server.stop());

async function person(address: string, extra: { cookie?: string; age?: number; url?: string } = {}): Promise<Person> {
  const joined = await join(extra.url ?? server.url, { address, ...extra });
  open.push(joined);
  return joined;
}

async function sessionOf(cookie: string): Promise<string> {
  const row = await server.db.selectFrom('sessions').select('id').where('device_id', '=', deviceOf(cookie)).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  return row.id;
}

test('a report stores both sides, the band, the mode and the last 50 lines of each side with times', async () => {
  const reported = await person('198.51.100.10', { age: 16 });
  const reporter = await person('2001:db8:aa:bb::7', { age: 15 });
  await pairUp(reported, reporter);
  const before = Date.now();
  for (let i = 1; i <= 55; i++) reported.send({ type: 'message', text: `from the reported side, line ${i}` });
  for (let i = 1; i <= 55; i++) await reporter.next('message');
  reporter.send({ type: 'message', text: `reply ${SECRET}` });
  await reported.next('message');
  const filed = await report(reporter, 'harassment', 'kept spamming');

  const row = await server.db.selectFrom('reports').selectAll().where('id', '=', filed.reportId).executeTakeFirstOrThrow();
  assert.is(row.reason, 'harassment');
  assert.is(row.note, 'kept spamming');
  assert.is(row.status, 'open');
  assert.is(row.reporter_session_id, await sessionOf(reporter.cookie));
  assert.is(row.reported_session_id, await sessionOf(reported.cookie));
  assert.is(row.reporter_device_id, deviceOf(reporter.cookie));
  assert.is(row.reported_device_id, deviceOf(reported.cookie));
  assert.is(row.reporter_address, '2001:db8:aa:bb::7', 'the address the trusted proxy forwarded');
  assert.is(row.reported_address, '198.51.100.10');
  assert.is(row.reporter_identity_hash, null, 'no identity in the open access mode');
  assert.is(row.reported_identity_hash, null);
  assert.is(row.reported_age_band, 'minor');
  assert.is(row.mode, 'text');
  assert.is.not(row.evidence_token_hash, filed.evidenceToken, 'only a hash of the token is stored');

  const transcript = JSON.parse(row.transcript) as Array<{ by: string; text: string; at: number }>;
  const theirs = transcript.filter((line) => line.by === 'reported');
  assert.is(theirs.length, 50, 'the last 50 lines of the reported side');
  assert.is(theirs[0]!.text, 'from the reported side, line 6');
  assert.is(theirs[49]!.text, 'from the reported side, line 55');
  assert.equal(
    transcript.filter((line) => line.by === 'reporter').map((line) => line.text),
    [`reply ${SECRET}`],
  );
  for (const line of transcript) assert.ok(line.at >= before && line.at <= Date.now(), 'each line has its time');
  assert.equal(transcript.map((l) => l.at), [...transcript.map((l) => l.at)].sort((a, b) => a - b), 'in order');
});

test('chat text is stored only in the report, and never logged', async () => {
  const tables = ['sessions', 'tickets', 'reports', 'moderation_events', 'audit_log', 'bans', 'appeals'] as const;
  const holders: string[] = [];
  for (const table of tables) {
    const rows = await server.db.selectFrom(table).selectAll().execute();
    rows.forEach((row) => {
      for (const [column, value] of Object.entries(row)) if (String(value).includes(SECRET)) holders.push(`${table}.${column}`);
    });
  }
  assert.equal(holders, ['reports.transcript']);
  assert.ok(logs.text().includes('report filed'), 'the report itself is logged (by id)');
  assert.not.ok(logs.text().includes(SECRET), 'chat text is never logged');
  assert.not.ok(logs.text().includes('from the reported side'), 'chat text is never logged');
});

test('reporter and reported are never paired again, here and on a process started later', async () => {
  const reported = await person('192.0.2.20');
  const reporter = await person('192.0.2.21');
  await pairUp(reported, reporter);
  await report(reporter, 'spam');
  await reported.next('ended');

  const meetAgain = async (url: string, a: Person, b: Person) => {
    const again = [await person(a.address, { cookie: a.cookie, url }), await person(b.address, { cookie: b.cookie, url })] as const;
    for (const client of again) client.send({ type: 'find', mode: 'text' });
    await Promise.all(again.map((client) => client.next('queued')));
    await Promise.all(again.map((client, i) => client.none('matched', i === 0 ? QUIET_MS : 0)));
    // Both are pairable: a third person is matched with one of them at once.
    const third = await person(`192.0.2.${30 + open.length}`, { url });
    third.send({ type: 'find', mode: 'text' });
    await third.next('matched');
    for (const client of [...again, third]) client.close();
  };
  reported.close();
  reporter.close();
  await meetAgain(server.url, reported, reporter);

  // A second process on the same database (a restart, or another node) knows it from the reports.
  const other = await createServer(server.config, { db: await server.openSecondDb(), logger: silentLogger(), feedIntervalMs: 100 });
  try {
    await meetAgain(other.url, reported, reporter);
  } finally {
    await other.close();
  }
});

test.run();
