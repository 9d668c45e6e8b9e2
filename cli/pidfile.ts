// The pid file of a running instance (data/strangerchat.pid), and the status file beside it with
// the live figures (online, queued, in conversation): what `status` and `stop` read.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { ServerConfig } from '../server/config.ts';
import type { Fingerprints } from './loaded-files.ts';
import { pidFilePath, statusFilePath } from './paths.ts';
import type { Supervisor } from './supervisor.ts';

export { pidFilePath, statusFilePath } from './paths.ts';

export interface PidInfo {
  pid: number;
  url: string;
  startedAt: number;
  version: string;
  /** What start loaded (cli/loaded-files.ts), so status can say a restart would apply a change. */
  loaded?: Fingerprints;
  /** The --port and --host start was given, so `restart` starts it the same way. */
  startOptions?: { port?: number; host?: string };
  /** The service manager running it, which `restart` must go through. */
  supervisor?: Supervisor;
}

/** What the running server last reported about itself. */
export interface LiveStatus {
  pid: number;
  /** When the figures were taken (ms since the epoch). */
  updatedAt: number;
  online: number;
  queued: number;
  inConversation: number;
  conversations: number;
  /** The chat sessions connected now (what `sessions list` marks live). */
  sessions?: string[];
  /** In a cluster: this process's node id, and every live node with its own figures (the totals above are the cluster's). */
  node?: string;
  nodes?: NodeStatus[];
}

/** One node of a cluster as `status` lists it. */
export interface NodeStatus {
  id: string;
  startedAt: number;
  seenAt: number;
  online: number;
  queued: number;
  inConversation: number;
  conversations: number;
}

type Paths = Pick<ServerConfig, 'database' | 'dir'>;

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomically(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

export function writePidFile(config: Paths, info: PidInfo): void {
  writeAtomically(pidFilePath(config), `${JSON.stringify(info)}\n`);
}

export function removePidFile(config: Paths): void {
  rmSync(pidFilePath(config), { force: true });
  rmSync(statusFilePath(config), { force: true });
}

/** The pid file's content, whether or not its process still runs. */
export function readPidFile(config: Paths): PidInfo | undefined {
  const path = pidFilePath(config);
  if (!existsSync(path)) return undefined;
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as PidInfo;
    return Number.isInteger(info.pid) && info.pid > 0 ? info : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * False when the process is known not to be a Node.js one: after a crash, a stale pid file's pid
 * may have been reused by an unrelated program, which `stop` must never signal. (Linux shows the
 * command line in /proc; elsewhere the answer is true.)
 */
export function looksLikeStrangerchat(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return true;
  }
  return /node|strangerchat/i.test(cmdline);
}

/** The running instance, or undefined when there is no pid file or its process is gone. */
export function readRunning(config: Paths): PidInfo | undefined {
  const info = readPidFile(config);
  return info && isAlive(info.pid) && looksLikeStrangerchat(info.pid) ? info : undefined;
}

export function writeStatusFile(config: Paths, status: LiveStatus): void {
  writeAtomically(statusFilePath(config), `${JSON.stringify(status)}\n`);
}

/**
 * writeStatusFile off the event loop, for the periodic refresh: a synchronous write and rename
 * every 2 s stalled a busy server for as long as the file system took (2 % of a saturated
 * server's time on a loaded VM, in one piece each time).
 */
export async function writeStatusFileAsync(config: Paths, status: LiveStatus): Promise<void> {
  const path = statusFilePath(config);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(status)}\n`);
  await rename(temporary, path);
}

export function readStatusFile(config: Paths): LiveStatus | undefined {
  try {
    return JSON.parse(readFileSync(statusFilePath(config), 'utf8')) as LiveStatus;
  } catch {
    return undefined;
  }
}
