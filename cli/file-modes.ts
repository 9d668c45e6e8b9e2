// Who may read an instance's files. The data folder holds children's transcripts, evidence and
// the audit trail, and .env the secrets: none of it may be readable by another user of the
// machine. The CLI sets a private umask for the whole process (files 0600, folders 0700), so
// everything it and the server create — the database, its WAL and SHM files, backups — is born
// private; `doctor` finds what an older version or a careless copy left open, and `--fix`
// tightens it.
import { chmodSync, existsSync, lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The process umask: new files 0600 and folders 0700, whatever the operator's shell had. */
export const PRIVATE_UMASK = 0o077;
/** What a file of the data folder, or .env, may be at most. */
export const PRIVATE_FILE_MODE = 0o600;
/** What the data folder and the folders in it may be at most. */
export const PRIVATE_DIR_MODE = 0o700;
/** Paths named in doctor's message; the rest are counted. */
const LISTED = 10;
/** Permission bits that let the group or others in. */
const SHARED_BITS = 0o077;

/** Makes every file and folder this process creates private to its owner; call first thing. */
export function usePrivateUmask(): void {
  process.umask(PRIVATE_UMASK);
}

export interface LooseFile {
  path: string;
  /** Its permission bits now. */
  mode: number;
  /** What it should be. */
  wanted: number;
}

/**
 * The paths of an instance that the group or other users may read, write or enter: the data
 * folder and everything under it, and .env. Symbolic links are not followed (their target's
 * mode is not ours to change), and missing paths are not problems.
 */
export function looseFiles(paths: { dataDir: string; envFile: string }): LooseFile[] {
  const loose: LooseFile[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat || stat.isSymbolicLink()) return;
    const mode = stat.mode & 0o777;
    const wanted = stat.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    if (mode & SHARED_BITS) loose.push({ path, mode, wanted: mode & wanted });
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
  };
  visit(paths.dataDir);
  if (existsSync(paths.envFile)) visit(paths.envFile);
  return loose;
}

/** Removes the group's and others' permissions from each path; returns what could not be changed. */
export function tightenFiles(loose: readonly LooseFile[]): Array<{ path: string; error: string }> {
  const failed: Array<{ path: string; error: string }> = [];
  for (const file of loose) {
    try {
      chmodSync(file.path, file.wanted);
    } catch (error) {
      failed.push({ path: file.path, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
    }
  }
  return failed;
}

/** `0o644` as `644`, as ls and chmod show it. */
export function octal(mode: number): string {
  return mode.toString(8).padStart(3, '0');
}

export interface FileModeVerdict {
  status: 'ok' | 'fail';
  message: string;
  fix?: string;
}

/** The `doctor` check: which paths are open to other users, tightened first when `fix` is set. */
export function checkFileModes(paths: { dataDir: string; envFile: string; instanceDir: string }, fix: boolean): FileModeVerdict {
  const found = looseFiles(paths);
  const name = (path: string) => relative(paths.instanceDir, path) || '.';
  const list = (files: readonly LooseFile[]) =>
    `${files
      .slice(0, LISTED)
      .map((file) => `${name(file.path)} (${octal(file.mode)})`)
      .join(', ')}${files.length > LISTED ? ` and ${files.length - LISTED} more` : ''}`;
  if (found.length === 0) return { status: 'ok', message: `${name(paths.dataDir)}/ and .env are readable by their owner only` };
  if (!fix) {
    return {
      status: 'fail',
      message: `other users of this machine can read ${list(found)}`,
      fix: 'strangerchat doctor --fix (or chmod -R go-rwx on the data folder and .env)',
    };
  }
  const failed = tightenFiles(found);
  if (failed.length === 0) return { status: 'ok', message: `tightened ${found.length} path(s): ${list(found)}; now readable by their owner only` };
  return {
    status: 'fail',
    message: `could not tighten ${failed.map((f) => `${name(f.path)} (${f.error})`).join(', ')}`,
    fix: 'run the fix as the owner of those files (sudo -u <owner> strangerchat doctor --fix), or chown them to the user running strangerchat',
  };
}
