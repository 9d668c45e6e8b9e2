// Opens the instance database (SQLite by default, PostgreSQL for several nodes) as Kysely.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { ServerConfig } from '../config.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite-adapter.ts';

export type Db = Kysely<Database>;

/** Opens the configured database. The caller owns it and calls `destroy()`. */
export async function openDatabase(database: ServerConfig['database']): Promise<Db> {
  if (database.driver === 'sqlite') {
    mkdirSync(dirname(database.path), { recursive: true });
    const sqlite = openSqlite(database.path);
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  // Loaded on demand: pg is only needed by multi-node instances.
  const pgModule = 'pg';
  const { default: pg } = (await import(pgModule).catch(() => {
    throw new Error('the postgres driver needs the "pg" package: npm install pg');
  })) as { default: { Pool: new (options: { connectionString: string }) => unknown } };
  const { PostgresDialect } = await import('kysely');
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) as never }),
  });
}

/** True when the database answers a trivial query. */
export async function pingDatabase(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
