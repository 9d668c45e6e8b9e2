// newRedis(): a private `redis-server` for one test file — a unix socket in a fresh folder, no
// TCP port, persistence off (`--save '' --appendonly no`), never the system's service — that a
// test can restart on the same socket (a Redis restart loses everything, as an unpersisted one
// does) and stops in teardown (or when the process exits). Debian's package `redis-server`
// provides the binary (scripts/install-system-deps.sh installs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3000;

export interface TestRedis {
  /** `redis+unix://` style URL node-redis accepts: `unix:///…/redis.sock`. */
  readonly url: string;
  readonly socket: string;
  /** Kills the server (SIGKILL: nothing is saved) and starts a fresh one on the same socket. */
  restart(): Promise<void>;
  /** Kills the server and leaves it down (restart() brings it back). */
  kill(): Promise<void>;
  /** The server's log so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function findRedisServer(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'].filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts a private Redis; throws (never skips) when redis-server is not installed. */
export async function newRedis(): Promise<TestRedis> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server is not installed: run scripts/install-system-deps.sh (as root or through sudo)');
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-redis-'));
  const socket = join(dir, 'redis.sock');
  const logFile = join(dir, 'redis.log');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const args = ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', logFile, '--daemonize', 'no'];
    const proc = spawn(binary, args, { stdio: 'ignore' });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await answersPing(socket))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}) before listening:\n${log()}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${socket} in ${START_TIMEOUT_MS} ms:\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
    rmSync(socket, { force: true });
  };
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stopSync = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);
  try {
    await start();
  } catch (error) {
    stopSync();
    process.removeListener('exit', stopSync);
    throw error;
  }
  return {
    url: `unix://${socket}`,
    socket,
    log,
    kill,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      process.removeListener('exit', stopSync);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when something on the socket answers PING with PONG. */
function answersPing(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socket)) return resolve(false);
    const connection = createConnection(socket);
    const done = (ok: boolean) => {
      connection.destroy();
      resolve(ok);
    };
    connection.setTimeout(500, () => done(false));
    connection.once('error', () => done(false));
    connection.once('connect', () => connection.write('PING\r\n'));
    connection.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
