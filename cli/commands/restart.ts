// `strangerchat restart`: the running instance (found through its pid file) is stopped
// gracefully, then started again in the background the way it was started (its --port and
// --host), with the instance's own installed strangerchat when it has one; the command returns
// once the new process answers /healthz. `update` restarts through the same function.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { ServerConfig } from '../../server/config.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { logsDirOf } from '../paths.ts';
import { readRunning, type PidInfo } from '../pidfile.ts';
import { dataDirProblem, fetchHealth } from '../preflight.ts';
import { parseSeconds, terminate } from './stop.ts';

/** How long the new process may take to answer /healthz (migrations run before it listens). */
const DEFAULT_START_TIMEOUT_S = 60;
export const DEFAULT_STOP_TIMEOUT_S = 30;
const POLL_MS = 100;
/** What the background start prints (its URL, and why it stopped if it could not start). */
export const CONSOLE_FILE = 'console.out';
/** Lines of the console file quoted when the new process did not come up. */
const QUOTED_LINES = 15;

export interface RestartOptions extends GlobalOptions {
  timeout?: number;
}

/** The stable shape of `restart --json` (and of `update`'s restart). */
export interface RestartResult {
  restarted: true;
  previousPid: number;
  pid: number;
  url: string;
  version: string;
}

export interface BackgroundStart {
  pid: number;
  /** Resolves with the exit code should the process end. */
  exited: Promise<number | null>;
}

export interface RestartDeps {
  /** Starts `strangerchat start` for the instance in the background, detached from this terminal. */
  spawnStart(dir: string, args: string[], consoleFile: string, env: Record<string, string | undefined>): BackgroundStart;
}

export const defaultRestartDeps: RestartDeps = { spawnStart: spawnDetached };

export function registerRestart(program: Command, ctx: Context, deps: RestartDeps = defaultRestartDeps): void {
  const command = program
    .command('restart')
    .description('stop the running instance gracefully and start it again in the background (to apply changed settings); returns once it answers /healthz (exit 5 when it is not running)')
    .option('--timeout <seconds>', `how long each of the stop and the start may take (default ${DEFAULT_STOP_TIMEOUT_S} and ${DEFAULT_START_TIMEOUT_S})`, parseSeconds)
    .action(async (_o: RestartOptions, command: Command) => {
      await restart(ctx, command.optsWithGlobals<RestartOptions>(), deps);
    });
  withNotes(
    command,
    'Notes',
    'The new process runs in the background with its log in data/logs (strangerchat logs -f); stop it\nwith strangerchat stop. It gets the --port and --host the old one was started with, and this\nshell\'s environment. An instance run by systemd is restarted with systemctl instead.',
  );
  withExamples(command, ['strangerchat config set limits.ticketTtlSeconds 120 && strangerchat restart', 'strangerchat restart -C my-chat --json']);
}

export async function restart(ctx: Context, options: RestartOptions, deps: RestartDeps = defaultRestartDeps): Promise<void> {
  const output = new Output(ctx, options);
  // Loaded first: settings that would not start must not stop the running instance.
  const { dir, config } = instanceConfig(ctx, options);
  const running = readRunning(config);
  if (!running) throw new CliError('not running; start it with strangerchat start', ExitCode.NotRunning);
  const result = await restartRunning(ctx, dir, config, running, output, deps, options.timeout);
  output.result(result, () => `restarted: pid ${result.previousPid} → ${result.pid}, ${result.url}`);
  output.say(`strangerchat ${result.version} runs in the background; follow its log with strangerchat logs -f, stop it with strangerchat stop.`);
}

/** Stops `running` and starts the instance again; resolves once the new process is healthy. */
export async function restartRunning(
  ctx: Context,
  dir: string,
  config: ServerConfig,
  running: PidInfo,
  output: Output,
  deps: RestartDeps,
  timeoutS?: number,
): Promise<RestartResult> {
  if (running.supervisor) {
    throw new CliError(`this instance runs under systemd (${running.supervisor.unit}): restart it with sudo systemctl restart ${running.supervisor.unit}`);
  }
  if (running.pid === process.pid) throw new CliError('refusing to restart this very process');
  const problem = dataDirProblem(logsDirOf(config));
  if (problem) throw new CliError(problem);
  output.progress(`Stopping pid ${running.pid} (${running.url})…`);
  await terminate(running, (timeoutS ?? DEFAULT_STOP_TIMEOUT_S) * 1000);
  output.progress('Starting it again…');
  const started = await startInBackground(ctx, dir, config, running.startOptions, deps, timeoutS);
  return { restarted: true, previousPid: running.pid, pid: started.pid, url: started.url, version: started.version };
}

/** Starts the instance in the background (with the --port/--host given); resolves once it is healthy. */
export async function startInBackground(
  ctx: Context,
  dir: string,
  config: ServerConfig,
  startOptions: PidInfo['startOptions'],
  deps: RestartDeps,
  timeoutS?: number,
): Promise<PidInfo> {
  const args = ['--quiet', ...(startOptions?.port !== undefined ? ['--port', String(startOptions.port)] : []), ...(startOptions?.host ? ['--host', startOptions.host] : [])];
  const consoleFile = join(logsDirOf(config), CONSOLE_FILE);
  const child = deps.spawnStart(dir, args, consoleFile, ctx.env);
  return untilHealthy(config, child, consoleFile, (timeoutS ?? DEFAULT_START_TIMEOUT_S) * 1000);
}

/** Waits for the new process's pid file and a 200 from its /healthz. */
async function untilHealthy(config: ServerConfig, child: BackgroundStart, consoleFile: string, timeoutMs: number): Promise<PidInfo> {
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = readRunning(config);
    if (info?.pid === child.pid && (await fetchHealth(info.url)).ok) return info;
    if (exitCode !== undefined) throw new CliError(`the new process exited with ${exitCode} before it answered; it said:\n${quote(consoleFile)}`);
    if (Date.now() > deadline) {
      throw new CliError(`the new process (pid ${child.pid}) did not answer /healthz within ${timeoutMs / 1000} s; see strangerchat logs and ${consoleFile}:\n${quote(consoleFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function quote(path: string): string {
  if (!existsSync(path)) return '  (nothing)';
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-QUOTED_LINES);
  return lines.map((line) => `  ${line}`).join('\n') || '  (nothing)';
}

/**
 * The strangerchat that starts an instance: the one installed in its folder (what its
 * package.json pins, and what `update` installs), else this one.
 */
export function binFor(dir: string): string {
  const local = join(dir, 'node_modules', 'strangerchat', 'bin', 'strangerchat.js');
  if (existsSync(local)) return local;
  const here = fileURLToPath(new URL('.', import.meta.url));
  // cli/commands/ in the sources, dist/cli/commands/ in the package.
  const root = here.includes(`${sep}dist${sep}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
  return join(root, 'bin', 'strangerchat.js');
}

/** `strangerchat start` in its own session, its output in a file: it outlives this terminal. */
function spawnDetached(dir: string, args: string[], consoleFile: string, env: Record<string, string | undefined>): BackgroundStart {
  mkdirSync(dirname(consoleFile), { recursive: true });
  const out = openSync(consoleFile, 'w');
  try {
    const child = spawn(process.execPath, [binFor(dir), 'start', '-C', dir, ...args], { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(-1));
    });
    child.unref();
    return { pid: child.pid ?? -1, exited };
  } finally {
    closeSync(out);
  }
}
