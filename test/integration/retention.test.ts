// Retention with an injected clock on a real SQLite file: each period is crossed in turn and the
// test checks exactly what went and what stayed; a dry run changes nothing and predicts the real
// purge; the audit chain still verifies after its oldest entries go; the server runs the purge on
// its timer and stops it on close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AuditLog } from '../../server/moderation/audit.ts';
import { auditOn } from '../helpers/audit.ts';
import { DAY_MS, RetentionService, type RetentionCounts, type RetentionPeriods } from '../../server/moderation/retention.ts';
import { cliActor } from '../../server/access/actor.ts';
import { makeConfig } from '../../server/config.ts';
import { createServer } from '../../server/app.ts';
import { silentLogger } from '../../server/logger.ts';
import type { Db } from '../../server/db/database.ts';
import { newDatabase, type TestDatabase } from '../helpers/database.ts';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const MINUTE = 60_000;
const PERIODS: RetentionPeriods = { evidenceDays: 90, addressDays: 30, auditDays: 365, sessionDays: 30 };
const NONE: RetentionCounts = { evidence: 0, appeals: 0, addresses: 0, audit: 0, sessions: 0, tickets: 0, moderatorSessions: 0, emailVerifications: 0, events: 0, avoids: 0, bandLocks: 0 };

let store: TestDatabase;
let clock = T0;
const now = () => clock;
let audit: AuditLog;
let retention: RetentionService;

test.before.each(async () => {
  store = await newDatabase();
  clock = T0;
  audit = auditOn(store, store.db, now);
  retention = new RetentionService({ db: store.db, audit, now, periods: PERIODS });
  await seed(store.db);
});
test.after.each(() => store.destroy());

const TRANSCRIPT = JSON.stringify([
  { by: 'reporter', text: 'hi', at: T0 - 2000 },
  { by: 'reported', text: 'something nasty', at: T0 - 1000 },
]);
const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

/**
 * Everything at T0: six chat sessions (S1/S2 in an open report, S3/S4 in a report resolved a day
 * later, S5 killed at T0, S6 never used), tickets, two moderator logins, an e-mail link, a feed
 * event and five audit entries.
 */
async function seed(db: Db): Promise<void> {
  for (const [i, id] of ['s1', 's2', 's3', 's4', 's5', 's6'].entries()) {
    await db
      .insertInto('sessions')
      .values({ id, device_id: `device-${id}`, age_band: 'adult', age: 20, address: `203.0.113.${i + 1}`, created_at: T0, ended_at: id === 's5' ? T0 : null })
      .execute();
  }
  const report = (id: string, reporter: string, reported: string, resolvedAt: number | null) => ({
    id,
    conversation_id: `conv-${id}`,
    reason: 'harassment',
    note: 'they kept asking where I live',
    status: resolvedAt === null ? 'open' : 'resolved',
    reporter_session_id: reporter,
    reported_session_id: reported,
    transcript: TRANSCRIPT,
    evidence_token_hash: `hash-${id}`,
    created_at: T0,
    reporter_device_id: `device-${reporter}`,
    reported_device_id: `device-${reported}`,
    reporter_address: '203.0.113.1',
    reported_address: '2001:db8::1',
    resolved_at: resolvedAt,
    resolved_by: resolvedAt === null ? null : 'moderator:mona',
    resolution: resolvedAt === null ? null : 'dismiss',
  });
  await db.insertInto('reports').values([report('r-open', 's1', 's2', null), report('r-resolved', 's3', 's4', T0 + DAY_MS)]).execute();
  await db
    .insertInto('report_frames')
    .values([
      { report_id: 'r-open', idx: 0, jpeg, size: jpeg.length, created_at: T0 },
      { report_id: 'r-open', idx: 1, jpeg, size: jpeg.length, created_at: T0 },
      { report_id: 'r-resolved', idx: 0, jpeg, size: jpeg.length, created_at: T0 },
    ])
    .execute();
  await db
    .insertInto('tickets')
    .values([
      { hash: 't-used', session_id: 's6', expires_at: T0 + MINUTE, used_at: T0 - 1000 },
      { hash: 't-expired', session_id: 's6', expires_at: T0 - 1, used_at: null },
      { hash: 't-valid', session_id: 's1', expires_at: T0 + MINUTE, used_at: null },
    ])
    .execute();
  await db
    .insertInto('moderators')
    .values({ id: 'm1', username: 'mona', role: 'moderator', password_hash: 'x', must_change_password: 0, created_at: T0, created_by: 'cli:test', disabled_at: null })
    .execute();
  await db
    .insertInto('moderator_sessions')
    .values([
      { id_hash: 'ms-ended', moderator_id: 'm1', csrf_token: 'c1', address: '198.51.100.7', created_at: T0 - 1000, expires_at: T0 + 12 * 3600_000, ended_at: T0 - 1 },
      { id_hash: 'ms-live', moderator_id: 'm1', csrf_token: 'c2', address: '198.51.100.7', created_at: T0, expires_at: T0 + 12 * 3600_000, ended_at: null },
    ])
    .execute();
  await db
    .insertInto('bans')
    .values({ id: 'b1', target_kind: 'device', target: 'device-s4', reason: 'harassment', severity: 'no_access', created_by: 'moderator:mona', created_at: T0, quarantine: 0 })
    .execute();
  await db
    .insertInto('appeals')
    .values([
      { id: 'a-decided', ban_id: 'b1', message: 'I am sorry, it was my brother', status: 'upheld', created_at: T0, decided_by: 'moderator:adam', decided_at: T0 + DAY_MS, decision_note: 'no' },
      { id: 'a-open', ban_id: 'b1', message: 'please reconsider', status: 'open', created_at: T0 },
    ])
    .execute();
  await db.insertInto('email_verifications').values({ token_hash: 'e1', identity_hash: 'id1', created_at: T0, expires_at: T0 + 20 * MINUTE, used_at: null }).execute();
  await db.insertInto('moderation_events').values({ kind: 'announcement', payload: '{"text":"hello"}', created_at: T0 }).execute();
  const auditWriter = auditOn(store, db, () => T0);
  for (let i = 0; i < 5; i++) await auditWriter.record('moderator:mona', { action: 'ban.add', target: `ip:203.0.113.${i}`, reason: 'spam' });
}

/** Every table's rows, for "nothing changed" comparisons. */
async function snapshot(db: Db): Promise<string> {
  const tables = ['sessions', 'reports', 'appeals', 'report_frames', 'tickets', 'moderators', 'moderator_sessions', 'email_verifications', 'moderation_events', 'audit_log'] as const;
  const out: Record<string, unknown> = {};
  for (const table of tables) {
    const rows = await db.selectFrom(table).selectAll().execute();
    out[table] = rows.map((row) => JSON.stringify(row, (_k, v: unknown) => (v instanceof Uint8Array ? `jpeg:${v.length}` : typeof v === 'bigint' ? Number(v) : v)));
  }
  return JSON.stringify(out);
}

const KEYS = { sessions: 'id', tickets: 'hash', moderator_sessions: 'id_hash', email_verifications: 'token_hash' } as const;
/** The keys of a table's rows, sorted. */
const ids = async (db: Db, table: keyof typeof KEYS): Promise<string[]> =>
  (await db.selectFrom(table).select(`${KEYS[table]} as key` as never).execute()).map((row) => (row as unknown as { key: string }).key).sort();

const report = (db: Db, id: string) => db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const frames = async (db: Db, id: string) => (await db.selectFrom('report_frames').select('idx').where('report_id', '=', id).execute()).length;

test('the default periods are 90 days for evidence, 30 for addresses and sessions, 365 for the audit log', () => {
  assert.equal({ ...makeConfig({}).settings.retention }, PERIODS);
});

test('a dry run changes nothing and reports exactly what the purge then removes', async () => {
  clock = T0 + 400 * DAY_MS;
  const before = await snapshot(store.db);
  const dry = await retention.purge({ dryRun: true, actor: cliActor('test') });
  assert.is(dry.dryRun, true);
  assert.equal(dry.counts, { evidence: 1, appeals: 1, addresses: 8, audit: 5, sessions: 4, tickets: 3, moderatorSessions: 2, emailVerifications: 1, events: 1, avoids: 0, bandLocks: 0 });
  assert.is(await snapshot(store.db), before, 'a dry run writes nothing, not even an audit entry');
  const real = await retention.purge({ actor: cliActor('test') });
  assert.is(real.dryRun, false);
  assert.equal(real.counts, dry.counts);
  assert.is.not(await snapshot(store.db), before);
});

test('each period, crossed in turn with the injected clock, removes exactly what is due', async () => {
  const purge = async (at: number) => {
    clock = at;
    return (await retention.purge()).counts;
  };

  // T0: spent tickets and ended moderator logins go at once; nothing else.
  assert.equal(await purge(T0), { ...NONE, tickets: 2, moderatorSessions: 1 });
  assert.equal(await ids(store.db, 'tickets'), ['t-valid']);
  assert.equal(await ids(store.db, 'moderator_sessions'), ['ms-live']);

  // 20 minutes: the e-mail link and the last ticket have expired.
  assert.equal(await purge(T0 + 20 * MINUTE), { ...NONE, tickets: 1, emailVerifications: 1 });
  // A day: the feed event and the expired moderator login.
  assert.equal(await purge(T0 + DAY_MS), { ...NONE, events: 1, moderatorSessions: 1 });

  // Just before 30 days nothing personal has reached its period.
  assert.equal(await purge(T0 + 30 * DAY_MS - 1), NONE);
  assert.equal((await store.db.selectFrom('sessions').select('address').execute()).map((r) => r.address).filter(Boolean).length, 6);

  // 30 days: every address goes; the killed and the unused session go; sessions named by a report
  // that still holds evidence stay (without their address).
  assert.equal(await purge(T0 + 30 * DAY_MS), { ...NONE, addresses: 8, sessions: 2 });
  assert.equal(await ids(store.db, 'sessions'), ['s1', 's2', 's3', 's4']);
  assert.equal((await store.db.selectFrom('sessions').select('address').execute()).map((r) => r.address), ['', '', '', '']);
  for (const id of ['r-open', 'r-resolved']) {
    const row = await report(store.db, id);
    assert.is(row.reporter_address, null);
    assert.is(row.reported_address, null);
    assert.is(row.transcript, TRANSCRIPT, 'evidence is not touched by the address period');
    assert.is(row.reported_device_id, id === 'r-open' ? 'device-s2' : 'device-s4', 'devices stay: the two are never paired again');
  }

  // Evidence: 90 days after the report was resolved (a day after T0), not a moment earlier.
  assert.equal(await purge(T0 + DAY_MS + 90 * DAY_MS - 1), NONE);
  assert.is(await frames(store.db, 'r-resolved'), 1);
  assert.is((await store.db.selectFrom('appeals').select('message').where('id', '=', 'a-decided').executeTakeFirstOrThrow()).message, 'I am sorry, it was my brother');
  assert.equal(await purge(T0 + DAY_MS + 90 * DAY_MS), { ...NONE, evidence: 1, appeals: 1, sessions: 2 });
  const resolved = await report(store.db, 'r-resolved');
  assert.is(resolved.transcript, '[]');
  assert.is(resolved.note, null);
  assert.is(resolved.evidence_purged_at, T0 + DAY_MS + 90 * DAY_MS);
  assert.is(resolved.resolution, 'dismiss', 'the decision itself stays on record');
  assert.is(await frames(store.db, 'r-resolved'), 0);
  assert.equal(await ids(store.db, 'sessions'), ['s1', 's2'], "the resolved report's sessions go with its evidence");
  // A decided appeal's text goes as long after its decision; the decision stays; an open appeal keeps its text.
  const appeals = await store.db.selectFrom('appeals').select(['id', 'message', 'status', 'decision_note']).orderBy('id').execute();
  assert.equal(appeals.map((row) => ({ ...row })), [
    { id: 'a-decided', message: '', status: 'upheld', decision_note: 'no' },
    { id: 'a-open', message: 'please reconsider', status: 'open', decision_note: null },
  ]);

  // An open report keeps its evidence however old it is. (The audit entries: five of T0 and the
  // five purges above that removed something.)
  assert.equal(await purge(T0 + 1000 * DAY_MS), { ...NONE, audit: 10 });
  assert.is((await audit.verify()).ok, true, 'a chain whose every older entry went still verifies');
  const open = await report(store.db, 'r-open');
  assert.is(open.transcript, TRANSCRIPT);
  assert.is(open.note, 'they kept asking where I live');
  assert.is(open.evidence_purged_at, null);
  assert.is(await frames(store.db, 'r-open'), 2);
  assert.equal(await ids(store.db, 'sessions'), ['s1', 's2']);
});

test('"never pair again" entries: the device pair stays, an address entry goes with its window or the address period; band locks go when they expire', async () => {
  const { db } = store;
  await db.deleteFrom('pair_avoids').execute();
  await db
    .insertInto('pair_avoids')
    .values([
      { key_a: 'device:r', key_b: 'device:x', created_at: T0, expires_at: null, shared: 0, report_id: null },
      { key_a: 'device:r', key_b: 'address:198.51.100.1', created_at: T0, expires_at: T0 + 7 * DAY_MS, shared: 0, report_id: null },
      // A window longer than the address period: the address still goes with the other addresses.
      { key_a: 'device:r', key_b: 'address:198.51.100.2', created_at: T0, expires_at: T0 + 60 * DAY_MS, shared: 1, report_id: null },
    ])
    .execute();
  await db
    .insertInto('age_band_locks')
    .values([
      { subject: 'device:a', band: 'adult', declared_at: T0, expires_at: T0 + 30 * DAY_MS, switch_attempts: 2, last_attempt_at: T0 },
      { subject: 'identity:b', band: 'minor', declared_at: T0 + DAY_MS, expires_at: T0 + 31 * DAY_MS, switch_attempts: 0, last_attempt_at: null },
    ])
    .execute();
  const keys = async () => (await db.selectFrom('pair_avoids').select('key_b').orderBy('key_b').execute()).map((r) => r.key_b);
  const purge = async (at: number) => {
    clock = at;
    const { counts } = await retention.purge();
    return { avoids: counts.avoids, bandLocks: counts.bandLocks };
  };
  assert.equal(await purge(T0 + 7 * DAY_MS - 1), { avoids: 0, bandLocks: 0 });
  assert.equal(await purge(T0 + 7 * DAY_MS), { avoids: 1, bandLocks: 0 });
  assert.equal(await keys(), ['address:198.51.100.2', 'device:x']);
  assert.equal(await purge(T0 + 30 * DAY_MS), { avoids: 1, bandLocks: 1 });
  assert.equal(await keys(), ['device:x'], 'the device pair is kept for ever');
  assert.equal(await purge(T0 + 31 * DAY_MS), { avoids: 0, bandLocks: 1 });
  assert.equal(await purge(T0 + 3650 * DAY_MS), { avoids: 0, bandLocks: 0 });
  assert.equal(await keys(), ['device:x']);
});

test('audit entries go after 365 days; the chain still verifies from the oldest remaining entry', async () => {
  clock = T0 + 10 * DAY_MS;
  for (let i = 0; i < 3; i++) await audit.record('moderator:mona', { action: 'ban.lift', target: `ip:203.0.113.${i}` });
  const kept = await store.db.selectFrom('audit_log').select(['id', 'prev_hash']).where('at', '=', T0 + 10 * DAY_MS).orderBy('id').execute();

  // Just before: the five entries of T0 stay.
  clock = T0 + 365 * DAY_MS - 1;
  assert.is((await retention.purge({ dryRun: true })).counts.audit, 0);

  clock = T0 + 365 * DAY_MS;
  const result = await retention.purge();
  assert.is(result.counts.audit, 5);
  const remaining = await store.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
  assert.equal(remaining.slice(0, 3).map((r) => r.id), kept.map((r) => r.id), 'exactly the entries within the period remain');
  assert.equal(remaining.map((r) => r.at), [T0 + 10 * DAY_MS, T0 + 10 * DAY_MS, T0 + 10 * DAY_MS, T0 + 365 * DAY_MS]);

  // The purge is itself audited, with its counts and the hash the chain now starts from.
  const entry = remaining[3]!;
  assert.is(entry.action, 'retention.purge');
  assert.is(entry.actor, 'system:retention');
  const details = JSON.parse(entry.details!) as { counts: RetentionCounts; auditAnchor: string };
  assert.equal(details.counts, result.counts);
  assert.is(details.auditAnchor, kept[0]!.prev_hash);

  const verified = await audit.verify();
  assert.equal([verified.ok, verified.rows, verified.anchoredAt, verified.finding], [true, 4, Number(kept[0]!.id), undefined]);

  // A year on, a second purge moves the anchor again; still verifies.
  clock = T0 + 375 * DAY_MS;
  assert.is((await retention.purge()).counts.audit, 3);
  const second = await audit.verify();
  assert.is(second.ok, true);
  assert.is(second.anchoredAt, Number(entry.id));

  // Removing the oldest remaining entry by hand is not a retention purge: verification fails at the next.
  const rows = await store.db.selectFrom('audit_log').select('id').orderBy('id').execute();
  await store.db.deleteFrom('audit_log').where('id', '=', rows[0]!.id).execute();
  const tampered = await audit.verify();
  assert.is(tampered.ok, false);
  assert.is(tampered.badRowId, Number(rows[1]!.id));
  assert.is(tampered.finding, 'missing_oldest_rows');
});

test('a scheduled purge with nothing to do records nothing; a person asking is always recorded', async () => {
  await retention.purge();
  const count = async () => (await store.db.selectFrom('audit_log').select('id').execute()).length;
  const before = await count();
  assert.equal((await retention.purge()).counts, NONE);
  assert.is(await count(), before, 'no entry for an hourly purge that removed nothing');
  await retention.purge({ actor: cliActor('olive') });
  const last = await store.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  assert.is(last.action, 'retention.purge');
  assert.is(last.actor, 'cli:olive');
  assert.equal(JSON.parse(last.details!).counts, NONE);
});

test('only an owner may purge', async () => {
  for (const role of ['admin', 'moderator', 'safeguarding', 'auditor'] as const) {
    try {
      await retention.purge({ dryRun: true, actor: { role, name: `moderator:${role}` } });
      assert.unreachable(`${role} purged`);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'forbidden', role);
    }
  }
});

test('the server purges on its timer and stops the timer on close', async () => {
  const config = makeConfig({ dir: store.path.replace(/\/[^/]+$/, ''), settings: { server: { host: '127.0.0.1', port: 0 } } });
  clock = T0 + 400 * DAY_MS;
  const server = await createServer(config, { db: store.db, logger: silentLogger(), now, retentionIntervalMs: 50 });
  let closed = false;
  try {
    const deadline = Date.now() + 2000;
    while ((await ids(store.db, 'tickets')).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await ids(store.db, 'tickets'), [], 'expired tickets were purged by the timer');
    assert.equal(await ids(store.db, 'sessions'), ['s1', 's2']);
    const entry = await store.db.selectFrom('audit_log').selectAll().where('action', '=', 'retention.purge').executeTakeFirstOrThrow();
    assert.is(entry.actor, 'system:retention');
    await server.close();
    closed = true;
    await store.db.insertInto('tickets').values({ hash: 't-late', session_id: 's1', expires_at: T0, used_at: null }).execute();
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await ids(store.db, 'tickets'), ['t-late'], 'no purge after close');
  } finally {
    if (!closed) await server.close();
  }
});

test.run();
