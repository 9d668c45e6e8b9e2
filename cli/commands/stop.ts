// `strangerchat stop`: asks the running instance to stop (SIGTERM: it says "going away" to every
// client and closes), and waits until its process has exited.
import type { Command } from 'commander';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { isAlive, looksLikeStrangerchat, readPidFile, removePidFile, type PidInfo } from '../pidfile.ts';

export interface StopOptions extends GlobalOptions {
  timeout?: number;
}

export function registerStop(program: Command, ctx: Context): void {
  const command = program
    .command('stop')
    .description('stop the running instance gracefully and wait until it has exited (exit 5 when it is not running)')
    .option('--timeout <seconds>', 'how long to wait for it to exit', parseSeconds, 30)
    .action(async (_options: StopOptions, command: Command) => {
      await stop(ctx, command.optsWithGlobals<StopOptions>());
    });
  withExamples(command, ['strangerchat stop -C my-chat', 'strangerchat stop --timeout 60']);
}

export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0) throw new CliError(`--timeout: expected a number of seconds above 0 (e.g. 30), got "${value}"`, ExitCode.Usage);
  return seconds;
}

export async function stop(ctx: Context, options: StopOptions): Promise<void> {
  const output = new Output(ctx, options);
  const { config } = instanceConfig(ctx, options);
  const info = readPidFile(config);
  if (!info || !isAlive(info.pid) || !looksLikeStrangerchat(info.pid)) {
    if (info) removePidFile(config);
    output.result({ stopped: false, running: false, pid: info?.pid ?? null }, () => '');
    throw new CliError(`not running${info ? ` (removed a stale pid file of pid ${info.pid})` : ''}`, ExitCode.NotRunning);
  }
  if (info.pid === process.pid) throw new CliError('refusing to stop this very process');
  output.progress(`Stopping pid ${info.pid} (${info.url})…`);
  await terminate(info, (options.timeout ?? 30) * 1000);
  output.result({ stopped: true, running: false, pid: info.pid }, () => `stopped (pid ${info.pid})`);
}

/** SIGTERM (the server says "going away" to every client and closes), then waits for the process to exit. */
export async function terminate(info: PidInfo, timeoutMs: number): Promise<void> {
  try {
    process.kill(info.pid, 'SIGTERM');
  } catch (error) {
    throw new CliError(`cannot signal pid ${info.pid}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (is it another user's process?)`);
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(info.pid)) {
    if (Date.now() > deadline) {
      throw new CliError(
        `pid ${info.pid} is still running ${timeoutMs / 1000} s after SIGTERM; it may still be closing connections. Wait and run strangerchat status, or force it with kill -9 ${info.pid}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
