// Wires commander to the commands in commands/; nothing else.
import { Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode, processContext, type Context } from './context.ts';
import { registerStart } from './commands/start.ts';
import { packageVersion } from './version.ts';

/** Each command module registers itself on the program. */
export type CommandRegistrar = (program: Command, ctx: Context) => void;

export const COMMANDS: CommandRegistrar[] = [registerStart];

export function buildProgram(ctx: Context): Command {
  const program = new Command('strangerchat')
    .description('A self-hostable, moderated stranger-chat space.')
    .version(packageVersion(), '-v, --version', 'print the version')
    .option('-C, --dir <dir>', 'instance folder (default: $STRANGERCHAT_DIR, else the nearest folder upward with strangerchat.json)')
    .option('--json', 'print results as JSON on stdout')
    .option('--no-color', 'no colours (also NO_COLOR or a non-terminal)')
    .option('-y, --yes', 'take the default answer to every question')
    .addOption(new Option('--no-input', 'never ask a question; a missing answer exits 2'))
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  for (const register of COMMANDS) register(program, ctx);
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
