// `strangerchat reports list|show|resolve|export`: the report queue at the terminal, through the
// same ReportReviewService as the dashboard: opening evidence is audited first (transcript and
// every frame saved), minor/illegal reports are handled at the terminal only as a safeguarding
// account (--as), a ban from a report targets what the report recorded, never what the operator
// types, and export writes a checked evidence package for a referral.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ReportReason } from '../../server/protocol/messages.ts';
import { banView } from '../../server/moderation/bans.ts';
import { BAN_SEVERITIES, REPORT_BAN_TARGETS, REPORT_STATUSES, RESOLUTIONS, type BanSeverity, type OpenedReport, type ReportBanTarget, type Resolution } from '../../server/protocol/moderation.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { table, type GlobalOptions, type Output } from '../output.ts';
import { isFreshFolder, MANIFEST, writeEvidencePackage } from '../evidence-package.ts';
import { countFlag, liveNote, type DurationValue, resolveId, runningServer, shortId, terminalSafe, withServices } from '../services.ts';
import { banDuration, decisionDurationOption, forceOption, guardLockout, permanentOption, targetText } from './ban.ts';
import { registerReportsWatch } from './watch.ts';

const STATUSES = [...REPORT_STATUSES, 'all'] as const;
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

interface ExportOptions extends GlobalOptions {
  out: string;
  tar?: boolean;
}

interface ResolveOptions extends GlobalOptions {
  action: Resolution;
  note?: string;
  target?: ReportBanTarget;
  severity?: BanSeverity;
  duration?: DurationValue;
  permanent?: boolean;
  reason?: string;
  force?: boolean;
}

export function registerReports(program: Command, ctx: Context): void {
  const reports = program.command('reports').description('the report queue: list, show (with the transcript and evidence frames), resolve, watch, export (an evidence package for a referral)');
  withExamples(reports, [
    'strangerchat reports list',
    'strangerchat reports show 3f2a9c1e',
    'strangerchat reports resolve 3f2a9c1e --action dismiss',
    'strangerchat reports watch',
    'strangerchat reports export 3f2a9c1e --out ./referral-3f2a9c1e --tar --as sam',
  ]);

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
    .description("a report with its transcript (times, reporter and reported); --frames saves its video frames as JPEG files. Opening evidence is written to the audit log, as in the dashboard; a minor or illegal report's evidence and note open only as a safeguarding account (--as)")
    .option('--frames <dir>', 'save the evidence frames into this folder as <report>-frame-<n>.jpg')
    .action(async (id: string, _o: ShowOptions, command: Command) => reportsShow(ctx, command.optsWithGlobals<ShowOptions>(), id));
  withExamples(show, ['strangerchat reports show 3f2a9c1e', 'strangerchat reports show 3f2a9c1e --frames ./evidence', 'strangerchat reports show 3f2a9c1e --json', 'strangerchat reports show 3f2a9c1e --frames ./evidence --as sam']);

  const resolveCommand = reports
    .command('resolve')
    .argument('<id>', 'a report id, or a unique prefix of one')
    .description("close a report: dismiss it, ban the reported person (from what the report recorded; lifts the automatic quarantine), or lift the automatic quarantine. A minor or illegal report is resolved only as a safeguarding account (--as)")
    .addOption(new Option('--action <action>', 'dismiss, ban or lift_quarantine').choices(RESOLUTIONS).makeOptionMandatory())
    .option('--note <text>', 'why (for the audit log and other moderators)')
    .addOption(new Option('--target <which>', "with --action ban: the reported person's device (default), address, identity or network (/24 or /48)").choices(REPORT_BAN_TARGETS))
    .addOption(new Option('--severity <severity>', 'with --action ban: no_access (default) or no_matching').choices(BAN_SEVERITIES))
    .addOption(decisionDurationOption('with --action ban: '))
    .addOption(permanentOption('with --action ban: '))
    .option('--reason <text>', 'with --action ban: the reason shown to the banned person (required)')
    .addOption(forceOption('with --action ban: '))
    .action(async (id: string, _o: ResolveOptions, command: Command) => reportsResolve(ctx, command.optsWithGlobals<ResolveOptions>(), id));
  withExamples(resolveCommand, [
    'strangerchat reports resolve 3f2a9c1e --action dismiss --note "no rule broken"',
    'strangerchat reports resolve 3f2a9c1e --action ban --reason "nudity" --duration 30d --target device',
    'strangerchat reports resolve 3f2a9c1e --action lift_quarantine --note "reports were a pile-on"',
    'STRANGERCHAT_AS=sam strangerchat reports resolve 3f2a9c1e --action ban --reason "a danger to children" --permanent --target identity',
  ]);

  const exportCommand = reports
    .command('export')
    .argument('<id>', 'a report id, or a unique prefix of one')
    .description(
      `write a report's evidence package for a referral (police, a child-protection officer): report.json, the transcript, the frames, the bans made from it, the related audit entries, a README and a ${MANIFEST} manifest (sha256sum -c). Safeguarding only (--as); recorded in the audit log as evidence.export`,
    )
    .requiredOption('--out <dir>', 'the folder to write (new, or empty)')
    .option('--tar', 'also write <dir>.tar.gz of the folder')
    .action(async (id: string, _o: ExportOptions, command: Command) => reportsExport(ctx, command.optsWithGlobals<ExportOptions>(), id));
  withNotes(exportCommand, 'Checking a package', `cd <dir> && sha256sum -c ${MANIFEST}     every file must say OK\nstrangerchat audit verify                  the instance's audit log, where audit.json comes from, is intact`);
  withExamples(exportCommand, [
    'strangerchat reports export 3f2a9c1e --out ./referral-3f2a9c1e --as sam',
    'STRANGERCHAT_AS=sam strangerchat reports export 3f2a9c1e --out /secure/referrals/3f2a9c1e --tar --json',
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
        output.time(r.createdAt),
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

function formatReport(opened: OpenedReport, saved: string[], output: Output): string {
  const r = opened.report;
  const lines: Array<[string, string]> = [
    ['report', `${r.id}  ${r.status === 'open' ? 'open' : `resolved: ${r.resolution} by ${r.resolvedBy} at ${output.time(r.resolvedAt)}`}`],
    ['filed', output.time(r.createdAt)],
    ['reason', r.sensitive ? `${r.reason} (sensitive: evidence for the safeguarding role only)` : r.reason],
    ['note', r.note ? terminalSafe(r.note) : r.noteWithheld ? `withheld (the note of a ${r.reason} report is evidence, for the safeguarding role only)` : '-'],
    ['mode', r.mode ?? '-'],
    ['reported', `band ${r.reportedBand ?? '-'}; ${party(r.reported)}`],
    ['reporter', party(r.reporter)],
    ['reports on them', String(r.reportsAgainstReported)],
    ['quarantined', r.quarantined ? `yes (ban ${r.quarantineBanIds.map(shortId).join(', ')})` : 'no'],
    ['same network', r.sameNetwork ? 'yes (does not count toward automatic quarantine)' : 'no'],
    ['age switches', r.reportedBandSwitches ? `${r.reportedBandSwitches} refused (tried to change age group)` : 'none'],
  ];
  if (r.resolutionNote) lines.push(['resolution note', terminalSafe(r.resolutionNote)]);
  const width = Math.max(...lines.map(([key]) => key.length));
  const out = lines.map(([key, value]) => `${key.padEnd(width)}  ${value}`);
  out.push('');
  if (r.evidencePurged) out.push('evidence: removed by retention (the decision stays on record)');
  else if (opened.evidenceHidden) out.push(`evidence: hidden; only the safeguarding role may open the evidence of ${r.reason} reports (pass --as <a safeguarding account>, or sign in at /mod with one)`);
  else if (opened.evidence) {
    const { transcript, frames } = opened.evidence;
    out.push(`transcript (${transcript.length} line${transcript.length === 1 ? '' : 's'}, times in ${output.zone()}):`);
    if (transcript.length === 0) out.push('  (no messages)');
    for (const line of transcript) out.push(`  ${output.time(line.at)}  ${line.by.padEnd(8)}  ${terminalSafe(line.text)}`);
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
      if (opened.evidenceHidden) throw new CliError(`the evidence of ${opened.report.reason} reports is for the safeguarding role only: no frames were saved (pass --as <a safeguarding account>)`, ExitCode.Error, 'forbidden');
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
    output.result({ ...opened, savedFrames: saved }, () => formatReport(opened, saved, output));
  });
}

export async function reportsResolve(ctx: Context, options: ResolveOptions, idText: string): Promise<void> {
  const banning = options.action === 'ban';
  const banFlags = (['target', 'severity', 'duration', 'permanent', 'reason', 'force'] as const).filter((flag) => options[flag] !== undefined);
  if (!banning && banFlags.length) throw new CliError(`${banFlags.map((f) => `--${f}`).join(', ')} only apply with --action ban`, ExitCode.Usage);
  if (banning && !options.reason?.trim()) throw new CliError('--action ban needs --reason (shown to the banned person)', ExitCode.Usage);
  if (options.permanent && options.duration !== undefined) throw new CliError('give --duration or --permanent, not both', ExitCode.Usage);
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const id = await resolveId(instance.db, 'reports', idText, 'report');
    let durationMs: number | null = null;
    if (banning) {
      const which = options.target ?? 'device';
      const target = await services.reviews.banTarget(actor, id, which);
      await guardLockout(ctx, options, output, [{ input: `report ${shortId(id)} (${which} ${targetText({ targetKind: target.kind, target: target.target })})`, risks: services.bans.lockoutRisks(target) }]);
      durationMs = await banDuration(ctx, options);
    }
    const result = await services.reviews.resolve(actor, id, {
      action: options.action,
      ...(options.note ? { note: options.note } : {}),
      ...(banning ? { ban: { target: options.target ?? 'device', severity: options.severity ?? 'no_access', durationMs, reason: options.reason! } } : {}),
    });
    const at = now();
    if (result.ban || result.liftedBanIds.length) output.say(`In force: ${liveNote(instance.config, runningServer(instance.config))}.`);
    output.result({ report: result.report, ban: result.ban ? banView(result.ban, at) : null, liftedBanIds: result.liftedBanIds }, () =>
      [
        `report ${shortId(id)} resolved: ${options.action}`,
        ...(result.ban ? [`banned ${targetText(result.ban)} (${shortId(result.ban.id)}, ${result.ban.severity}, ${result.ban.expiresAt === null ? 'permanent' : `until ${output.time(result.ban.expiresAt)}`})`] : []),
        ...(result.liftedBanIds.length ? [`lifted the automatic quarantine (${result.liftedBanIds.map(shortId).join(', ')})`] : []),
      ].join('\n'),
    );
  });
}

export async function reportsExport(ctx: Context, options: ExportOptions, idText: string): Promise<void> {
  const dir = resolve(ctx.cwd, options.out);
  if (!isFreshFolder(dir)) throw new CliError(`--out: ${dir} is not an empty folder; an evidence package is written into a new or empty one`, ExitCode.Usage);
  if (options.tar && existsSync(`${dir}.tar.gz`)) throw new CliError(`--tar: ${dir}.tar.gz exists already; move it away first`, ExitCode.Usage);
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const id = await resolveId(instance.db, 'reports', idText, 'report');
    // Recorded as evidence.export (with the safeguarding role checked) before anything is written out.
    const data = await services.reviews.exportEvidence(actor, id);
    const written = await writeEvidencePackage(dir, data, { instanceName: instance.config.settings.name, version: instance.config.version, iso: (ms) => new Date(ms).toISOString() }, { archive: options.tar === true });
    output.result(
      { report: id, dir: written.dir, manifest: written.manifest, files: written.files, archive: written.archive, exportedBy: data.exportedBy, exportedAt: data.exportedAt },
      () =>
        [
          `exported report ${shortId(id)} (${data.report.reason}) into ${written.dir}: ${written.files.length} files${data.frames.length ? `, ${data.frames.length} frame${data.frames.length === 1 ? '' : 's'}` : ''}`,
          ...(written.archive ? [`archive ${written.archive.path} (sha256 ${written.archive.sha256})`] : []),
        ].join('\n'),
    );
    if (data.transcript === null) output.warn('the transcript, frames and note were removed by retention: the package holds the report, its bans and its audit entries only');
    output.say(`Check it with: cd ${written.dir} && sha256sum -c ${MANIFEST}\nIt may hold images of a child: keep it encrypted, hand it only to the agency of the referral, then delete your copy (README.txt).`);
  });
}
