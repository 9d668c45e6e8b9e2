// Recognising database errors the same way on both engines, by their codes rather than their
// messages (PostgreSQL translates its messages to the server's lc_messages).

/** SQLite's extended result codes for a UNIQUE and a PRIMARY KEY constraint failure. */
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
/** PostgreSQL's SQLSTATE unique_violation (unique constraints and primary keys alike). */
const PG_UNIQUE_VIOLATION = '23505';

/** True when an insert or update failed because a unique or primary key already holds the value. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (code === PG_UNIQUE_VIOLATION) return true;
  return errcode === SQLITE_CONSTRAINT_UNIQUE || errcode === SQLITE_CONSTRAINT_PRIMARYKEY;
}

/** SQLite's primary result code for "the database is locked" (another connection holds the lock). */
const SQLITE_BUSY = 5;

/** True when SQLite refused a lock because another connection holds it (errcode 5, or an extended SQLITE_BUSY_*). */
export function isSqliteBusy(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { errcode } = error as { errcode?: unknown };
  return typeof errcode === 'number' && (errcode & 0xff) === SQLITE_BUSY;
}
