// Wires commander to the commands in commands/; nothing else.
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode, processContext, type Context } from './context.ts';
import { registerStart } from './commands/start.ts';
import { packageVersion } from './version.ts';

export function buildProgram(ctx: Context): Command {
  const program = new Command('strangerchat')
    .description('A self-hostable, moderated stranger-chat space.')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  registerStart(program, ctx);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function run(argv: string[], ctx: Context): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      ctx.stderr.write(`strangerchat: ${error.message}\n`);
      return error.exitCode;
    }
    ctx.stderr.write(`strangerchat: ${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.Error;
  }
}

export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2), processContext());
  process.exit(code);
}
