// `strangerchat update [--check] [--to VERSION] [--rollback]`: the strangerchat an instance pins
// in its package.json, moved to a newer version from the registry (through npm, with the
// operator's npm settings): a backup of the database first, the package installed into the
// instance, the new version's migrations, and a restart when it was running. Each update leaves a
// record in data/updates (the package files before it, its backup, the migrations applied
// before it), which --rollback uses to return to the previous version — restoring the backup only
// when the update's migrations changed the database, after a confirmation.
// Everything this command uses is imported up front: `npm install` replaces the files of the
// strangerchat running it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { sql } from 'kysely';
import semver from 'semver';
import { z } from 'zod';
import type { ServerConfig } from '../../server/config.ts';
import { createBackup, restoreBackup } from '../../server/db/backup.ts';
import { openDatabase } from '../../server/db/database.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { formatTime, Output, type GlobalOptions } from '../output.ts';
import { backupsDirOf, dataDirOf } from '../paths.ts';
import { readRunning, type PidInfo } from '../pidfile.ts';
import { canPrompt } from '../questions.ts';
import {
  availableUpdate,
  checkForUpdate,
  currentVersion,
  installedVersion,
  NPM_INSTALL_TIMEOUT_MS,
  PACKAGE,
  pinnedVersion,
  readUpdateCheck,
  runNpm,
  writeUpdateCheck,
  type NpmResult,
  type NpmRunner,
} from '../updates.ts';
import { packageVersion } from '../version.ts';
import { binFor, defaultRestartDeps, startInBackground, type RestartDeps, type RestartResult } from './restart.ts';
import { parseSeconds, terminate } from './stop.ts';

const MIGRATE_TIMEOUT_MS = 10 * 60 * 1000;
/** Lines of npm's output quoted when it fails. */
const QUOTED_LINES = 12;

export interface UpdateOptions extends GlobalOptions {
  check?: boolean;
  to?: string;
  rollback?: boolean;
  timeout?: number;
}

export interface UpdateDeps {
  npm: NpmRunner;
  /** Runs a Node script (the installed strangerchat's bin) to its end. */
  node(args: string[], options: { cwd: string; env: Record<string, string | undefined>; timeoutMs: number }): Promise<NpmResult>;
  restart: RestartDeps;
}

export const defaultUpdateDeps: UpdateDeps = {
  npm: runNpm,
  node: (args, { cwd, env, timeoutMs }) =>
    new Promise((resolve) => {
      execFile(process.execPath, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) || (error ? `${error.message}\n` : '') });
      });
    }),
  restart: defaultRestartDeps,
};

/** data/updates/<stamp>.json: what an update changed, for --rollback. */
const UpdateRecord = z.object({
  at: z.number(),
  from: z.string(),
  to: z.string(),
  /** The database backup taken first (null with PostgreSQL). */
  backup: z.string().nullable(),
  /** The migrations the database had before the update. */
  migrationsBefore: z.array(z.string()),
  packageJson: z.string(),
  packageLock: z.string().nullable(),
  rolledBackAt: z.number().nullable(),
});
type UpdateRecord = z.infer<typeof UpdateRecord>;

export function registerUpdate(program: Command, ctx: Context, deps: UpdateDeps = defaultUpdateDeps): void {
  const command = program
    .command('update')
    .description('update the strangerchat this instance pins to the newest (or --to) version: backup, npm install into the instance, migrations, restart; --rollback returns to the version before')
    .option('--check', 'only ask the registry whether a newer version exists (status shows the last answer)')
    .option('--to <version>', 'this version instead of the newest (not older than the current one: use --rollback)')
    .option('--rollback', 'return to the version before the last update (and to its database backup, when the update migrated the database)')
    .option('--timeout <seconds>', 'how long the stop and the start of a running instance may each take', parseSeconds)
    .action(async (_o: UpdateOptions, command: Command) => update(ctx, command.optsWithGlobals<UpdateOptions>(), deps));
  withNotes(
    command,
    'Notes',
    [
      'The registry is asked through npm in the instance folder, so .npmrc, npm_config_registry and',
      'proxy settings apply. A running instance is stopped only after the install succeeded, then',
      'started again in the background (under systemd: restart the service yourself).',
      '--rollback restores the database backup only when the update applied migrations; what was',
      'written since is then kept aside as a pre-restore backup. It asks first (--yes to confirm).',
    ].join('\n'),
  );
  withExamples(command, ['strangerchat update --check', 'strangerchat update', 'strangerchat update --to 0.2.1 --json', 'strangerchat update --rollback --yes']);
}

export async function update(ctx: Context, options: UpdateOptions, deps: UpdateDeps = defaultUpdateDeps): Promise<void> {
  const output = new Output(ctx, options);
  const given = (['check', 'to', 'rollback'] as const).filter((flag) => options[flag] !== undefined);
  if (given.length > 1) throw new CliError(`${given.map((f) => `--${f}`).join(' and ')} cannot be combined`, ExitCode.Usage);
  if (options.to !== undefined && !semver.valid(options.to)) throw new CliError(`--to: "${options.to}" is not a version (e.g. 0.2.1)`, ExitCode.Usage);
  const { dir, config } = instanceConfig(ctx, options);
  if (!pinnedVersion(dir)) {
    throw new CliError(
      `${join(dir, 'package.json')} does not pin ${PACKAGE}, so there is nothing to update here (an instance made by strangerchat init has one); with a global strangerchat, update it with npm install --global ${PACKAGE}`,
    );
  }
  const current = currentVersion(dir, packageVersion());
  if (options.rollback) return rollback(ctx, options, deps, dir, config, current, output);

  output.progress('Asking the registry…');
  const found = await checkForUpdate(config, current, ctx.env, { npm: deps.npm });
  if (found.error) throw new CliError(`${found.error}; check your network and npm's registry setting (npm config get registry)`);
  const newer = availableUpdate(found, current);
  if (options.check) {
    output.result({ current, latest: found.latest, updateAvailable: newer !== undefined, checkedAt: found.checkedAt }, () =>
      newer ? `${PACKAGE} ${newer} is available (this instance runs ${current}): strangerchat update` : `${PACKAGE} ${current} is the newest version`,
    );
    return;
  }
  const target = options.to ?? found.latest!;
  if (semver.lt(target, current)) throw new CliError(`${target} is older than ${current}: to go back, use strangerchat update --rollback`, ExitCode.Usage);
  if (options.to && !found.versions.includes(target)) throw new CliError(`the registry has no ${PACKAGE} ${target} (the newest is ${found.latest})`);
  if (semver.eq(target, current)) {
    output.result({ updated: false, from: current, to: current, backup: null, migrations: [], restarted: null }, () => `${PACKAGE} ${current} is already installed`);
    return;
  }
  const running = readRunning(config);
  if (running?.pid === process.pid) throw new CliError('refusing to update the instance this very process runs');

  // 1. A backup, and the record --rollback needs, before anything changes.
  const at = Date.now();
  const backup = await backupFirst(config, at, output);
  const record: UpdateRecord = {
    at,
    from: current,
    to: target,
    backup,
    migrationsBefore: await appliedMigrations(config),
    packageJson: readFileSync(join(dir, 'package.json'), 'utf8'),
    packageLock: existsSync(join(dir, 'package-lock.json')) ? readFileSync(join(dir, 'package-lock.json'), 'utf8') : null,
    rolledBackAt: null,
  };
  const recordPath = writeRecord(config, record);

  // 2. The install, while the instance still runs: a failure changes nothing.
  output.progress(`Installing ${PACKAGE}@${target}…`);
  const installed = await deps.npm(['install', `${PACKAGE}@${target}`, '--save-exact', '--no-audit', '--no-fund'], { cwd: dir, env: ctx.env, timeoutMs: NPM_INSTALL_TIMEOUT_MS });
  if (installed.code !== 0 || installedVersion(dir) !== target) {
    rmSync(recordPath, { force: true });
    throw new CliError(`npm install ${PACKAGE}@${target} failed${running ? ' (the instance keeps running the old version)' : ''}:\n${quote(installed)}`);
  }

  // 3. Under systemd the service is restarted through systemd; start applies the migrations.
  if (running?.supervisor) {
    const restartWith = `sudo systemctl restart ${running.supervisor.unit}`;
    writeUpdateCheck(config, { checkedAt: Date.now(), current: target, latest: found.latest, error: null });
    output.result({ updated: true, from: current, to: target, backup, migrations: [], restarted: null, restartWith }, () => `installed ${PACKAGE} ${target} (was ${current})`);
    output.say(`Now restart the service: ${restartWith} (start backs up the database and applies the new migrations).`);
    return;
  }

  // 4. Stop, migrate with the new version, start again.
  if (running) {
    output.progress(`Stopping pid ${running.pid}…`);
    await terminate(running, (options.timeout ?? 30) * 1000);
  }
  const migrations = await migrateWithInstalled(ctx, deps, dir, target, current, backup, running);
  const restarted = running ? await startAgain(ctx, deps, dir, config, running, options.timeout, output) : null;
  writeUpdateCheck(config, { checkedAt: Date.now(), current: target, latest: found.latest, error: null });
  output.result({ updated: true, from: current, to: target, backup, migrations, restarted }, () =>
    [
      `updated ${PACKAGE} ${current} → ${target}`,
      `backup ${backup ?? '- (PostgreSQL: pg_dump)'}`,
      `migrations ${migrations.length ? migrations.join(', ') : 'none'}`,
      ...(restarted ? [`restarted pid ${restarted.previousPid} → ${restarted.pid}, ${restarted.url}`] : []),
    ].join('\n'),
  );
  output.say(`To return to ${current}: strangerchat update --rollback.`);
}

async function backupFirst(config: ServerConfig, at: number, output: Output): Promise<string | null> {
  if (config.database.driver !== 'sqlite') {
    output.warn('this instance uses PostgreSQL: take a pg_dump before updating if you have not (strangerchat backs up SQLite only)');
    return null;
  }
  if (!existsSync(config.database.path)) return null;
  output.progress('Backing up the database…');
  return (await createBackup({ databasePath: config.database.path, dir: backupsDirOf(config), now: at, label: 'pre-update' })).name;
}

/** `migrate up` with the strangerchat now installed in the instance: its migrations, its code. */
async function migrateWithInstalled(ctx: Context, deps: UpdateDeps, dir: string, target: string, previous: string, backup: string | null, running: PidInfo | undefined): Promise<string[]> {
  const result = await deps.node([binFor(dir), 'migrate', 'up', '-C', dir, '--json'], { cwd: dir, env: ctx.env, timeoutMs: MIGRATE_TIMEOUT_MS });
  if (result.code !== 0) {
    throw new CliError(
      `the migrations of ${PACKAGE} ${target} failed${running ? ', and the instance is stopped' : ''}:\n${quote(result)}\n` +
        `Return to ${previous}${backup ? ` and the backup ${backup}` : ''} with strangerchat update --rollback.`,
    );
  }
  try {
    return (JSON.parse(result.stdout) as { applied?: string[] }).applied ?? [];
  } catch {
    return [];
  }
}

async function startAgain(ctx: Context, deps: UpdateDeps, dir: string, config: ServerConfig, running: PidInfo, timeoutS: number | undefined, output: Output): Promise<RestartResult> {
  output.progress('Starting it again…');
  const started = await startInBackground(ctx, dir, config, running.startOptions, deps.restart, timeoutS);
  return { restarted: true, previousPid: running.pid, pid: started.pid, url: started.url, version: started.version };
}

async function rollback(ctx: Context, options: UpdateOptions, deps: UpdateDeps, dir: string, config: ServerConfig, current: string, output: Output): Promise<void> {
  const found = latestRecord(config);
  if (!found) throw new CliError(`there is no update to roll back (${updatesDir(config)} holds none)`);
  const { record, path } = found;
  const running = readRunning(config);
  if (running?.supervisor) {
    const unit = running.supervisor.unit;
    throw new CliError(`this instance runs under systemd (${unit}): stop it first (sudo systemctl stop ${unit}), then run strangerchat update --rollback, then sudo systemctl start ${unit}`);
  }
  if (running?.pid === process.pid) throw new CliError('refusing to roll back the instance this very process runs');
  // The update's own migrations are undone only by its backup, which loses what was written since: asked first.
  const added = (await appliedMigrations(config)).filter((name) => !record.migrationsBefore.includes(name));
  if (added.length) {
    if (!record.backup) {
      throw new CliError(`the update applied migrations (${added.join(', ')}) that ${PACKAGE} ${record.from} does not know, and there is no backup (PostgreSQL): restore your pg_dump from before ${formatTime(record.at)} first`);
    }
    const question = `Roll back to ${record.from}: the database returns to the backup ${record.backup} taken at ${formatTime(record.at)}; what was written since (reports, bans, accounts, audit entries) is set aside as a pre-restore backup. Continue?`;
    const confirmed = options.yes || (canPrompt(ctx, options) && (await ctx.prompt.confirm({ message: question, default: false })));
    if (!confirmed) {
      if (!canPrompt(ctx, options)) throw new CliError(`${question.replace(/ Continue\?$/, '')} Pass --yes to confirm.`, ExitCode.Usage);
      throw new CliError('nothing was changed');
    }
  }
  if (running) {
    output.progress(`Stopping pid ${running.pid}…`);
    await terminate(running, (options.timeout ?? 30) * 1000);
  }
  output.progress(`Installing ${PACKAGE}@${record.from}…`);
  writeFileSync(join(dir, 'package.json'), record.packageJson);
  if (record.packageLock !== null) writeFileSync(join(dir, 'package-lock.json'), record.packageLock);
  const args = record.packageLock !== null ? ['install', '--no-audit', '--no-fund'] : ['install', `${PACKAGE}@${record.from}`, '--save-exact', '--no-audit', '--no-fund'];
  const installed = await deps.npm(args, { cwd: dir, env: ctx.env, timeoutMs: NPM_INSTALL_TIMEOUT_MS });
  if (installed.code !== 0 || installedVersion(dir) !== record.from) {
    throw new CliError(`npm install of ${PACKAGE} ${record.from} failed; package.json pins it again, so npm install in ${dir} finishes the rollback:\n${quote(installed)}`);
  }
  let restored: { name: string; keptAs: string | null } | null = null;
  if (added.length && record.backup && config.database.driver === 'sqlite') {
    const result = await restoreBackup({ databasePath: config.database.path, dir: backupsDirOf(config), name: record.backup, now: Date.now() });
    restored = { name: result.restored.name, keptAs: result.previous?.name ?? null };
  }
  const restarted = running ? await startAgain(ctx, deps, dir, config, running, options.timeout, output) : null;
  writeFileSync(path, `${JSON.stringify({ ...record, rolledBackAt: Date.now() }, null, 2)}\n`);
  // The version rolled back from still exists: status keeps offering it.
  const cached = readUpdateCheck(config);
  writeUpdateCheck(config, { checkedAt: cached?.checkedAt ?? Date.now(), current: record.from, latest: cached?.latest ?? record.to, error: cached?.error ?? null });
  output.result({ rolledBack: true, from: current, to: record.from, databaseRestored: restored?.name ?? null, keptAs: restored?.keptAs ?? null, restarted }, () =>
    [
      `rolled back ${PACKAGE} ${current} → ${record.from}`,
      restored ? `database restored from ${restored.name} (the one it replaced: ${restored.keptAs ?? '-'})` : 'database kept as it is (the update applied no migration)',
      ...(restarted ? [`restarted pid ${restarted.previousPid} → ${restarted.pid}, ${restarted.url}`] : []),
    ].join('\n'),
  );
}

function updatesDir(config: ServerConfig): string {
  return join(dataDirOf(config), 'updates');
}

function writeRecord(config: ServerConfig, record: UpdateRecord): string {
  mkdirSync(updatesDir(config), { recursive: true });
  const path = join(updatesDir(config), `${new Date(record.at).toISOString().replace(/[:.]/g, '-')}-${record.from}-to-${record.to}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** The newest update not rolled back yet. */
function latestRecord(config: ServerConfig): { record: UpdateRecord; path: string } | undefined {
  const dir = updatesDir(config);
  if (!existsSync(dir)) return undefined;
  const records = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => {
      try {
        const parsed = UpdateRecord.safeParse(JSON.parse(readFileSync(join(dir, name), 'utf8')));
        return parsed.success ? [{ record: parsed.data, path: join(dir, name) }] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.record.at - b.record.at);
  const last = records.at(-1);
  return last && last.record.rolledBackAt === null ? last : undefined;
}

/** The migrations recorded as applied in the database (Kysely's table); none for a new database. */
async function appliedMigrations(config: ServerConfig): Promise<string[]> {
  if (config.database.driver === 'sqlite' && !existsSync(config.database.path)) return [];
  const db = await openDatabase(config.database);
  try {
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    return rows.rows.map((row) => row.name);
  } catch {
    return [];
  } finally {
    await db.destroy();
  }
}

function quote(result: NpmResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean).slice(-QUOTED_LINES);
  return lines.map((line) => `  ${line}`).join('\n') || `  (npm exited with ${result.code} and said nothing)`;
}
