// Backups of the embedded SQLite database: an online snapshot with `VACUUM INTO` (consistent while
// the server writes, WAL included) into data/backups/<timestamp>.db, with a SHA-256 checksum file
// in sha256sum's format beside it. PostgreSQL is backed up with pg_dump, not here.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SQLITE_BUSY_TIMEOUT_MS } from './sqlite-adapter.ts';

/** `2026-11-28T12-00-00-000Z.db`, optionally labelled: `2026-11-28T12-00-00-000Z-pre-migrate.db`. */
export const BACKUP_NAME = /^(?<stamp>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)(?:-(?<label>[a-z0-9-]+))?\.db$/;

export type ChecksumState = 'ok' | 'mismatch' | 'missing';

export interface BackupInfo {
  name: string;
  path: string;
  /** From the name (ms since the epoch). */
  createdAt: number;
  sizeBytes: number;
  /** Why it was taken, e.g. `pre-migrate`, `pre-restore`; null for a plain backup. */
  label: string | null;
  /** The SHA-256 recorded when the backup was taken. */
  sha256: string | null;
  /** Whether the file still matches it (only when verified). */
  checksum?: ChecksumState;
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** data/backups beside the database file. */
export function backupsDirFor(databasePath: string): string {
  return join(dirname(databasePath), 'backups');
}

function stampOf(ms: number): string {
  return new Date(ms).toISOString().replaceAll(':', '-').replace('.', '-');
}

function parseStamp(stamp: string): number {
  const [date, time] = stamp.split('T') as [string, string];
  const [h, m, s, ms] = time.replace('Z', '').split('-');
  return Date.parse(`${date}T${h}:${m}:${s}.${ms}Z`);
}

/** SHA-256 of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function checksumPath(path: string): string {
  return `${path}.sha256`;
}

function readChecksum(path: string): string | null {
  try {
    return /^([0-9a-f]{64})\b/.exec(readFileSync(checksumPath(path), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

function info(dir: string, name: string): BackupInfo {
  const match = BACKUP_NAME.exec(name);
  if (!match?.groups) throw new BackupError(`"${name}" is not a backup name (expected e.g. 2026-11-28T12-00-00-000Z.db)`);
  const path = join(dir, name);
  return {
    name,
    path,
    createdAt: parseStamp(match.groups.stamp!),
    sizeBytes: statSync(path).size,
    label: match.groups.label ?? null,
    sha256: readChecksum(path),
  };
}

/** A fresh name at `now`, never one that exists. */
function freshName(dir: string, now: number, label?: string): string {
  for (let at = now; ; at++) {
    const name = `${stampOf(at)}${label ? `-${label}` : ''}.db`;
    if (!existsSync(join(dir, name))) return name;
  }
}

function vacuumInto(databasePath: string, target: string): void {
  const db = new DatabaseSync(databasePath, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
}

export interface CreateBackupOptions {
  databasePath: string;
  /** Folder of the backups (default: data/backups beside the database). */
  dir?: string;
  now: number;
  /** e.g. `pre-migrate`: lower-case letters, digits and dashes. */
  label?: string;
}

/** Takes a consistent snapshot of a live database; safe while the server writes to it. */
export async function createBackup(options: CreateBackupOptions): Promise<BackupInfo> {
  const { databasePath, now, label } = options;
  const dir = options.dir ?? backupsDirFor(databasePath);
  if (label !== undefined && !/^[a-z0-9-]+$/.test(label)) throw new TypeError(`createBackup: invalid label "${label}"`);
  if (!existsSync(databasePath)) throw new BackupError(`there is no database at ${databasePath} to back up`);
  mkdirSync(dir, { recursive: true });
  const name = freshName(dir, now, label);
  const partial = join(dir, `.${name}.partial`);
  rmSync(partial, { force: true });
  try {
    vacuumInto(databasePath, partial);
    const sha256 = await sha256File(partial);
    // The checksum first: a checksum without its backup is ignored, a backup without one is not trusted.
    writeFileSync(checksumPath(join(dir, name)), `${sha256}  ${name}\n`);
    renameSync(partial, join(dir, name));
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return { ...info(dir, name), checksum: 'ok' };
}

/** Compares a backup with its recorded checksum. */
export async function verifyBackup(backup: BackupInfo): Promise<ChecksumState> {
  if (!backup.sha256) return 'missing';
  return (await sha256File(backup.path)) === backup.sha256 ? 'ok' : 'mismatch';
}

/** The backups in a folder, oldest first; `verify` re-reads each to check its checksum. */
export async function listBackups(dir: string, options: { verify?: boolean } = {}): Promise<BackupInfo[]> {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((name) => BACKUP_NAME.test(name)).sort();
  const backups = names.map((name) => info(dir, name));
  if (options.verify) for (const backup of backups) backup.checksum = await verifyBackup(backup);
  return backups;
}

/** One backup by name (`<stamp>.db`, or without `.db`). */
export function findBackup(dir: string, name: string): BackupInfo {
  const file = name.endsWith('.db') ? name : `${name}.db`;
  if (basename(file) !== file || !BACKUP_NAME.test(file)) throw new BackupError(`"${name}" is not a backup name; see strangerchat backup list`);
  if (!existsSync(join(dir, file))) throw new BackupError(`no backup named ${file} in ${dir}`);
  return info(dir, file);
}

/** SQLite's own verdict on a database file: "ok", or the first problems it found. */
export function integrityCheck(path: string): string {
  const db = new DatabaseSync(path, { readOnly: true, timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    const rows = db.prepare('PRAGMA integrity_check').all() as Array<Record<string, unknown>>;
    return rows.map((row) => String(Object.values(row)[0])).join('; ');
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  restored: BackupInfo;
  /** The copy of the database it replaced (null when there was none). */
  previous: BackupInfo | null;
}

/**
 * Replaces the database with a backup. The caller makes sure no server has it open. The backup's
 * checksum and integrity are checked first; the replaced database is kept as a `pre-restore`
 * backup; stale -wal/-shm files are removed so SQLite cannot replay them over the restored file.
 */
export async function restoreBackup(options: { databasePath: string; dir?: string; name: string; now: number }): Promise<RestoreResult> {
  const { databasePath, now } = options;
  const dir = options.dir ?? backupsDirFor(databasePath);
  const backup = findBackup(dir, options.name);
  const state = await verifyBackup(backup);
  if (state === 'missing') throw new BackupError(`${backup.name} has no checksum file (${backup.name}.sha256): it cannot be verified`);
  if (state === 'mismatch') throw new BackupError(`${backup.name} does not match its checksum: the file is damaged or was changed`);

  const staged = `${databasePath}.restoring`;
  rmSync(staged, { force: true });
  copyFileSync(backup.path, staged);
  const verdict = integrityCheck(staged);
  if (verdict !== 'ok') {
    rmSync(staged, { force: true });
    throw new BackupError(`${backup.name} fails SQLite's integrity check: ${verdict}`);
  }

  let previous: BackupInfo | null = null;
  if (existsSync(databasePath)) previous = await keepCopy(databasePath, dir, now);
  for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${databasePath}${suffix}`, { force: true });
  renameSync(staged, databasePath);
  return { restored: { ...backup, checksum: 'ok' }, previous };
}

/** A snapshot of the database about to be replaced; a raw copy when SQLite cannot read it. */
async function keepCopy(databasePath: string, dir: string, now: number): Promise<BackupInfo> {
  try {
    return await createBackup({ databasePath, dir, now, label: 'pre-restore' });
  } catch {
    // A damaged database cannot be vacuumed: keep its bytes (and its WAL) as they are.
    mkdirSync(dir, { recursive: true });
    const name = freshName(dir, now, 'pre-restore-raw');
    const target = join(dir, name);
    copyFileSync(databasePath, target);
    if (existsSync(`${databasePath}-wal`)) copyFileSync(`${databasePath}-wal`, `${target}-wal`);
    writeFileSync(checksumPath(target), `${await sha256File(target)}  ${name}\n`);
    return info(dir, name);
  }
}

/** Keeps the newest `keep` backups and removes the others (and their checksum files). */
export function pruneBackups(dir: string, keep: number): { kept: BackupInfo[]; removed: BackupInfo[] } {
  if (!Number.isInteger(keep) || keep < 1) throw new TypeError('pruneBackups: keep must be an integer of at least 1');
  const all = existsSync(dir) ? readdirSync(dir).filter((name) => BACKUP_NAME.test(name)).sort().map((name) => info(dir, name)) : [];
  const removed = all.slice(0, Math.max(0, all.length - keep));
  for (const backup of removed) {
    for (const path of [backup.path, checksumPath(backup.path), `${backup.path}-wal`]) rmSync(path, { force: true });
  }
  return { kept: all.slice(removed.length), removed };
}
