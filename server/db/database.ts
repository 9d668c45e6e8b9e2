// Opens the instance database (SQLite by default, PostgreSQL for several nodes) as Kysely.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type PostgresPool } from 'kysely';
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
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: await openPostgresPool(database.url) }) });
}

/** PostgreSQL's type id for int8 (bigint): what `count(*)` returns and what the times are stored as. */
const PG_INT8_OID = 20;

/** The part of the `pg` module used here, so pg stays an optional dependency. */
interface PgModule {
  Pool: new (options: {
    connectionString: string;
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => unknown };
  }) => PostgresPool & { on(event: 'error', listener: (error: Error) => void): unknown };
  types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => unknown };
}

/** A `pg` pool whose int8 values (times in ms, counts) come back as numbers, as on SQLite. */
async function openPostgresPool(url: string): Promise<PostgresPool> {
  // Loaded on demand: pg is only needed by multi-node instances.
  const pgModule = 'pg';
  const { default: pg } = (await import(pgModule).catch(() => {
    throw new Error('the postgres driver needs the "pg" package: npm install pg');
  })) as { default: PgModule };
  // pg returns int8 as a string because it may exceed 2^53; times in ms and row counts never do.
  // Set on this pool only, not through pg.types.setTypeParser, which would change every pg user.
  const parseInt8 = (value: string): number => Number(value);
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === PG_INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format),
  };
  const pool = new pg.Pool({ connectionString: url, types });
  // An idle client that loses its connection (PostgreSQL restarted, a failover) makes the pool
  // emit 'error', which would crash the process unhandled. The pool has already dropped that
  // client; the next query opens a new connection, and a query that fails still reports it.
  pool.on('error', () => {});
  return pool;
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
