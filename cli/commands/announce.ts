// `strangerchat announce <text>`: a `notice` to everyone online, through the AnnouncementService
// the dashboard uses: audited, and published on the moderation feed, which every running server
// process reads within 2 s and passes on to the people connected to it.
import type { Command } from 'commander';
import { ANNOUNCEMENT_MAX_LENGTH } from '../../server/protocol/moderation.ts';
import type { Context } from '../context.ts';
import { withExamples } from '../help.ts';
import type { GlobalOptions } from '../output.ts';
import { runningServer, withServices } from '../services.ts';

export function registerAnnounce(program: Command, ctx: Context): void {
  const command = program
    .command('announce')
    .argument('<text...>', `the message (1 to ${ANNOUNCEMENT_MAX_LENGTH} characters; quote it, or give it as several words)`)
    .description('send a notice to everyone online now (shown in their chat window within 2 s)')
    .action(async (words: string[], _o: GlobalOptions, command: Command) => announce(ctx, command.optsWithGlobals<GlobalOptions>(), words.join(' ')));
  withExamples(command, ['strangerchat announce "The server restarts in 5 minutes for an update."', 'strangerchat announce Be kind to each other.']);
}

export async function announce(ctx: Context, options: GlobalOptions, text: string): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const sent = await services.announcements.announce(text, actor);
    const running = runningServer(instance.config);
    output.result({ ...sent, running: running !== undefined }, () => `announced: ${sent.text}`);
    if (!running && instance.config.database.driver === 'sqlite') {
      output.warn('the server is not running: nobody is online to receive it (it is not shown to people who connect later)');
    }
  });
}
