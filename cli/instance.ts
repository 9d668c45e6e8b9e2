// Instance folders: finding one (never a silent guess), writing one (the layout of DESIGN.md),
// and opening one's configuration and database for a command.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CONFIG_FILE, ConfigError, ENV_FILE, loadConfig, type ServerConfig } from '../server/config.ts';
import { openDatabase, type Db } from '../server/db/database.ts';
import { pendingMigrations } from '../server/db/migrate.ts';
import { CliError, ExitCode, type Context } from './context.ts';
import type { GlobalOptions } from './output.ts';
import { packageVersion, templatesDir } from './version.ts';
import type { OidcInstance } from './oidc-questions.ts';

export type ProfileName = 'school' | 'community' | 'adult';
export type AccessModeName = 'open' | 'invite' | 'email' | 'oidc';

export interface NewInstance {
  name: string;
  profile: ProfileName;
  accessMode: AccessModeName;
  port: number;
  host?: string;
  publicUrl?: string;
  /** How people reach whoever runs the space: an e-mail address or an https:// page. */
  contact?: string;
  emailDomains?: string[];
  /** The email access mode's mail server (cli/smtp-questions.ts) and sender. */
  smtp?: { host: string; port: number; secure: boolean; user?: string };
  emailFrom?: string;
  turnUrls?: string[];
  /** The school sign-in (cli/oidc-questions.ts): the oidc access mode, or staff for the adult band. */
  oidc?: OidcInstance;
}

export const DEFAULT_INSTANCE: NewInstance = { name: 'strangerchat', profile: 'community', accessMode: 'open', port: 8080 };

/** True when the folder is missing or holds nothing (hidden files included). */
export function isEmptyFolder(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

export function isInstanceFolder(dir: string): boolean {
  return existsSync(join(dir, CONFIG_FILE));
}

/** The default database file of an instance, relative to its folder. */
export const DEFAULT_DATABASE = 'data/strangerchat.db';

/**
 * What of an instance a folder holds (settings, secrets, database), for init, which never writes
 * over any of them: a folder with only a .env or a database left is an instance too.
 */
export function instanceFilesIn(dir: string): string[] {
  return [CONFIG_FILE, ENV_FILE, DEFAULT_DATABASE].filter((path) => existsSync(join(dir, path)));
}

/**
 * The instance folder: -C/--dir, else STRANGERCHAT_DIR, else the nearest folder upward holding
 * strangerchat.json. Exits 2 when none is found.
 */
export function resolveInstanceDir(ctx: Context, options: GlobalOptions): string {
  const explicit = options.dir ?? ctx.env.STRANGERCHAT_DIR;
  if (explicit) {
    const dir = resolve(ctx.cwd, explicit);
    if (!isInstanceFolder(dir)) throw new CliError(`${dir} holds no ${CONFIG_FILE}: not an instance folder (create one with strangerchat init)`, ExitCode.Usage);
    return dir;
  }
  for (let dir = resolve(ctx.cwd); ; dir = dirname(dir)) {
    if (isInstanceFolder(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new CliError(`no instance folder here or above ${ctx.cwd}; pass -C <dir> or set STRANGERCHAT_DIR`, ExitCode.Usage);
}

/** One file of a new instance. */
export interface InstanceFile {
  /** Relative to the instance folder; a trailing "/" is a folder. */
  path: string;
  content: string;
  mode?: number;
  /** The content with the secrets replaced by "<generated>" (for --dry-run). */
  shown?: string;
}

export interface InstanceSecrets {
  /** STRANGERCHAT_SESSION_SECRET (generated when missing). */
  sessionSecret?: string;
  /** STRANGERCHAT_TURN_SECRET, coturn's static-auth-secret. */
  turnSecret?: string;
  /** STRANGERCHAT_SMTP_PASSWORD, for the magic links' mail server. */
  smtpPassword?: string;
  /** STRANGERCHAT_WEBHOOK_SECRET, which signs the safeguarding alerts' webhooks (generated when missing). */
  webhookSecret?: string;
  /** STRANGERCHAT_OIDC_CLIENT_SECRET, the client secret at the school's OpenID provider. */
  oidcClientSecret?: string;
}

/**
 * A value as .env holds it (read back by node:util parseEnv): bare when it is plain, else in the
 * first quote it does not contain (single quotes keep everything as it is). A password may hold
 * anything, but not all three quotes and a line break.
 */
export function envValue(value: string): string {
  if (/^[\w@%+.,:/-]*$/.test(value)) return value;
  const quote = ["'", '"', '`'].find((q) => !value.includes(q));
  if (!quote || /[\r\n]/.test(value)) throw new CliError('the value holds a line break, or all of \' " and `: write it into .env by hand', ExitCode.Usage);
  return `${quote}${value}${quote}`;
}

/** A random secret for .env: 32 bytes, base64url. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The settings object written to strangerchat.json for a new instance. */
export function instanceSettings(instance: NewInstance): Record<string, unknown> {
  return {
    name: instance.name,
    profile: instance.profile,
    accessMode: instance.accessMode,
    ...(instance.publicUrl ? { publicUrl: instance.publicUrl } : {}),
    ...(instance.contact ? { contact: instance.contact } : {}),
    rulesFile: 'rules.md',
    server: { host: instance.host ?? '127.0.0.1', port: instance.port },
    database: { driver: 'sqlite', path: DEFAULT_DATABASE },
    ...(instance.emailDomains?.length || instance.smtp
      ? { email: { ...(instance.emailDomains?.length ? { domains: instance.emailDomains } : {}), ...(instance.emailFrom ? { from: instance.emailFrom } : {}), ...(instance.smtp ? { smtp: instance.smtp } : {}) } }
      : {}),
    ...(instance.turnUrls?.length ? { turn: { urls: instance.turnUrls } } : {}),
    ...(instance.oidc ? { oidc: instance.oidc } : {}),
  };
}

/**
 * The instance's .gitignore: secrets and data never belong in version control — .env, data/
 * (transcripts, evidence, backups), coturn's config with the TURN shared secret and the TURN TLS
 * keys that `deploy` writes into deploy/.
 */
export const GITIGNORE = [
  '# Secrets and data never belong in version control.',
  '.env',
  'data/',
  'node_modules/',
  '# Written by strangerchat deploy: the TURN shared secret and the TURN TLS keys.',
  'deploy/turnserver.conf',
  'deploy/turn-certs/',
  '',
].join('\n');

/** An npm package name from an instance name. */
function packageName(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '').slice(0, 60);
  return slug || 'strangerchat-instance';
}

/**
 * The files of a new instance (DESIGN.md's layout), without writing them. `packageJson` adds the
 * instance's package.json (pinned strangerchat, "start": "strangerchat start") and a .gitignore.
 */
export function renderInstance(instance: NewInstance, secrets: InstanceSecrets = {}, options: { packageJson?: boolean; /** package.json's dependency on strangerchat (default: this version). */ strangerchatSpec?: string } = {}): InstanceFile[] {
  const sessionSecret = secrets.sessionSecret ?? generateSecret();
  // Generated whether or not a webhook is set yet: adding one to alerts.webhooks then needs no new secret.
  const webhookSecret = secrets.webhookSecret ?? generateSecret();
  const envLines = (show: (secret: string) => string) => [
    '# Secrets of this instance: never commit or share this file.',
    `STRANGERCHAT_SESSION_SECRET=${show(sessionSecret)}`,
    `STRANGERCHAT_WEBHOOK_SECRET=${show(webhookSecret)}`,
    ...(secrets.turnSecret ? [`STRANGERCHAT_TURN_SECRET=${show(secrets.turnSecret)}`] : []),
    ...(secrets.smtpPassword ? [`STRANGERCHAT_SMTP_PASSWORD=${show(envValue(secrets.smtpPassword))}`] : []),
    ...(secrets.oidcClientSecret ? [`STRANGERCHAT_OIDC_CLIENT_SECRET=${show(envValue(secrets.oidcClientSecret))}`] : []),
    '',
  ];
  const rules = readFileSync(new URL(`instance/rules/${instance.profile}.md`, templatesDir()), 'utf8');
  const files: InstanceFile[] = [{ path: CONFIG_FILE, content: `${JSON.stringify(instanceSettings(instance), null, 2)}\n` }];
  files.push({ path: ENV_FILE, content: envLines((s) => s).join('\n'), mode: 0o600, shown: envLines(() => '<generated>').join('\n') });
  files.push({ path: 'rules.md', content: rules.replaceAll('{{name}}', instance.name) });
  if (options.packageJson) {
    const pkg = {
      name: packageName(instance.name),
      private: true,
      description: `${instance.name}: a strangerchat instance`,
      scripts: {
        start: 'strangerchat start',
        stop: 'strangerchat stop',
        status: 'strangerchat status',
        doctor: 'strangerchat doctor',
        backup: 'strangerchat backup create',
      },
      dependencies: { strangerchat: options.strangerchatSpec ?? packageVersion() },
      engines: { node: '>=22.16' },
    };
    files.push({ path: 'package.json', content: `${JSON.stringify(pkg, null, 2)}\n` });
    files.push({ path: '.gitignore', content: GITIGNORE });
  }
  files.push({ path: 'data/', content: '' });
  return files;
}

/** Writes rendered files into `dir`. Returns the paths written. */
export function writeFiles(dir: string, files: InstanceFile[]): string[] {
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const path = join(dir, file.path);
    if (file.path.endsWith('/')) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    // Remove first: writeFileSync keeps an existing file's mode, and .env must end up 0600.
    if (file.mode !== undefined) rmSync(path, { force: true });
    writeFileSync(path, file.content, file.mode === undefined ? {} : { mode: file.mode });
    if (file.mode !== undefined) chmodSync(path, file.mode);
  }
  return files.map((file) => file.path);
}

/** Writes the config, the secrets (.env, mode 0600), the rules and data/. Returns the files written. */
export function writeInstance(dir: string, instance: NewInstance, secrets: InstanceSecrets = {}, options: { packageJson?: boolean } = {}): string[] {
  return writeFiles(dir, renderInstance(instance, secrets, options));
}

/** Loads and validates an instance's configuration; exits 3 naming the key when invalid. */
export function loadInstanceConfig(ctx: Context, dir: string, overrides?: { host?: string; port?: number }): ServerConfig {
  try {
    return loadConfig({ dir, env: ctx.env, version: packageVersion(), overrides });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, ExitCode.InvalidConfig);
    throw error;
  }
}

export interface OpenInstance {
  dir: string;
  config: ServerConfig;
  db: Db;
  close(): Promise<void>;
}

/**
 * Opens an instance for a command. Unless `allowPending`, refuses (exit 10) while migrations
 * are pending: commands must not write to a schema they do not know.
 */
export async function openInstance(ctx: Context, options: GlobalOptions, opts: { allowPending?: boolean } = {}): Promise<OpenInstance> {
  const dir = resolveInstanceDir(ctx, options);
  const config = loadInstanceConfig(ctx, dir);
  const db = await openDatabase(config.database);
  if (!opts.allowPending) {
    const pending = await pendingMigrations(db);
    if (pending.length) {
      await db.destroy();
      throw new CliError(`${pending.length} migration(s) pending (${pending.join(', ')}); run strangerchat migrate up (or start)`, ExitCode.MigrationsPending);
    }
  }
  return { dir, config, db, close: () => db.destroy() };
}

/** The instance folder and its validated configuration (exit 2 without a folder, 3 when invalid). */
export function instanceConfig(ctx: Context, options: GlobalOptions): { dir: string; config: ServerConfig } {
  const dir = resolveInstanceDir(ctx, options);
  return { dir, config: loadInstanceConfig(ctx, dir) };
}
