// Adapts Node's built-in node:sqlite to the better-sqlite3-shaped interface Kysely's
// SqliteDialect expects, so the embedded default needs no native addon.
import { DatabaseSync, type StatementSync, type SQLInputValue, type SQLOutputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Milliseconds a writer waits for another process's lock (the CLI and server share the file). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #statement: StatementSync;
  /** Column names when rows come back as arrays; undefined when they come back as objects. */
  readonly #names: string[] | undefined;

  constructor(statement: StatementSync) {
    this.#statement = statement;
    const columns = statement.columns();
    // A statement that returns columns is a reader (SELECT, or a write with RETURNING).
    this.reader = columns.length > 0;
    // node:sqlite builds each row object in dictionary mode: ~2x the time and memory of plain
    // objects made here from arrays (70,000 bans at start: 550 ms and 83 MB against 320 ms and
    // 45 MB). setReturnArrays arrived in Node 24; older versions keep the objects.
    if (this.reader && typeof statement.setReturnArrays === 'function') {
      statement.setReturnArrays(true);
      this.#names = columns.map((column) => column.name);
    }
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    const rows = this.#statement.all(...(parameters as SQLInputValue[]));
    const names = this.#names;
    return names ? rows.map((row) => toObject(names, row as unknown as SQLOutputValue[])) : rows;
  }

  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#statement.run(...(parameters as SQLInputValue[]));
  }

  *iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    const names = this.#names;
    for (const row of this.#statement.iterate(...(parameters as SQLInputValue[]))) {
      yield names ? toObject(names, row as unknown as SQLOutputValue[]) : row;
    }
  }
}

/** A row as Kysely expects it; a repeated column name keeps its last value, as node:sqlite's objects do. */
function toObject(names: string[], values: SQLOutputValue[]): Record<string, SQLOutputValue> {
  const row: Record<string, SQLOutputValue> = {};
  for (let i = 0; i < names.length; i++) row[names[i]!] = values[i]!;
  return row;
}

/**
 * Prepared statements kept per connection, by SQL text. Kysely asks for a new statement on every
 * query, and preparing was 3 % of the server's time under load (sessions, tickets, reports);
 * the SQL texts are the application's own, so a small cache holds them all.
 */
const STATEMENT_CACHE_SIZE = 256;

/** Opens a SQLite file with WAL, a busy timeout and foreign keys on. */
export function openSqlite(path: string): SqliteDatabase & { raw: DatabaseSync } {
  const raw = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: SQLITE_BUSY_TIMEOUT_MS });
  raw.exec('PRAGMA journal_mode = WAL');
  // NORMAL is durable under WAL except for the last transactions on power loss; chat state tolerates that.
  raw.exec('PRAGMA synchronous = NORMAL');
  const statements = new Map<string, NodeSqliteStatement>();
  return {
    raw,
    close: () => {
      statements.clear();
      raw.close();
    },
    prepare: (sql: string) => {
      let statement = statements.get(sql);
      if (statement) {
        // Most recently used last, so the first key is the one to drop.
        statements.delete(sql);
      } else {
        statement = new NodeSqliteStatement(raw.prepare(sql));
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
