// `strangerchat audit [--since] [--action] [--limit]` and `audit verify`: the hash-chained audit log
// through AuditLog, the dashboard's. verify walks the whole chain and exits 1 naming the first row
// that does not verify (changed, removed or inserted rows).
import type { Command } from 'commander';
import type { AuditEntry } from '../../server/moderation/audit.ts';
import { CliError, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { formatTime, table, type GlobalOptions } from '../output.ts';
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

  const verify = audit
    .command('verify')
    .description('check the hash chain of the whole log; exit 1 with the first bad row when a row was changed, removed or inserted')
    .action(async (_o: GlobalOptions, command: Command) => auditVerify(ctx, command.optsWithGlobals<GlobalOptions>()));
  withNotes(verify, 'Exit codes', '0  every row verifies\n1  a row does not: the message (and --json\'s badRowId) names the first one');
  withExamples(verify, ['strangerchat audit verify', 'strangerchat audit verify --json']);
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
            entries.map((e) => [e.id, formatTime(e.at), terminalSafe(e.actor), e.action, e.target ? terminalSafe(e.target) : null, e.reason ? terminalSafe(e.reason).slice(0, 60) : null, detailsText(e)]),
          ),
    );
  });
}

export async function auditVerify(ctx: Context, options: GlobalOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, output }) => {
    const result = await services.audit.verify();
    output.result(
      { ok: result.ok, rows: result.rows, badRowId: result.badRowId ?? null, problem: result.problem ?? null, anchoredAt: result.anchoredAt ?? null },
      () =>
        result.ok
          ? `ok: ${result.rows} entries verify${result.anchoredAt ? ` (from row ${result.anchoredAt}; older rows were removed by retention, as its purge entry attests)` : ''}`
          : '',
    );
    if (!result.ok) throw new CliError(`the audit log does not verify at row ${result.badRowId}: ${result.problem}`);
  });
}
