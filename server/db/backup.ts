// Backups of the embedded SQLite database: an online snapshot with `VACUUM INTO` (consistent while
// the server writes, WAL included) into data/backups/<timestamp>.db, with a SHA-256 checksum file
// in sha256sum's format beside it, and the head of the snapshot's audit chain (its newest entry's
// id and hash) in `<name>.audit-head.json`: a restore sets the data folder's head to it, so the
// restored chain verifies and a truncated one still does not. PostgreSQL is backed up with
// pg_dump, not here.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AUDIT_HEAD_DIR, AuditHeadStore, isAuditHead, type AuditHead } from '../moderation/audit-head.ts';
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
  /**
   * The newest audit entry in the backup when it was taken (null: its log was empty); undefined
   * for a backup taken before backups recorded it; `damaged` when its file holds no head.
   */
  auditHead?: AuditHead | null | 'damaged';
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

function auditHeadPath(path: string): string {
  return `${path}.audit-head.json`;
}

/** The files that belong to a backup besides itself. */
function companions(path: string): string[] {
  return [checksumPath(path), auditHeadPath(path), `${path}-wal`];
}

/** The newest audit entry in a database file (null when its log is empty or it has none). */
export function chainEndOf(path: string): AuditHead | null {
  const db = new DatabaseSync(path, { readOnly: true, timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get();
    if (!table) return null;
    const row = db.prepare('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as { id: number; hash: string } | undefined;
    return row ? { id: Number(row.id), hash: row.hash } : null;
  } finally {
    db.close();
  }
}

/** The recorded head: undefined when there is no file, `damaged` when it holds no head. */
function readAuditHead(path: string): AuditHead | null | undefined | 'damaged' {
  let text: string;
  try {
    text = readFileSync(auditHeadPath(path), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const head = JSON.parse(text) as unknown;
    if (head === null || isAuditHead(head)) return head;
  } catch {
    // Not JSON: damaged.
  }
  return 'damaged';
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
    ...optionalHead(path),
  };
}

function optionalHead(path: string): { auditHead?: AuditHead | null | 'damaged' } {
  const head = readAuditHead(path);
  return head === undefined ? {} : { auditHead: head };
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
    // The checksum and head first: companions without their backup are ignored, a backup without a checksum is not trusted.
    writeFileSync(checksumPath(join(dir, name)), `${sha256}  ${name}\n`);
    writeFileSync(auditHeadPath(join(dir, name)), `${JSON.stringify(chainEndOf(partial))}\n`);
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
  /** The audit head the data folder recorded before, and the one it records now (the restored chain's end). */
  auditHead: { before: AuditHead | null; after: AuditHead | null };
}

/**
 * Replaces the database with a backup. The caller makes sure no server has it open. The backup's
 * checksum and integrity are checked first, and its audit chain must end where it did when it was
 * taken; the replaced database is kept as a `pre-restore` backup; stale -wal/-shm files are
 * removed so SQLite cannot replay them over the restored file; the data folder's audit head is
 * set to the restored chain's end (the one deliberate rewind of the head).
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
  const end = chainEndOf(staged);
  if (backup.auditHead === 'damaged') {
    rmSync(staged, { force: true });
    throw new BackupError(`${backup.name}.audit-head.json is damaged: it does not hold the audit head the backup was taken with`);
  }
  if (backup.auditHead !== undefined && !sameHead(backup.auditHead, end)) {
    rmSync(staged, { force: true });
    throw new BackupError(`${backup.name}'s audit log does not end where it did when the backup was taken (${headText(backup.auditHead)}, now ${headText(end)})`);
  }

  let previous: BackupInfo | null = null;
  if (existsSync(databasePath)) previous = await keepCopy(databasePath, dir, now);
  for (const suffix of ['-wal', '-shm', '-journal']) rmSync(`${databasePath}${suffix}`, { force: true });
  renameSync(staged, databasePath);
  const head = new AuditHeadStore(join(dirname(databasePath), AUDIT_HEAD_DIR));
  let before: AuditHead | null = null;
  try {
    before = head.read() ?? null;
  } catch {
    // A damaged head is replaced below all the same.
  }
  head.reset(end ?? undefined);
  return { restored: { ...backup, checksum: 'ok' }, previous, auditHead: { before, after: end } };
}

function sameHead(a: AuditHead | null, b: AuditHead | null): boolean {
  return a === null || b === null ? a === b : a.id === b.id && a.hash === b.hash;
}

function headText(head: AuditHead | null): string {
  return head ? `entry ${head.id}, ${head.hash}` : 'empty';
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
    for (const path of [backup.path, ...companions(backup.path)]) rmSync(path, { force: true });
  }
  return { kept: all.slice(removed.length), removed };
}
