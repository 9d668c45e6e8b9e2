// `strangerchat reports list|show|resolve`: the report queue at the terminal, through the same
// ReportReviewService as the dashboard: opening evidence is audited first (transcript and every
// frame saved), evidence of minor/illegal reports stays with the safeguarding role, and a ban from
// a report targets what the report recorded, never what the operator types.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ReportReason } from '../../server/protocol/messages.ts';
import { REPORT_BAN_TARGETS, RESOLUTIONS, type OpenedReport, type ReportBanTarget, type Resolution } from '../../server/moderation/report-review.ts';
import type { BanSeverity } from '../../server/moderation/ban-index.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { formatTime, table, type GlobalOptions } from '../output.ts';
import { countFlag, durationFlag, liveNote, resolveId, runningServer, shortId, terminalSafe, withServices } from '../services.ts';
import { banView, targetText } from './ban.ts';
import { registerReportsWatch } from './watch.ts';

const STATUSES = ['open', 'resolved', 'all'] as const;
const BANDS = ['minor', 'adult'] as const;

interface ListOptions extends GlobalOptions {
  status: (typeof STATUSES)[number];
  reason?: string;
  band?: 'minor' | 'adult';
  limit?: number;
}

interface ShowOptions extends GlobalOptions {
  frames?: string;
}

interface ResolveOptions extends GlobalOptions {
  action: Resolution;
  note?: string;
  target?: ReportBanTarget;
  severity?: BanSeverity;
  duration?: number | null;
  reason?: string;
}

export function registerReports(program: Command, ctx: Context): void {
  const reports = program.command('reports').description('the report queue: list, show (with the transcript and evidence frames), resolve, watch');
  withExamples(reports, ['strangerchat reports list', 'strangerchat reports show 3f2a9c1e', 'strangerchat reports resolve 3f2a9c1e --action dismiss']);

  const list = reports
    .command('list')
    .description('list reports: the open queue oldest first (default), or resolved ones newest first')
    .addOption(new Option('--status <status>', 'open, resolved or all').choices(STATUSES).default('open'))
    .addOption(new Option('--reason <reason>', 'only this reason').choices(ReportReason.options))
    .addOption(new Option('--band <band>', "only reports on people in this age band").choices(BANDS))
    .option('--limit <count>', 'at most this many (default 50)', countFlag('--limit', 1, 200))
    .action(async (_o: ListOptions, command: Command) => reportsList(ctx, command.optsWithGlobals<ListOptions>()));
  withExamples(list, ['strangerchat reports list', 'strangerchat reports list --status all --reason harassment --json']);

  const show = reports
    .command('show')
    .argument('<id>', 'a report id, or a unique prefix of one (as reports list shows it)')
    .description("a report with its transcript (times, reporter and reported); --frames saves its video frames as JPEG files. Opening evidence is written to the audit log, as in the dashboard; minor and illegal reports' evidence is for the safeguarding role only")
    .option('--frames <dir>', 'save the evidence frames into this folder as <report>-frame-<n>.jpg')
    .action(async (id: string, _o: ShowOptions, command: Command) => reportsShow(ctx, command.optsWithGlobals<ShowOptions>(), id));
  withExamples(show, ['strangerchat reports show 3f2a9c1e', 'strangerchat reports show 3f2a9c1e --frames ./evidence', 'strangerchat reports show 3f2a9c1e --json']);

  const resolveCommand = reports
    .command('resolve')
    .argument('<id>', 'a report id, or a unique prefix of one')
    .description("close a report: dismiss it, ban the reported person (from what the report recorded; lifts the automatic quarantine), or lift the automatic quarantine")
    .addOption(new Option('--action <action>', 'dismiss, ban or lift_quarantine').choices(RESOLUTIONS).makeOptionMandatory())
    .option('--note <text>', 'why (for the audit log and other moderators)')
    .addOption(new Option('--target <which>', "with --action ban: the reported person's device (default), address, identity or network (/24 or /48)").choices(REPORT_BAN_TARGETS))
    .addOption(new Option('--severity <severity>', 'with --action ban: no_access (default) or no_matching').choices(['no_access', 'no_matching']))
    .addOption(new Option('--duration <duration>', 'with --action ban: 30m, 12h, 7d, 2w, or permanent (default)').argParser(durationFlag('--duration')))
    .option('--reason <text>', 'with --action ban: the reason shown to the banned person (required)')
    .action(async (id: string, _o: ResolveOptions, command: Command) => reportsResolve(ctx, command.optsWithGlobals<ResolveOptions>(), id));
  withExamples(resolveCommand, [
    'strangerchat reports resolve 3f2a9c1e --action dismiss --note "no rule broken"',
    'strangerchat reports resolve 3f2a9c1e --action ban --reason "nudity" --duration 30d --target device',
    'strangerchat reports resolve 3f2a9c1e --action lift_quarantine --note "reports were a pile-on"',
  ]);

  registerReportsWatch(reports, ctx);
}

export async function reportsList(ctx: Context, options: ListOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const { reports, total } = await services.reviews.list(actor, {
      status: options.status ?? 'open',
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.band ? { band: options.band } : {}),
      limit: options.limit ?? 50,
    });
    output.result({ total, reports }, () => {
      if (reports.length === 0) return `no ${options.status === 'all' ? '' : `${options.status ?? 'open'} `}reports`;
      const rows = reports.map((r) => [
        shortId(r.id),
        formatTime(r.createdAt),
        r.sensitive ? `${r.reason} (sensitive)` : r.reason,
        r.reportedBand,
        r.mode,
        r.frames,
        r.quarantined ? 'yes' : 'no',
        r.status === 'open' ? 'open' : `${r.resolution} by ${r.resolvedBy}`,
      ]);
      const shown = table(['id', 'filed', 'reason', 'band', 'mode', 'frames', 'quarantined', 'status'], rows);
      return total > reports.length ? `${shown}\n(${reports.length} of ${total}; --limit shows more)` : shown;
    });
  });
}

function party(p: OpenedReport['report']['reported']): string {
  return [`device ${p.deviceId ?? '-'}`, `address ${p.address ?? '- (removed by retention)'}`, `identity ${p.identityHash ?? '-'}`].join(', ');
}

function formatReport(opened: OpenedReport, saved: string[]): string {
  const r = opened.report;
  const lines: Array<[string, string]> = [
    ['report', `${r.id}  ${r.status === 'open' ? 'open' : `resolved: ${r.resolution} by ${r.resolvedBy} at ${formatTime(r.resolvedAt)}`}`],
    ['filed', formatTime(r.createdAt)],
    ['reason', r.sensitive ? `${r.reason} (sensitive: evidence for the safeguarding role only)` : r.reason],
    ['note', r.note ? terminalSafe(r.note) : '-'],
    ['mode', r.mode ?? '-'],
    ['reported', `band ${r.reportedBand ?? '-'}; ${party(r.reported)}`],
    ['reporter', party(r.reporter)],
    ['reports on them', String(r.reportsAgainstReported)],
    ['quarantined', r.quarantined ? `yes (ban ${r.quarantineBanIds.map(shortId).join(', ')})` : 'no'],
  ];
  if (r.resolutionNote) lines.push(['resolution note', terminalSafe(r.resolutionNote)]);
  const width = Math.max(...lines.map(([key]) => key.length));
  const out = lines.map(([key, value]) => `${key.padEnd(width)}  ${value}`);
  out.push('');
  if (r.evidencePurged) out.push('evidence: removed by retention (the decision stays on record)');
  else if (opened.evidenceHidden) out.push(`evidence: hidden; only the safeguarding role may open the evidence of ${r.reason} reports (sign in at /mod with such an account)`);
  else if (opened.evidence) {
    const { transcript, frames } = opened.evidence;
    out.push(`transcript (${transcript.length} line${transcript.length === 1 ? '' : 's'}, UTC):`);
    if (transcript.length === 0) out.push('  (no messages)');
    for (const line of transcript) out.push(`  ${formatTime(line.at)}  ${line.by.padEnd(8)}  ${terminalSafe(line.text)}`);
    out.push('');
    if (frames.length === 0) out.push('frames: none');
    else if (saved.length) out.push(`frames: ${saved.length} saved:`, ...saved.map((path) => `  ${path}`));
    else out.push(`frames: ${frames.length} (save them with --frames <dir>)`);
  }
  return out.join('\n');
}

export async function reportsShow(ctx: Context, options: ShowOptions, idText: string): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const id = await resolveId(instance.db, 'reports', idText, 'report');
    const opened = await services.reviews.open(actor, id);
    const saved: string[] = [];
    if (options.frames !== undefined) {
      if (opened.evidenceHidden) throw new CliError(`the evidence of ${opened.report.reason} reports is for the safeguarding role only: no frames were saved`);
      const frames = opened.evidence?.frames ?? [];
      if (frames.length) {
        const dir = resolve(ctx.cwd, options.frames);
        mkdirSync(dir, { recursive: true });
        for (const frame of frames) {
          // Each frame is audited by the service before its bytes are returned.
          const jpeg = await services.reviews.frame(actor, id, frame.idx);
          const path = join(dir, `${id}-frame-${frame.idx}.jpg`);
          writeFileSync(path, jpeg, { mode: 0o600 });
          saved.push(path);
        }
      } else output.say(opened.report.evidencePurged ? 'No frames: the evidence was removed by retention.' : 'This report has no frames.');
    }
    output.result({ ...opened, savedFrames: saved }, () => formatReport(opened, saved));
  });
}

export async function reportsResolve(ctx: Context, options: ResolveOptions, idText: string): Promise<void> {
  const banning = options.action === 'ban';
  const banFlags = (['target', 'severity', 'duration', 'reason'] as const).filter((flag) => options[flag] !== undefined);
  if (!banning && banFlags.length) throw new CliError(`${banFlags.map((f) => `--${f}`).join(', ')} only apply with --action ban`, ExitCode.Usage);
  if (banning && !options.reason?.trim()) throw new CliError('--action ban needs --reason (shown to the banned person)', ExitCode.Usage);
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const id = await resolveId(instance.db, 'reports', idText, 'report');
    const result = await services.reviews.resolve(actor, id, {
      action: options.action,
      ...(options.note ? { note: options.note } : {}),
      ...(banning
        ? { ban: { target: options.target ?? 'device', severity: options.severity ?? 'no_access', durationMs: options.duration ?? null, reason: options.reason! } }
        : {}),
    });
    const at = now();
    if (result.ban || result.liftedBanIds.length) output.say(`In force: ${liveNote(instance.config, runningServer(instance.config))}.`);
    output.result({ report: result.report, ban: result.ban ? banView(result.ban, at) : null, liftedBanIds: result.liftedBanIds }, () =>
      [
        `report ${shortId(id)} resolved: ${options.action}`,
        ...(result.ban ? [`banned ${targetText(result.ban)} (${shortId(result.ban.id)}, ${result.ban.severity}, ${result.ban.expiresAt === null ? 'permanent' : `until ${formatTime(result.ban.expiresAt)}`})`] : []),
        ...(result.liftedBanIds.length ? [`lifted the automatic quarantine (${result.liftedBanIds.map(shortId).join(', ')})`] : []),
      ].join('\n'),
    );
  });
}
