// `strangerchat init [dir]`: creates an instance — settings, secrets (.env, mode 0600), rules,
// a package.json pinning strangerchat, the database and the first owner account. Interactive on a
// terminal, or fully from flags with --yes; an ordered list of small steps (create-astro style),
// every answer validated against the same schema strangerchat.json is checked with. It never
// writes over an instance: `init --reset` (cli/reset.ts) starts its settings and
// rules over, after a backup, keeping every secret and the database.
import { basename, relative, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { cliActor } from '../../server/access/actor.ts';
import { ConfigError, makeConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { AppError } from '../../server/errors.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { installSource, npmInstallStep, type InstallSource } from '../install-source.ts';
import {
  generateSecret,
  instanceFilesIn,
  instanceSettings,
  isEmptyFolder,
  loadInstanceConfig,
  renderInstance,
  writeFiles,
  type AccessModeName,
  type InstanceFile,
  type NewInstance,
  type ProfileName,
} from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { answer, canPrompt } from '../questions.ts';
import { askSmtp, SMTP_PASSWORD_ENV, smtpCheck, type SmtpFlags } from '../smtp-questions.ts';
import { askOidc, OIDC_PROVIDERS, OIDC_SECRET_ENV, oidcCheck, type OidcFlags } from '../oidc-questions.ts';
import { redirectUriOf } from '../../server/access/oidc.ts';
import { check, flagParser, promptCheck, repeatableParser, splitList } from '../validate.ts';

const PROFILES = ['school', 'community', 'adult'] as const;
const ACCESS_MODES = ['open', 'invite', 'email', 'oidc'] as const;
const TURN_CHOICES = ['none', 'coturn'] as const;
const DEFAULT_PORT = 8080;
const DEFAULT_OWNER = 'owner';

export interface InitOptions extends GlobalOptions {
  name?: string;
  contact?: string;
  profile?: ProfileName;
  access?: AccessModeName;
  emailDomain?: string[];
  port?: number;
  publicUrl?: string;
  turn?: 'none' | 'coturn';
  turnUrl?: string[];
  owner?: string;
  passwordStdin?: boolean;
  force?: boolean;
  reset?: boolean;
  dryRun?: boolean;
}

export type InitAllOptions = InitOptions & SmtpFlags & OidcFlags;

export function registerInit(program: Command, ctx: Context): void {
  const command = program
    .command('init')
    .argument('[dir]', 'folder to create the instance in (default: asked, or the current folder with --yes)')
    .description('create an instance: settings, secrets (.env), rules, package.json, the database and the first owner account')
    .option('--name <name>', 'the name shown on every page', flagParser('--name', check.name))
    .option('--contact <address>', 'how people reach whoever runs the space: an e-mail address or an https:// page (shown on the privacy page; "" for none yet)', flagParser('--contact', (v) => (v.trim() === '' ? undefined : check.contact(v))))
    .addOption(new Option('--profile <profile>', 'school (restricted access, relay-only video), community (13+, two age bands) or adult (18+)').choices(PROFILES))
    .addOption(new Option('--access <mode>', "who may join: open (rules and age), invite (an invite code), email (a verified address in --email-domain) or oidc (a sign-in with the school's Google or Microsoft account, which gives the age band)").choices(ACCESS_MODES))
    .option('--email-domain <domain...>', 'e-mail domains allowed in the email access mode (repeatable, or comma-separated)', repeatableParser('--email-domain', check.emailDomain))
    .option('--smtp-host <host>', 'with --access email: the SMTP server that sends the magic links (default localhost)', flagParser('--smtp-host', smtpCheck.host))
    .option('--smtp-port <port>', 'with --access email: its port (default 587: STARTTLS)', flagParser('--smtp-port', smtpCheck.port, Number))
    .option('--smtp-secure', 'with --access email: TLS from the first byte (port 465)')
    .option('--no-smtp-secure', 'with --access email: STARTTLS (the default, except on port 465)')
    .option('--smtp-user <user>', `with --access email: the SMTP username; its password comes from ${SMTP_PASSWORD_ENV} in the environment, or is asked (never shown) and kept in .env`, flagParser('--smtp-user', smtpCheck.user))
    .option('--email-from <sender>', 'with --access email: the sender of the magic links, e.g. "Maple Chat <no-reply@chat.example.org>"', flagParser('--email-from', smtpCheck.from))
    .option('--oidc-for-adults', 'with --access invite or email: staff sign in with the school for the adult band; typed ages stay under 18')
    .addOption(new Option('--oidc-provider <kind>', 'with --access oidc or --oidc-for-adults: google (Workspace), entra (Microsoft Entra ID) or other').choices(OIDC_PROVIDERS))
    .option('--oidc-issuer <url>', "the provider's issuer URL (google and entra: derived)", flagParser('--oidc-issuer', oidcCheck.issuer))
    .option('--oidc-client-id <id>', `the client ID the provider gave; its secret comes from ${OIDC_SECRET_ENV} in the environment, or is asked (never shown) and kept in .env`, flagParser('--oidc-client-id', oidcCheck.clientId))
    .option('--oidc-domain <domain...>', "Google Workspace: the accounts' hd domain (repeatable; required for google)", repeatableParser('--oidc-domain', oidcCheck.domain))
    .option('--oidc-tenant <id...>', 'Microsoft Entra ID: the directory (tenant) ID whose accounts may sign in (repeatable)', repeatableParser('--oidc-tenant', oidcCheck.tenant))
    .option('--oidc-adult <rule...>', 'who is in the adult band: an e-mail domain (staff.school.org) or claim=value (roles=Staff, groups=<id>); repeatable; none: everyone is under 18', repeatableParser('--oidc-adult', oidcCheck.adult))
    .option('--port <port>', `port to listen on (default ${DEFAULT_PORT})`, flagParser('--port', check.port, Number))
    .option('--public-url <url>', 'the https:// address people will use (needed for video across networks and for the email mode; "" for none yet)', flagParser('--public-url', (v) => (v.trim() === '' ? undefined : check.publicUrl(v))))
    .addOption(new Option('--turn <server>', 'TURN for video across networks: none, or coturn (generates the shared secret into .env)').choices(TURN_CHOICES))
    .option('--turn-url <url...>', 'with --turn coturn: turn: or turns: URLs of the coturn server (repeatable)', repeatableParser('--turn-url', check.turnUrl))
    .option('--owner <username>', `username of the first owner account (default "${DEFAULT_OWNER}")`, flagParser('--owner', check.username, (v) => v.trim().toLowerCase()))
    .option('--password-stdin', "read the owner's password from standard input (else a one-time password is generated and printed once)")
    .option('--force', 'write into a folder that is not empty but holds no instance (its other files are left alone); never over an instance: see --reset')
    .option('--reset', "start an existing instance's settings and rules over: backs up settings, secrets, rules and database first, says what it replaces, keeps every secret, the database and its owners (confirm on a terminal, or --yes)")
    .option('--dry-run', 'print what would be written, and write nothing')
    .action(async (dir: string | undefined, _o: InitOptions, command: Command) => {
      await init(ctx, command.optsWithGlobals<InitOptions>(), dir);
    });
  withExamples(command, [
    'strangerchat init my-chat',
    'strangerchat init my-chat --yes --profile school --access invite --owner alice --contact safeguarding@school.example.org',
    'echo "$OWNER_PASSWORD" | strangerchat init my-chat --yes --owner alice --password-stdin',
    'strangerchat init my-chat --yes --public-url https://chat.example.org --turn coturn --turn-url turn:turn.example.org:3478',
    'STRANGERCHAT_SMTP_PASSWORD=… strangerchat init my-chat --yes --access email --email-domain school.example.org --public-url https://chat.example.org --smtp-host smtp.example.org --smtp-user chat',
    `${OIDC_SECRET_ENV}=… strangerchat init my-chat --yes --profile school --access oidc --oidc-provider google --oidc-client-id 1234.apps.googleusercontent.com --oidc-domain school.example.org --oidc-adult staff.school.example.org --public-url https://chat.school.example.org`,
    'strangerchat init my-chat --yes --dry-run',
    'strangerchat init my-chat --reset --profile school --access invite',
    'strangerchat init my-chat --reset --yes --dry-run',
  ]);
}

/** Step 1: the folder. */
async function chooseDir(ctx: Context, options: InitOptions, dirArg: string | undefined): Promise<string> {
  const given = dirArg ?? options.dir;
  const dir = await answer(ctx, options, given, {
    flag: 'the [dir] argument',
    default: '.',
    ask: () => ctx.prompt.input({ message: 'Where should the instance be created?', default: './my-chat', validate: (v) => (v.trim() ? true : 'a folder is needed') }),
  });
  return resolve(ctx.cwd, dir.trim());
}

/**
 * Step 2: an empty (or missing) folder; --force for one that holds other files; never one that
 * holds an instance (that is --reset's). Returns the instance files found.
 */
function checkFolder(dir: string, options: InitOptions): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`${dir} is a file, not a folder`, ExitCode.Usage);
  const found = existsSync(dir) ? instanceFilesIn(dir) : [];
  if (options.reset) {
    if (found.length === 0) throw new CliError(`--reset: ${dir} holds no instance to reset; run strangerchat init without --reset to create one`, ExitCode.Usage);
    return found;
  }
  if (found.length) {
    throw new CliError(
      `${dir} already holds an instance (${found.join(', ')}): init never writes over one${options.force ? ', not even with --force' : ''}. ` +
        'Change a setting with strangerchat config set, or start its settings over with strangerchat init --reset (which backs up the settings, secrets, rules and database first)',
      ExitCode.Usage,
    );
  }
  if (isEmptyFolder(dir) || options.force) return found;
  throw new CliError(`${dir} is not empty; choose another folder, or pass --force to write into it (its files are left alone)`, ExitCode.Usage);
}

/** Step 3: the settings, from flags, defaults (--yes) or questions. */
export async function askInstance(ctx: Context, options: InitAllOptions, dir: string): Promise<{ instance: NewInstance; smtpPassword?: string; oidcClientSecret?: string }> {
  const name = await answer(ctx, options, options.name, {
    flag: '--name',
    default: basename(dir),
    ask: () => ctx.prompt.input({ message: 'Name of the space (shown on every page)', default: basename(dir), validate: promptCheck(check.name) }),
  });
  // Who answers for the space: the privacy page names them. Optional, so only asked on a
  // terminal: a script without --contact is not stopped for it (doctor reminds).
  const contact =
    options.contact ??
    (canPrompt(ctx, options) && !options.yes
      ? (
          await ctx.prompt.input({
            message: 'How can people reach whoever runs this space? (an e-mail address or an https:// page; leave empty for now)',
            default: '',
            validate: (v) => (v.trim() === '' ? true : promptCheck(check.contact)(v)),
          })
        ).trim()
      : '');
  const profile = await answer<ProfileName>(ctx, options, options.profile, {
    flag: '--profile',
    default: 'community',
    ask: () =>
      ctx.prompt.select<ProfileName>({
        message: 'Profile',
        default: 'community',
        choices: [
          { value: 'school', name: 'school', description: 'pupils of one school: invite codes or school e-mail, relay-only video, contact details blocked' },
          { value: 'community', name: 'community', description: '13+, with under-18s and adults never paired together' },
          { value: 'adult', name: 'adult', description: '18+ only' },
        ],
      }),
  });
  const defaultAccess: AccessModeName = options.emailDomain?.length ? 'email' : profile === 'school' ? 'invite' : 'open';
  const accessMode = await answer<AccessModeName>(ctx, options, options.access, {
    flag: '--access',
    default: defaultAccess,
    ask: () =>
      ctx.prompt.select<AccessModeName>({
        message: 'Who may join?',
        default: defaultAccess,
        choices: [
          { value: 'open', name: 'open', description: 'anyone who accepts the rules and is old enough' },
          { value: 'invite', name: 'invite', description: 'people with an invite code (strangerchat invite create)' },
          { value: 'email', name: 'email', description: 'people who verify an address at allowed domains' },
          { value: 'oidc', name: 'oidc', description: "people who sign in with the school's Google Workspace or Microsoft Entra account; their age band comes from it" },
        ],
      }),
  });
  let emailDomains: string[] | undefined;
  let publicUrl: string | undefined;
  if (accessMode === 'email') {
    emailDomains = await answer(ctx, options, options.emailDomain, {
      flag: '--email-domain',
      ask: async () =>
        splitList(
          await ctx.prompt.input({
            message: 'Allowed e-mail domains (comma-separated, e.g. school.example.org)',
            validate: (v) => (splitList(v).length ? (splitList(v).map(check.emailDomain).find(Boolean) ?? true) : 'at least one domain'),
          }),
        ),
    });
    // Magic links need the address people reach the instance at.
    publicUrl = await answer(ctx, options, options.publicUrl || undefined, {
      flag: '--public-url',
      ask: () => ctx.prompt.input({ message: 'Public URL (https://…; e-mail links point there)', validate: promptCheck(check.publicUrl) }),
    });
  } else if (options.emailDomain?.length) {
    throw new CliError(`--email-domain only applies with --access email (got --access ${accessMode})`, ExitCode.Usage);
  }
  // The school sign-in: everyone (oidc), or staff for the adult band beside invite codes or e-mail.
  const oidcFlags = (['oidcProvider', 'oidcIssuer', 'oidcClientId', 'oidcDomain', 'oidcTenant', 'oidcAdult'] as const).filter((flag) => options[flag] !== undefined);
  const forAdults =
    accessMode === 'invite' || accessMode === 'email'
      ? await answer(ctx, options, options.oidcForAdults, {
          flag: '--oidc-for-adults',
          default: false,
          ask: () =>
            profile === 'school'
              ? ctx.prompt.confirm({ message: `Should staff sign in with the school's Google or Microsoft account to chat as adults? (pupils keep their ${accessMode === 'invite' ? 'invite codes' : 'e-mail'}, as under-18s)`, default: false })
              : Promise.resolve(false),
        })
      : false;
  if (options.oidcForAdults && !(accessMode === 'invite' || accessMode === 'email')) {
    throw new CliError(`--oidc-for-adults applies with --access invite or email (with --access oidc everyone signs in); got --access ${accessMode}`, ExitCode.Usage);
  }
  if (accessMode !== 'oidc' && !forAdults && oidcFlags.length) {
    throw new CliError(`${oidcFlags.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only apply with --access oidc or --oidc-for-adults`, ExitCode.Usage);
  }
  const signIn = accessMode === 'oidc' || forAdults ? await askOidc(ctx, options) : undefined;
  if (signIn && publicUrl === undefined) {
    // The provider sends people back to <publicUrl>/api/oidc/callback.
    publicUrl = await answer(ctx, options, options.publicUrl || undefined, {
      flag: '--public-url',
      ask: () => ctx.prompt.input({ message: 'Public URL (https://…; the school sign-in sends people back there)', validate: promptCheck(check.publicUrl) }),
    });
  }
  const smtpFlags = (['smtpHost', 'smtpPort', 'smtpSecure', 'smtpUser', 'emailFrom'] as const).filter((flag) => options[flag] !== undefined);
  if (accessMode !== 'email' && smtpFlags.length) {
    throw new CliError(`${smtpFlags.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only apply with --access email`, ExitCode.Usage);
  }
  const mail = accessMode === 'email' ? await askSmtp(ctx, options, { name: name.trim(), ...(publicUrl ? { publicUrl } : {}) }) : undefined;
  const port = await answer(ctx, options, options.port, {
    flag: '--port',
    default: DEFAULT_PORT,
    ask: async () => Number(await ctx.prompt.input({ message: 'Port to listen on', default: String(DEFAULT_PORT), validate: promptCheck(check.port) })),
  });
  if (publicUrl === undefined) {
    const url = await answer(ctx, options, options.publicUrl, {
      flag: '--public-url',
      default: '',
      ask: () =>
        ctx.prompt.input({
          message: 'Public URL (https://…; leave empty until you have one)',
          default: '',
          validate: (v) => (v.trim() === '' ? true : promptCheck(check.publicUrl)(v)),
        }),
    });
    publicUrl = url.trim() || undefined;
  }
  // The school profile relays all video: without TURN it has none at all, not "direct only".
  const relayOnly = profile === 'school';
  const turn = await answer(ctx, options, options.turn, {
    flag: '--turn',
    default: options.turnUrl?.length ? 'coturn' : 'none',
    ask: () =>
      ctx.prompt.select<'none' | 'coturn'>({
        message: 'TURN server for video across networks',
        default: options.turnUrl?.length ? 'coturn' : 'none',
        choices: [
          {
            value: 'none',
            name: 'none',
            description: relayOnly
              ? 'text only for now: the school profile relays all video through TURN, so video cannot connect until you add one'
              : 'text, and video only where people can reach each other directly',
          },
          { value: 'coturn', name: 'coturn', description: 'your coturn server relays video (a shared secret is generated into .env)' },
        ],
      }),
  });
  let turnUrls: string[] | undefined;
  if (turn === 'coturn') {
    const host = publicUrl ? new URL(publicUrl).hostname : undefined;
    const suggested = host ? [`turn:${host}:3478`, `turns:${host}:443?transport=tcp`] : undefined;
    turnUrls = await answer(ctx, options, options.turnUrl, {
      flag: '--turn-url',
      ...(suggested ? { default: suggested } : {}),
      ask: async () =>
        splitList(
          await ctx.prompt.input({
            message: 'TURN URLs of your coturn (comma-separated)',
            ...(suggested ? { default: suggested.join(', ') } : {}),
            validate: (v) => (splitList(v).length ? (splitList(v).map(check.turnUrl).find(Boolean) ?? true) : 'at least one turn: URL'),
          }),
        ),
    });
  } else if (options.turnUrl?.length) {
    throw new CliError('--turn-url only applies with --turn coturn', ExitCode.Usage);
  }
  const instance: NewInstance = {
    name: name.trim(),
    profile,
    accessMode,
    port,
    ...(publicUrl ? { publicUrl } : {}),
    ...(contact ? { contact } : {}),
    ...(emailDomains ? { emailDomains } : {}),
    ...(mail ? { smtp: mail.smtp, emailFrom: mail.from } : {}),
    ...(turnUrls ? { turnUrls } : {}),
    ...(signIn ? { oidc: { ...signIn.oidc, ...(forAdults ? { requireForAdults: true } : {}) } } : {}),
  };
  return { instance, ...(mail?.password !== undefined ? { smtpPassword: mail.password } : {}), ...(signIn ? { oidcClientSecret: signIn.clientSecret } : {}) };
}

/** Which flag supplies a settings key, for errors. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  profile: '--profile',
  accessMode: '--access',
  'email.domains': '--email-domain',
  publicUrl: '--public-url',
  contact: '--contact',
  'server.port': '--port',
  'turn.urls': '--turn-url',
  'oidc.issuer': '--oidc-issuer',
  'oidc.clientId': '--oidc-client-id',
  'oidc.allowedDomains': '--oidc-domain',
  'oidc.allowedTenants': '--oidc-tenant',
  'oidc.bands': '--oidc-adult',
};

/** Step 4: the settings as a whole, with the checks start makes (e.g. email needs a public URL). */
export function validateInstance(dir: string, instance: NewInstance, turnSecret: string | undefined, oidcClientSecret?: string): void {
  try {
    makeConfig({ settings: instanceSettings(instance), dir, secrets: { ...(turnSecret ? { turnSecret } : {}), ...(oidcClientSecret ? { oidcClientSecret } : {}) } });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const flags = error.keys.map((key) => FLAG_OF[key]).filter(Boolean);
    throw new CliError(`${flags.length ? `${flags.join(', ')}: ` : ''}${error.message}`, ExitCode.Usage);
  }
}

export interface OwnerAnswer {
  username: string;
  /** Chosen by the operator; undefined: generate a one-time password. */
  password?: string;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return text;
}

/** Step 5: the first owner and their password (stdin, a question, or generated). */
export async function askOwner(ctx: Context, options: InitOptions): Promise<OwnerAnswer> {
  const username = await answer(ctx, options, options.owner, {
    flag: '--owner',
    default: DEFAULT_OWNER,
    ask: async () =>
      (
        await ctx.prompt.input({ message: 'Username of the first owner (signs in at /mod, manages moderators)', default: DEFAULT_OWNER, validate: promptCheck(check.username) })
      )
        .trim()
        .toLowerCase(),
  });
  if (options.passwordStdin) {
    const password = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
    if (!password) throw new CliError('--password-stdin: standard input held no password', ExitCode.Usage);
    const problem = check.password(password);
    if (problem) throw new CliError(`--password-stdin: ${problem}`, ExitCode.Usage);
    return { username, password };
  }
  if (!canPrompt(ctx, options)) return { username };
  const password = await ctx.prompt.password({
    message: `Password for ${username} (12+ characters; leave empty to get a one-time password)`,
    validate: (v) => (v === '' ? true : promptCheck(check.password)(v)),
  });
  return password ? { username, password } : { username };
}

/** Step 7: the database (migrations) and the owner account. Returns the generated password, if any. */
export async function createDatabase(ctx: Context, dir: string, owner: OwnerAnswer): Promise<string | undefined> {
  const config = loadInstanceConfig(ctx, dir);
  const db = await openDatabase(config.database);
  // The same services the server and the other commands use (server/services.ts).
  const services = createServices({ db, config, logger: silentLogger() });
  const { moderators } = services;
  try {
    await migrateToLatest(db);
    if (await moderators.find(owner.username)) {
      throw new CliError(`the account ${owner.username} already exists in this instance's database; choose another --owner`, ExitCode.Usage);
    }
    const created = await moderators.create({ username: owner.username, role: 'owner', ...(owner.password ? { password: owner.password } : {}) }, cliActor(ctx.osUser));
    return created.password;
  } catch (error) {
    if (error instanceof AppError) throw new CliError(`cannot create the owner account: ${error.message}`);
    throw error;
  } finally {
    services.close();
    await db.destroy();
  }
}

export async function init(ctx: Context, options: InitAllOptions, dirArg?: string): Promise<void> {
  const output = new Output(ctx, options);
  const dir = await chooseDir(ctx, options, dirArg);
  const found = checkFolder(dir, options);
  if (options.reset) {
    // Imported only for a reset: it needs the backups and the database before writing anything.
    const { resetInstance } = await import('../reset.ts');
    return resetInstance(ctx, options, output, dir, found);
  }
  const { instance, smtpPassword: givenSmtpPassword, oidcClientSecret } = await askInstance(ctx, options, dir);
  const turnSecret = instance.turnUrls?.length ? generateSecret() : undefined;
  const smtpPassword = instance.smtp?.user ? givenSmtpPassword : undefined;
  validateInstance(dir, instance, turnSecret, oidcClientSecret);
  const owner = await askOwner(ctx, options);
  // A package.json or .gitignore already in a --force folder is the operator's own: left alone.
  const kept = ['package.json', '.gitignore'].filter((path) => existsSync(resolve(dir, path)));
  const source = installSource();
  const files = renderInstance(instance, { ...(turnSecret ? { turnSecret } : {}), ...(smtpPassword ? { smtpPassword } : {}), ...(oidcClientSecret ? { oidcClientSecret } : {}) }, { packageJson: true, strangerchatSpec: source.spec }).filter(
    (file) => !kept.includes(file.path),
  );
  const url = `http://127.0.0.1:${instance.port}`;
  const settings = {
    name: instance.name,
    profile: instance.profile,
    accessMode: instance.accessMode,
    port: instance.port,
    publicUrl: instance.publicUrl ?? null,
    contact: instance.contact ?? null,
    emailDomains: instance.emailDomains ?? [],
    // The email access mode's mail server (the password itself is only ever in .env).
    ...(instance.smtp ? { smtp: { ...instance.smtp, user: instance.smtp.user ?? null, from: instance.emailFrom ?? null, passwordInEnv: smtpPassword !== undefined } } : {}),
    turnUrls: instance.turnUrls ?? [],
    // The school sign-in (the client secret itself is only ever in .env).
    ...(instance.oidc ? { oidc: { ...instance.oidc, redirectUri: redirectUriOf(instance.publicUrl ?? ''), clientSecretInEnv: oidcClientSecret !== undefined } } : {}),
  };

  if (options.dryRun) {
    const shown = (file: InstanceFile) => file.shown ?? file.content;
    output.result(
      { dir, dryRun: true, settings, files: files.map((file) => ({ path: file.path, mode: file.mode ?? null, content: shown(file) })), owner: { username: owner.username, password: null, passwordGenerated: !owner.password }, url },
      () => files.map((file) => (file.path.endsWith('/') ? `=== ${file.path} (folder)` : `=== ${file.path}${file.mode ? ` (mode ${file.mode.toString(8)})` : ''}\n${shown(file).trimEnd()}`)).join('\n\n'),
    );
    output.say(`Dry run: nothing was written. Without --dry-run, ${dir} gets these files, the database data/strangerchat.db and the owner account ${owner.username}.`);
    return;
  }

  if (kept.length) output.say(`Left the existing ${kept.join(' and ')} as they are.`);
  writeFiles(dir, files);
  output.progress('Creating the database and the owner account…');
  const generated = await createDatabase(ctx, dir, owner);
  output.result(
    { dir, dryRun: false, settings, files: files.map((file) => ({ path: file.path, mode: file.mode ?? null })), owner: { username: owner.username, password: generated ?? null, passwordGenerated: generated !== undefined }, url },
    () =>
      [
        `created ${dir} (profile ${instance.profile}, access ${instance.accessMode})`,
        `owner ${owner.username}`,
        ...(generated ? [`one-time password ${generated}`] : []),
      ].join('\n'),
  );
  output.say(nextSteps(ctx.cwd, dir, instance, owner.username, generated !== undefined, source));
}

/** Step 8: what to do next, for a person (stderr). */
export function nextSteps(cwd: string, dir: string, instance: NewInstance, owner: string, generated: boolean, source: InstallSource = installSource()): string {
  const where = relative(cwd, dir);
  const lines = [''];
  if (generated) lines.push(`The one-time password of ${owner} is shown only this once: you choose your own at the first sign-in.`, '');
  lines.push('Next steps:');
  if (where) lines.push(`  cd ${where.includes(' ') ? JSON.stringify(where) : where}`);
  lines.push(
    npmInstallStep(source),
    `  npx strangerchat start      # then open http://127.0.0.1:${instance.port} (moderators: /mod)`,
    '  npx strangerchat doctor     # checks everything below',
    '',
    'For video between people on different networks:',
  );
  if (instance.publicUrl?.startsWith('https://')) {
    lines.push(`  HTTPS  publicUrl is ${instance.publicUrl}: put Caddy or nginx in front for it (strangerchat deploy caddy, or deploy nginx)`);
  } else if (instance.publicUrl) {
    lines.push(
      `  HTTPS  publicUrl is ${instance.publicUrl}, and browsers allow the camera and microphone only on HTTPS (or localhost):`,
      '         put Caddy or nginx in front (strangerchat deploy caddy) and change it (strangerchat config set publicUrl https://…)',
    );
  } else {
    lines.push(
      '  HTTPS  browsers allow the camera and microphone only on HTTPS (or localhost): put Caddy or nginx',
      '         in front (strangerchat deploy caddy) and set publicUrl (strangerchat config set publicUrl https://…)',
    );
  }
  // The school profile (and any TURN) is relay-only: no TURN means no video at all, not "direct only".
  const relayOnly = instance.profile === 'school' || (instance.turnUrls?.length ?? 0) > 0;
  lines.push(
    instance.turnUrls?.length
      ? '  TURN   run coturn with the secret in .env: strangerchat deploy coturn renders its turnserver.conf'
      : relayOnly
        ? '  TURN   none yet, and the school profile relays all video: video cannot connect until you run coturn (strangerchat deploy coturn) and set turn.urls'
        : '  TURN   school and office networks block direct connections: run coturn (strangerchat deploy coturn) and set turn.urls',
  );
  if (instance.accessMode === 'invite') lines.push('', 'Invite people with strangerchat invite create --uses 30 --expires 7d.');
  if (instance.accessMode === 'email') lines.push('', 'Check the mail server with strangerchat doctor email, then send yourself a message: strangerchat email test you@' + (instance.emailDomains?.[0] ?? 'example.org'));
  if (instance.oidc) {
    lines.push(
      '',
      `School sign-in: register the redirect URI ${redirectUriOf(instance.publicUrl ?? '')} at your provider (docs/schools.md walks`,
      '  through Google Workspace and Microsoft Entra ID), then check it with strangerchat doctor oidc.',
      ...(instance.oidc.bands?.length ? [] : ['  No rule says who is an adult yet: everyone who signs in is in the under-18 band (oidc.bands).']),
    );
  }
  lines.push('', 'Every command: strangerchat --help, and docs/cli.md in the strangerchat repository.');
  return lines.join('\n');
}
