// Wires commander to the commands in commands/; nothing else.
import { Writable } from 'node:stream';
import { Command, CommanderError, Option } from 'commander';
import { AppError } from '../server/errors.ts';
import { CliError, ExitCode, processContext, type Context } from './context.ts';
import { usePrivateUmask } from './file-modes.ts';
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
  { name: 'pause', load: async () => (await import('./commands/pause.ts')).registerPause },
  { name: 'resume', load: async () => (await import('./commands/pause.ts')).registerResume },
  { name: 'audit', load: async () => (await import('./commands/audit.ts')).registerAudit },
  { name: 'stats', load: async () => (await import('./commands/stats.ts')).registerStats },
  { name: 'purge', load: async () => (await import('./commands/purge.ts')).registerPurge },
  { name: 'deploy', load: async () => (await import('./commands/deploy.ts')).registerDeploy },
  { name: 'turn', load: async () => (await import('./commands/turn.ts')).registerTurn },
  { name: 'version', load: async () => (await import('./commands/version.ts')).registerVersion },
  { name: 'completion', load: async () => (await import('./commands/completion.ts')).registerCompletion, needsAll: true },
];

/**
 * The commands that act through the moderation services, as the operator or as the --as account.
 * The others work on the instance's files (settings, database, processes) with no account: an
 * explicit --as there exits 2 rather than being ignored (STRANGERCHAT_AS is simply not used).
 */
export const MODERATION_COMMANDS: ReadonlySet<string> = new Set(['ban', 'reports', 'mod', 'invite', 'sessions', 'announce', 'pause', 'resume', 'audit', 'purge']);

/** Global options whose value is the next word (which is then not a command's name). */
const VALUE_OPTIONS = new Set(['-C', '--dir', '--as']);

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
    .option('--utc', "show times in UTC (default: the terminal's local time, with its offset)")
    .option('--as <account>', 'act as this moderator account, with its role (default: $STRANGERCHAT_AS; else the operator, as an owner); see docs/security.md')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run the command with --help for its options and examples)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });
  for (const register of registrars) register(program, ctx);
  program.hook('preAction', (_program, action) => {
    let top = action;
    while (top.parent && top.parent !== program) top = top.parent;
    if (program.opts().as !== undefined && !MODERATION_COMMANDS.has(top.name())) {
      throw new CliError(`--as applies to the commands that act as a moderator (${[...MODERATION_COMMANDS].join(', ')}), not to ${top.name()}`, ExitCode.Usage);
    }
  });
  return program;
}

/** True when the arguments ask for --json (read before parsing, so a usage error is JSON too). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The command's stdout, remembering whether anything was written to it. */
function trackedStdout(ctx: Context): { stream: Context['stdout']; written: () => boolean } {
  let written = false;
  const target = ctx.stdout;
  const stream = Object.assign(
    new Writable({
      decodeStrings: false,
      // Handed on at once, never held here: main() exits right after run() returns.
      write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void) {
        written = true;
        if (typeof chunk === 'string') target.write(chunk, encoding);
        else target.write(chunk);
        callback();
      },
    }),
    { isTTY: target.isTTY },
  );
  return { stream, written: () => written };
}

/** How a failed run ends: its exit code, its `--json` code, and the message (empty: already said). */
interface Failure {
  exitCode: number;
  code: string;
  message: string;
  /** What stderr shows instead of the message (a crash's stack). */
  detail?: string;
}

function failureOf(error: unknown): Failure {
  if (error instanceof CommanderError) {
    // commander has written its message (and the help hint) to stderr already.
    const code = error.code.replace(/^commander\./, '').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return { exitCode: error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage, code, message: error.message.replace(/^error: /, '') };
  }
  if (error instanceof CliError) return { exitCode: error.exitCode, code: error.code, message: error.message };
  if (error instanceof AppError) {
    const exitCode = error.status === 400 ? ExitCode.Usage : ExitCode.Error;
    return { exitCode, code: error.code, message: error.message };
  }
  // Ctrl-C at a question (@inquirer/prompts): the person changed their mind, not a crash.
  if ((error as Error).name === 'ExitPromptError') return { exitCode: ExitCode.Error, code: 'cancelled', message: 'cancelled' };
  return { exitCode: ExitCode.Error, code: 'internal', message: (error as Error).message ?? String(error), detail: (error as Error).stack ?? String(error) };
}

/**
 * Runs the CLI; returns the exit code instead of exiting, so tests can call it. With --json, a
 * failure that printed no result prints `{"error":{"code","message"}}` on stdout (the message is
 * on stderr too), with the same exit code.
 */
export async function run(argv: string[], ctx: Context): Promise<number> {
  // Before any command writes: what it creates (data/, the database, backups) is its owner's only.
  usePrivateUmask();
  const stdout = trackedStdout(ctx);
  const tracked: Context = { ...ctx, stdout: stdout.stream };
  try {
    await (await programFor(argv, tracked)).parseAsync(argv, { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    const failure = failureOf(error);
    if (failure.exitCode === ExitCode.Ok) return ExitCode.Ok;
    // An empty message: the command already said everything (e.g. doctor's failed checks).
    if (failure.message && !(error instanceof CommanderError)) ctx.stderr.write(`strangerchat: ${failure.detail ?? failure.message}\n`);
    if (wantsJson(argv) && !stdout.written()) {
      const message = failure.message || `exit ${failure.exitCode}`;
      ctx.stdout.write(`${JSON.stringify({ error: { code: failure.code, message } }, null, 2)}\n`);
    }
    return failure.exitCode;
  }
}

export async function main(): Promise<void> {
  const ctx = processContext();
  ctx.exit(await run(process.argv.slice(2), ctx));
}
