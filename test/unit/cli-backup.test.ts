// server/db/backup.ts on real SQLite files: a snapshot of a live WAL database with a checksum,
// verification that catches a changed byte, a restore that keeps what it replaces and drops a
// stale WAL, and pruning.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BackupError, createBackup, findBackup, listBackups, pruneBackups, restoreBackup } from '../../server/db/backup.ts';
import { tempDir } from '../helpers/server.ts';

function liveDatabase(): { dir: string; path: string; db: DatabaseSync } {
  const dir = tempDir();
  mkdirSync(join(dir, 'data'));
  const path = join(dir, 'data', 'strangerchat.db');
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; CREATE TABLE notes (text TEXT)');
  return { dir, path, db };
}

function notes(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (db.prepare('SELECT text FROM notes ORDER BY rowid').all() as Array<{ text: string }>).map((row) => row.text);
  } finally {
    db.close();
  }
}

test('a backup of a live WAL database holds its committed rows, with a sha256sum-style checksum', async () => {
  const { dir, path, db } = liveDatabase();
  db.exec("INSERT INTO notes VALUES ('before')");
  // The row lives only in the WAL so far: a plain file copy of the database would miss it.
  assert.ok(existsSync(`${path}-wal`));
  const backup = await createBackup({ databasePath: path, now: Date.parse('2026-11-28T12:00:00.000Z') });
  db.exec("INSERT INTO notes VALUES ('after')");
  assert.is(backup.name, '2026-11-28T12-00-00-000Z.db');
  assert.is(backup.path, join(dir, 'data', 'backups', backup.name));
  assert.equal(notes(backup.path), ['before']);
  const sum = readFileSync(`${backup.path}.sha256`, 'utf8');
  const expected = createHash('sha256').update(readFileSync(backup.path)).digest('hex');
  assert.is(sum, `${expected}  ${backup.name}\n`);
  assert.is(backup.sha256, expected);
  // Two backups in the same millisecond never collide.
  const second = await createBackup({ databasePath: path, now: Date.parse('2026-11-28T12:00:00.000Z') });
  assert.is.not(second.name, backup.name);
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('list verifies checksums and reports a changed byte as a mismatch; restore refuses it', async () => {
  const { dir, path, db } = liveDatabase();
  db.exec("INSERT INTO notes VALUES ('one')");
  const backup = await createBackup({ databasePath: path, now: 1_800_000_000_000 });
  let [listed] = await listBackups(join(dir, 'data', 'backups'), { verify: true });
  assert.is(listed?.checksum, 'ok');
  const bytes = readFileSync(backup.path);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  writeFileSync(backup.path, bytes);
  [listed] = await listBackups(join(dir, 'data', 'backups'), { verify: true });
  assert.is(listed?.checksum, 'mismatch');
  db.exec("INSERT INTO notes VALUES ('two')");
  try {
    await restoreBackup({ databasePath: path, name: backup.name, now: Date.now() });
    assert.unreachable('a damaged backup was restored');
  } catch (error) {
    assert.instance(error, BackupError);
    assert.match((error as Error).message, /checksum/);
  }
  assert.equal(notes(path), ['one', 'two'], 'the database is untouched');
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('restore replaces the database, keeps a copy of what it replaced and removes the stale WAL', async () => {
  const { dir, path, db } = liveDatabase();
  db.exec("INSERT INTO notes VALUES ('kept')");
  const backup = await createBackup({ databasePath: path, now: 1_800_000_000_000 });
  db.exec("INSERT INTO notes VALUES ('written after the backup')");
  // Stop "the server" without a checkpoint: its WAL would replay over a restored file if left behind.
  db.close();
  writeFileSync(`${path}-wal`, 'stale');
  writeFileSync(`${path}-shm`, 'stale');
  const result = await restoreBackup({ databasePath: path, name: backup.name.replace(/\.db$/, ''), now: 1_800_000_100_000 });
  assert.is(result.restored.name, backup.name);
  assert.not.ok(existsSync(`${path}-wal`), 'the stale WAL is gone');
  assert.not.ok(existsSync(`${path}-shm`), 'the stale shared memory file is gone');
  assert.equal(notes(path), ['kept']);
  assert.ok(result.previous, 'the replaced database was kept');
  assert.is(result.previous!.label, 'pre-restore');
  assert.equal(notes(result.previous!.path), ['kept', 'written after the backup']);
  const names = (await listBackups(join(dir, 'data', 'backups'))).map((b) => b.name);
  assert.equal(names, [backup.name, result.previous!.name]);
  rmSync(dir, { recursive: true, force: true });
});

test('prune keeps the newest N with their checksum and audit head files; names outside the folder are refused', async () => {
  const { dir, path, db } = liveDatabase();
  const made = [];
  for (let i = 0; i < 4; i++) made.push(await createBackup({ databasePath: path, now: 1_800_000_000_000 + i * 1000 }));
  const folder = join(dir, 'data', 'backups');
  const { kept, removed } = pruneBackups(folder, 2);
  assert.equal(removed.map((b) => b.name), [made[0]!.name, made[1]!.name]);
  assert.equal(kept.map((b) => b.name), [made[2]!.name, made[3]!.name]);
  const files = (name: string) => [name, `${name}.sha256`, `${name}.audit-head.json`];
  assert.equal(readdirSync(folder).sort(), [...files(made[2]!.name), ...files(made[3]!.name)].sort());
  assert.throws(() => findBackup(folder, '../strangerchat.db'), /not a backup name/);
  assert.throws(() => findBackup(folder, '2026-01-01T00-00-00-000Z.db'), /no backup named/);
  assert.throws(() => pruneBackups(folder, 0), /at least 1/);
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
