// `strangerchat audit [--since] [--action] [--limit]`, `audit verify [--expect <hash>]` and
// `audit head`: the hash-chained audit log through AuditLog, the dashboard's. verify walks the
// whole chain and exits 7 naming what it found (an edited row, missing rows, a truncated tail, an
// emptied log, a witnessed hash not found); head prints the newest entry for an outside witness.
import type { Command } from 'commander';
import { AUDIT_HASH, type AuditEntry, type AuditHead, type AuditVerification } from '../../server/protocol/moderation.ts';
import { AuditHeadError } from '../../server/moderation/audit-head.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { table, type GlobalOptions } from '../output.ts';
import { countFlag, sinceFlag, terminalSafe, withServices } from '../services.ts';
import { auditFollow } from './watch.ts';

interface ListOptions extends GlobalOptions {
  since?: number;
  action?: string;
  limit?: number;
}

export function registerAudit(program: Command, ctx: Context): void {
  const audit = program
    .command('audit')
    .description('read the audit log, newest first: every moderation action and every opening of evidence, with who did it')
    .option('--since <when>', 'entries since: a duration back from now (24h, 7d) or a date (2026-11-28, 2026-11-28T12:00:00Z)', sinceFlag)
    .option('--action <action>', 'only this action, e.g. ban.add, evidence.view, moderator.login_failed')
    .option('--limit <count>', 'at most this many (default 100)', countFlag('--limit', 1, 1000))
    .option('-f, --follow', 'oldest first, the last 10 (or --limit, or those --since), then each new entry as it is written, until Ctrl-C (--json: one object per line)')
    .action(async (_o: ListOptions, command: Command) => {
      const options = command.optsWithGlobals<ListOptions & { follow?: boolean }>();
      return options.follow ? auditFollow(ctx, options) : auditList(ctx, options);
    });
  withExamples(audit, ['strangerchat audit --since 24h', 'strangerchat audit --action evidence.view --since 7d', 'strangerchat audit --json --limit 1000 > audit.json', 'strangerchat audit --follow']);

  registerAuditVerify(audit, ctx);
  registerAuditHead(audit, ctx);
}

interface VerifyOptions extends GlobalOptions {
  expect?: string;
}

function expectFlag(value: string): string {
  const hash = value.trim().toLowerCase();
  if (!AUDIT_HASH.test(hash)) throw new CliError(`--expect must be an entry's hash as audit head prints it (64 hex digits), got "${terminalSafe(value.slice(0, 80))}"`, ExitCode.Usage);
  return hash;
}

function registerAuditVerify(audit: Command, ctx: Context): void {
  const verify = audit
    .command('verify')
    .description(
      "check the whole log: each entry's hash, its link to the one before and its keyed MAC, that the log still reaches the head recorded in the data folder, and (--expect) a hash an outside witness kept",
    )
    .option('--expect <hash>', 'an entry hash kept outside the instance (from audit head): it must still be in the log', expectFlag)
    .action(async (_o: VerifyOptions, command: Command) => auditVerify(ctx, command.optsWithGlobals<VerifyOptions>()));
  withNotes(
    verify,
    'What it names',
    [
      'edited_row           an entry was changed, or written without the instance\'s key (its content, hash or MAC does not match)',
      'missing_rows         entries between two others were deleted',
      'missing_oldest_rows  the oldest entries were deleted, and no retention purge records it',
      'truncated_tail       the newest entries were deleted: the log ends before the head in the data folder',
      'emptied              every entry was deleted, but the data folder records that there were some',
      'expected_not_found   the --expect hash is not in the log',
      'head_unreadable      the head file in data/audit-head/ is damaged',
    ].join('\n'),
  );
  withNotes(verify, 'Exit codes', '0  the log verifies\n1  it could not be checked (e.g. the database cannot be opened)\n7  it does not verify: the message (and --json\'s finding, badRowId) names what and where');
  withExamples(verify, ['strangerchat audit verify', 'strangerchat audit verify --expect 3f0c…e91a', 'strangerchat audit verify --json']);
}

function registerAuditHead(audit: Command, ctx: Context): void {
  const head = audit
    .command('head')
    .description('print the newest entry (id and hash) for a witness outside the instance, and the head recorded in the data folder; check it later with audit verify --expect <hash>')
    .action(async (_o: GlobalOptions, command: Command) => auditHead(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(head, ['strangerchat audit head', 'strangerchat audit head --json | jq -r .last.hash >> /mnt/offsite/strangerchat-audit-heads']);
}

function detailsText(entry: AuditEntry): string {
  if (!entry.details) return '';
  return terminalSafe(JSON.stringify(entry.details)).slice(0, 120);
}

export async function auditList(ctx: Context, options: ListOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const entries = await services.audit.list(actor, {
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.action ? { action: options.action } : {}),
      limit: options.limit ?? 100,
    });
    output.result({ entries }, () =>
      entries.length === 0
        ? 'no entries'
        : table(
            ['id', 'at', 'actor', 'action', 'target', 'reason', 'details'],
            entries.map((e) => [e.id, output.time(e.at), terminalSafe(e.actor), e.action, e.target ? terminalSafe(e.target) : null, e.reason ? terminalSafe(e.reason).slice(0, 60) : null, detailsText(e)]),
          ),
    );
  });
}

function headText(head: AuditHead | null): string {
  return head ? `entry ${head.id}  ${head.hash}` : 'none';
}

export async function auditVerify(ctx: Context, options: VerifyOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, output }) => {
    const result: AuditVerification = await services.audit.verify(options.expect ? { expect: options.expect } : {});
    output.result(
      {
        ok: result.ok,
        rows: result.rows,
        finding: result.finding ?? null,
        badRowId: result.badRowId ?? null,
        problem: result.problem ?? null,
        anchoredAt: result.anchoredAt ?? null,
        unkeyedRows: result.unkeyedRows,
        last: result.last,
        recordedHead: result.recordedHead,
        expected: options.expect ?? null,
      },
      () =>
        result.ok
          ? [
              `ok: ${result.rows} entries verify${result.anchoredAt ? ` (from row ${result.anchoredAt}; older rows were removed by retention, as its purge entry attests)` : ''}`,
              ...(result.unkeyedRows ? [`${result.unkeyedRows} of them were written before entries carried a MAC: they are hash-chained only, pinned by the first entry after them`] : []),
              ...(options.expect ? [`the witnessed entry ${options.expect} is in the log`] : []),
              `head: ${headText(result.last)}`,
            ].join('\n')
          : '',
    );
    if (!result.ok) {
      const where = result.badRowId === undefined ? '' : ` at row ${result.badRowId}`;
      throw new CliError(`the audit log does not verify (${result.finding})${where}: ${result.problem}`, ExitCode.AuditBroken);
    }
  });
}

export async function auditHead(ctx: Context, options: GlobalOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, output }) => {
    let heads: Awaited<ReturnType<typeof services.audit.head>>;
    try {
      heads = await services.audit.head();
    } catch (error) {
      if (error instanceof AuditHeadError) throw new CliError(`${error.message}: run strangerchat audit verify`, ExitCode.AuditBroken);
      throw error;
    }
    const { last, recordedHead } = heads;
    output.result({ last, recordedHead }, () => [`newest entry  ${headText(last)}`, `data folder   ${headText(recordedHead)}`].join('\n'));
    if (recordedHead && (!last || last.id < recordedHead.id)) output.warn('the log ends before the head the data folder records: run strangerchat audit verify');
    else output.say('Keep the hash somewhere the instance cannot change (another machine, paper); check it later with strangerchat audit verify --expect <hash>.');
  });
}
