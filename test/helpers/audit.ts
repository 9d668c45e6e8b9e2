// The audit log as an instance's processes build it (its secret, its head in the data folder), for
// tests that write or verify it beside a server or on a bare database file.
import { join } from 'node:path';
import { AuditLog } from '../../server/moderation/audit.ts';
import { AUDIT_HEAD_DIR, AuditHeadStore } from '../../server/moderation/audit-head.ts';
import { createAuditLog } from '../../server/services.ts';
import type { Db } from '../../server/db/database.ts';
import { silentLogger, type Logger } from '../../server/logger.ts';
import type { TestDatabase } from './database.ts';
import type { TestServer } from './server.ts';

/** The secret of the audit logs on bare test databases. */
export const TEST_AUDIT_SECRET = 'audit-test-secret-audit-test-secret!';

/** The server's audit log on another connection (as the CLI opens it). */
export function auditOf(server: Pick<TestServer, 'config'>, db: Db, now: () => number = Date.now): AuditLog {
  return createAuditLog({ db, config: server.config, now, logger: silentLogger() });
}

/** An audit log on a bare test database: the head in its folder, under TEST_AUDIT_SECRET. */
export function auditOn(store: Pick<TestDatabase, 'dir'>, db: Db, now: () => number, logger: Logger = silentLogger()): AuditLog {
  return new AuditLog({ db, now, secret: TEST_AUDIT_SECRET, head: headOn(store), logger });
}

/** The head store of a bare test database's folder. */
export function headOn(store: Pick<TestDatabase, 'dir'>): AuditHeadStore {
  return new AuditHeadStore(join(store.dir, AUDIT_HEAD_DIR));
}
