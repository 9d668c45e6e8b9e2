// The instance's log file, rotated by size: data/logs/strangerchat.log is written as
// strangerchat.1.log, strangerchat.2.log, …, the highest number being the one written now (the
// names `strangerchat logs` reads, and those pino-roll wrote before this module replaced it).
//
// Written in this thread through pino's asynchronous SonicBoom: a line costs the event loop a
// string append; the write, the rotation's open and the clean-up run on libuv's thread pool. What
// is still buffered when the process exits is written synchronously then.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pino } from 'pino';

export interface RotatingLogOptions {
  /** The name before numbering: data/logs/strangerchat.log → strangerchat.<n>.log. */
  path: string;
  /** A file is rotated after the write that takes it to this size or past it. */
  maxBytes: number;
  /** Rotated files kept besides the current one; older ones (of earlier processes too) are removed. */
  keep: number;
  /** A failed write, open or removal; the log carries on where it can. */
  onError: (error: Error) => void;
}

export type RotatingLog = ReturnType<typeof pino.destination>;

/** Opens the newest numbered file for appending (a restart continues it) and rotates from there. */
export function openRotatingLog(options: RotatingLogOptions): RotatingLog {
  const dir = dirname(options.path);
  const stem = basename(options.path, '.log');
  const fileOf = (n: number) => join(dir, `${stem}.${n}.log`);
  const numberOf = (name: string): number | undefined => {
    if (!name.startsWith(`${stem}.`) || !name.endsWith('.log')) return undefined;
    const digits = name.slice(stem.length + 1, -'.log'.length);
    return /^\d+$/.test(digits) ? Number(digits) : undefined;
  };
  const numbered = (names: string[]): number[] => names.map(numberOf).filter((n) => n !== undefined);

  mkdirSync(dir, { recursive: true });
  let current = Math.max(1, ...numbered(readdirSync(dir)));
  let size = sizeOf(fileOf(current));
  // Opened synchronously, then written asynchronously: a process that exits in its first
  // moments (a failed start) still has a file to flush its lines into.
  const stream = pino.destination({ dest: fileOf(current), append: true, mkdir: true, sync: true });
  // SonicBoom's own fields, not in its types: it reads `sync` at every write.
  const state = stream as unknown as { sync: boolean; destroyed: boolean; fd: number };
  state.sync = false;
  stream.on('error', options.onError);
  // What is buffered when the process exits is written synchronously (there is no event loop left).
  const flushAtExit = () => {
    if (state.destroyed || state.fd < 0) return;
    try {
      stream.flushSync();
    } catch {
      // a full disk at exit: the process ends all the same, with its own exit code
    }
  };
  process.on('exit', flushAtExit);
  stream.once('close', () => process.off('exit', flushAtExit));

  const removeOld = async () => {
    const older = numbered(await readdir(dir))
      .filter((n) => n < current)
      .sort((a, b) => b - a)
      .slice(options.keep);
    await Promise.all(older.map((n) => unlink(fileOf(n)).catch((error: NodeJS.ErrnoException) => error.code === 'ENOENT' || options.onError(error))));
  };
  const cleanUp = () => void removeOld().catch(options.onError);

  stream.on('write', (written: number) => {
    size += written;
    if (size < options.maxBytes) return;
    size = 0;
    current += 1;
    // SonicBoom finishes the write in progress into the old file, then opens the new one.
    stream.reopen(fileOf(current));
    stream.once('ready', cleanUp);
  });
  // A smaller log.filesKept takes effect at once, not at the next rotation.
  cleanUp();
  return stream;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
