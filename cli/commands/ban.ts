// `strangerchat ban add|remove|list|check|import|export`: bans from the terminal, through the same
// BanService the dashboard uses. Written to the database (audited as cli:<user>) and published on
// the moderation feed, so a running server enforces a new ban within 2 s; works with it stopped.
import { Option, type Command } from 'commander';
import { REPORT_BAN_TARGETS, type ReportBanTarget } from '../../server/moderation/report-review.ts';
import { banStatus, parseBanSubject, parseBanTarget, type BanTarget } from '../../server/moderation/bans.ts';
import type { Ban, BanSeverity } from '../../server/moderation/ban-index.ts';
import { formatDuration } from '../../server/moderation/duration.ts';
import { AppError } from '../../server/errors.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { formatTime, table, type GlobalOptions } from '../output.ts';
import {
  asCliError,
  BATCH_EXIT_CODES,
  countFlag,
  durationFlag,
  finishBatch,
  itemError,
  liveNote,
  readInputFile,
  resolveId,
  runningServer,
  shortId,
  terminalSafe,
  withServices,
  type BatchItem,
} from '../services.ts';

const SEVERITIES = ['no_access', 'no_matching'] as const;
const EXPORT_FORMATS = ['plain', 'json', 'nginx'] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The ban file format, for `ban import --help` and docs/cli.md. */
export const IMPORT_FORMAT = `One ban per line. Blank lines and lines starting with # are ignored.
A line is a target, optionally followed by a reason and a duration, comma-separated:
  203.0.113.7                              an address (an IPv6 address bans its /64)
  198.51.100.0/24                          a range (CIDR)
  device:0b7e6c1a-4a8e-4c36-9d0e-5f1f2b3c4d5e
  identity:<hash>                          a verified e-mail identity (as reports show it)
  203.0.113.8,spam from this address,7d    target,reason,duration
  203.0.113.9,"links, again and again",    quote a reason that holds a comma
An empty or missing reason or duration takes --reason / --duration (default: permanent).
ban export --format plain writes this format (targets only).`;

export interface BanOptions extends GlobalOptions {
  reason?: string;
  duration?: number | null;
  severity?: BanSeverity;
  note?: string;
}

interface AddOptions extends BanOptions {
  fromReport?: string;
  target?: ReportBanTarget;
}

interface RemoveOptions extends GlobalOptions {
  reason?: string;
}

interface ListOptions extends GlobalOptions {
  active?: boolean;
  expired?: boolean;
  lifted?: boolean;
  all?: boolean;
  limit?: number;
}

interface ExportOptions extends GlobalOptions {
  format: ExportFormat;
}

function severityOption(): Option {
  return new Option('--severity <severity>', 'no_access (no site at all) or no_matching (may read the site, never paired)').choices(SEVERITIES).default('no_access');
}

function durationOption(description = 'how long: 30m, 12h, 7d, 2w, 1d12h, or permanent'): Option {
  return new Option('--duration <duration>', description).argParser(durationFlag('--duration'));
}

export function registerBan(program: Command, ctx: Context): void {
  const ban = program.command('ban').description('bans on an address, a range, a device or a verified identity: add, remove, list, check, import, export');
  withExamples(ban, ['strangerchat ban add 203.0.113.7 --reason "spam" --duration 7d', 'strangerchat ban list', 'strangerchat ban check 203.0.113.7']);

  const add = ban
    .command('add')
    .argument('[targets...]', 'IP addresses, CIDR ranges, device:<id> or identity:<hash> (detected from their form)')
    .description("ban one or more targets, or a report's reported person (--from-report); a target already banned as severely and as long is skipped")
    .requiredOption('--reason <text>', 'why (shown to the banned person; at most 500 characters)')
    .addOption(durationOption('how long: 30m, 12h, 7d, 2w, 1d12h, or permanent (default)'))
    .addOption(severityOption())
    .option('--note <text>', 'a note for moderators (not shown to the person)')
    .option('--from-report <id>', "ban the person a report is about (an open report is resolved as \"ban\", lifting its automatic quarantine)")
    .addOption(new Option('--target <which>', "with --from-report: which of the reported person's identifiers to ban").choices(REPORT_BAN_TARGETS))
    .action(async (targets: string[], _o: AddOptions, command: Command) => banAdd(ctx, command.optsWithGlobals<AddOptions>(), targets));
  withNotes(add, 'Exit codes', BATCH_EXIT_CODES);
  withExamples(add, [
    'strangerchat ban add 203.0.113.7 --reason "spam"',
    'strangerchat ban add 198.51.100.0/24 2001:db8::1 --reason "raid from this network" --duration 2w',
    'strangerchat ban add device:0b7e6c1a-4a8e-4c36-9d0e-5f1f2b3c4d5e --reason "harassment" --severity no_matching --duration 7d',
    'strangerchat ban add --from-report 3f2a9c1e --target address --reason "nudity" --duration 30d',
  ]);

  const remove = ban
    .command('remove')
    .argument('<ids...>', 'ban ids, or unique prefixes of them (as ban list shows them)')
    .description('lift bans (they stay on record as lifted); a ban already lifted is skipped')
    .option('--reason <text>', 'why the ban is lifted (for the audit log)')
    .action(async (ids: string[], _o: RemoveOptions, command: Command) => banRemove(ctx, command.optsWithGlobals<RemoveOptions>(), ids));
  withNotes(remove, 'Exit codes', BATCH_EXIT_CODES);
  withExamples(remove, ['strangerchat ban remove 1a2b3c4d', 'strangerchat ban remove 1a2b3c4d 5e6f7a8b --reason "appeal accepted"']);

  const list = ban
    .command('list')
    .description('list bans, newest first (default: the active ones)')
    .option('--active', 'bans in force (default)')
    .option('--expired', 'bans whose time ran out')
    .option('--lifted', 'bans lifted by a moderator')
    .option('--all', 'every ban')
    .option('--limit <count>', 'at most this many (default 100)', countFlag('--limit', 1, 10_000))
    .action(async (_o: ListOptions, command: Command) => banList(ctx, command.optsWithGlobals<ListOptions>()));
  withExamples(list, ['strangerchat ban list', 'strangerchat ban list --all --json | jq length']);

  const check = ban
    .command('check')
    .argument('<subject>', 'an IP address, device:<id> or identity:<hash>')
    .description('which active bans match someone, and why (e.g. the address falls in a banned range)')
    .action(async (subject: string, _o: GlobalOptions, command: Command) => banCheck(ctx, command.optsWithGlobals<GlobalOptions>(), subject));
  withExamples(check, ['strangerchat ban check 203.0.113.7', 'strangerchat ban check device:0b7e6c1a-4a8e-4c36-9d0e-5f1f2b3c4d5e --json']);

  const importCommand = ban
    .command('import')
    .argument('<file>', 'the file to read ("-" for standard input)')
    .description('ban every target in a file, one per line (format below); already-banned targets are skipped')
    .option('--reason <text>', 'the reason for lines that give none')
    .addOption(durationOption('the duration for lines that give none: 30m, 12h, 7d, 2w, or permanent (default)'))
    .addOption(severityOption())
    .option('--note <text>', 'a note for moderators on every ban')
    .action(async (file: string, _o: BanOptions, command: Command) => banImport(ctx, command.optsWithGlobals<BanOptions>(), file));
  withNotes(importCommand, 'File format', IMPORT_FORMAT);
  withNotes(importCommand, 'Exit codes', BATCH_EXIT_CODES);
  withExamples(importCommand, ['strangerchat ban import blocklist.txt --reason "known spam sources" --duration 30d', 'grep -v "^#" old.csv | strangerchat ban import - --reason "migrated"']);

  const exportCommand = ban
    .command('export')
    .description('print the active bans: plain (targets, as ban import reads them), json (every field), or nginx ("deny" lines for address bans that block the whole site)')
    .addOption(new Option('--format <format>', 'plain, json or nginx').choices(EXPORT_FORMATS).default('plain'))
    .action(async (_o: ExportOptions, command: Command) => banExport(ctx, command.optsWithGlobals<ExportOptions>()));
  withExamples(exportCommand, ['strangerchat ban export > bans.txt', 'strangerchat ban export --format nginx > /etc/nginx/strangerchat-deny.conf && nginx -s reload']);
}

/** A ban as the CLI prints it: every field, and whether it still applies. */
export function banView(ban: Ban, now: number) {
  return { ...ban, status: banStatus(ban, now) };
}

/** A target as it is typed (and as `ban import` reads it). */
export function targetText(ban: Pick<Ban, 'targetKind' | 'target'>): string {
  return ban.targetKind === 'device' || ban.targetKind === 'identity' ? `${ban.targetKind}:${ban.target}` : ban.target;
}

function expiry(ban: Ban): string {
  return ban.expiresAt === null ? 'permanent' : formatTime(ban.expiresAt);
}

function brief(text: string, max = 40): string {
  const safe = terminalSafe(text);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

function describeBan(ban: Ban): string {
  const length = ban.expiresAt === null ? 'permanent' : `${formatDuration(ban.expiresAt - ban.createdAt)}, until ${formatTime(ban.expiresAt)}`;
  return `${shortId(ban.id)}  ${targetText(ban)}  ${ban.severity}, ${length}: ${brief(ban.reason, 60)}`;
}

export async function banAdd(ctx: Context, options: AddOptions, targetArgs: string[]): Promise<void> {
  if (options.fromReport && targetArgs.length) throw new CliError('give targets or --from-report, not both', ExitCode.Usage);
  if (!options.fromReport && targetArgs.length === 0) throw new CliError('nothing to ban: give one or more targets, or --from-report <id>', ExitCode.Usage);
  if (options.target && !options.fromReport) throw new CliError('--target only applies with --from-report (a target on the command line is detected from its form)', ExitCode.Usage);
  // Every target is checked before anything is written: a typo bans nobody.
  const targets: Array<{ input: string; target: BanTarget }> = [];
  for (const input of targetArgs) {
    try {
      targets.push({ input, target: parseBanTarget(input) });
    } catch (error) {
      throw asCliError(error);
    }
  }
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const input = { reason: options.reason ?? '', severity: options.severity ?? 'no_access', durationMs: options.duration ?? null, note: options.note ?? null };
    const items: BatchItem<Ban>[] = [];
    let resolvedReport: string | undefined;
    if (options.fromReport) {
      const reportId = await resolveId(instance.db, 'reports', options.fromReport, 'report');
      const which = options.target ?? 'device';
      try {
        const resolved = await services.reviews.resolve(actor, reportId, {
          action: 'ban',
          ...(options.note ? { note: options.note } : {}),
          ban: { target: which, severity: input.severity, durationMs: input.durationMs, reason: input.reason },
        });
        resolvedReport = reportId;
        items.push({ input: `report ${reportId} (${which})`, status: 'done', result: resolved.ban! });
      } catch (error) {
        // A resolved report still names whom to ban; anything else (no such report, no address left) is the answer.
        if (!(error instanceof AppError && error.code === 'already_resolved')) throw error;
        const target = await services.bans.addUnlessCovered({ ...input, target: await services.reviews.banTarget(actor, reportId, which), reportId }, actor);
        items.push({ input: `report ${reportId} (${which})`, status: target.added ? 'done' : 'skipped', result: target.ban });
      }
    } else {
      for (const { input: text, target } of targets) {
        try {
          const added = await services.bans.addUnlessCovered({ ...input, target }, actor);
          items.push({ input: text, status: added.added ? 'done' : 'skipped', result: added.ban });
        } catch (error) {
          items.push({ input: text, status: 'failed', error: itemError(error) });
        }
      }
    }
    const at = now();
    if (resolvedReport) output.say(`Report ${shortId(resolvedReport)} is resolved as "ban"; its automatic quarantine, if any, is lifted.`);
    if (items.some((item) => item.status === 'done')) output.say(`The bans are in force: ${liveNote(instance.config, runningServer(instance.config))}.`);
    finishBatch(
      output,
      'added',
      items,
      (item) => ({ input: item.input, status: item.status === 'done' ? 'added' : item.status, ban: item.result ? banView(item.result, at) : null, error: item.error ?? null }),
      (item) =>
        item.status === 'done' ? `added    ${describeBan(item.result!)}` : item.status === 'skipped' ? `skipped  ${describeBan(item.result!)} (already banned)` : '',
    );
  });
}

export async function banRemove(ctx: Context, options: RemoveOptions, idArgs: string[]): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const items: BatchItem<Ban>[] = [];
    for (const text of idArgs) {
      try {
        const id = await resolveId(instance.db, 'bans', text, 'ban');
        const before = await services.bans.get(id);
        if (!before) throw new CliError(`no ban ${id}`);
        if (before.liftedAt !== null) {
          items.push({ input: text, status: 'skipped', result: before });
          continue;
        }
        items.push({ input: text, status: 'done', result: await services.bans.lift(id, actor, options.reason) });
      } catch (error) {
        items.push({ input: text, status: 'failed', error: itemError(error) });
      }
    }
    const at = now();
    if (items.some((item) => item.status === 'done')) output.say(`Lifted: ${liveNote(instance.config, runningServer(instance.config))}.`);
    finishBatch(
      output,
      'removed',
      items,
      (item) => ({ input: item.input, status: item.status === 'done' ? 'removed' : item.status, ban: item.result ? banView(item.result, at) : null, error: item.error ?? null }),
      (item) =>
        item.status === 'done' ? `removed  ${describeBan(item.result!)}` : item.status === 'skipped' ? `skipped  ${describeBan(item.result!)} (already lifted)` : '',
    );
  });
}

export async function banList(ctx: Context, options: ListOptions): Promise<void> {
  const chosen = (['active', 'expired', 'lifted', 'all'] as const).filter((status) => options[status]);
  if (chosen.length > 1) throw new CliError(`choose one of --active, --expired, --lifted, --all (got ${chosen.map((s) => `--${s}`).join(' ')})`, ExitCode.Usage);
  const status = chosen[0] ?? 'active';
  await withServices(ctx, options, async ({ services, actor, output, now }) => {
    const bans = await services.bans.list(actor, { status, limit: options.limit ?? 100 });
    const at = now();
    output.result({ status, bans: bans.map((ban) => banView(ban, at)) }, () => {
      if (bans.length === 0) return `no ${status === 'all' ? '' : `${status} `}bans`;
      return table(
        ['id', 'target', 'severity', 'expires', 'status', 'reason', 'by'],
        bans.map((ban) => [shortId(ban.id), targetText(ban), ban.quarantine ? `${ban.severity} (quarantine)` : ban.severity, expiry(ban), banStatus(ban, at), brief(ban.reason), ban.createdBy]),
      );
    });
  });
}

export async function banCheck(ctx: Context, options: GlobalOptions, text: string): Promise<void> {
  let subject;
  try {
    subject = parseBanSubject(text);
  } catch (error) {
    throw asCliError(error);
  }
  await withServices(ctx, options, async ({ services, actor, output, now }) => {
    const matches = await services.bans.check(subject, actor);
    const at = now();
    output.result({ subject: text.trim(), banned: matches.length > 0, matches: matches.map((match) => ({ ban: banView(match.ban, at), why: match.why })) }, () => {
      if (matches.length === 0) return `no active ban matches ${terminalSafe(text.trim())}`;
      const lines = [`${terminalSafe(text.trim())} is banned (${matches.length} matching ban${matches.length === 1 ? '' : 's'}; the first decides):`];
      for (const match of matches) lines.push(`  ${describeBan(match.ban)}`, `    why: ${terminalSafe(match.why)}`);
      return lines.join('\n');
    });
  });
}

/** One CSV line: fields split on commas; a field in double quotes may hold commas and "" for a quote. */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(wasQuoted ? field : field.trim());
      field = '';
      wasQuoted = false;
    } else field += c;
  }
  if (quoted) throw new CliError('a quoted field is not closed');
  fields.push(wasQuoted ? field : field.trim());
  return fields;
}

/** A line of a ban file, read. */
export interface ImportLine {
  line: number;
  target: string;
  reason?: string;
  duration?: string;
}

/** The lines of a ban file that hold a ban (comments and blank lines dropped). */
export function readBanFile(text: string): Array<ImportLine | { line: number; error: string }> {
  const out: Array<ImportLine | { line: number; error: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    try {
      const [target = '', reason, duration, ...extra] = parseCsvLine(trimmed);
      if (extra.length) throw new CliError(`${3 + extra.length} fields; a line is target,reason,duration (quote a reason that holds a comma)`);
      out.push({ line: i + 1, target, ...(reason ? { reason } : {}), ...(duration ? { duration } : {}) });
    } catch (error) {
      out.push({ line: i + 1, error: itemError(error) });
    }
  });
  return out;
}

export async function banImport(ctx: Context, options: BanOptions, file: string): Promise<void> {
  const lines = readBanFile(await readInputFile(ctx, file));
  if (lines.length === 0) throw new CliError(`${file === '-' ? 'standard input' : file} holds no bans (only blank lines and # comments)`, ExitCode.Usage);
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const items: BatchItem<Ban>[] = [];
    for (const entry of lines) {
      const input = `line ${entry.line}`;
      try {
        if ('error' in entry) throw new CliError(entry.error);
        const reason = entry.reason ?? options.reason;
        if (!reason) throw new CliError('no reason: give one on the line (target,reason) or with --reason');
        const durationMs = entry.duration === undefined ? (options.duration ?? null) : durationFlag('duration')(entry.duration);
        const added = await services.bans.addUnlessCovered(
          { target: entry.target, reason, durationMs, severity: options.severity ?? 'no_access', note: options.note ?? null },
          actor,
        );
        items.push({ input: `${input} (${entry.target})`, status: added.added ? 'done' : 'skipped', result: added.ban });
      } catch (error) {
        items.push({ input: 'target' in entry ? `${input} (${entry.target.slice(0, 80)})` : input, status: 'failed', error: itemError(error) });
      }
    }
    const at = now();
    if (items.some((item) => item.status === 'done')) output.say(`The bans are in force: ${liveNote(instance.config, runningServer(instance.config))}.`);
    finishBatch(
      output,
      'added',
      items,
      (item) => ({ input: item.input, status: item.status === 'done' ? 'added' : item.status, ban: item.result ? banView(item.result, at) : null, error: item.error ?? null }),
      // One line per ban of a long file would bury the tally: only --json lists them all.
      () => '',
    );
  });
}

export async function banExport(ctx: Context, options: ExportOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, actor, now }) => {
    const bans = await services.bans.list(actor, { status: 'active' });
    const at = now();
    const format = options.format ?? 'plain';
    // Automatic quarantines are holds awaiting a moderator, not decisions to carry elsewhere.
    const decided = bans.filter((ban) => !ban.quarantine);
    let text: string;
    if (format === 'json' || options.json) {
      text = `${JSON.stringify(bans.map((ban) => banView(ban, at)), null, 2)}\n`;
    } else if (format === 'nginx') {
      // Only what blocks the whole site belongs in a web server's deny list: no_matching bans still read it.
      const denied = decided.filter((ban) => (ban.targetKind === 'ip' || ban.targetKind === 'cidr') && ban.severity === 'no_access');
      text = [
        `# strangerchat: ${denied.length} active no_access address bans, exported ${formatTime(at)}`,
        '# include this file in a server or location block; re-export after changes.',
        ...denied.map((ban) => `deny ${ban.target};`),
        '',
      ].join('\n');
    } else {
      text = decided.map((ban) => `${targetText(ban)}\n`).join('');
    }
    ctx.stdout.write(text);
  });
}
