// Instance folders: finding one (never a silent guess), writing one (the layout of DESIGN.md),
// and opening one's configuration and database for a command.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CONFIG_FILE, ConfigError, ENV_FILE, loadConfig, type ServerConfig } from '../server/config.ts';
import { openDatabase, type Db } from '../server/db/database.ts';
import { pendingMigrations } from '../server/db/migrate.ts';
import { CliError, ExitCode, type Context } from './context.ts';
import type { GlobalOptions } from './output.ts';
import { packageVersion, templatesDir } from './version.ts';

export type ProfileName = 'school' | 'community' | 'adult';
export type AccessModeName = 'open' | 'invite' | 'email';

export interface NewInstance {
  name: string;
  profile: ProfileName;
  accessMode: AccessModeName;
  port: number;
  host?: string;
  publicUrl?: string;
  emailDomains?: string[];
  turnUrls?: string[];
}

export const DEFAULT_INSTANCE: NewInstance = { name: 'strangerchat', profile: 'community', accessMode: 'open', port: 8080 };

/** True when the folder is missing or holds nothing (hidden files included). */
export function isEmptyFolder(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

export function isInstanceFolder(dir: string): boolean {
  return existsSync(join(dir, CONFIG_FILE));
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

/** Writes the config, the secrets (.env, mode 0600), the rules and data/. Returns the files written. */
export function writeInstance(dir: string, instance: NewInstance, secrets: { turnSecret?: string } = {}): string[] {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const settings: Record<string, unknown> = {
    name: instance.name,
    profile: instance.profile,
    accessMode: instance.accessMode,
    ...(instance.publicUrl ? { publicUrl: instance.publicUrl } : {}),
    rulesFile: 'rules.md',
    server: { host: instance.host ?? '127.0.0.1', port: instance.port },
    database: { driver: 'sqlite', path: 'data/strangerchat.db' },
    ...(instance.emailDomains?.length ? { email: { domains: instance.emailDomains } } : {}),
    ...(instance.turnUrls?.length ? { turn: { urls: instance.turnUrls } } : {}),
  };
  writeFileSync(join(dir, CONFIG_FILE), `${JSON.stringify(settings, null, 2)}\n`);
  const lines = [
    '# Secrets of this instance: never commit or share this file.',
    `STRANGERCHAT_SESSION_SECRET=${randomBytes(32).toString('base64url')}`,
  ];
  if (secrets.turnSecret) lines.push(`STRANGERCHAT_TURN_SECRET=${secrets.turnSecret}`);
  writeFileSync(join(dir, ENV_FILE), `${lines.join('\n')}\n`, { mode: 0o600 });
  const rules = readFileSync(new URL(`instance/rules/${instance.profile}.md`, templatesDir()), 'utf8');
  writeFileSync(join(dir, 'rules.md'), rules.replaceAll('{{name}}', instance.name));
  return [CONFIG_FILE, ENV_FILE, 'rules.md', 'data/'];
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
