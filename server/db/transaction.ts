// One write transaction, the same way on both engines: the authorisation read, the change and its
// audit entry commit together or not at all.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, SqliteAdapter, sql } from 'kysely';
import type { Db } from './database.ts';
import { isSqliteBusy } from './errors.ts';
import { SQLITE_BUSY_TIMEOUT_MS } from './sqlite-adapter.ts';

/** The longest pause between two tries for SQLite's write lock. */
const LOCK_RETRY_MAX_MS = 20;
/**
 * PostgreSQL advisory lock serialising the ordered writes across nodes, as SQLite's write lock does
 * across processes: the audit chain's appends and the moderation feed's rows (whose ids are then
 * committed in increasing order, so the feed can be read by id).
 */
export const ORDERED_WRITES_LOCK_ID = 0x5c_a0d17;

// Compiled once: every new session runs them (Kysely compiles a `sql` template on each execution).
const NO_BUSY_WAIT = CompiledQuery.raw('pragma busy_timeout = 0');
const BUSY_WAIT = CompiledQuery.raw(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** True on the embedded SQLite database (Kysely's adapter says which dialect a Db speaks). */
export function isSqlite(db: Db): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/**
 * Runs `work` in one transaction and commits it, or rolls it back when `work` throws. `work` must
 * use `trx` only: SQLite has one connection, which the transaction holds.
 *
 * On SQLite the write lock is taken at BEGIN (IMMEDIATE), so what `work` reads cannot be
 * overtaken by another connection's write before its own. While another connection holds the
 * lock, BEGIN is tried again after a short asynchronous pause rather than SQLite's own busy wait:
 * that wait blocks the thread, and when the holder is a connection of this same process (tests,
 * embedding) it could never finish.
 */
export async function writeTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  if (!isSqlite(db)) return db.transaction().execute(work);
  return db.connection().execute(async (connection) => {
    await connection.executeQuery(NO_BUSY_WAIT);
    try {
      for (let waited = 0, attempt = 1; ; attempt++) {
        try {
          await connection.executeQuery(BEGIN_IMMEDIATE);
          break;
        } catch (error) {
          if (!isSqliteBusy(error) || waited >= SQLITE_BUSY_TIMEOUT_MS) throw error;
          const pause = 1 + randomInt(Math.min(2 ** attempt, LOCK_RETRY_MAX_MS));
          await sleep(pause);
          waited += pause;
        }
      }
    } finally {
      await connection.executeQuery(BUSY_WAIT);
    }
    let result: T;
    try {
      result = await work(connection);
    } catch (error) {
      await connection.executeQuery(ROLLBACK);
      throw error;
    }
    await connection.executeQuery(COMMIT);
    return result;
  });
}

/**
 * A write transaction that holds the ordered-writes lock for its whole length: on SQLite the write
 * lock BEGIN IMMEDIATE takes, on PostgreSQL an advisory lock. What it appends to the audit chain or
 * the moderation feed is therefore committed in the order it was numbered.
 */
export async function orderedWriteTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return writeTransaction(db, async (trx) => {
    // SQLite's BEGIN IMMEDIATE already holds the only write lock; PostgreSQL nodes take this one.
    if (!isSqlite(trx)) await sql`select pg_advisory_xact_lock(${ORDERED_WRITES_LOCK_ID})`.execute(trx);
    return work(trx);
  });
}
