// `strangerchat ban add|remove|list|check|import|export`: bans from the terminal, through the same
// BanService the dashboard uses. Written to the database (audited as cli:<user>) and published on
// the moderation feed, so a running server enforces a new ban within 2 s; works with it stopped.
import { Option, type Command } from 'commander';
import { banStatus, banView, parseBanSubject, parseBanTarget, type BanService, type BanTarget } from '../../server/moderation/bans.ts';
import { formatDuration, parseDuration } from '../../server/moderation/duration.ts';
import { BAN_SEVERITIES, REPORT_BAN_TARGETS, type Ban, type BanSeverity, type LockoutRisk, type ReportBanTarget } from '../../server/protocol/moderation.ts';
import { AppError } from '../../server/errors.ts';
import { assertCan } from '../../server/access/permissions.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { formatTime, table, type GlobalOptions, type Output } from '../output.ts';
import { answer, canPrompt } from '../questions.ts';
import {
  asCliError,
  BATCH_EXIT_CODES,
  checkIdForm,
  countFlag,
  durationFlag,
  durationMs,
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
  type DurationValue,
} from '../services.ts';

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
  duration?: DurationValue;
  severity?: BanSeverity;
  note?: string;
  /** Ban even what could lock the instance out (loopback, a trusted proxy, …). */
  force?: boolean;
}

/** How long, for the commands that make one ban decision (`ban add`, `reports resolve --action ban`). */
export interface DurationOptions extends GlobalOptions {
  /** Milliseconds, or PERMANENT; undefined when not given. */
  duration?: DurationValue;
  permanent?: boolean;
}

interface AddOptions extends BanOptions, DurationOptions {
  fromReport?: string;
  target?: ReportBanTarget;
}

interface RemoveOptions extends GlobalOptions {
  reason?: string;
}

/** What `--force` on a ban is for, for --help and docs/cli.md. */
export const FORCE_HELP =
  'ban even what could lock the instance out: loopback, a trusted proxy, this server\'s own addresses, private and CGNAT ranges while no trusted proxy is configured, ranges wider than IPv4 /16 or IPv6 /32 (refused without it; a terminal asks)';

/** The exit codes of a command that makes bans, for --help and docs/cli.md. */
const BAN_EXIT_CODES = `${BATCH_EXIT_CODES}
   also: a ban that could lock the instance out, without --force (the message names the risk), or no --duration nor --permanent without a terminal to ask`;

const DURATION_CHOICES = [
  { value: '1d', name: '1 day' },
  { value: '7d', name: '7 days' },
  { value: '30d', name: '30 days' },
  { value: 'permanent', name: 'permanent', description: 'until a moderator lifts it (an appeal can)' },
  { value: 'other', name: 'another duration…' },
] as const;

/**
 * How long a ban lasts: --duration, --permanent, else a question on a terminal. Nobody to ask
 * (no terminal, CI, --no-input, --yes) exits 2: a ban's length is never a silent default.
 */
export async function banDuration(ctx: Context, options: DurationOptions): Promise<number | null> {
  if (options.permanent && options.duration !== undefined) throw new CliError('give --duration or --permanent, not both', ExitCode.Usage);
  if (options.permanent) return null;
  return answer<number | null>(ctx, options, durationMs(options.duration), {
    flag: '--duration',
    pass: '--duration (30m, 12h, 7d, 2w) or --permanent',
    ask: async () => {
      const choice = await ctx.prompt.select({ message: 'How long should the ban last?', default: '7d', choices: DURATION_CHOICES.map((c) => ({ ...c })) });
      const text =
        choice === 'other'
          ? await ctx.prompt.input({
              message: 'Duration (30m, 12h, 7d, 2w, 1d12h)',
              validate: (value) => {
                try {
                  parseDuration(value);
                  return true;
                } catch (error) {
                  return (error as Error).message;
                }
              },
            })
          : choice;
      return parseDuration(text);
    },
  });
}

/**
 * The one gate for bans that could lock the instance out (server/moderation/lockout.ts decides
 * which): with --force they are made (and the risk is said); on a terminal each is confirmed,
 * naming its risk (the default answer is no, so --yes does not confirm it); otherwise exit 2
 * before anything is written.
 */
export async function guardLockout(ctx: Context, options: GlobalOptions & { force?: boolean }, output: Output, targets: Array<{ input: string; risks: LockoutRisk[] }>): Promise<void> {
  const risky = targets.filter((target) => target.risks.length > 0);
  if (risky.length === 0) return;
  const describe = (target: { input: string; risks: LockoutRisk[] }) => target.risks.map((risk) => risk.message).join('; ');
  if (options.force) {
    for (const target of risky) output.warn(`--force: ${describe(target)}`);
    return;
  }
  if (canPrompt(ctx, options)) {
    for (const target of risky) {
      const sure = await ctx.prompt.confirm({ message: `${describe(target)}. Ban ${terminalSafe(target.input)} anyway?`, default: false });
      if (!sure) throw new CliError(`nothing was banned: ${terminalSafe(target.input)} was not confirmed`, ExitCode.Error, 'cancelled');
    }
    return;
  }
  throw new CliError(
    `refused, nothing was banned: ${risky.map((target) => describe(target)).join('; ')}. Pass --force if that is really meant`,
    ExitCode.Usage,
    'lockout_risk',
  );
}

/** The risks of each target, as guardLockout takes them. */
function risksOf(bans: BanService, targets: Array<{ input: string; target: BanTarget }>): Array<{ input: string; risks: LockoutRisk[] }> {
  return targets.map(({ input, target }) => ({ input, risks: bans.lockoutRisks(target) }));
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
  return new Option('--severity <severity>', 'no_access (no site at all) or no_matching (may read the site, never paired)').choices(BAN_SEVERITIES).default('no_access');
}

function durationOption(description = 'how long: 30m, 12h, 7d, 2w, 1d12h, or permanent'): Option {
  return new Option('--duration <duration>', description).argParser(durationFlag('--duration'));
}

/** --duration of a single ban decision (with --permanent; asked on a terminal when neither is given). */
export function decisionDurationOption(prefix = ''): Option {
  return durationOption(`${prefix}how long: 30m, 12h, 7d, 2w, 1d12h (asked on a terminal when neither this nor --permanent is given)`);
}

export function permanentOption(prefix = ''): Option {
  return new Option('--permanent', `${prefix}no expiry (until a moderator lifts it)`);
}

export function forceOption(prefix = ''): Option {
  return new Option('--force', `${prefix}${FORCE_HELP}`);
}

export function registerBan(program: Command, ctx: Context): void {
  const ban = program.command('ban').description('bans on an address, a range, a device or a verified identity: add, remove, list, check, import, export');
  withExamples(ban, ['strangerchat ban add 203.0.113.7 --reason "spam" --duration 7d', 'strangerchat ban list', 'strangerchat ban check 203.0.113.7']);

  const add = ban
    .command('add')
    .argument('[targets...]', 'IP addresses, CIDR ranges, device:<id> or identity:<hash> (detected from their form)')
    .description("ban one or more targets, or a report's reported person (--from-report); a target already banned as severely and as long is skipped")
    .requiredOption('--reason <text>', 'why (shown to the banned person; at most 500 characters)')
    .addOption(decisionDurationOption())
    .addOption(permanentOption())
    .addOption(severityOption())
    .option('--note <text>', 'a note for moderators (not shown to the person)')
    .option('--from-report <id>', "ban the person a report is about (an open report is resolved as \"ban\", lifting its automatic quarantine)")
    .addOption(new Option('--target <which>', "with --from-report: which of the reported person's identifiers to ban").choices(REPORT_BAN_TARGETS))
    .addOption(forceOption())
    .action(async (targets: string[], _o: AddOptions, command: Command) => banAdd(ctx, command.optsWithGlobals<AddOptions>(), targets));
  withNotes(add, 'Exit codes', BAN_EXIT_CODES);
  withExamples(add, [
    'strangerchat ban add 203.0.113.7 --reason "spam" --duration 7d',
    'strangerchat ban add 198.51.100.0/24 2001:db8::1 --reason "raid from this network" --duration 2w',
    'strangerchat ban add device:0b7e6c1a-4a8e-4c36-9d0e-5f1f2b3c4d5e --reason "harassment" --severity no_matching --permanent',
    'strangerchat ban add --from-report 3f2a9c1e --target address --reason "nudity" --duration 30d',
    'strangerchat ban add 10.0.0.0/8 --reason "the old office network" --permanent --force',
  ]);

  const remove = ban
    .command('remove')
    .argument('<bans...>', 'ban ids (or unique prefixes, as ban list shows them), or what was banned: an address, a range, device:<id> or identity:<hash>')
    .description('lift bans (they stay on record as lifted): by id, or every active ban on a target as ban add took it; a ban already lifted is skipped')
    .option('--reason <text>', 'why the ban is lifted (for the audit log)')
    .action(async (ids: string[], _o: RemoveOptions, command: Command) => banRemove(ctx, command.optsWithGlobals<RemoveOptions>(), ids));
  withNotes(remove, 'Exit codes', BATCH_EXIT_CODES);
  withExamples(remove, [
    'strangerchat ban remove 1a2b3c4d',
    'strangerchat ban remove 203.0.113.7 198.51.100.0/24 --reason "appeal accepted"',
    'strangerchat ban remove device:0b7e6c1a-4a8e-4c36-9d0e-5f1f2b3c4d5e',
  ]);

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
    .addOption(new Option('--force', `${FORCE_HELP.replace(' (refused without it; a terminal asks)', '')}; without it such a line fails and the others are banned`))
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


/** A target as it is typed (and as `ban import` reads it). */
export function targetText(ban: Pick<Ban, 'targetKind' | 'target'>): string {
  return ban.targetKind === 'device' || ban.targetKind === 'identity' ? `${ban.targetKind}:${ban.target}` : ban.target;
}

function expiry(ban: Ban, output: Output): string {
  return ban.expiresAt === null ? 'permanent' : output.time(ban.expiresAt);
}

function brief(text: string, max = 40): string {
  const safe = terminalSafe(text);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

export function describeBan(ban: Ban, output: Output): string {
  const length = ban.expiresAt === null ? 'permanent' : `${formatDuration(ban.expiresAt - ban.createdAt)}, until ${output.time(ban.expiresAt)}`;
  return `${shortId(ban.id)}  ${targetText(ban)}  ${ban.severity}, ${length}: ${brief(ban.reason, 60)}`;
}

export async function banAdd(ctx: Context, options: AddOptions, targetArgs: string[]): Promise<void> {
  if (options.fromReport && targetArgs.length) throw new CliError('give targets or --from-report, not both', ExitCode.Usage);
  if (!options.fromReport && targetArgs.length === 0) throw new CliError('nothing to ban: give one or more targets, or --from-report <id>', ExitCode.Usage);
  if (options.target && !options.fromReport) throw new CliError('--target only applies with --from-report (a target on the command line is detected from its form)', ExitCode.Usage);
  if (options.permanent && options.duration !== undefined) throw new CliError('give --duration or --permanent, not both', ExitCode.Usage);
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
    // A role that may not ban is refused once, not item by item.
    assertCan(actor.role, 'bans.add');
    const items: BatchItem<Ban>[] = [];
    let resolvedReport: string | undefined;
    if (options.fromReport) {
      const reportId = await resolveId(instance.db, 'reports', options.fromReport, 'report');
      const which = options.target ?? 'device';
      // What the report recorded is what gets banned: the lockout rule looks at that.
      const target = await services.reviews.banTarget(actor, reportId, which);
      await guardLockout(ctx, options, output, risksOf(services.bans, [{ input: `report ${shortId(reportId)} (${which} ${targetText({ targetKind: target.kind, target: target.target })})`, target }]));
      const input = { reason: options.reason ?? '', severity: options.severity ?? 'no_access', durationMs: await banDuration(ctx, options), note: options.note ?? null };
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
        const added = await services.bans.addUnlessCovered({ ...input, target, reportId }, actor);
        items.push({ input: `report ${reportId} (${which})`, status: added.added ? 'done' : 'skipped', result: added.ban });
      }
    } else {
      await guardLockout(ctx, options, output, risksOf(services.bans, targets));
      const input = { reason: options.reason ?? '', severity: options.severity ?? 'no_access', durationMs: await banDuration(ctx, options), note: options.note ?? null };
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
        item.status === 'done' ? `added    ${describeBan(item.result!, output)}` : item.status === 'skipped' ? `skipped  ${describeBan(item.result!, output)} (already banned)` : '',
    );
  });
}

/** True when an argument of `ban remove` names what was banned rather than a ban's id. */
function isTargetArgument(text: string): boolean {
  const value = text.trim();
  return value.startsWith('device:') || value.startsWith('identity:') || /[.:/]/.test(value);
}

export async function banRemove(ctx: Context, options: RemoveOptions, args: string[]): Promise<void> {
  // Targets are read before anything is lifted, as ban add reads them: a typo lifts nothing.
  const parsed = args.map((text) => {
    if (!isTargetArgument(text)) {
      checkIdForm(text, 'ban');
      return { text };
    }
    try {
      return { text, target: parseBanTarget(text) };
    } catch (error) {
      throw asCliError(error);
    }
  });
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    assertCan(actor.role, 'bans.remove');
    const items: BatchItem<Ban>[] = [];
    const lift = async (text: string, ban: Ban) => {
      if (ban.liftedAt !== null) items.push({ input: text, status: 'skipped', result: ban });
      else items.push({ input: text, status: 'done', result: await services.bans.lift(ban.id, actor, options.reason) });
    };
    for (const { text, target } of parsed) {
      try {
        if (target) {
          const on = await services.bans.onTarget(actor, target);
          const active = on.filter((ban) => banStatus(ban, now()) === 'active');
          if (active.length) {
            for (const ban of active) await lift(text, ban);
            continue;
          }
          if (on.length) {
            // Lifted or expired already: nothing to do, as for a lifted ban named by id.
            items.push({ input: text, status: 'skipped', result: on[0]! });
            continue;
          }
          throw new CliError(await noBanOn(services.bans, actor, text, target));
        }
        const id = await resolveId(instance.db, 'bans', text, 'ban');
        const before = await services.bans.get(id);
        if (!before) throw new CliError(`no ban ${id}`);
        await lift(text, before);
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
        item.status === 'done'
          ? `removed  ${describeBan(item.result!, output)}`
          : item.status === 'skipped'
            ? `skipped  ${describeBan(item.result!, output)} (${item.result!.liftedAt !== null ? 'already lifted' : 'expired'})`
            : '',
    );
  });
}

/** Why nothing on a target can be lifted, naming the ban that covers it when one does (a range, by id). */
async function noBanOn(bans: BanService, actor: Parameters<BanService['check']>[1], text: string, target: BanTarget): Promise<string> {
  const covering = target.kind === 'ip' ? (await bans.check(parseBanSubject(text), actor)).map((match) => match.ban) : [];
  if (covering.length) {
    return `no ban on ${terminalSafe(text.trim())} itself; it is covered by ${covering.map((ban) => `${shortId(ban.id)} (${targetText(ban)})`).join(', ')}: remove that by its id`;
  }
  return `no ban on ${terminalSafe(text.trim())}`;
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
        bans.map((ban) => [shortId(ban.id), targetText(ban), ban.quarantine ? `${ban.severity} (quarantine)` : ban.severity, expiry(ban, output), banStatus(ban, at), brief(ban.reason), ban.createdBy]),
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
      for (const match of matches) lines.push(`  ${describeBan(match.ban, output)}`, `    why: ${terminalSafe(match.why)}`);
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
    assertCan(actor.role, 'bans.add');
    const items: BatchItem<Ban>[] = [];
    for (const entry of lines) {
      const input = `line ${entry.line}`;
      try {
        if ('error' in entry) throw new CliError(entry.error);
        const reason = entry.reason ?? options.reason;
        if (!reason) throw new CliError('no reason: give one on the line (target,reason) or with --reason');
        const lineDuration = entry.duration === undefined ? durationMs(options.duration) : durationMs(durationFlag('duration')(entry.duration));
        const target = parseBanTarget(entry.target);
        const risks = services.bans.lockoutRisks(target);
        if (risks.length && !options.force) throw new CliError(`refused: ${risks.map((risk) => risk.message).join('; ')} (pass --force if that is really meant)`);
        for (const risk of risks) output.warn(`--force, line ${entry.line}: ${risk.message}`);
        const added = await services.bans.addUnlessCovered({ target, reason, durationMs: lineDuration ?? null, severity: options.severity ?? 'no_access', note: options.note ?? null }, actor);
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
