// `strangerchat stats`: the figures of a period for a school's governors and for transparency
// (server/moderation/stats.ts computes them; the /transparency page shows the same): readable,
// --json, or the per-day table as --csv; --transparency arranges a year as a DSA Art. 15/24 report.
import type { Command } from 'commander';
import type { InstanceStats, TransparencyReport } from '../../server/protocol/stats.ts';
import { transparencyReport } from '../../server/moderation/stats.ts';
import { ALERT_KINDS, type AlertKind } from '../../server/protocol/enums.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { table, type GlobalOptions, type Output } from '../output.ts';
import { sinceFlag, withServices } from '../services.ts';
import { packageVersion } from '../version.ts';

const DEFAULT_SINCE_MS = 30 * 86_400_000;
const YEAR_MS = 365 * 86_400_000;

export interface StatsOptions extends GlobalOptions {
  since?: number;
  until?: number;
  csv?: boolean;
  transparency?: boolean;
  year?: number;
}

function yearFlag(value: string): number {
  if (!/^\d{4}$/.test(value.trim())) throw new CliError(`--year must be a year such as 2026, got "${value.slice(0, 10)}"`, ExitCode.Usage);
  return Number(value);
}

export function registerStats(program: Command, ctx: Context): void {
  const command = program
    .command('stats')
    .description("a period's figures: sessions and conversations per day, reports by reason and age band, time to the first moderator action, bans, quarantines, appeals, safeguarding alerts and the time to acknowledge them; --transparency for a yearly transparency report")
    .option('--since <when>', 'from: a duration back from now (30d, 12w) or a date (2026-09-01); default 30d', sinceFlag)
    .option('--until <when>', 'to (not included): a date, or a duration back from now; default now', sinceFlag)
    .option('--csv', 'the per-day table as CSV (for a spreadsheet)')
    .option('--transparency', 'the same figures as a transparency report (DSA Art. 15 and 24): the last 12 months, or --year')
    .option('--year <year>', 'with --transparency: a calendar year (UTC)', yearFlag)
    .action(async (_o: StatsOptions, command: Command) => stats(ctx, command.optsWithGlobals<StatsOptions>()));
  withNotes(
    command,
    'Notes',
    'Days are UTC days. Conversations and filtered messages are counted by the server from the\nversion that records them on; sessions are counted before retention removes them. Nothing here\nnames a person. --csv columns: day, sessions, conversations, text_conversations,\nvideo_conversations, reports, bans, quarantines, filtered_messages.',
  );
  withExamples(command, ['strangerchat stats', 'strangerchat stats --since 2026-09-01 --csv > autumn-term.csv', 'strangerchat stats --transparency --year 2026 > transparency-2026.txt', 'strangerchat stats --json | jq .reports.byReason']);
}

/** The period asked for: [from, to). */
function periodOf(options: StatsOptions, now: number): { from: number; to: number } {
  if (options.year !== undefined) {
    if (!options.transparency) throw new CliError('--year applies with --transparency (else use --since and --until)', ExitCode.Usage);
    if (options.since !== undefined || options.until !== undefined) throw new CliError('--year replaces --since and --until', ExitCode.Usage);
    return { from: Date.UTC(options.year, 0, 1), to: Math.min(now, Date.UTC(options.year + 1, 0, 1)) };
  }
  const to = options.until ?? now;
  const from = options.since ?? to - (options.transparency ? YEAR_MS : DEFAULT_SINCE_MS);
  if (from >= to) throw new CliError('--since must come before --until', ExitCode.Usage);
  return { from, to };
}

export async function stats(ctx: Context, options: StatsOptions): Promise<void> {
  if (options.csv && options.json) throw new CliError('--csv and --json cannot be combined', ExitCode.Usage);
  if (options.csv && options.transparency) throw new CliError('--csv gives the per-day table; --transparency a report (--json for its data)', ExitCode.Usage);
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const period = periodOf(options, now());
    const figures = await services.stats.collect(actor, period);
    if (options.csv) {
      ctx.stdout.write(csv(figures));
      return;
    }
    if (options.transparency) {
      const report = transparencyReport(figures);
      output.result(report, () => transparencyText(report, instance.config.settings.name));
      return;
    }
    output.result(figures, () => statsText(figures, output));
  });
}

const DAY = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** 12 min, 2 h 5 min, 1 d 2 h. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

function list(counts: Record<string, number>, labels: Record<string, string> = {}): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([key, n]) => `${labels[key] ?? key} ${n}`).join(', ') : '-';
}

const OUTCOMES = { dismiss: 'dismissed', ban: 'banned', lift_quarantine: 'quarantine lifted' };
const ALERT_LABELS: Record<AlertKind, string> = { report_sensitive: 'minor or illegal reports', report_repeat: 'repeated reports', quarantine: 'quarantines', band_switch: 'age-group switches' };
/** The period's last day: `to` is not included. */
const lastDay = (to: number) => DAY(to - 1);

function statsText(s: InstanceStats, output: Output): string {
  const lines: Array<[string, string]> = [
    ['sessions', String(s.usage.sessions)],
    ['conversations', `${s.usage.conversations} (text ${s.usage.textConversations}, video ${s.usage.videoConversations})`],
    [
      'active devices',
      s.usage.averageMonthlyActiveDevices === null ? '-' : `${s.usage.averageMonthlyActiveDevices} a month on average (${s.usage.monthlyActiveDevices.map((m) => `${m.month}: ${m.devices}`).join(', ')})`,
    ],
    ['reports', `${s.reports.total} (open ${s.reports.open})`],
    ['  by reason', list(s.reports.byReason)],
    ['  by age band', list(s.reports.byBand)],
    ['  outcomes', list(s.reports.outcomes, OUTCOMES)],
    ['first action', `median ${formatDuration(s.firstAction.medianMs)}, 90% within ${formatDuration(s.firstAction.p90Ms)} (${s.firstAction.actedOn} acted on, ${s.firstAction.waiting} waiting)`],
    [
      'alerts',
      `${s.alerts.total} (${ALERT_KINDS.map((kind) => `${ALERT_LABELS[kind]} ${s.alerts.byKind[kind]}`).join(', ')}); acknowledged in a median ${formatDuration(s.alerts.medianAcknowledgeMs)}, 90% within ${formatDuration(s.alerts.p90AcknowledgeMs)} (${s.alerts.unacknowledged} not yet)`,
    ],
    ['bans', `${s.bans.total} (from reports ${s.bans.fromReports}, own initiative ${s.bans.ownInitiative}; lifted since ${s.bans.liftedSince}; active now ${s.bans.activeNow})`],
    [
      'quarantines',
      `${s.quarantines.total} (confirmed by a ban ${s.quarantines.confirmedByBan}, lifted by a moderator ${s.quarantines.liftedByModerator}, expired ${s.quarantines.expired}, awaiting review ${s.quarantines.awaitingReview})`,
    ],
    ['filtered', `${s.filteredMessages.total} messages (${list(s.filteredMessages.byReason)})`],
    ['appeals', `${s.appeals.total} (upheld ${s.appeals.upheld}, lifted ${s.appeals.lifted}, open ${s.appeals.open}; median decision ${formatDuration(s.appeals.medianDecisionMs)})`],
  ];
  const width = Math.max(...lines.map(([key]) => key.length));
  const head = output.out.bold(`${DAY(s.period.from)} to ${lastDay(s.period.to)} (${s.period.days} days, UTC)`);
  const perDay = table(
    ['day', 'sessions', 'conversations', 'reports', 'bans', 'quarantines', 'filtered'],
    s.days.map((d) => [d.day, d.sessions, d.conversations, d.reports, d.bans, d.quarantines, d.filteredMessages]),
  );
  return [head, '', ...lines.map(([key, value]) => `${key.padEnd(width)}  ${value}`), '', perDay].join('\n');
}

function csv(s: InstanceStats): string {
  const header = 'day,sessions,conversations,text_conversations,video_conversations,reports,bans,quarantines,filtered_messages';
  const rows = s.days.map((d) => [d.day, d.sessions, d.conversations, d.textConversations, d.videoConversations, d.reports, d.bans, d.quarantines, d.filteredMessages].join(','));
  return `${[header, ...rows].join('\n')}\n`;
}

function transparencyText(r: TransparencyReport, name: string): string {
  const q = r.automatedMeans.quarantine;
  const share = q.liftedShare === null ? 'none reviewed yet' : `${Math.round(q.liftedShare * 100)}% of those reviewed were lifted, an indicator of its error rate`;
  return [
    `Transparency report: ${name}`,
    `Period ${DAY(r.period.from)} to ${lastDay(r.period.to)} (UTC), generated ${DAY(r.generatedAt)} by strangerchat ${packageVersion()}.`,
    'What the EU Digital Services Act (Art. 15 and 24) asks a provider to publish, from the records of this instance.',
    '',
    '1. Orders from Member States\' authorities (Art. 9 and 10)',
    '   Not recorded by strangerchat: add the orders received, by type of illegal content and Member State, with the median time to act on them.',
    '',
    '2. Notices: reports filed by users from a conversation (Art. 16)',
    `   ${r.notices.total} notices: ${list(r.notices.byReason)}`,
    `   actions: ${list(r.notices.actions, { ...OUTCOMES, open: 'still open' })}`,
    `   from trusted flaggers: ${r.notices.trustedFlaggers}; that started an automatic quarantine: ${r.notices.processedAutomatically}`,
    `   median time to a moderator's first action: ${formatDuration(r.notices.medianTimeToActionMs)}`,
    '',
    '3. Moderation on our own initiative',
    `   bans placed by moderators without a report: ${r.ownInitiative.bansByModerators}; automatic quarantines: ${r.ownInitiative.automaticQuarantines}; messages blocked by the filter: ${r.ownInitiative.filteredMessages}`,
    '',
    '4. Complaints: appeals of bans (Art. 20)',
    `   ${r.complaints.total} appeals: upheld ${r.complaints.upheld}, reversed (ban lifted) ${r.complaints.reversed}, open ${r.complaints.open}; median time to decide ${formatDuration(r.complaints.medianDecisionMs)}`,
    '',
    '5. Automated means (Art. 15(1)(e))',
    `   Message filter: blocks messages with contact details, links or listed words before they reach the other person; ${r.automatedMeans.messageFilter.blocked} blocked (${list(r.automatedMeans.messageFilter.byReason)}).`,
    '   Blocked messages are not stored, so the filter\'s accuracy cannot be measured; the sender is told and may rephrase.',
    `   Automatic quarantine: when several distinct people report one person within a short time, that person is not paired until a moderator reviews it; ${q.total} quarantines: confirmed by a ban ${q.confirmedByBan}, lifted by a moderator ${q.liftedByModerator} (${share}), awaiting review ${q.awaitingReview}, expired ${q.expired}.`,
    '',
    '6. Disputes before out-of-court settlement bodies (Art. 21 and 24(1)(a))',
    '   Not recorded by strangerchat: add them.',
    '',
    '7. Suspensions for misuse (Art. 23 and 24(1)(b))',
    `   ${r.suspensions} bans placed by moderators.`,
    '',
    '8. Average monthly active recipients (Art. 24(2))',
    `   ${r.averageMonthlyActiveRecipients ?? 'not recorded for this period'}${r.averageMonthlyActiveRecipients === null ? '' : ' (distinct devices that started a conversation session, per month)'}`,
  ].join('\n');
}
