// `strangerchat pause [--until T] [--message M]` and `strangerchat resume`: close the whole space
// for a while and open it again, through the AvailabilityService the server reads: audited, and
// published on the moderation feed, so every running server process refuses new sessions and
// searches within 2 s and ends the conversations under way after the closing grace period.
import type { Command } from 'commander';
import { instanceTimeZone } from '../../server/config.ts';
import { PAUSE_MESSAGE_MAX_LENGTH } from '../../server/access/availability.ts';
import { formatMoment, parseMoment } from '../../server/access/opening-hours.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import type { GlobalOptions } from '../output.ts';
import { liveNote, runningServer, terminalSafe, withServices } from '../services.ts';

interface PauseOptions extends GlobalOptions {
  until?: string;
  message?: string;
}

export function registerPause(program: Command, ctx: Context): void {
  const command = program
    .command('pause')
    .description('close the space now: new sessions and searches are refused, conversations end after openingHours.closingGraceSeconds; until --until, or until strangerchat resume')
    .option('--until <when>', 'when it opens again: a duration (30m, 2h, 1d), a time of day (18:00, the next one) or a date and time (2026-12-03T08:00), in the instance time zone (openingHours.timeZone)')
    .option('--message <text>', `what people are told (up to ${PAUSE_MESSAGE_MAX_LENGTH} characters), on the landing page and in the chat`)
    .action(async (_o: PauseOptions, command: Command) => pause(ctx, command.optsWithGlobals<PauseOptions>()));
  withExamples(command, ['strangerchat pause --until 14:00 --message "Back after the assembly"', 'strangerchat pause --until 2h', 'strangerchat pause']);
}

export function registerResume(program: Command, ctx: Context): void {
  const command = program
    .command('resume')
    .description('open the space again after strangerchat pause (opening hours still apply)')
    .action(async (_o: GlobalOptions, command: Command) => resume(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(command, ['strangerchat resume']);
}

export async function pause(ctx: Context, options: PauseOptions): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const timeZone = instanceTimeZone(instance.config.settings);
    let until: number | null = null;
    if (options.until !== undefined) {
      const parsed = parseMoment(options.until, timeZone, now());
      if (parsed === undefined) {
        throw new CliError(`--until: "${terminalSafe(options.until.slice(0, 40))}" is neither a duration (30m, 2h, 1d), a time of day (18:00) nor a date and time (2026-12-03T08:00)`, ExitCode.Usage);
      }
      until = parsed;
    }
    const paused = await services.availability.pause(actor, { until, message: options.message ?? null });
    const grace = instance.config.settings.openingHours.closingGraceSeconds;
    output.result({ pause: paused }, () => (paused.until === null ? 'paused until strangerchat resume' : `paused until ${formatMoment(paused.until, timeZone)}`));
    output.say(`new sessions and searches are refused; conversations end ${grace} s after people are told; ${liveNote(instance.config, runningServer(instance.config))}`);
  });
}

export async function resume(ctx: Context, options: GlobalOptions): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const resumed = await services.availability.resume(actor);
    const state = await services.availability.state();
    output.result({ resumed, availability: state }, () =>
      !resumed ? 'the space was not paused' : state.open ? 'resumed: the space is open' : `resumed; closed by its opening hours until ${state.opensAt === null ? 'they open' : formatMoment(state.opensAt, state.timeZone)}`,
    );
    if (resumed) output.say(liveNote(instance.config, runningServer(instance.config)));
  });
}
