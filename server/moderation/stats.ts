// The instance's figures: the moderation counts the dashboard shows next to the live ones (open
// reports and appeals, active bans), and StatsService's account of a period for a school's
// governors and for transparency (`strangerchat stats`, the /transparency page): sessions and
// conversations per day, reports by reason and age band, the time to a moderator's first action,
// bans, quarantines, appeals and their outcomes, safeguarding alerts and the time to acknowledge
// them, and the same as a DSA Art. 15/24 report.
// Counted in the database, so they are the same on every process; numbers only, never a person.
import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan } from '../access/permissions.ts';
import { METRICS, utcDay } from '../chat/usage.ts';
import { ReportReason } from '../protocol/messages.ts';
import { ALERT_KINDS, RESOLUTIONS, type AlertKind, type ModerationCounts, type Resolution } from '../protocol/moderation.ts';
import { STATS_BANDS, type ByBand, type DayStats, type InstanceStats, type StatsBand, type TransparencyReport } from '../protocol/stats.ts';

export type { ByBand, DayStats, InstanceStats, TransparencyReport } from '../protocol/stats.ts';

export type { ModerationCounts } from '../protocol/moderation.ts';

export async function moderationCounts(db: Db, now: number): Promise<ModerationCounts> {
  const [reports, appeals, bans, alerts] = await Promise.all([
    db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow(),
    db.selectFrom('appeals').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow(),
    db
      .selectFrom('bans')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirstOrThrow(),
    db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where('acknowledged_at', 'is', null).executeTakeFirstOrThrow(),
  ]);
  return { openReports: Number(reports.n), openAppeals: Number(appeals.n), activeBans: Number(bans.n), openAlerts: Number(alerts.n) };
}

const DAY_MS = 86_400_000;
/** The reasons the message filter blocks for (server/moderation/filter.ts BlockReason). */
export const FILTER_REASONS = ['words', 'email', 'phone', 'link', 'handle'] as const;
const BANDS = STATS_BANDS;
type Band = StatsBand;
/** Audit actions that are a moderator acting on a report (opening its evidence, or resolving it). */
const REPORT_ACTIONS = ['evidence.view', ...RESOLUTIONS.map((r) => `report.${r}`)];

/** A period in ms since the epoch, [from, to). */
export interface StatsPeriod {
  from: number;
  to: number;
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

function bandOf(value: string | null): Band {
  return value === 'minor' || value === 'adult' ? value : 'unknown';
}

/** The UTC days of a period, first to last. */
function daysOf(period: StatsPeriod): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${utcDay(period.from)}T00:00:00Z`); at < period.to; at += DAY_MS) days.push(utcDay(at));
  return days;
}

/** Quarantine ban ids that a report resolution replaced by a ban, or lifted, from the audit details. */
function reviewedQuarantines(entries: Array<{ action: string; details: string | null }>): { confirmed: Set<string>; lifted: Set<string> } {
  const confirmed = new Set<string>();
  const lifted = new Set<string>();
  for (const entry of entries) {
    let ids: unknown;
    try {
      ids = entry.details ? (JSON.parse(entry.details) as { liftedBanIds?: unknown }).liftedBanIds : undefined;
    } catch {
      ids = undefined;
    }
    if (!Array.isArray(ids)) continue;
    for (const id of ids) if (typeof id === 'string') (entry.action === 'report.ban' ? confirmed : lifted).add(id);
  }
  return { confirmed, lifted };
}

export class StatsService {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(deps: { db: Db; now: () => number }) {
    this.#db = deps.db;
    this.#now = deps.now;
  }

  async collect(actor: Actor, period: StatsPeriod): Promise<InstanceStats> {
    assertCan(actor.role, 'stats.read');
    const db = this.#db;
    const now = this.#now();
    const days = daysOf(period);
    const dayIndex = new Map(days.map((day, i) => [day, i]));
    const perDay: DayStats[] = days.map((day) => ({ day, sessions: 0, conversations: 0, textConversations: 0, videoConversations: 0, reports: 0, bans: 0, quarantines: 0, filteredMessages: 0 }));
    const inPeriod = <T extends { created_at: number }>(rows: T[]) => rows.filter((row) => Number(row.created_at) >= period.from && Number(row.created_at) < period.to);

    // Counters written by the servers (conversations, filter, sessions, monthly devices).
    const firstMonth = days[0]!.slice(0, 7);
    const counts = await db.selectFrom('daily_counts').selectAll().where('day', '>=', firstMonth).where('day', '<=', days.at(-1)!).execute();
    const filteredByReason: Record<string, number> = zeroes(FILTER_REASONS);
    const monthlyActiveDevices: Array<{ month: string; devices: number }> = [];
    for (const row of counts) {
      const value = Number(row.value);
      if (row.metric === METRICS.activeDevices) {
        if (row.day.length === 7) monthlyActiveDevices.push({ month: row.day, devices: value });
        continue;
      }
      const i = dayIndex.get(row.day);
      if (i === undefined) continue;
      const day = perDay[i]!;
      if (row.metric === METRICS.sessions) day.sessions = value;
      else if (row.metric === METRICS.conversations('text')) day.textConversations += value;
      else if (row.metric === METRICS.conversations('video')) day.videoConversations += value;
      else if (row.metric.startsWith('filtered.')) {
        day.filteredMessages += value;
        const reason = row.metric.slice('filtered.'.length);
        filteredByReason[reason] = (filteredByReason[reason] ?? 0) + value;
      }
    }
    for (const day of perDay) day.conversations = day.textConversations + day.videoConversations;
    monthlyActiveDevices.sort((a, b) => a.month.localeCompare(b.month));

    // Reports, and the first moderator action on each.
    const reports = inPeriod(
      await db
        .selectFrom('reports')
        .select(['id', 'created_at', 'reason', 'reported_age_band', 'status', 'resolution', 'resolved_at'])
        .where('created_at', '>=', period.from)
        .where('created_at', '<', period.to)
        .execute(),
    );
    const firstAudit = new Map<string, number>();
    const actions = await db
      .selectFrom('audit_log')
      .select(['target', (eb) => eb.fn.min<number>('at').as('first')])
      .where('action', 'in', REPORT_ACTIONS)
      .where('target', 'like', 'report:%')
      .where('at', '>=', period.from)
      .groupBy('target')
      .execute();
    for (const row of actions) if (row.target) firstAudit.set(row.target.slice('report:'.length), Number(row.first));
    const byReason: Record<string, number> = zeroes(ReportReason.options);
    const byBand: ByBand = zeroes(BANDS);
    const byReasonAndBand: Record<string, ByBand> = Object.fromEntries(ReportReason.options.map((reason) => [reason, zeroes(BANDS)]));
    const outcomes: Record<Resolution, number> = zeroes(RESOLUTIONS);
    const waits: number[] = [];
    let open = 0;
    for (const report of reports) {
      const band = bandOf(report.reported_age_band);
      byReason[report.reason] = (byReason[report.reason] ?? 0) + 1;
      byBand[band]++;
      (byReasonAndBand[report.reason] ??= zeroes(BANDS))[band]++;
      if (report.status === 'open') open++;
      if (report.resolution && report.resolution in outcomes) outcomes[report.resolution as Resolution]++;
      const firsts = [firstAudit.get(report.id), report.resolved_at === null ? undefined : Number(report.resolved_at)].filter((t): t is number => t !== undefined);
      if (firsts.length) waits.push(Math.max(0, Math.min(...firsts) - Number(report.created_at)));
      const i = dayIndex.get(utcDay(Number(report.created_at)));
      if (i !== undefined) perDay[i]!.reports++;
    }
    waits.sort((a, b) => a - b);

    // Bans and automatic quarantines placed in the period.
    const bans = inPeriod(
      await db
        .selectFrom('bans')
        .select(['id', 'target_kind', 'created_at', 'expires_at', 'lifted_at', 'lifted_by', 'report_id', 'quarantine'])
        .where('created_at', '>=', period.from)
        .where('created_at', '<', period.to)
        .execute(),
    );
    const reviewed = reviewedQuarantines(
      await db.selectFrom('audit_log').select(['action', 'details']).where('action', 'in', ['report.ban', 'report.lift_quarantine']).where('at', '>=', period.from).execute(),
    );
    const byTarget: Record<string, number> = {};
    const banStats = { total: 0, fromReports: 0, ownInitiative: 0, liftedSince: 0 };
    const quarantines = { total: 0, confirmedByBan: 0, liftedByModerator: 0, expired: 0, awaitingReview: 0 };
    for (const ban of bans) {
      const i = dayIndex.get(utcDay(Number(ban.created_at)));
      if (Number(ban.quarantine) === 1) {
        quarantines.total++;
        if (i !== undefined) perDay[i]!.quarantines++;
        if (reviewed.confirmed.has(ban.id)) quarantines.confirmedByBan++;
        else if (reviewed.lifted.has(ban.id) || (ban.lifted_at !== null && !String(ban.lifted_by ?? '').startsWith('system'))) quarantines.liftedByModerator++;
        else if (ban.lifted_at !== null || (ban.expires_at !== null && Number(ban.expires_at) <= now)) quarantines.expired++;
        else quarantines.awaitingReview++;
        continue;
      }
      banStats.total++;
      if (ban.report_id) banStats.fromReports++;
      else banStats.ownInitiative++;
      if (ban.lifted_at !== null) banStats.liftedSince++;
      byTarget[ban.target_kind] = (byTarget[ban.target_kind] ?? 0) + 1;
      if (i !== undefined) perDay[i]!.bans++;
    }

    // Appeals filed in the period and what was decided.
    const appeals = inPeriod(
      await db.selectFrom('appeals').select(['created_at', 'status', 'decided_at']).where('created_at', '>=', period.from).where('created_at', '<', period.to).execute(),
    );
    const decisions = appeals
      .filter((a) => a.decided_at !== null)
      .map((a) => Number(a.decided_at) - Number(a.created_at))
      .sort((a, b) => a - b);

    // Alerts raised in the period, and the wait to their acknowledgement.
    const alertRows = inPeriod(
      await db.selectFrom('alerts').select(['kind', 'created_at', 'acknowledged_at']).where('created_at', '>=', period.from).where('created_at', '<', period.to).execute(),
    );
    const byKind: Record<AlertKind, number> = zeroes(ALERT_KINDS);
    for (const alert of alertRows) if (alert.kind in byKind) byKind[alert.kind as AlertKind]++;
    const acknowledgeWaits = alertRows
      .filter((a) => a.acknowledged_at !== null)
      .map((a) => Math.max(0, Number(a.acknowledged_at) - Number(a.created_at)))
      .sort((a, b) => a - b);

    const sum = (pick: (day: DayStats) => number) => perDay.reduce((total, day) => total + pick(day), 0);
    const { activeBans } = await moderationCounts(db, now);
    return {
      period: { from: period.from, to: period.to, days: days.length },
      generatedAt: now,
      days: perDay,
      usage: {
        sessions: sum((d) => d.sessions),
        conversations: sum((d) => d.conversations),
        textConversations: sum((d) => d.textConversations),
        videoConversations: sum((d) => d.videoConversations),
        monthlyActiveDevices,
        averageMonthlyActiveDevices: monthlyActiveDevices.length ? Math.round(monthlyActiveDevices.reduce((t, m) => t + m.devices, 0) / monthlyActiveDevices.length) : null,
      },
      reports: { total: reports.length, open, byReason, byBand, byReasonAndBand, outcomes },
      firstAction: { actedOn: waits.length, waiting: reports.length - waits.length, medianMs: percentile(waits, 50), p90Ms: percentile(waits, 90) },
      bans: { ...banStats, byTarget, activeNow: activeBans },
      quarantines,
      filteredMessages: { total: sum((d) => d.filteredMessages), byReason: filteredByReason },
      appeals: {
        total: appeals.length,
        open: appeals.filter((a) => a.status === 'open').length,
        upheld: appeals.filter((a) => a.status === 'upheld').length,
        lifted: appeals.filter((a) => a.status === 'lifted').length,
        medianDecisionMs: percentile(decisions, 50),
      },
      alerts: {
        total: alertRows.length,
        byKind,
        acknowledged: acknowledgeWaits.length,
        unacknowledged: alertRows.length - acknowledgeWaits.length,
        medianAcknowledgeMs: percentile(acknowledgeWaits, 50),
        p90AcknowledgeMs: percentile(acknowledgeWaits, 90),
      },
    };
  }

  /** The period's figures arranged as a transparency report (DSA Art. 15 and 24). */
  async transparency(actor: Actor, period: StatsPeriod): Promise<TransparencyReport> {
    const stats = await this.collect(actor, period);
    return transparencyReport(stats);
  }
}

export function transparencyReport(stats: InstanceStats): TransparencyReport {
  const q = stats.quarantines;
  const reviewed = q.confirmedByBan + q.liftedByModerator;
  return {
    period: { from: stats.period.from, to: stats.period.to },
    generatedAt: stats.generatedAt,
    authorityOrders: null,
    notices: {
      total: stats.reports.total,
      byReason: stats.reports.byReason,
      actions: { ...stats.reports.outcomes, open: stats.reports.open },
      trustedFlaggers: 0,
      processedAutomatically: q.total,
      medianTimeToActionMs: stats.firstAction.medianMs,
    },
    ownInitiative: { bansByModerators: stats.bans.ownInitiative, automaticQuarantines: q.total, filteredMessages: stats.filteredMessages.total },
    complaints: { total: stats.appeals.total, upheld: stats.appeals.upheld, reversed: stats.appeals.lifted, open: stats.appeals.open, medianDecisionMs: stats.appeals.medianDecisionMs },
    automatedMeans: {
      messageFilter: { blocked: stats.filteredMessages.total, byReason: stats.filteredMessages.byReason },
      quarantine: { ...q, liftedShare: reviewed ? q.liftedByModerator / reviewed : null },
    },
    outOfCourtDisputes: null,
    suspensions: stats.bans.total,
    averageMonthlyActiveRecipients: stats.usage.averageMonthlyActiveDevices,
  };
}
