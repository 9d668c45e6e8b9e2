// Wires commander to the commands in commands/; nothing else.
import { Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode, processContext, type Context } from './context.ts';
import { packageVersion } from './version.ts';

/** Each command module registers itself on the program. */
export type CommandRegistrar = (program: Command, ctx: Context) => void;

/** A top-level command: its name, and the module that registers it, imported only when needed. */
export interface CommandEntry {
  name: string;
  load: () => Promise<CommandRegistrar>;
  /** Reads the whole program (completion), so every command is loaded with it. */
  needsAll?: boolean;
}

/**
 * In the order --help and docs/cli.md list them: the operator's day first. Imported on demand:
 * a run loads only its command's modules (and packages), while --help, completion and the docs
 * load them all.
 */
export const COMMANDS: CommandEntry[] = [
  { name: 'init', load: async () => (await import('./commands/init.ts')).registerInit },
  { name: 'start', load: async () => (await import('./commands/start.ts')).registerStart },
  { name: 'stop', load: async () => (await import('./commands/stop.ts')).registerStop },
  { name: 'restart', load: async () => (await import('./commands/restart.ts')).registerRestart },
  { name: 'status', load: async () => (await import('./commands/status.ts')).registerStatus },
  { name: 'logs', load: async () => (await import('./commands/logs.ts')).registerLogs },
  { name: 'doctor', load: async () => (await import('./commands/doctor.ts')).registerDoctor },
  { name: 'config', load: async () => (await import('./commands/config.ts')).registerConfig },
  { name: 'migrate', load: async () => (await import('./commands/migrate.ts')).registerMigrate },
  { name: 'backup', load: async () => (await import('./commands/backup.ts')).registerBackup },
  { name: 'update', load: async () => (await import('./commands/update.ts')).registerUpdate },
  // Moderation from the terminal: through the same services as the dashboard, audited as cli:<user>.
  { name: 'ban', load: async () => (await import('./commands/ban.ts')).registerBan },
  { name: 'reports', load: async () => (await import('./commands/reports.ts')).registerReports },
  { name: 'mod', load: async () => (await import('./commands/mod.ts')).registerMod },
  { name: 'invite', load: async () => (await import('./commands/invite.ts')).registerInvite },
  { name: 'email', load: async () => (await import('./commands/email.ts')).registerEmail },
  { name: 'sessions', load: async () => (await import('./commands/sessions.ts')).registerSessions },
  { name: 'announce', load: async () => (await import('./commands/announce.ts')).registerAnnounce },
  { name: 'audit', load: async () => (await import('./commands/audit.ts')).registerAudit },
  { name: 'stats', load: async () => (await import('./commands/stats.ts')).registerStats },
  { name: 'purge', load: async () => (await import('./commands/purge.ts')).registerPurge },
  { name: 'deploy', load: async () => (await import('./commands/deploy.ts')).registerDeploy },
  { name: 'turn', load: async () => (await import('./commands/turn.ts')).registerTurn },
  { name: 'version', load: async () => (await import('./commands/version.ts')).registerVersion },
  { name: 'completion', load: async () => (await import('./commands/completion.ts')).registerCompletion, needsAll: true },
];

/** Global options whose value is the next word (which is then not a command's name). */
const VALUE_OPTIONS = new Set(['-C', '--dir']);

/**
 * The command an argument list runs, read as commander will read it; undefined when it names
 * none the program knows (root help, `help <command>`, a typo): then every command is loaded,
 * so help lists them all and a typo gets its "did you mean".
 */
export function commandOf(argv: readonly string[]): CommandEntry | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return undefined;
    // `-C dir`, `--dir dir`, and short flags combined with a final C (`-yC dir`).
    if (VALUE_OPTIONS.has(word) || /^-[^-]+C$/.test(word)) {
      i++;
      continue;
    }
    if (word.startsWith('-')) continue;
    return COMMANDS.find((entry) => entry.name === word);
  }
  return undefined;
}

/** The whole program, every command loaded (help, completion, the generated docs, tests). */
export async function buildProgram(ctx: Context): Promise<Command> {
  return programWith(ctx, COMMANDS);
}

/** The program with only the command `argv` runs (all of them when it needs or names none). */
export async function programFor(argv: readonly string[], ctx: Context): Promise<Command> {
  const entry = commandOf(argv);
  return programWith(ctx, entry && !entry.needsAll ? [entry] : COMMANDS);
}

async function programWith(ctx: Context, entries: CommandEntry[]): Promise<Command> {
  const registrars = await Promise.all(entries.map((entry) => entry.load()));
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
  for (const register of registrars) register(program, ctx);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it. */
export async function run(argv: string[], ctx: Context): Promise<number> {
  try {
    await (await programFor(argv, ctx)).parseAsync(argv, { from: 'user' });
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
