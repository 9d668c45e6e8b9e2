// What `start` does before migrating: a backup of the database, so an upgrade can be undone.
import type { ServerConfig } from '../server/config.ts';
import type { Db } from '../server/db/database.ts';
import type { Logger } from '../server/logger.ts';
import type { Context } from './context.ts';

/** Placeholder until the backup module lands: the CLI issue replaces this with a real snapshot. */
export async function backupBeforeMigrations(_ctx: Context, _config: ServerConfig, _db: Db, pending: string[], logger: Logger): Promise<void> {
  logger.info({ pending }, 'migrations pending');
}
