// `strangerchat init --reset`: starts an existing instance's settings and rules over, safely. It
// backs up the settings, secrets, rules and database first (data/backups/<stamp>-pre-reset/ and
// <stamp>-pre-reset.db, which `backup restore` takes), says exactly what it replaces, and keeps
// every secret in .env (a lost session secret orphans every device ban and login), the database
// (accounts, bans, reports, audit log) and its owners: a new owner is created only when none is
// left. On a terminal it asks before changing anything; elsewhere it needs --yes.
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { CONFIG_FILE, ENV_FILE, readEnvFile } from '../server/config.ts';
import { backupsDirFor, createBackup } from '../server/db/backup.ts';
import { openDatabase } from '../server/db/database.ts';
import { askInstance, askOwner, createDatabase, validateInstance, nextSteps, type InitAllOptions } from './commands/init.ts';
import { CliError, ExitCode, type Context } from './context.ts';
import { installSource } from './install-source.ts';
import { DEFAULT_DATABASE, envValue, generateSecret, instanceSettings, loadInstanceConfig, renderInstance, writeFiles } from './instance.ts';
import type { Output } from './output.ts';
import { canPrompt, noQuestionReason } from './questions.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One setting that the reset changes. */
export interface SettingChange {
  key: string;
  /** undefined: not set before (or after). */
  from?: Json;
  to?: Json;
}

/** Flattens settings to dotted keys (arrays are values). */
function flatten(value: Json | undefined, prefix = '', out = new Map<string, Json>()): Map<string, Json> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix && value !== undefined) out.set(prefix, value);
  return out;
}

/** What the new settings change in the old file, key by key. */
export function settingChanges(before: Json | undefined, after: Json): SettingChange[] {
  const old = flatten(before);
  const next = flatten(after);
  const keys = [...new Set([...old.keys(), ...next.keys()])].sort();
  return keys
    .filter((key) => JSON.stringify(old.get(key)) !== JSON.stringify(next.get(key)))
    .map((key) => ({ key, ...(old.has(key) ? { from: old.get(key)! } : {}), ...(next.has(key) ? { to: next.get(key)! } : {}) }));
}

function show(value: Json | undefined): string {
  return value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value);
}

/** The active owner accounts of a SQLite database, read-only (none when there is no file yet). */
function sqliteOwners(path: string): string[] | undefined {
  if (!existsSync(path)) return [];
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return (db.prepare("SELECT username FROM moderators WHERE role = 'owner' AND disabled_at IS NULL ORDER BY created_at").all() as Array<{ username: string }>).map((row) => row.username);
    } finally {
      db.close();
    }
  } catch {
    // no moderators table yet (never migrated): no owners
    return [];
  }
}

/** The active owner accounts, through the instance's configured database (none before its first migration). */
async function activeOwners(ctx: Context, dir: string): Promise<string[]> {
  const db = await openDatabase(loadInstanceConfig(ctx, dir).database);
  try {
    const rows = await db.selectFrom('moderators').select('username').where('role', '=', 'owner').where('disabled_at', 'is', null).execute();
    return rows.map((row) => row.username);
  } catch {
    return [];
  } finally {
    await db.destroy();
  }
}

function readJson(path: string): Json | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Json;
  } catch {
    return undefined;
  }
}

/** `<stamp>` as backups name it (2026-11-28T12-00-00-000Z). */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replaceAll(':', '-').replace('.', '-');
}

export async function resetInstance(ctx: Context, options: InitAllOptions, output: Output, dir: string, found: string[]): Promise<void> {
  const configPath = join(dir, CONFIG_FILE);
  const oldSettings = existsSync(configPath) ? readJson(configPath) : undefined;
  if (existsSync(configPath) && oldSettings === undefined) output.warn(`${CONFIG_FILE} is not valid JSON: it is replaced as a whole (the backup keeps it)`);
  const oldObject = oldSettings && typeof oldSettings === 'object' && !Array.isArray(oldSettings) ? oldSettings : {};
  // The data stays where it is: a reset never moves an instance to another database.
  const database = (oldObject.database as Json | undefined) ?? { driver: 'sqlite', path: DEFAULT_DATABASE };
  const sqlitePath =
    database && typeof database === 'object' && !Array.isArray(database) && database.driver === 'sqlite' ? resolve(dir, String(database.path ?? DEFAULT_DATABASE)) : undefined;
  const oldRulesFile = typeof oldObject.rulesFile === 'string' ? oldObject.rulesFile : 'rules.md';

  const { instance, smtpPassword, oidcClientSecret } = await askInstance(ctx, options, dir);
  const env = readEnvFile(dir);
  const addedSecrets: Record<string, string> = {};
  // A password given now is added only where .env has none: a reset never replaces a secret.
  if (instance.smtp?.user && smtpPassword && !env.STRANGERCHAT_SMTP_PASSWORD) addedSecrets.STRANGERCHAT_SMTP_PASSWORD = smtpPassword;
  if (instance.oidc && oidcClientSecret && !env.STRANGERCHAT_OIDC_CLIENT_SECRET) addedSecrets.STRANGERCHAT_OIDC_CLIENT_SECRET = oidcClientSecret;
  if (!env.STRANGERCHAT_SESSION_SECRET) addedSecrets.STRANGERCHAT_SESSION_SECRET = generateSecret();
  if (!env.STRANGERCHAT_WEBHOOK_SECRET) addedSecrets.STRANGERCHAT_WEBHOOK_SECRET = generateSecret();
  if (instance.turnUrls?.length && !env.STRANGERCHAT_TURN_SECRET) addedSecrets.STRANGERCHAT_TURN_SECRET = generateSecret();
  validateInstance(dir, instance, env.STRANGERCHAT_TURN_SECRET ?? addedSecrets.STRANGERCHAT_TURN_SECRET, env.STRANGERCHAT_OIDC_CLIENT_SECRET ?? addedSecrets.STRANGERCHAT_OIDC_CLIENT_SECRET);
  const settings = { ...instanceSettings(instance), database } as Json;
  const changes = settingChanges(oldSettings, settings);

  const source = installSource();
  const rendered = renderInstance(instance, {}, { packageJson: true, strangerchatSpec: source.spec });
  const rules = rendered.find((file) => file.path === 'rules.md')!;
  const oldRules = existsSync(join(dir, oldRulesFile)) ? readFileSync(join(dir, oldRulesFile), 'utf8') : undefined;
  const missing = rendered.filter((file) => (file.path === 'package.json' || file.path === '.gitignore' || file.path === 'data/') && !existsSync(join(dir, file.path)));
  const owners = sqlitePath ? sqliteOwners(sqlitePath) : undefined;

  const replaced = [
    `${CONFIG_FILE}${changes.length ? `: ${changes.length} setting${changes.length === 1 ? '' : 's'} change` : ' (no setting changes)'}`,
    `rules.md: the ${instance.profile} template${oldRules === undefined ? '' : oldRules === rules.content ? ' (the same text)' : ` replaces the current ${oldRulesFile}, with its edits`}`,
  ];
  const kept = [
    `${ENV_FILE}: every secret it holds${Object.keys(addedSecrets).length ? `, adding ${Object.keys(addedSecrets).join(', ')}` : ''}`,
    sqlitePath ? `the database ${sqlitePath}: accounts, bans, reports and the audit log` : 'the PostgreSQL database: accounts, bans, reports and the audit log (take a pg_dump first: only SQLite is backed up here)',
    owners === undefined
      ? 'its owner accounts (an owner is created only if it has none)'
      : owners.length
        ? `its owner account${owners.length === 1 ? '' : 's'} ${owners.join(', ')}${options.owner && !owners.includes(options.owner) ? ` (no ${options.owner} is added: strangerchat mod add ${options.owner} --role owner does that)` : ''}`
        : 'no owner account exists: one is created',
    ...['package.json', '.gitignore'].filter((path) => existsSync(join(dir, path))).map((path) => `${path}, as it is`),
  ];
  const plan = { replaced, kept, changes, added: missing.map((file) => file.path) };
  const lines = [
    `init --reset of ${dir} (found ${found.join(', ')}):`,
    ...replaced.map((line) => `  replaces ${line}`),
    ...changes.map((change) => `             ${change.key}: ${show(change.from)} → ${show(change.to)}`),
    ...kept.map((line) => `  keeps    ${line}`),
    ...(plan.added.length ? [`  adds     ${plan.added.join(', ')}`] : []),
    `  first backs up ${CONFIG_FILE}, ${ENV_FILE}, ${oldRulesFile}${sqlitePath && existsSync(sqlitePath) ? ' and the database' : ''} into ${backupsDirFor(sqlitePath ?? join(dir, DEFAULT_DATABASE))}`,
  ];
  output.say(lines.join('\n'));

  if (options.dryRun) {
    output.result({ dir, reset: true, dryRun: true, ...plan, backup: null, owner: null }, () => '');
    output.say('Dry run: nothing was written.');
    return;
  }
  if (canPrompt(ctx, options)) {
    const sure = await ctx.prompt.confirm({ message: `Reset the settings and rules of ${dir} as above?`, default: false });
    if (!sure) throw new CliError('nothing was changed', ExitCode.Error, 'cancelled');
  } else if (!options.yes) {
    throw new CliError(`--reset changes the settings and rules: confirm with --yes (${noQuestionReason(ctx, options)}); see --dry-run for what it does`, ExitCode.Usage);
  }

  // The backup, before anything is written.
  const now = Date.now();
  const backupsDir = backupsDirFor(sqlitePath ?? join(dir, DEFAULT_DATABASE));
  const databaseBackup = sqlitePath && existsSync(sqlitePath) ? await createBackup({ databasePath: sqlitePath, dir: backupsDir, now, label: 'pre-reset' }) : undefined;
  const filesBackup = join(backupsDir, databaseBackup ? databaseBackup.name.replace(/\.db$/, '') : `${stamp(now)}-pre-reset`);
  mkdirSync(filesBackup, { recursive: true, mode: 0o700 });
  chmodSync(filesBackup, 0o700);
  const savedFiles: string[] = [];
  for (const path of [CONFIG_FILE, ENV_FILE, oldRulesFile]) {
    if (!existsSync(join(dir, path))) continue;
    const target = join(filesBackup, path.replaceAll('/', '_'));
    copyFileSync(join(dir, path), target);
    chmodSync(target, 0o600);
    savedFiles.push(target);
  }
  if (!sqlitePath) output.warn('this instance uses PostgreSQL: its database was not backed up here (pg_dump); the reset does not change it unless it creates an owner');

  // .env: the old text, untouched, and only the secrets it lacked appended.
  const envPath = join(dir, ENV_FILE);
  const oldEnv = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '# Secrets of this instance: never commit or share this file.\n';
  const newEnv = `${oldEnv}${oldEnv.endsWith('\n') || oldEnv === '' ? '' : '\n'}${Object.entries(addedSecrets).map(([key, value]) => `${key}=${envValue(value)}\n`).join('')}`;
  writeFiles(dir, [
    { path: CONFIG_FILE, content: `${JSON.stringify(settings, null, 2)}\n` },
    { path: ENV_FILE, content: newEnv, mode: 0o600 },
    rules,
    ...missing,
  ]);
  // Owners as the database says now (PostgreSQL could not be read before): one is created only when none is left.
  const owner = (await activeOwners(ctx, dir)).length === 0 ? await askOwner(ctx, options) : undefined;
  const generated = owner ? await createDatabase(ctx, dir, owner) : undefined;
  const result = {
    dir,
    reset: true,
    dryRun: false,
    ...plan,
    backup: { dir: filesBackup, files: savedFiles, database: databaseBackup?.name ?? null },
    owner: owner ? { username: owner.username, password: generated ?? null, passwordGenerated: generated !== undefined } : null,
  };
  output.result(result, () =>
    [
      `reset ${dir} (profile ${instance.profile}, access ${instance.accessMode})`,
      `backup ${filesBackup}${databaseBackup ? ` and ${join(backupsDir, databaseBackup.name)}` : ''}`,
      ...(owner ? [`owner ${owner.username}`, ...(generated ? [`one-time password ${generated}`] : [])] : []),
    ].join('\n'),
  );
  output.say(
    `To undo: copy the files of ${filesBackup} back${databaseBackup ? ` and strangerchat backup restore ${databaseBackup.name}` : ''}. Restart a running server for the new settings.`,
  );
  if (owner) output.say(nextSteps(ctx.cwd, dir, instance, owner.username, generated !== undefined, source));
}
