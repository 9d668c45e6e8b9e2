// Where an instance keeps its runtime files: all in its data folder, beside the SQLite database.
import { join } from 'node:path';
import type { ServerConfig } from '../server/config.ts';
import { backupsDirFor } from '../server/db/backup.ts';
import { dataDirOf } from '../server/db/data-dir.ts';

export { dataDirOf };

/** data/backups (SQLite only: PostgreSQL is backed up with pg_dump). */
export function backupsDirOf(config: Pick<ServerConfig, 'database' | 'dir'>): string {
  return config.database.driver === 'sqlite' ? backupsDirFor(config.database.path) : join(dataDirOf(config), 'backups');
}

export function pidFilePath(config: Pick<ServerConfig, 'database' | 'dir'>): string {
  return join(dataDirOf(config), 'strangerchat.pid');
}

/** The live figures a running `start` rewrites every few seconds (read by `status`). */
export function statusFilePath(config: Pick<ServerConfig, 'database' | 'dir'>): string {
  return join(dataDirOf(config), 'strangerchat.status.json');
}

/** data/logs: the instance's rotated log files (strangerchat.1.log, strangerchat.2.log, …). */
export function logsDirOf(config: Pick<ServerConfig, 'database' | 'dir'>): string {
  return join(dataDirOf(config), 'logs');
}

/** The log file's name before it is numbered (server/log-file.ts): data/logs/strangerchat.log → strangerchat.N.log. */
export function logFileBase(config: Pick<ServerConfig, 'database' | 'dir'>): string {
  return join(logsDirOf(config), 'strangerchat.log');
}
