// For a moderator on duty at the terminal: `reports watch` (new reports, and the moderation that
// follows: resolutions, bans, quarantines, appeals) and `audit --follow` (every new audit entry),
// as they happen. Both poll the database through the services (the same rules as the dashboard)
// on an interval, print one line per event (--json: one JSON object per line), and end cleanly on
// Ctrl-C.
import type { Command } from 'commander';
import type { AuditEntry, ReportSummary } from '../../server/protocol/moderation.ts';
import type { Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { type GlobalOptions, type Output } from '../output.ts';
import { shortId, sinceFlag, terminalSafe, withServices, type Operator } from '../services.ts';

/** The moderation feed's own cadence: a change is seen within a second or two. */
const POLL_INTERVAL_MS = 1000;
/**
 * Reports are read from a little before the newest one seen: one filed at the same moment as
 * another may commit a moment later. The ids already shown are remembered for that long.
 */
const REPORT_LAG_MS = 5000;
/** Reports read per query. */
const REPORT_PAGE = 200;
/** The most AuditLog.after returns at once. */
const AUDIT_BATCH = 1000;
/** Audit entries shown first by `audit --follow` without --since or --limit. */
const FOLLOW_BACKLOG = 10;
/** The audit entries `reports watch` shows: what happens to reports and to the people reported. */
const WATCHED_ACTIONS = ['report.', 'ban.', 'appeal.', 'session.kill', 'announcement.'];

export interface WatchDeps {
  pollIntervalMs: number;
  now: () => number;
}

export const defaultWatchDeps: WatchDeps = { pollIntervalMs: POLL_INTERVAL_MS, now: Date.now };

interface WatchOptions extends GlobalOptions {
  since?: number;
}

export interface FollowOptions extends GlobalOptions {
  since?: number;
  action?: string;
  limit?: number;
}

export function registerReportsWatch(reports: Command, ctx: Context, deps: WatchDeps = defaultWatchDeps): void {
  const watch = reports
    .command('watch')
    .description('new reports, and what moderators and the automatic quarantine do about them, as they happen, until Ctrl-C')
    .option('--since <when>', 'first show those since: a duration back from now (30m, 24h) or a date (2026-11-28)', sinceFlag)
    .action(async (_o: WatchOptions, command: Command) => reportsWatch(ctx, command.optsWithGlobals<WatchOptions>(), deps));
  withNotes(
    watch,
    'Output',
    'One line per event. With --json, one JSON object per line: {"type":"report","report":{…}} (as in\nreports list --json) or {"type":"audit","entry":{…}} (as in audit --json).',
  );
  withExamples(watch, ['strangerchat reports watch', 'strangerchat reports watch --since 1h', 'strangerchat reports watch --json | jq -c "select(.type == \\"report\\")"']);
}

/** Polls with `tick` until the process is asked to stop; a failed poll is reported and retried. */
async function untilStopped(ctx: Context, output: Output, intervalMs: number, tick: () => Promise<void>): Promise<void> {
  let stopped = false;
  const signal = ctx.untilSignal().then(() => {
    stopped = true;
  });
  let failing = false;
  while (!stopped) {
    try {
      await tick();
      failing = false;
    } catch (error) {
      // A busy or briefly unreachable database: said once, tried again at the next turn.
      if (!failing) output.warn(`reading the database failed (${(error as Error).message}); trying again`);
      failing = true;
    }
    await Promise.race([signal, new Promise((resolve) => setTimeout(resolve, intervalMs))]);
  }
}

function emit(ctx: Context, output: Output, event: { type: 'report'; report: ReportSummary } | { type: 'audit'; entry: AuditEntry }): void {
  if (output.json) {
    ctx.stdout.write(`${JSON.stringify(event)}\n`);
    return;
  }
  ctx.stdout.write(`${event.type === 'report' ? reportLine(event.report, output) : auditLine(event.entry, output)}\n`);
}

function reportLine(r: ReportSummary, output: Output): string {
  const reason = r.sensitive ? output.out.red(`${r.reason} (sensitive)`) : r.reason;
  return [output.time(r.createdAt), 'report filed'.padEnd(16), shortId(r.id), reason, `band ${r.reportedBand ?? '-'}`, r.mode ?? '-', ...(r.quarantined ? ['quarantined'] : [])].join('  ');
}

function auditLine(e: AuditEntry, output: Output): string {
  return [output.time(e.at), e.action.padEnd(16), terminalSafe(e.actor), e.target ? terminalSafe(e.target) : '-', ...(e.reason ? [terminalSafe(e.reason).slice(0, 80)] : [])].join('  ');
}

/** The id of the newest audit entry (0 for an empty log): following starts after it. */
async function newestAuditId({ services, actor }: Operator): Promise<number> {
  return (await services.audit.list(actor, { limit: 1 }))[0]?.id ?? 0;
}

export async function reportsWatch(ctx: Context, options: WatchOptions, deps: WatchDeps = defaultWatchDeps): Promise<void> {
  await withServices(ctx, options, async (operator) => {
    const { services, actor, output } = operator;
    const watched = (entry: AuditEntry) => WATCHED_ACTIONS.some((prefix) => (prefix.endsWith('.') ? entry.action.startsWith(prefix) : entry.action === prefix));
    const start = options.since ?? deps.now();
    let auditCursor = options.since === undefined ? await newestAuditId(operator) : 0;
    let reportsFrom = start;
    const shown = new Map<string, number>();
    output.progress('Watching for new reports and moderation (Ctrl-C to stop)…');
    await untilStopped(ctx, output, deps.pollIntervalMs, async () => {
      const events: Array<{ at: number; event: Parameters<typeof emit>[2] }> = [];
      // A flood of reports fills a page: read on from the last one until a page is not full.
      for (let from = Math.max(start, reportsFrom - REPORT_LAG_MS); ; ) {
        const page = await services.reviews.filedSince(actor, from, REPORT_PAGE);
        for (const report of page) {
          if (shown.has(report.id)) continue;
          shown.set(report.id, report.createdAt);
          reportsFrom = Math.max(reportsFrom, report.createdAt);
          events.push({ at: report.createdAt, event: { type: 'report', report } });
        }
        // Only more than a page filed within one millisecond (far beyond the report rate limits) stops here.
        if (page.length < REPORT_PAGE || page.at(-1)!.createdAt <= from) break;
        from = page.at(-1)!.createdAt;
      }
      for (const [id, at] of shown) if (at < reportsFrom - REPORT_LAG_MS) shown.delete(id);
      for (let batch = await services.audit.after(actor, auditCursor); batch.length; batch = batch.length === AUDIT_BATCH ? await services.audit.after(actor, auditCursor) : []) {
        for (const entry of batch) {
          auditCursor = entry.id;
          if (entry.at >= start && watched(entry)) events.push({ at: entry.at, event: { type: 'audit', entry } });
        }
      }
      events.sort((a, b) => a.at - b.at);
      for (const { event } of events) emit(ctx, output, event);
    });
  });
}

/** `audit --follow`: the last entries (or those since --since), then every new one. */
export async function auditFollow(ctx: Context, options: FollowOptions, deps: WatchDeps = defaultWatchDeps): Promise<void> {
  await withServices(ctx, options, async (operator) => {
    const { services, actor, output } = operator;
    const matches = (entry: AuditEntry) => !options.action || entry.action === options.action;
    const backlog = await services.audit.list(actor, {
      ...(options.since !== undefined ? { since: options.since } : {}),
      ...(options.action ? { action: options.action } : {}),
      limit: options.limit ?? (options.since !== undefined ? 1000 : FOLLOW_BACKLOG),
    });
    for (const entry of backlog.reverse()) emit(ctx, output, { type: 'audit', entry });
    let cursor = await newestAuditId(operator);
    output.progress('Following the audit log (Ctrl-C to stop)…');
    await untilStopped(ctx, output, deps.pollIntervalMs, async () => {
      for (const entry of await services.audit.after(actor, cursor)) {
        cursor = entry.id;
        if (matches(entry)) emit(ctx, output, { type: 'audit', entry });
      }
    });
  });
}
