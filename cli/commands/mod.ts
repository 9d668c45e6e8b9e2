// `strangerchat mod add|list|disable|enable|reset-password|role|email|sso|duty`: moderator accounts, through
// the ModeratorService the dashboard uses (the operator acts as an owner; every change is audited
// as cli:<user>, and changes to safeguarding accounts are mailed to them). Passwords are never
// taken on the command line: from standard input, or generated and shown once (the person
// chooses their own at the first sign-in). `mod duty on|off` puts the account (--as) or the
// operator on duty for a set number of hours, through the DutyService the dashboard's toggle uses.
import { Option, type Command } from 'commander';
import type { SsoAccount } from '../../server/access/moderator-sso.ts';
import { ROLES, type Moderator, type Role } from '../../server/protocol/moderation.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { table, type GlobalOptions } from '../output.ts';
import { check } from '../validate.ts';
import { resolveVideoOnlyOnDuty } from '../../server/config.ts';
import { liveNote, readInputFile, runningServer, withServices } from '../services.ts';

interface AddOptions extends GlobalOptions {
  role: Role;
  passwordStdin?: boolean;
  email?: string;
}

const ONCE = 'Shown only this once: they sign in at /mod with it and choose their own password.';

export function registerMod(program: Command, ctx: Context): void {
  const mod = program.command('mod').description('moderator accounts: add, list, disable, enable, reset-password, role, email, sso; and duty');
  withExamples(mod, ['strangerchat mod add alice --role moderator', 'strangerchat mod list', 'strangerchat mod disable alice']);

  const add = mod
    .command('add')
    .argument('<username>', '3 to 32 characters: lower-case letters, digits, and . _ - (not first)')
    .description('create an account; a one-time password is generated and printed once, unless --password-stdin')
    .addOption(new Option('--role <role>', `${ROLES.join(', ')} (see docs/moderation.md for what each may do)`).choices(ROLES).makeOptionMandatory())
    .option('--password-stdin', 'read the password from standard input instead (12+ characters)')
    .option('--email <address>', 'optional: where alerts about safeguarding accounts reach this account (see moderation.safeguardingAlerts)')
    .action(async (username: string, _o: AddOptions, command: Command) => modAdd(ctx, command.optsWithGlobals<AddOptions>(), username));
  withExamples(add, [
    'strangerchat mod add alice --role moderator',
    'strangerchat mod add sam --role safeguarding --email sam@school.example --json | jq -r .password',
    'printf %s "$PASSWORD" | strangerchat mod add bob --role admin --password-stdin',
  ]);

  const list = mod
    .command('list')
    .description('every account with its role and state')
    .action(async (_o: GlobalOptions, command: Command) => modList(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(list, ['strangerchat mod list', 'strangerchat mod list --json']);

  const disable = mod
    .command('disable')
    .argument('<username>', 'the account')
    .description('disable an account and end its sessions at once (the last active owner cannot be disabled)')
    .action(async (username: string, _o: GlobalOptions, command: Command) => modChange(ctx, command.optsWithGlobals<GlobalOptions>(), 'disable', username));
  withExamples(disable, ['strangerchat mod disable alice']);

  const enable = mod
    .command('enable')
    .argument('<username>', 'the account')
    .description('enable a disabled account again')
    .action(async (username: string, _o: GlobalOptions, command: Command) => modChange(ctx, command.optsWithGlobals<GlobalOptions>(), 'enable', username));
  withExamples(enable, ['strangerchat mod enable alice']);

  const reset = mod
    .command('reset-password')
    .argument('<username>', 'the account')
    .description('generate a new one-time password (printed once) and end the account\'s sessions')
    .action(async (username: string, _o: GlobalOptions, command: Command) => modResetPassword(ctx, command.optsWithGlobals<GlobalOptions>(), username));
  withExamples(reset, ['strangerchat mod reset-password alice']);

  const role = mod
    .command('role')
    .argument('<username>', 'the account')
    .argument('<role>', ROLES.join(', '))
    .description("change an account's role (the last active owner keeps theirs)")
    .action(async (username: string, newRole: string, _o: GlobalOptions, command: Command) => modRole(ctx, command.optsWithGlobals<GlobalOptions>(), username, newRole));
  withExamples(role, ['strangerchat mod role alice admin']);

  const email = mod
    .command('email')
    .argument('<username>', 'the account')
    .argument('[address]', 'the new address; leave it out to remove the address')
    .description("set or remove an account's e-mail address (where alerts about safeguarding accounts reach it)")
    .action(async (username: string, address: string | undefined, _o: GlobalOptions, command: Command) => modEmail(ctx, command.optsWithGlobals<GlobalOptions>(), username, address));
  withExamples(email, ['strangerchat mod email sam sam@school.example', 'strangerchat mod email sam']);

  const duty = mod
    .command('duty')
    .argument('[state]', 'on or off; leave it out to see who is on duty')
    .description('go on or off duty (where video needs a moderator on duty, it is offered only while someone is), or list who is on duty')
    .option('--hours <hours>', 'with on: how long (default moderation.dutyHours)', hoursFlag)
    .action(async (state: string | undefined, _o: DutyOptions, command: Command) => modDuty(ctx, command.optsWithGlobals<DutyOptions>(), state));
  withExamples(duty, ['strangerchat mod duty on --as sam', 'strangerchat mod duty on --hours 2', 'strangerchat mod duty', 'strangerchat mod duty off --as sam']);

  const sso = mod.command('sso').description("moderators who sign in with the school's provider (oidc.moderators): list them, confirm an owner or safeguarding role");
  withExamples(sso, ['strangerchat mod sso list', 'strangerchat mod sso confirm j.jones']);
  const ssoList = sso
    .command('list')
    .description('every identity that signed in to /mod with the provider: its account, role, and any role awaiting confirmation')
    .action(async (_o: GlobalOptions, command: Command) => modSsoList(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(ssoList, ['strangerchat mod sso list', 'strangerchat mod sso list --json']);
  const ssoConfirm = sso
    .command('confirm')
    .argument('<username>', 'the username the refused sign-in named (strangerchat mod sso list shows it)')
    .description("confirm, once, the owner or safeguarding role a moderator's school claims ask for: a claim alone never grants them (owners only; audited)")
    .action(async (username: string, _o: GlobalOptions, command: Command) => modSsoConfirm(ctx, command.optsWithGlobals<GlobalOptions>(), username));
  withExamples(ssoConfirm, ['strangerchat mod sso confirm j.jones']);
}

interface DutyOptions extends GlobalOptions {
  hours?: number;
}

function hoursFlag(value: string): number {
  const hours = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || hours < 0.25 || hours > 24) throw new CliError(`--hours must be a number of hours from 0.25 to 24, got "${value.slice(0, 20)}"`, ExitCode.Usage);
  return hours;
}

export async function modDuty(ctx: Context, options: DutyOptions, state: string | undefined): Promise<void> {
  if (state !== undefined && state !== 'on' && state !== 'off') throw new CliError(`[state]: on or off (or nothing, to list who is on duty), got "${state.slice(0, 20)}"`, ExitCode.Usage);
  if (options.hours !== undefined && state !== 'on') throw new CliError('--hours goes with mod duty on', ExitCode.Usage);
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const { config } = instance;
    const needed = resolveVideoOnlyOnDuty(config.settings) && config.settings.modes.includes('video');
    const effect = needed ? 'video is offered while someone is on duty' : 'video does not need a moderator on duty here (moderation.videoOnlyOnDuty is off)';
    if (state === 'on') {
      const hours = options.hours ?? config.settings.moderation.dutyHours;
      const duty = await services.duty.on(actor, { via: 'terminal', hours });
      output.result({ duty }, () => `${duty.name} is on duty until ${output.time(duty.until)}`);
      output.say(`${effect}; ${liveNote(config, runningServer(config))}. End it sooner with strangerchat mod duty off.`);
      return;
    }
    if (state === 'off') {
      const ended = await services.duty.off(actor);
      output.result({ ended }, () => (ended ? 'off duty' : 'you were not on duty'));
      if (ended && needed) {
        const left = await services.duty.onDuty();
        output.say(left.length ? `still on duty: ${left.map((d) => d.name).join(', ')}` : `nobody is on duty now: video is not offered; ${liveNote(config, runningServer(config))}`);
      }
      return;
    }
    const onDuty = await services.duty.list(actor);
    output.result({ onDuty, videoOnlyOnDuty: needed }, () =>
      onDuty.length
        ? table(['who', 'via', 'since', 'until'], onDuty.map((d) => [d.name, d.via, output.time(d.since), output.time(d.until)]))
        : `nobody is on duty${needed ? ': video is not offered' : ''}`,
    );
  });
}

function view(moderator: Moderator) {
  return { ...moderator, status: moderator.disabledAt === null ? 'active' : 'disabled' };
}

function usernameOf(text: string): string {
  const problem = check.username(text);
  if (problem) throw new CliError(`<username>: ${problem} (got "${text.slice(0, 40)}")`, ExitCode.Usage);
  return text.trim().toLowerCase();
}

export async function modAdd(ctx: Context, options: AddOptions, usernameText: string): Promise<void> {
  const username = usernameOf(usernameText);
  let password: string | undefined;
  if (options.passwordStdin) {
    password = (await readInputFile(ctx, '-')).replace(/\r?\n$/, '');
    if (!password) throw new CliError('--password-stdin: standard input held no password', ExitCode.Usage);
    const problem = check.password(password);
    if (problem) throw new CliError(`--password-stdin: ${problem}`, ExitCode.Usage);
  }
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const created = await services.moderators.create({ username, role: options.role, ...(password ? { password } : {}), ...(options.email ? { email: options.email } : {}) }, actor);
    output.result({ moderator: view(created.moderator), password: created.password ?? null }, () =>
      [`created ${created.moderator.username} (${created.moderator.role})`, ...(created.password ? [`one-time password ${created.password}`] : [])].join('\n'),
    );
    if (created.password) output.say(ONCE);
  });
}

export async function modList(ctx: Context, options: GlobalOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const moderators = await services.moderators.list(actor);
    output.result({ moderators: moderators.map(view) }, () =>
      moderators.length === 0
        ? 'no accounts (strangerchat mod add <username> --role owner)'
        : table(
            ['username', 'role', 'status', 'password', 'e-mail', 'created', 'by'],
            moderators.map((m) => [
              m.username,
              m.role,
              m.disabledAt === null ? 'active' : output.out.yellow(`disabled ${output.time(m.disabledAt)}`),
              m.mustChangePassword ? 'one-time' : 'own',
              m.email,
              output.time(m.createdAt),
              m.createdBy,
            ]),
          ),
    );
  });
}

export async function modChange(ctx: Context, options: GlobalOptions, change: 'disable' | 'enable', usernameText: string): Promise<void> {
  const username = usernameOf(usernameText);
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const moderator = change === 'disable' ? await services.moderators.disable(username, actor) : await services.moderators.enable(username, actor);
    output.result({ moderator: view(moderator) }, () => (change === 'disable' ? `disabled ${moderator.username}; their sessions are ended` : `enabled ${moderator.username}`));
  });
}

export async function modResetPassword(ctx: Context, options: GlobalOptions, usernameText: string): Promise<void> {
  const username = usernameOf(usernameText);
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const reset = await services.moderators.resetPassword(username, actor);
    output.result({ moderator: view(reset.moderator), password: reset.password }, () => `new one-time password for ${reset.moderator.username}: ${reset.password}`);
    output.say(`${ONCE} Their sessions are ended.`);
  });
}

export async function modRole(ctx: Context, options: GlobalOptions, usernameText: string, role: string): Promise<void> {
  const username = usernameOf(usernameText);
  if (!(ROLES as readonly string[]).includes(role)) throw new CliError(`<role>: "${role.slice(0, 40)}" is not a role; choose ${ROLES.join(', ')}`, ExitCode.Usage);
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const moderator = await services.moderators.setRole(username, role, actor);
    output.result({ moderator: view(moderator) }, () => `${moderator.username} is now ${moderator.role}`);
  });
}

export async function modEmail(ctx: Context, options: GlobalOptions, usernameText: string, address: string | undefined): Promise<void> {
  const username = usernameOf(usernameText);
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const moderator = await services.moderators.setEmail(username, address ?? null, actor);
    output.result({ moderator: view(moderator) }, () => (moderator.email ? `${moderator.username}'s address is now ${moderator.email}` : `${moderator.username} has no address now`));
  });
}

function ssoView(account: SsoAccount) {
  return { ...account, status: account.role === null ? 'awaiting' : account.disabled ? 'disabled' : 'active' };
}

export async function modSsoList(ctx: Context, options: GlobalOptions): Promise<void> {
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const accounts = await services.moderatorSso.list(actor);
    output.result({ accounts: accounts.map(ssoView) }, () =>
      accounts.length === 0
        ? 'nobody has signed in to /mod with the school yet (oidc.moderators.enabled)'
        : table(
            ['username', 'role', 'status', 'awaiting', 'confirmed', 'first', 'last sign-in'],
            accounts.map((a) => [
              a.username,
              a.role,
              ssoView(a).status,
              a.pendingRole ? output.out.yellow(a.pendingRole) : null,
              a.confirmedRole,
              output.time(a.createdAt),
              a.lastSignInAt === null ? null : output.time(a.lastSignInAt),
            ]),
          ),
    );
    const waiting = accounts.filter((a) => a.pendingRole);
    if (waiting.length) output.say(`Confirm a role with strangerchat mod sso confirm <username> (${waiting.map((a) => a.username).join(', ')}).`);
  });
}

export async function modSsoConfirm(ctx: Context, options: GlobalOptions, usernameText: string): Promise<void> {
  const username = usernameOf(usernameText);
  await withServices(ctx, options, async ({ services, actor, output }) => {
    const account = await services.moderatorSso.confirm(username, actor);
    output.result({ account: ssoView(account) }, () => `${account.username} is confirmed as ${account.confirmedRole}; they sign in at /mod with the school, and keep the role while their claims ask for it`);
  });
}
