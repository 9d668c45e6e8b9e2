// The server under test: a real `strangerchat start` in its own process and its own instance
// folder, as an operator runs it. The bench reads its memory and CPU from /proc and its inner
// figures (Hub, heap after GC, event-loop delay) from the bench-only listener of cli/bench-stats.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_STATS_ENV, BENCH_STATS_LINE, type BenchStats } from '../../cli/bench-stats.ts';
import { readCpuMs, readRss } from './proc.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
const BUILT_CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** What the bench instance changes from the defaults: limits a person never meets but a load generator always does. */
export interface BenchInstanceOptions {
  /** Milliseconds between server pings (the default is 30 s; the idle scenario holds at least one interval). */
  heartbeatMs: number;
  logLevel?: 'info' | 'warn' | 'error';
}

/**
 * Writes an instance folder: strangerchat.json, .env (mode 0600) and rules.md. Rate limits are
 * raised to their maxima so that the generator, a few hundred "people" per loopback address, is
 * measured and not refused; no trusted proxies, so the server sees each 127.0.0.x address as is.
 */
export function writeBenchInstance(dir: string, options: BenchInstanceOptions): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const settings = {
    name: 'strangerchat bench',
    profile: 'community',
    accessMode: 'open',
    rulesFile: 'rules.md',
    server: { host: '127.0.0.1', port: 0, shutdownGraceSeconds: 2 },
    database: { driver: 'sqlite', path: 'data/strangerchat.db' },
    limits: { messagesPerSecond: 1000, messageBurst: 5000, heartbeatIntervalMs: options.heartbeatMs },
    rateLimits: {
      sessionsPer10Minutes: 100_000,
      connectionsPerAddress: 100_000,
      tcpConnectionsPerAddress: 1_000_000,
      findsPerMinute: 10_000,
      reportsPer10Minutes: 1000,
      reportsPer10MinutesPerDevice: 1000,
      reportsPer10MinutesPerAddress: 100_000,
      messagesPerMinutePerAddress: 100_000,
    },
    // A TURN server (never contacted: no media flows) so that the minors, seven in ten, may have
    // video; their conversations are then relay-only and their signals filtered, as on a real
    // community instance. Adults stay peer to peer.
    turn: { urls: ['turn:127.0.0.1:3478'] },
    relayOnly: false,
    // Random reports in the churn mix must not quarantine anyone: that would change the population.
    moderation: { quarantineReporters: 100 },
    log: { level: options.logLevel ?? 'info' },
  };
  writeFileSync(join(dir, 'strangerchat.json'), `${JSON.stringify(settings, null, 2)}\n`);
  writeFileSync(
    join(dir, '.env'),
    `STRANGERCHAT_SESSION_SECRET=${randomBytes(32).toString('base64url')}\nSTRANGERCHAT_TURN_SECRET=${randomBytes(24).toString('base64url')}\n`,
    { mode: 0o600 },
  );
  writeFileSync(join(dir, 'rules.md'), '# Rules\n\nBe kind. This instance is a load test.\n');
}

export function benchTempDir(prefix = 'strangerchat-bench-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Builds dist/ (scripts/build.sh) so the bench runs what users run. */
export function build(): void {
  const result = spawnSync(join(ROOT, 'scripts', 'build.sh'), { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`scripts/build.sh failed (exit ${result.status})`);
}

export function isBuilt(): boolean {
  return existsSync(BUILT_CLI);
}

/**
 * A private copy of what the package ships (bin/, dist/, templates/, package.json; node_modules
 * linked), so that a rebuild of the working tree during a run cannot pull dist/ from under the
 * server being measured. A copy caught in the middle of someone else's build is taken again.
 * `source` is another built tree (an A/B run against an older build: `node bench/run.ts --package DIR`).
 */
export async function snapshotPackage(source = ROOT): Promise<{ root: string; remove(): void }> {
  for (let attempt = 1; ; attempt++) {
    const root = mkdtempSync(join(tmpdir(), 'strangerchat-bench-package-'));
    const remove = () => rmSync(root, { recursive: true, force: true });
    try {
      for (const entry of ['bin', 'dist', 'templates', 'package.json']) cpSync(join(source, entry), join(root, entry), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
      if (['cli/main.js', 'server/app.js'].every((file) => existsSync(join(root, 'dist', file)))) return { root, remove };
    } catch {
      // dist/ changed while it was copied
    }
    remove();
    if (attempt >= 30) throw new Error(`${BUILT_CLI} is missing or incomplete: run scripts/build.sh (or drop --no-build)`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

export interface StartOptions {
  dir: string;
  /** The package to run (a snapshotPackage() root); the working tree by default. */
  packageRoot?: string;
  /** Turn on the bench listener (and --expose-gc). Off for the start-up scenario: it times a plain start. */
  benchStats?: boolean;
  /** Write a V8 CPU profile into this folder when the server stops. */
  cpuProfDir?: string;
  /** Called with each server log line at warn level or above. */
  onProblem?: (line: string) => void;
  timeoutMs?: number;
  /**
   * Another server to run in place of `strangerchat start` (a reference peer of the side-by-side
   * run): node flags and script path, given to this Node. It must print its URL on stdout and, with
   * benchStats, the bench-stats line on stderr, as `start` does.
   */
  command?: string[];
}

export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  /** Milliseconds from spawn to the URL on stdout (the server is listening). */
  readonly listeningAfterMs: number;
  /** Server log lines at error (level ≥ 50) and warn (40) level so far; `other`: stderr lines that are not JSON logs. */
  readonly logs: { errors: string[]; warnings: string[]; other: string[] };
  /** False once the process has exited. */
  alive(): boolean;
  stats(): Promise<BenchStats>;
  /** Forces a full GC in the server, then returns its figures. */
  gc(): Promise<BenchStats>;
  /** Restarts the server's event-loop delay histogram. */
  resetEventLoop(): Promise<void>;
  rss(): number;
  cpuMs(): number;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). Resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** A copy of the environment without STRANGERCHAT_* overrides (the instance's file decides). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('STRANGERCHAT_')) env[key] = value;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Spawns `strangerchat start -C <dir> --port 0` and resolves once its URL is printed. */
export function startServer(options: StartOptions): Promise<ServerProcess> {
  const benchStats = options.benchStats ?? true;
  const nodeArgs = [
    ...(benchStats ? ['--expose-gc'] : []),
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
  ];
  const startedAt = performance.now();
  const bin = join(options.packageRoot ?? ROOT, 'bin', 'strangerchat.js');
  const args = options.command ? [...nodeArgs, ...options.command] : [...nodeArgs, bin, 'start', '-C', options.dir, '--port', '0'];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: options.dir,
    env: cleanEnv(benchStats ? { [BENCH_STATS_ENV]: '1' } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = { errors: [] as string[], warnings: [] as string[], other: [] as string[] };
  const tail: string[] = [];
  let url: string | undefined;
  let statsUrl: string | undefined;
  let listeningAfterMs = 0;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`strangerchat start gave no URL within ${options.timeoutMs ?? 30_000} ms:\n${tail.join('\n')}`));
    }, options.timeoutMs ?? 30_000);
    const ready = () => {
      if (!url || (benchStats && !statsUrl)) return;
      clearTimeout(timer);
      resolve(handle(url, statsUrl));
    };
    // Both pipes are always drained: a server blocked on a full stderr pipe would measure the bench, not itself.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(tail, `stdout: ${line}`);
      if (!url && /^https?:\/\//.test(line.trim())) {
        url = line.trim();
        listeningAfterMs = performance.now() - startedAt;
        ready();
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      remember(tail, line);
      if (line.startsWith(BENCH_STATS_LINE)) {
        statsUrl = line.slice(BENCH_STATS_LINE.length).trim();
        return ready();
      }
      const level = logLevel(line);
      if (level >= 50) logs.errors.push(line);
      else if (level >= 40) logs.warnings.push(line);
      else if (level === 0 && line.trim()) logs.other.push(line);
      if (level >= 40 || level === 0) options.onProblem?.(line);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!url || (benchStats && !statsUrl)) {
        const hint = benchStats ? ' (no bench stats line: is dist/ stale? run scripts/build.sh)' : '';
        reject(new Error(`strangerchat start exited with ${code} before it was ready${hint}:\n${tail.join('\n')}`));
      }
    });
  });

  function handle(baseUrl: string, stats: string | undefined): ServerProcess {
    const call = async (method: string, path: string): Promise<BenchStats> => {
      if (!stats) throw new Error('this server was started without bench stats');
      const res = await fetch(`${stats}${path}`, { method });
      if (!res.ok) throw new Error(`bench stats ${method} ${path}: ${res.status}`);
      return (await res.json()) as BenchStats;
    };
    return {
      pid: child.pid!,
      url: baseUrl,
      listeningAfterMs,
      logs,
      alive: () => child.exitCode === null && child.signalCode === null,
      stats: () => call('GET', '/stats'),
      gc: () => call('POST', '/gc'),
      resetEventLoop: async () => {
        await call('POST', '/reset');
      },
      rss: () => readRss(child.pid!),
      cpuMs: () => readCpuMs(child.pid!),
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(killer);
        return code;
      },
    };
  }
}

function remember(tail: string[], line: string): void {
  tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
  if (tail.length > 40) tail.shift();
}

/** pino's numeric level of a JSON log line (0 for anything else: a Node warning, a crash's stack). */
function logLevel(line: string): number {
  if (!line.startsWith('{')) return 0;
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === 'number' ? level : 0;
  } catch {
    return 0;
  }
}
