// `strangerchat purge [--dry-run]`: the retention policy now (the server also runs it hourly),
// through RetentionService: what is past its period is removed, and the counts are printed and
// audited. --dry-run only counts.
import type { Command } from 'commander';
import type { RetentionCounts } from '../../server/protocol/moderation.ts';
import type { Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { table, type GlobalOptions } from '../output.ts';
import { withServices } from '../services.ts';

interface PurgeOptions extends GlobalOptions {
  dryRun?: boolean;
}

/** What each count means, in the order printed. */
const LABELS: Record<keyof RetentionCounts, string> = {
  evidence: 'report evidence (transcript, frames, note)',
  appeals: 'appeal texts',
  addresses: 'network addresses erased',
  audit: 'audit entries',
  sessions: 'chat sessions',
  tickets: 'used or expired tickets',
  moderatorSessions: 'moderator logins',
  emailVerifications: 'e-mail links',
  events: 'moderation feed events',
  avoids: 'expired "never pair again" entries',
  bandLocks: 'expired age-band locks',
};

export function registerPurge(program: Command, ctx: Context): void {
  const command = program
    .command('purge')
    .description('apply the retention policy now (the retention settings): remove what is past its period and print the counts')
    .option('--dry-run', 'only count what would be removed')
    .action(async (_o: PurgeOptions, command: Command) => purge(ctx, command.optsWithGlobals<PurgeOptions>()));
  withExamples(command, ['strangerchat purge --dry-run', 'strangerchat purge --json']);
}

export async function purge(ctx: Context, options: PurgeOptions): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const result = await services.retention.purge({ dryRun: options.dryRun === true, actor });
    const periods = instance.config.settings.retention;
    output.result(result, () =>
      [
        result.dryRun ? 'would remove (dry run, nothing removed):' : 'removed:',
        table(
          ['what', 'count'],
          (Object.keys(LABELS) as Array<keyof RetentionCounts>).map((key) => [LABELS[key], result.counts[key]]),
        ),
      ].join('\n'),
    );
    output.say(
      `Periods: evidence ${periods.evidenceDays} days after resolution, addresses ${periods.addressDays} days, sessions ${periods.sessionDays} days, audit ${periods.auditDays} days.`,
    );
  });
}
