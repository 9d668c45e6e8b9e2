// The data folder: where an instance keeps its runtime files beside (or, with PostgreSQL, instead
// of) the database file. One rule for the server and the CLI.
import { dirname, join } from 'node:path';
import type { ServerConfig } from '../config.ts';

/** The SQLite file's folder, or data/ of the instance with PostgreSQL (each node has its own). */
export function dataDirOf(config: Pick<ServerConfig, 'database' | 'dir'>): string {
  return config.database.driver === 'sqlite' ? dirname(config.database.path) : join(config.dir, 'data');
}
