// Wires commander to the commands in commands/; nothing else.
import { Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode, processContext, type Context } from './context.ts';
import { registerAnnounce } from './commands/announce.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBackup } from './commands/backup.ts';
import { registerBan } from './commands/ban.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerConfig } from './commands/config.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerInit } from './commands/init.ts';
import { registerInvite } from './commands/invite.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerMod } from './commands/mod.ts';
import { registerPurge } from './commands/purge.ts';
import { registerReports } from './commands/reports.ts';
import { registerSessions } from './commands/sessions.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { registerStop } from './commands/stop.ts';
import { registerTurn } from './commands/turn.ts';
import { registerVersion } from './commands/version.ts';
import { packageVersion } from './version.ts';

/** Each command module registers itself on the program. */
export type CommandRegistrar = (program: Command, ctx: Context) => void;

/** In the order --help and docs/cli.md list them: the operator's day first. */
export const COMMANDS: CommandRegistrar[] = [
  registerInit,
  registerStart,
  registerStop,
  registerStatus,
  registerDoctor,
  registerConfig,
  registerMigrate,
  registerBackup,
  // Moderation from the terminal: through the same services as the dashboard, audited as cli:<user>.
  registerBan,
  registerReports,
  registerMod,
  registerInvite,
  registerSessions,
  registerAnnounce,
  registerAudit,
  registerPurge,
  registerDeploy,
  registerTurn,
  registerVersion,
  registerCompletion,
];

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
    .showHelpAfterError('(run the command with --help for its options and examples)')
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
      // An empty message: the command already said everything (e.g. doctor's failed checks).
      if (error.message) ctx.stderr.write(`strangerchat: ${error.message}\n`);
      return error.exitCode;
    }
    // Ctrl-C at a question (@inquirer/prompts): the person changed their mind, not a crash.
    if ((error as Error).name === 'ExitPromptError') {
      ctx.stderr.write('strangerchat: cancelled\n');
      return ExitCode.Error;
    }
    ctx.stderr.write(`strangerchat: ${(error as Error).stack ?? String(error)}\n`);
    return ExitCode.Error;
  }
}

export async function main(): Promise<void> {
  const ctx = processContext();
  ctx.exit(await run(process.argv.slice(2), ctx));
}
