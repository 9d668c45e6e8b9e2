// What runs before migrations (in `start` and `migrate up`): a backup of the database, so an
// upgrade whose migrations go wrong can be undone with `strangerchat backup restore`.
import { existsSync } from 'node:fs';
import type { ServerConfig } from '../server/config.ts';
import type { Db } from '../server/db/database.ts';
import { createBackup, type BackupInfo } from '../server/db/backup.ts';
import { createMigrator } from '../server/db/migrate.ts';
import type { Context } from './context.ts';
import { backupsDirOf } from './paths.ts';

/** What the hook reports through: start's pino logger, or prose for `migrate up`. */
export interface HookLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * Backs up the database before pending migrations run. Nothing to protect (a database no
 * migration has touched yet) means no backup; PostgreSQL is pg_dump's job and gets a warning.
 */
export async function backupBeforeMigrations(
  _ctx: Pick<Context, 'env'>,
  config: ServerConfig,
  db: Db,
  pending: string[],
  logger: HookLogger,
): Promise<BackupInfo | undefined> {
  if (pending.length === 0) return undefined;
  if (config.database.driver !== 'sqlite') {
    logger.warn({ pending }, 'migrations pending on PostgreSQL: take a pg_dump first if you have not (strangerchat backs up SQLite only)');
    return undefined;
  }
  if (!existsSync(config.database.path)) return undefined;
  const applied = (await createMigrator(db).getMigrations()).filter((migration) => migration.executedAt);
  if (applied.length === 0) return undefined;
  const backup = await createBackup({ databasePath: config.database.path, dir: backupsDirOf(config), now: Date.now(), label: 'pre-migrate' });
  logger.info({ pending, backup: backup.name }, 'database backed up before migrating');
  return backup;
}
