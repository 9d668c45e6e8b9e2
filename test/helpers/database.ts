// newDatabase(): a migrated SQLite file in a fresh folder, for tests of services without a server;
// more connections to the same file on request (as the CLI and other nodes would open); teardown
// closes them all and removes the folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';

export interface TestDatabase {
  db: Db;
  path: string;
  /** The folder holding the file: the data folder (the audit head goes there too). */
  dir: string;
  /** Another, independent connection to the same file. */
  openAnother(): Promise<Db>;
  destroy(): Promise<void>;
}

export async function newDatabase(): Promise<TestDatabase> {
  // Not helpers/server.ts's tempDir: this helper must not load the whole server.
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-db-'));
  const path = join(dir, 'strangerchat.db');
  const db = await openDatabase({ driver: 'sqlite', path });
  await migrateToLatest(db);
  const others: Db[] = [];
  return {
    db,
    path,
    dir,
    async openAnother() {
      const other = await openDatabase({ driver: 'sqlite', path });
      others.push(other);
      return other;
    },
    async destroy() {
      for (const other of others) await other.destroy();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
