// The figures of the public /transparency page (when transparency.publish is on): the last 12
// months' transparency report from StatsService, as the `%%SC:tr_…%%` values of the page the
// site built in each language (web/src/pages/[lang]/transparency.astro). Numbers only, so every
// value is HTML-safe as it is. Computed on demand and kept an hour (the server's own counts are
// recounted hourly too), so a flood of visits costs one computation an hour.
import { FILTER_REASONS, type StatsService, type TransparencyReport } from '../moderation/stats.ts';
import { ReportReason } from '../protocol/messages.ts';
import type { Actor } from '../access/actor.ts';

/** How long the page's figures are kept. */
export const TRANSPARENCY_CACHE_MS = 3_600_000;
/** The period the page reports on: the last 12 months (365 days). */
export const TRANSPARENCY_PERIOD_MS = 365 * 86_400_000;
/** Who reads the figures for the public page: read-only, and never in the audit log. */
export const TRANSPARENCY_ACTOR: Actor = { role: 'auditor', name: 'system:transparency' };
/** What stands for a figure that does not exist yet (no median without any decision). */
const NONE = '–';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const minutes = (ms: number | null) => (ms === null ? NONE : String(Math.round(ms / 60_000)));
const hours = (ms: number | null) => (ms === null ? NONE : (ms / 3_600_000).toFixed(1));

/** The page's values from a report. */
export function transparencyValues(report: TransparencyReport): Record<string, string> {
  const q = report.automatedMeans.quarantine;
  const values: Record<string, string> = {
    tr_from: day(report.period.from),
    tr_to: day(report.period.to - 1),
    tr_generated: day(report.generatedAt),
    tr_notices_total: String(report.notices.total),
    tr_notices_auto: String(report.notices.processedAutomatically),
    tr_notices_median_min: minutes(report.notices.medianTimeToActionMs),
    tr_action_dismiss: String(report.notices.actions.dismiss),
    tr_action_ban: String(report.notices.actions.ban),
    tr_action_lift_quarantine: String(report.notices.actions.lift_quarantine),
    tr_action_open: String(report.notices.actions.open),
    tr_own_bans: String(report.ownInitiative.bansByModerators),
    tr_own_quarantines: String(report.ownInitiative.automaticQuarantines),
    tr_own_filtered: String(report.ownInitiative.filteredMessages),
    tr_complaints_total: String(report.complaints.total),
    tr_complaints_upheld: String(report.complaints.upheld),
    tr_complaints_reversed: String(report.complaints.reversed),
    tr_complaints_open: String(report.complaints.open),
    tr_complaints_median_h: hours(report.complaints.medianDecisionMs),
    tr_filter_blocked: String(report.automatedMeans.messageFilter.blocked),
    tr_q_total: String(q.total),
    tr_q_confirmed: String(q.confirmedByBan),
    tr_q_lifted: String(q.liftedByModerator),
    tr_q_awaiting: String(q.awaitingReview),
    tr_q_expired: String(q.expired),
    tr_q_lifted_share: q.liftedShare === null ? NONE : String(Math.round(q.liftedShare * 100)),
    tr_suspensions: String(report.suspensions),
    tr_mau: report.averageMonthlyActiveRecipients === null ? NONE : String(report.averageMonthlyActiveRecipients),
  };
  for (const reason of ReportReason.options) values[`tr_notice_${reason}`] = String(report.notices.byReason[reason] ?? 0);
  for (const reason of FILTER_REASONS) values[`tr_filter_${reason}`] = String(report.automatedMeans.messageFilter.byReason[reason] ?? 0);
  return values;
}

/** The values for the page, cached; one computation at a time. */
export function transparencyPage(deps: { stats: StatsService; now: () => number }): () => Promise<Record<string, string>> {
  let cached: { at: number; values: Record<string, string> } | undefined;
  let computing: Promise<Record<string, string>> | undefined;
  return async () => {
    const now = deps.now();
    if (cached && now - cached.at < TRANSPARENCY_CACHE_MS) return cached.values;
    computing ??= deps.stats
      .transparency(TRANSPARENCY_ACTOR, { from: now - TRANSPARENCY_PERIOD_MS, to: now })
      .then((report) => {
        cached = { at: now, values: transparencyValues(report) };
        return cached.values;
      })
      .finally(() => (computing = undefined));
    return computing;
  };
}
