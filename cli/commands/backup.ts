// `strangerchat backup create|list|restore|prune`: online snapshots of the SQLite database with a
// checksum and the head of their audit chain (server/db/backup.ts); a restore sets the data
// folder's audit head to the restored chain's end. PostgreSQL is pg_dump's job, and these
// commands say so.
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { ServerConfig } from '../../server/config.ts';
import { BACKUP_NAME, BackupError, createBackup, listBackups, pruneBackups, restoreBackup, type BackupInfo } from '../../server/db/backup.ts';
import type { AuditHead } from '../../server/protocol/moderation.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, table, type GlobalOptions } from '../output.ts';
import { backupsDirOf } from '../paths.ts';
import { readRunning } from '../pidfile.ts';
import { formatBytes } from './status.ts';

export const PG_DUMP_ADVICE =
  'this instance uses PostgreSQL: back it up with pg_dump, e.g. pg_dump --format=custom --file=strangerchat.dump "$STRANGERCHAT_DATABASE_URL", and restore with pg_restore (strangerchat backup covers the embedded SQLite database only)';

export function registerBackup(program: Command, ctx: Context): void {
  const backup = program.command('backup').description('snapshots of the SQLite database: create, list, restore, prune');
  withExamples(backup, ['strangerchat backup create', 'strangerchat backup list', 'strangerchat backup restore 2026-11-28T12-00-00-000Z.db']);

  const create = backup
    .command('create')
    .description('take an online snapshot (VACUUM INTO, safe while the server runs) into data/backups/ with a SHA-256 checksum file and the head of its audit log (<name>.audit-head.json)')
    .action(async (_o: GlobalOptions, command: Command) => backupCreate(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(create, ['strangerchat backup create', 'strangerchat backup create --json | jq -r .name']);

  const list = backup
    .command('list')
    .description('list the backups, oldest first, with size, time and whether each still matches its checksum')
    .action(async (_o: GlobalOptions, command: Command) => backupList(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(list, ['strangerchat backup list', 'strangerchat backup list --json']);

  const restore = backup
    .command('restore')
    .argument('<name>', 'the backup to restore, as backup list shows it')
    .description("replace the database with a backup (server stopped): verifies the checksum and the backup's audit head, keeps a copy of the current database first, and sets the data folder's audit head to the restored log's end")
    .action(async (name: string, _o: GlobalOptions, command: Command) => backupRestore(ctx, command.optsWithGlobals<GlobalOptions>(), name));
  withExamples(restore, ['strangerchat stop && strangerchat backup restore 2026-11-28T12-00-00-000Z.db && strangerchat start']);

  const prune = backup
    .command('prune')
    .description('keep the newest N backups and delete the others')
    .requiredOption('--keep <count>', 'how many of the newest backups to keep (1 or more)', parseKeep)
    .action(async (_o: PruneOptions, command: Command) => backupPrune(ctx, command.optsWithGlobals<PruneOptions>()));
  withExamples(prune, ['strangerchat backup prune --keep 7']);
}

interface PruneOptions extends GlobalOptions {
  keep: number;
}

function parseKeep(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`--keep must be a whole number of at least 1, got "${value}"`, ExitCode.Usage);
  return Number(value);
}

/** The SQLite instance's config and database path; PostgreSQL exits 1 with pg_dump advice. */
function sqliteInstance(ctx: Context, options: GlobalOptions): { config: ServerConfig; databasePath: string; dir: string } {
  const { config } = instanceConfig(ctx, options);
  if (config.database.driver !== 'sqlite') throw new CliError(PG_DUMP_ADVICE);
  return { config, databasePath: config.database.path, dir: backupsDirOf(config) };
}

function shape(backup: BackupInfo) {
  return {
    name: backup.name,
    path: backup.path,
    createdAt: backup.createdAt,
    sizeBytes: backup.sizeBytes,
    label: backup.label,
    sha256: backup.sha256,
    checksum: backup.checksum ?? null,
    /** The newest audit entry in the backup; null for an empty log or a backup taken before this was recorded. */
    auditHead: backup.auditHead === undefined || backup.auditHead === 'damaged' ? null : backup.auditHead,
  };
}

function headText(head: AuditHead | null): string {
  return head ? `entry ${head.id} ${head.hash}` : 'empty';
}

/** Backup errors are the user's to fix (a damaged file, a wrong name): exit 1 with the message. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof BackupError) throw new CliError(error.message);
    throw error;
  }
}

export async function backupCreate(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const { databasePath, dir } = sqliteInstance(ctx, options);
  const backup = await guarded(() => createBackup({ databasePath, dir, now: Date.now() }));
  const head = backup.auditHead === undefined || backup.auditHead === 'damaged' ? null : backup.auditHead;
  output.result(shape(backup), () => `${backup.name}  ${formatBytes(backup.sizeBytes)}  sha256 ${backup.sha256}\naudit head ${headText(head)}\n(in ${dir})`);
}

export async function backupList(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const { dir } = sqliteInstance(ctx, options);
  const backups = await listBackups(dir, { verify: true });
  output.result({ dir, backups: backups.map(shape) }, () => {
    if (backups.length === 0) return `no backups yet in ${dir} (strangerchat backup create)`;
    const c = output.out;
    const state = (b: BackupInfo) => (b.checksum === 'ok' ? c.green('ok') : b.checksum === 'mismatch' ? c.red('MISMATCH') : c.yellow('no checksum'));
    return table(
      ['name', 'size', 'taken', 'checksum'],
      backups.map((b) => [b.name, formatBytes(b.sizeBytes), output.time(b.createdAt), state(b)]),
    );
  });
  if (backups.some((b) => b.checksum === 'mismatch')) output.warn('a backup no longer matches its checksum: it is damaged or was changed; do not restore it');
}

export async function backupRestore(ctx: Context, options: GlobalOptions, name: string): Promise<void> {
  const output = new Output(ctx, options);
  const { config, databasePath, dir } = sqliteInstance(ctx, options);
  const file = name.endsWith('.db') ? name : `${name}.db`;
  if (basename(file) !== file || !BACKUP_NAME.test(file)) {
    throw new CliError(`<name>: "${name.slice(0, 80)}" is not a backup name (e.g. 2026-11-28T12-00-00-000Z.db, as backup list shows it)`, ExitCode.Usage);
  }
  const running = readRunning(config);
  if (running) throw new CliError(`the server is running (pid ${running.pid}): stop it first (strangerchat stop), then restore, then start`);
  const result = await guarded(() => restoreBackup({ databasePath, dir, name, now: Date.now() }));
  output.result({ restored: shape(result.restored), previous: result.previous ? shape(result.previous) : null, auditHead: result.auditHead }, () =>
    [
      `restored ${result.restored.name}`,
      result.previous ? `the database it replaced is kept as ${result.previous.name}` : '',
      `audit head ${headText(result.auditHead.after)} (was ${headText(result.auditHead.before)})`,
    ]
      .filter(Boolean)
      .join('\n'),
  );
  // The chain was rewound on purpose: a witness holding a newer hash must be told.
  if (result.auditHead.before && result.auditHead.before.hash !== result.auditHead.after?.hash) {
    output.say('The audit log now ends where the backup did: give your outside witness the new head (strangerchat audit head).');
  }
}

export async function backupPrune(ctx: Context, options: PruneOptions): Promise<void> {
  const output = new Output(ctx, options);
  const { dir } = sqliteInstance(ctx, options);
  const { kept, removed } = pruneBackups(dir, options.keep);
  output.result({ kept: kept.map((b) => b.name), removed: removed.map((b) => b.name) }, () =>
    `removed ${removed.length} backup(s), kept ${kept.length}${removed.length ? `:\n${removed.map((b) => `  - ${b.name}`).join('\n')}` : ''}`,
  );
}
