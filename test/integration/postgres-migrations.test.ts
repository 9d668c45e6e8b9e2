// The same migrations and the same server on a real PostgreSQL (a throwaway cluster started for
// this file; scripts/install-system-deps.sh installs PostgreSQL): every migration goes up, all the
// way down and up again; then the real server runs on it — a session, two people paired and a
// message relayed, a report with an evidence frame and its avoids, a ban written by the operator
// and enforced live, and an audit log that two connections extend without forking; and the
// safety tables' upserts, which the two engines spell differently.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { sql } from 'kysely';
import { NO_MIGRATIONS } from 'kysely/migration';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { createMigrator, migrateToLatest } from '../../server/db/migrate.ts';
import { auditOf, auditOn } from '../helpers/audit.ts';
import { PairAvoidStore } from '../../server/moderation/pair-avoids.ts';
import { AgeBandLocks } from '../../server/access/age-bands.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';
import { newPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { CLI_ACTOR, cliBans, trySession } from '../helpers/bans.ts';
import { deviceOf, join, pairUp, report, TINY_JPEG, uploadFrame, type Person } from '../helpers/people.ts';

const MIGRATIONS = [
  '2026-11-28T1200_create_sessions',
  '2026-11-28T1300_create_access',
  '2026-11-28T1400_create_moderation',
  '2026-11-28T1500_index_report_pairs',
  '2026-11-28T1600_index_active_bans_by_id',
  '2026-12-01T1000_create_pair_avoids',
  '2026-12-01T1010_create_age_band_locks',
  '2026-12-01T1020_flag_same_network_reports',
  '2026-12-01T1100_audit_mac',
  '2026-12-01T1110_moderator_email',
  '2026-12-01T1500_create_daily_counts',
  '2026-12-01T1700_create_duty_and_pauses',
  '2026-12-01T1710_create_alerts',
  '2026-12-01T1800_create_oidc_sign_ins',
  '2026-12-01T1810_create_moderator_sso',
];
/** DESIGN.md: a ban written by any process disconnects the person within 2 seconds. */
const LIVE_DEADLINE_MS = 2000;

let starting: Promise<TestPostgres> | undefined;
const databases: Db[] = [];
let server: TestServer | undefined;
const people: Person[] = [];

/**
 * The cluster, started by the first test that needs it: uvu swallows an error thrown in a
 * before hook, and "PostgreSQL is not installed: run …" must reach the person reading the output.
 */
function postgres(): Promise<TestPostgres> {
  starting ??= newPostgres();
  return starting;
}

test.after(async () => {
  for (const person of people) person.close();
  await server?.stop();
  for (const db of databases) await db.destroy();
  await (await starting?.catch(() => undefined))?.stop();
});

async function freshDatabase(name: string): Promise<Db> {
  const db = await openDatabase({ driver: 'postgres', url: await (await postgres()).createDatabase(name) });
  databases.push(db);
  return db;
}

/** Tables of the public schema, without Kysely's own bookkeeping. */
async function tables(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(db);
  return rows.map((row) => row.name);
}

async function column(db: Db, table: string, name: string): Promise<{ data_type: string; is_identity: string }> {
  const { rows } = await sql<{ data_type: string; is_identity: string }>`
    select data_type, is_identity from information_schema.columns
    where table_schema = 'public' and table_name = ${table} and column_name = ${name}`.execute(db);
  if (!rows[0]) throw new Error(`no column ${table}.${name}`);
  return rows[0];
}

test('every migration goes up, down to zero, and up again on PostgreSQL', async () => {
  const db = await freshDatabase('migrations');

  const up = await migrateToLatest(db);
  assert.equal(up.results?.map((r) => [r.migrationName, r.direction, r.status]), MIGRATIONS.map((name) => [name, 'Up', 'Success']));
  assert.equal(await tables(db), [
    'age_band_locks', 'alert_deliveries', 'alerts', 'appeals', 'audit_log', 'bans', 'daily_counts', 'email_verifications', 'invites', 'moderation_events',
    'moderator_duty', 'moderator_sessions', 'moderator_sso', 'moderators', 'oidc_sign_ins', 'pair_avoids', 'report_frames', 'reports', 'sessions', 'site_pauses', 'tickets',
  ]);
  assert.equal(await column(db, 'moderation_events', 'id'), { data_type: 'integer', is_identity: 'YES' });
  assert.equal(await column(db, 'audit_log', 'id'), { data_type: 'integer', is_identity: 'YES' });
  assert.equal(await column(db, 'audit_log', 'mac'), { data_type: 'text', is_identity: 'NO' });
  assert.equal(await column(db, 'report_frames', 'jpeg'), { data_type: 'bytea', is_identity: 'NO' });
  assert.equal(await column(db, 'sessions', 'created_at'), { data_type: 'bigint', is_identity: 'NO' });

  // The feed's ids are generated and monotonic; times in ms come back as numbers, as on SQLite.
  const at = Date.UTC(2026, 10, 28, 12, 0, 0, 123);
  await db.insertInto('moderation_events').values({ kind: 'test', payload: '{}', created_at: at }).execute();
  await db.insertInto('moderation_events').values({ kind: 'test', payload: '{}', created_at: at + 1 }).execute();
  const events = await db.selectFrom('moderation_events').select(['id', 'created_at']).orderBy('id').execute();
  assert.equal(events, [{ id: 1, created_at: at }, { id: 2, created_at: at + 1 }]);
  const count = await db.selectFrom('moderation_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.is(count.n, 2, 'count(*) is a number, not the string pg gives for int8');

  const down = await createMigrator(db).migrateTo(NO_MIGRATIONS);
  assert.is(down.error, undefined, String(down.error));
  assert.equal(down.results?.map((r) => [r.migrationName, r.direction, r.status]), [...MIGRATIONS].reverse().map((name) => [name, 'Down', 'Success']));
  assert.equal(await tables(db), [], 'nothing left behind');

  const again = await migrateToLatest(db);
  assert.equal(again.results?.map((r) => r.status), MIGRATIONS.map(() => 'Success'));
  assert.is((await tables(db)).length, 21);
});

test('the safety tables on PostgreSQL: earlier reports copied into the avoids, merged upserts, conditional band claims', async () => {
  const db = await freshDatabase('safety');
  const migrator = createMigrator(db);
  assert.is((await migrator.migrateTo('2026-11-28T1600_index_active_bans_by_id')).error, undefined);
  const at = Date.UTC(2026, 10, 20);
  const old = { conversation_id: 'c', reason: 'spam', status: 'open', reporter_session_id: 's1', reported_session_id: 's2', transcript: '[]', evidence_token_hash: 'h' };
  await db
    .insertInto('reports')
    .values([
      { ...old, id: 'r1', created_at: at, reporter_device_id: 'dr', reported_device_id: 'dx', reporter_identity_hash: null, reported_identity_hash: 'ix' },
      { ...old, id: 'r2', created_at: at + 1, reporter_device_id: 'dr', reported_device_id: 'dx', reporter_identity_hash: null, reported_identity_hash: null },
    ] as never)
    .execute();
  await migrateToLatest(db);
  const copied = await db.selectFrom('pair_avoids').select(['key_a', 'key_b', 'created_at', 'expires_at', 'shared']).orderBy('key_b').execute();
  assert.equal(copied, [
    { key_a: 'device:dr', key_b: 'device:dx', created_at: at, expires_at: null, shared: 0 },
    { key_a: 'device:dr', key_b: 'identity:ix', created_at: at, expires_at: null, shared: 0 },
  ]);

  const store = new PairAvoidStore({ db, now: () => at });
  const address = { a: 'device:dr', b: 'address:192.0.2.1' };
  await store.save([{ ...address, createdAt: at + 10, expiresAt: at + 100, shared: true }], 'r3');
  await store.save([{ ...address, createdAt: at + 20, expiresAt: at + 50, shared: false }], 'r4');
  const merged = await db.selectFrom('pair_avoids').select(['created_at', 'expires_at', 'shared']).where('key_b', '=', address.b).executeTakeFirstOrThrow();
  assert.equal(merged, { created_at: at + 10, expires_at: at + 100, shared: 0 }, 'the earlier start, the later end, the stricter of the two');
  const loaded = [];
  for await (const page of store.liveInPages(1)) loaded.push(...page);
  assert.equal(loaded.map((a) => a.b), ['address:192.0.2.1', 'device:dx', 'identity:ix'], 'paged in key order');

  const locks = new AgeBandLocks({ db, audit: auditOn({ dir: mkdtempSync(joinPath(tmpdir(), 'sc-pg-audit-')) }, db, () => at), now: () => at, lockDays: 30 });
  const claims = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => locks.claim({ deviceId: 'racing', identityHash: null }, i % 2 ? 'adult' : 'minor')));
  const bands = await db.selectFrom('age_band_locks').select(['band', 'switch_attempts']).where('subject', '=', 'device:racing').executeTakeFirstOrThrow();
  const passed = claims.filter((c) => c.status === 'fulfilled').length;
  assert.is(passed, 6, "exactly the claims of the band that came first passed");
  assert.is(bands.switch_attempts, 12 - passed, 'every refused claim counted');
});

test('the server runs on PostgreSQL: session, pairing, relay, report, evidence, ban, audit', async () => {
  const url = await (await postgres()).createDatabase('server');
  server = await newServer({ trustedProxies: ['127.0.0.1'] }, { database: { driver: 'postgres', url } });
  assert.is((await fetch(`${server.url}/healthz`)).status, 200);

  // POST /api/session, the upgrade, pairing and a relayed message.
  const reported = await join(server.url, { address: '198.51.100.20' });
  const reporter = await join(server.url, { address: '203.0.113.30' });
  people.push(reported, reporter);
  const session = await server.db.selectFrom('sessions').selectAll().where('device_id', '=', deviceOf(reported.cookie)).executeTakeFirstOrThrow();
  assert.is(typeof session.created_at, 'number');
  // Video: only a video conversation's report takes evidence frames.
  await pairUp(reported, reporter, 'video');
  reported.send({ type: 'message', text: 'hello from postgres' });
  assert.is((await reporter.next('message')).text, 'hello from postgres');

  // A report, with the server-held transcript and an evidence frame (bytea).
  const filed = await report(reporter, 'harassment', 'rude');
  await reported.next('ended');
  const row = await server.db.selectFrom('reports').selectAll().where('id', '=', filed.reportId).executeTakeFirstOrThrow();
  assert.is(row.reason, 'harassment');
  assert.is(row.status, 'open');
  assert.is(row.reported_device_id, deviceOf(reported.cookie));
  assert.is(row.reported_address, '198.51.100.20');
  assert.ok(JSON.parse(row.transcript).some((line: { text: string }) => line.text === 'hello from postgres'));
  // The avoids it made, in the same transaction.
  const avoids = await server.db.selectFrom('pair_avoids').select(['key_a', 'key_b', 'report_id']).orderBy('key_b').execute();
  assert.equal(avoids, [
    { key_a: `device:${deviceOf(reporter.cookie)}`, key_b: 'address:198.51.100.20', report_id: filed.reportId },
    { key_a: `device:${deviceOf(reporter.cookie)}`, key_b: `device:${deviceOf(reported.cookie)}`, report_id: filed.reportId },
  ]);
  assert.is((await uploadFrame(server.url, filed.reportId, filed.evidenceToken, TINY_JPEG)).status, 201);
  const frame = await server.db.selectFrom('report_frames').selectAll().where('report_id', '=', filed.reportId).executeTakeFirstOrThrow();
  assert.is(frame.idx, 0);
  assert.ok(Buffer.from(frame.jpeg).equals(TINY_JPEG), 'the frame comes back byte for byte');

  // A ban written by the operator on another connection reaches the server through the feed.
  const operator = await cliBans(server);
  const since = Date.now();
  const ban = await operator.add({ target: `device:${deviceOf(reported.cookie)}`, reason: 'harassment on postgres' }, CLI_ACTOR);
  assert.is(typeof ban.createdAt, 'number');
  const kicked = await reported.next('banned', LIVE_DEADLINE_MS);
  assert.equal(kicked, { type: 'banned', reason: 'harassment on postgres', until: null });
  assert.ok(Date.now() - since < LIVE_DEADLINE_MS, 'kicked within 2 seconds');
  assert.is(await reported.waitClose(), CloseCode.Banned);
  const refused = await trySession(server.url, reported.cookie);
  assert.is(refused.status, 403);
  assert.is(refused.body.error?.code, 'banned');
  assert.is((await trySession(server.url, reporter.cookie)).status, 201, 'others still get in');
  assert.equal((await operator.list(CLI_ACTOR)).map((b) => b.id), [ban.id]);

  // Two connections extending the audit log at once: the unique prev_hash settles every race.
  const other = await server.openSecondDb();
  const writers = [auditOf(server, server.db), auditOf(server, other)];
  await Promise.all(
    writers.map((audit, w) =>
      Promise.all(Array.from({ length: 10 }, (_, i) => audit.record(CLI_ACTOR, { action: 'test.write', target: `writer:${w}`, details: { i } }))),
    ),
  );
  const verified = await writers[0]!.verify();
  assert.ok(verified.ok, JSON.stringify(verified));
  const written = await server.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.is(verified.rows, written.n);
  assert.ok(written.n >= 21, `the ban and the 20 writes are in the log (${written.n} rows)`);
});

test.run();
