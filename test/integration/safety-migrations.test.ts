// The safety migrations on a real SQLite file: the reports filed before them keep their "never
// pair again" pairs (device and identity) in the new table, and count toward quarantine as before;
// the migrations go down and up again. (postgres-migrations.test.ts does the same on PostgreSQL.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../server/db/database.ts';
import { createMigrator, migrateToLatest } from '../../server/db/migrate.ts';

const BEFORE = '2026-11-28T1600_index_active_bans_by_id';

test('earlier reports are copied into pair_avoids, once per pair, with their first time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-safety-migrations-'));
  const db = await openDatabase({ driver: 'sqlite', path: join(dir, 'db.sqlite') });
  try {
    const migrator = createMigrator(db);
    assert.is((await migrator.migrateTo(BEFORE)).error, undefined);
    const at = Date.UTC(2026, 10, 20);
    const old = { conversation_id: 'c', reason: 'spam', status: 'open', reporter_session_id: 's1', reported_session_id: 's2', transcript: '[]', evidence_token_hash: 'h' };
    await db
      .insertInto('reports')
      .values([
        { ...old, id: 'r1', created_at: at + 5, reporter_device_id: 'dr', reported_device_id: 'dx', reporter_identity_hash: 'ir', reported_identity_hash: 'ix' },
        { ...old, id: 'r2', created_at: at, reporter_device_id: 'dr', reported_device_id: 'dx', reporter_identity_hash: null, reported_identity_hash: null },
        { ...old, id: 'r3', created_at: at, reporter_device_id: null, reported_device_id: null, reporter_identity_hash: null, reported_identity_hash: null },
      ] as never)
      .execute();
    await migrateToLatest(db);
    const rows = await db.selectFrom('pair_avoids').select(['key_a', 'key_b', 'created_at', 'expires_at', 'shared', 'report_id']).orderBy('key_a').orderBy('key_b').execute();
    assert.equal(rows, [
      { key_a: 'device:dr', key_b: 'device:dx', created_at: at, expires_at: null, shared: 0, report_id: null },
      { key_a: 'device:dr', key_b: 'identity:ix', created_at: at + 5, expires_at: null, shared: 0, report_id: null },
      { key_a: 'identity:ir', key_b: 'device:dx', created_at: at + 5, expires_at: null, shared: 0, report_id: null },
      { key_a: 'identity:ir', key_b: 'identity:ix', created_at: at + 5, expires_at: null, shared: 0, report_id: null },
    ]);
    const flags = await db.selectFrom('reports').select('same_network').execute();
    assert.equal(flags.map((f) => f.same_network), [0, 0, 0], 'earlier reports count toward quarantine as they did');

    assert.is((await migrator.migrateTo(BEFORE)).error, undefined, 'down again');
    assert.is((await migrateToLatest(db)).error, undefined, 'and up');
    assert.is((await db.selectFrom('pair_avoids').select('key_a').execute()).length, 4);
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
