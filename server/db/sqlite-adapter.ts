// Adapts Node's built-in node:sqlite to the better-sqlite3-shaped interface Kysely's
// SqliteDialect expects, so the embedded default needs no native addon.
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Milliseconds a writer waits for another process's lock (the CLI and server share the file). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #statement: StatementSync;

  constructor(statement: StatementSync) {
    this.#statement = statement;
    // A statement that returns columns is a reader (SELECT, or a write with RETURNING).
    this.reader = statement.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#statement.all(...(parameters as SQLInputValue[]));
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#statement.run(...(parameters as SQLInputValue[]));
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#statement.iterate(...(parameters as SQLInputValue[]));
  }
}

/** Opens a SQLite file with WAL, a busy timeout and foreign keys on. */
export function openSqlite(path: string): SqliteDatabase & { raw: DatabaseSync } {
  const raw = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: SQLITE_BUSY_TIMEOUT_MS });
  raw.exec('PRAGMA journal_mode = WAL');
  // NORMAL is durable under WAL except for the last transactions on power loss; chat state tolerates that.
  raw.exec('PRAGMA synchronous = NORMAL');
  return {
    raw,
    close: () => raw.close(),
    prepare: (sql: string) => new NodeSqliteStatement(raw.prepare(sql)),
  };
}
