// StatsService on a real SQLite database seeded with a known history (reports and their
// resolutions, audit entries, bans and quarantines, appeals, the servers' daily counts), so every
// figure of `strangerchat stats` and the transparency report is checked against what was written;
// and UsageRecorder's writes: counts added up across flushes and nodes, sessions and monthly
// devices counted from the sessions table and never lowered by retention.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { cliActor } from '../../server/access/actor.ts';
import { auditOn } from '../helpers/audit.ts';
import { percentile, StatsService, transparencyReport } from '../../server/moderation/stats.ts';
import { UsageCounters, UsageRecorder } from '../../server/chat/usage.ts';
import { silentLogger } from '../../server/logger.ts';
import { newDatabase, type TestDatabase } from '../helpers/database.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const MIN = 60_000;
const OWNER = cliActor('tester');

let t: TestDatabase;
test.before.each(async () => {
  t = await newDatabase();
});
test.after.each(async () => t.destroy());

async function report(at: number, reason: string, band: string | null, resolution?: { action: string; at: number }): Promise<string> {
  const id = randomUUID();
  await t.db
    .insertInto('reports')
    .values({
      id,
      conversation_id: randomUUID(),
      reason,
      note: null,
      status: resolution ? 'resolved' : 'open',
      reporter_session_id: 's1',
      reported_session_id: 's2',
      transcript: '[]',
      evidence_token_hash: randomUUID(),
      created_at: at,
      reporter_device_id: 'd1',
      reported_device_id: 'd2',
      reporter_identity_hash: null,
      reported_identity_hash: null,
      reporter_address: null,
      reported_address: null,
      reported_age_band: band,
      mode: 'text',
      resolved_at: resolution?.at ?? null,
      resolved_by: resolution ? 'moderator:alice' : null,
      resolution: resolution?.action ?? null,
      resolution_note: null,
      evidence_purged_at: null,
    })
    .execute();
  return id;
}

async function ban(at: number, fields: Partial<{ target_kind: string; report_id: string; quarantine: number; lifted_at: number; lifted_by: string; expires_at: number }> = {}): Promise<string> {
  const id = randomUUID();
  await t.db
    .insertInto('bans')
    .values({
      id,
      target_kind: fields.target_kind ?? 'device',
      target: randomUUID(),
      reason: 'x',
      severity: 'no_access',
      note: null,
      created_by: fields.quarantine ? 'system:quarantine' : 'moderator:alice',
      created_at: at,
      expires_at: fields.expires_at ?? null,
      lifted_at: fields.lifted_at ?? null,
      lifted_by: fields.lifted_by ?? null,
      report_id: fields.report_id ?? null,
      quarantine: fields.quarantine ?? 0,
    })
    .execute();
  return id;
}

test('every figure of a period, from a known history', async () => {
  let clock = T0;
  const audit = auditOn(t, t.db, () => clock);
  const at = async (when: number, action: string, target: string, details?: Record<string, unknown>) => {
    clock = when;
    await audit.record('moderator:alice', { action, target, ...(details ? { details } : {}) });
  };
  // Before the period: not counted.
  await report(T0 - DAY, 'spam', 'adult');
  // Four reports; first actions after 10, 20 and 40 minutes (an evidence view before the resolution counts); one untouched.
  const r1 = await report(T0 + 1 * DAY, 'harassment', 'minor', { action: 'dismiss', at: T0 + 1 * DAY + 10 * MIN });
  const r2 = await report(T0 + 2 * DAY, 'harassment', 'adult', { action: 'ban', at: T0 + 2 * DAY + 60 * MIN });
  await at(T0 + 2 * DAY + 20 * MIN, 'evidence.view', `report:${r2}`);
  const r3 = await report(T0 + 2 * DAY + 5 * MIN, 'minor', null, { action: 'lift_quarantine', at: T0 + 2 * DAY + 45 * MIN });
  await report(T0 + 3 * DAY, 'nudity', 'adult');
  // Bans: one from a report, one on a moderator's own initiative (lifted since), two quarantines (one confirmed by a ban, one lifted as a mistake), one awaiting review.
  await ban(T0 + 2 * DAY + 60 * MIN, { report_id: r2 });
  await ban(T0 + 4 * DAY, { target_kind: 'ip', lifted_at: T0 + 5 * DAY, lifted_by: 'moderator:bob' });
  const q1 = await ban(T0 + 2 * DAY, { quarantine: 1, report_id: r2, lifted_at: T0 + 2 * DAY + 60 * MIN, lifted_by: 'moderator:alice' });
  const q2 = await ban(T0 + 2 * DAY + 6 * MIN, { quarantine: 1, report_id: r3, lifted_at: T0 + 2 * DAY + 45 * MIN, lifted_by: 'moderator:alice' });
  await ban(T0 + 6 * DAY, { quarantine: 1, expires_at: T0 + 60 * DAY });
  await at(T0 + 2 * DAY + 45 * MIN, 'report.lift_quarantine', `report:${r3}`, { reason: 'minor', liftedBanIds: [q2] });
  await at(T0 + 2 * DAY + 60 * MIN, 'report.ban', `report:${r2}`, { reason: 'harassment', liftedBanIds: [q1] });
  await at(T0 + 1 * DAY + 10 * MIN, 'report.dismiss', `report:${r1}`);
  // Appeals (of the ban above): one upheld after 2 hours, one lifted after 4 hours, one open.
  const appealed = (await t.db.selectFrom('bans').select('id').where('report_id', '=', r2).where('quarantine', '=', 0).executeTakeFirstOrThrow()).id;
  for (const [status, decidedAfter] of [['upheld', 2 * 60 * MIN], ['lifted', 4 * 60 * MIN], ['open', null]] as const) {
    await t.db
      .insertInto('appeals')
      .values({ id: randomUUID(), ban_id: appealed, message: 'm', status, created_at: T0 + 7 * DAY, decided_by: decidedAfter ? 'moderator:bob' : null, decided_at: decidedAfter ? T0 + 7 * DAY + decidedAfter : null, decision_note: null })
      .execute();
  }
  // What the servers counted.
  await t.db
    .insertInto('daily_counts')
    .values([
      { day: '2026-11-02', metric: 'sessions', value: 40 },
      { day: '2026-11-02', metric: 'conversations.text', value: 15 },
      { day: '2026-11-02', metric: 'conversations.video', value: 5 },
      { day: '2026-11-03', metric: 'sessions', value: 10 },
      { day: '2026-11-03', metric: 'filtered.email', value: 3 },
      { day: '2026-11-03', metric: 'filtered.words', value: 2 },
      { day: '2026-11', metric: 'month.active_devices', value: 33 },
      { day: '2026-10-31', metric: 'sessions', value: 999 },
    ])
    .execute();

  const stats = await new StatsService({ db: t.db, now: () => T0 + 30 * DAY }).collect(OWNER, { from: T0, to: T0 + 30 * DAY });
  assert.equal(stats.period, { from: T0, to: T0 + 30 * DAY, days: 30 });
  assert.is(stats.days.length, 30);
  assert.equal(stats.days[1], { day: '2026-11-02', sessions: 40, conversations: 20, textConversations: 15, videoConversations: 5, reports: 1, bans: 0, quarantines: 0, filteredMessages: 0 });
  assert.equal(stats.days[2], { day: '2026-11-03', sessions: 10, conversations: 0, textConversations: 0, videoConversations: 0, reports: 2, bans: 1, quarantines: 2, filteredMessages: 5 });
  assert.equal(stats.usage, { sessions: 50, conversations: 20, textConversations: 15, videoConversations: 5, monthlyActiveDevices: [{ month: '2026-11', devices: 33 }], averageMonthlyActiveDevices: 33 });
  assert.equal(stats.reports.byReason, { nudity: 1, minor: 1, harassment: 2, hate: 0, spam: 0, illegal: 0, other: 0 });
  assert.equal(stats.reports.byBand, { minor: 1, adult: 2, unknown: 1 });
  assert.equal(stats.reports.byReasonAndBand.harassment, { minor: 1, adult: 1, unknown: 0 });
  assert.equal(stats.reports.outcomes, { dismiss: 1, ban: 1, lift_quarantine: 1 });
  assert.equal([stats.reports.total, stats.reports.open], [4, 1]);
  assert.equal(stats.firstAction, { actedOn: 3, waiting: 1, medianMs: 20 * MIN, p90Ms: 40 * MIN });
  assert.equal(stats.bans, { total: 2, fromReports: 1, ownInitiative: 1, liftedSince: 1, byTarget: { device: 1, ip: 1 }, activeNow: 2 });
  assert.equal(stats.quarantines, { total: 3, confirmedByBan: 1, liftedByModerator: 1, expired: 0, awaitingReview: 1 });
  assert.equal(stats.filteredMessages, { total: 5, byReason: { words: 2, email: 3, phone: 0, link: 0, handle: 0 } });
  assert.equal(stats.appeals, { total: 3, open: 1, upheld: 1, lifted: 1, medianDecisionMs: 2 * 60 * MIN });

  const report2 = transparencyReport(stats);
  assert.is(report2.authorityOrders, null);
  assert.is(report2.outOfCourtDisputes, null);
  assert.equal(report2.notices.actions, { dismiss: 1, ban: 1, lift_quarantine: 1, open: 1 });
  assert.is(report2.notices.medianTimeToActionMs, 20 * MIN);
  assert.equal(report2.complaints, { total: 3, upheld: 1, reversed: 1, open: 1, medianDecisionMs: 2 * 60 * MIN });
  assert.is(report2.automatedMeans.quarantine.liftedShare, 0.5);
  assert.equal([report2.suspensions, report2.averageMonthlyActiveRecipients, report2.ownInitiative.bansByModerators], [2, 33, 1]);
});

test('stats need stats.read: every role has it', async () => {
  const service = new StatsService({ db: t.db, now: () => T0 });
  const empty = await service.collect({ role: 'auditor', name: 'moderator:aud' }, { from: T0, to: T0 + DAY });
  assert.equal([empty.reports.total, empty.firstAction.medianMs, empty.usage.averageMonthlyActiveDevices], [0, null, null]);
});

test('percentile: nearest rank', () => {
  assert.is(percentile([], 50), null);
  assert.is(percentile([5], 90), 5);
  assert.is(percentile([1, 2, 3, 4], 50), 2);
  assert.is(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
});

test('the recorder adds counts across flushes and nodes, counts sessions and monthly devices, and never lowers a count', async () => {
  let clock = Date.parse('2026-11-30T23:59:59Z');
  const now = () => clock;
  const counters = new UsageCounters(now);
  const other = new UsageCounters(now);
  const recorder = new UsageRecorder({ db: t.db, counters, now, logger: silentLogger() });
  const otherNode = new UsageRecorder({ db: await t.openAnother(), counters: other, now, logger: silentLogger() });
  counters.conversationStarted('text');
  clock += 2000; // past midnight: the next one counts for the next day
  counters.conversationStarted('text');
  counters.messageFiltered('phone');
  other.conversationStarted('text');
  await recorder.flush();
  await otherNode.flush();
  counters.conversationStarted('video');
  await recorder.flush();
  for (const [id, device, at] of [['a', 'dev1', clock - DAY], ['b', 'dev1', clock], ['c', 'dev2', clock], ['d', 'dev2', clock + 1000]] as const) {
    await t.db.insertInto('sessions').values({ id, device_id: device, age_band: 'adult', age: 20, address: '', created_at: at, ended_at: null, identity_hash: null, invite_id: null }).execute();
  }
  await recorder.recount();
  const counts = async () =>
    Object.fromEntries((await t.db.selectFrom('daily_counts').selectAll().orderBy('day').orderBy('metric').execute()).map((r) => [`${r.day} ${r.metric}`, Number(r.value)]));
  assert.equal(await counts(), {
    '2026-11-30 conversations.text': 1,
    '2026-11-30 sessions': 1,
    '2026-12 month.active_devices': 2,
    '2026-12-01 conversations.text': 2,
    '2026-12-01 conversations.video': 1,
    '2026-12-01 filtered.phone': 1,
    '2026-12-01 sessions': 3,
  });
  // Retention removes sessions: the counts already taken stay.
  await t.db.deleteFrom('sessions').execute();
  await recorder.recount();
  assert.is((await counts())['2026-12-01 sessions'], 3);
  await recorder.stop();
  await otherNode.stop();
});

test.run();
