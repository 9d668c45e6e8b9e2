// `strangerchat invite create|list|revoke`: invite codes for the `invite` access mode, through the
// InviteService the dashboard uses. A code is printed once and stored only as a keyed hash.
import type { Command } from 'commander';
import { MAX_INVITE_USES, type Invite } from '../../server/protocol/moderation.ts';
import type { Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { table, type GlobalOptions } from '../output.ts';
import { countFlag, durationFlag, durationMs, resolveId, shortId, terminalSafe, withServices, type DurationValue } from '../services.ts';

interface CreateOptions extends GlobalOptions {
  uses: number;
  expires?: DurationValue;
  note?: string;
}

export function registerInvite(program: Command, ctx: Context): void {
  const invite = program.command('invite').description('invite codes for the invite access mode: create, list, revoke');
  withExamples(invite, ['strangerchat invite create --uses 30 --expires 7d', 'strangerchat invite list', 'strangerchat invite revoke 1a2b3c4d']);

  const create = invite
    .command('create')
    .description('create a code for N people (printed once: only a hash of it is stored)')
    .requiredOption('--uses <count>', `how many people may join with it (1 to ${MAX_INVITE_USES})`, countFlag('--uses', 1, MAX_INVITE_USES))
    .option('--expires <duration>', 'valid for: 30m, 12h, 7d, 2w (default: until revoked or used up)', durationFlag('--expires'))
    .option('--note <text>', 'what it is for, e.g. "class 4B" (at most 200 characters)')
    .action(async (_o: CreateOptions, command: Command) => inviteCreate(ctx, command.optsWithGlobals<CreateOptions>()));
  withExamples(create, ['strangerchat invite create --uses 30 --expires 7d --note "class 4B"', 'strangerchat invite create --uses 1 --json | jq -r .code']);

  const list = invite
    .command('list')
    .description('every invite, newest first, with its uses and state (the codes themselves are never shown again)')
    .action(async (_o: GlobalOptions, command: Command) => inviteList(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(list, ['strangerchat invite list', 'strangerchat invite list --json']);

  const revoke = invite
    .command('revoke')
    .argument('<id>', 'an invite id, or a unique prefix of one (as invite list shows it)')
    .description('revoke an invite: its code stops working at once (people already in keep their session)')
    .action(async (id: string, _o: GlobalOptions, command: Command) => inviteRevoke(ctx, command.optsWithGlobals<GlobalOptions>(), id));
  withExamples(revoke, ['strangerchat invite revoke 1a2b3c4d']);
}

export async function inviteCreate(ctx: Context, options: CreateOptions): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const { invite, code } = await services.invites.create({ uses: options.uses, expiresInMs: durationMs(options.expires) ?? null, ...(options.note ? { note: options.note } : {}) }, actor);
    output.result({ invite, code }, () => code);
    output.say(
      `Invite ${shortId(invite.id)}: ${invite.maxUses} use${invite.maxUses === 1 ? '' : 's'}, ${invite.expiresAt === null ? 'no expiry' : `until ${output.time(invite.expiresAt)}`}. The code is shown only this once.`,
    );
    if (instance.config.settings.accessMode !== 'invite') {
      output.warn(`this instance's access mode is ${instance.config.settings.accessMode}: codes are asked for only in the invite mode (strangerchat config set accessMode invite)`);
    }
  });
}

export async function inviteList(ctx: Context, options: GlobalOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const invites = await services.invites.list(actor);
    output.result({ invites }, () =>
      invites.length === 0
        ? 'no invites (strangerchat invite create --uses N)'
        : table(
            ['id', 'code', 'used', 'expires', 'status', 'note', 'by'],
            invites.map((i: Invite) => [shortId(i.id), `${i.hint}-…`, `${i.usedCount}/${i.maxUses}`, i.expiresAt === null ? 'never' : output.time(i.expiresAt), i.status, i.note ? terminalSafe(i.note) : null, i.createdBy]),
          ),
    );
  });
}

export async function inviteRevoke(ctx: Context, options: GlobalOptions, idText: string): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const id = await resolveId(instance.db, 'invites', idText, 'invite');
    const invite = await services.invites.revoke(id, actor);
    output.result({ invite }, () => `revoked ${shortId(invite.id)} (${invite.hint}-…, used ${invite.usedCount}/${invite.maxUses})`);
  });
}
