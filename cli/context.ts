// What every command receives: injected, so tests drive commands in-process (create-astro style)
// with a fake prompt, captured output and a throwing exit.
import { userInfo } from 'node:os';
import type { Prompter } from './prompt.ts';
import { inquirerPrompter } from './prompt.ts';

export interface Context {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Asks questions; only called when a terminal can answer (see `canPrompt`). */
  prompt: Prompter;
  /** The operating-system user, for the audit log (`cli:<user>`). */
  osUser: string;
  /** Ends the command with an exit code; tests inject one that throws. */
  exit(code: number): never;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); tests resolve it themselves. */
  untilSignal(): Promise<string>;
}

/** Documented exit codes (docs/cli.md). */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  InvalidConfig: 3,
  DoctorFailed: 4,
  NotRunning: 5,
  PartialBatch: 6,
  /** `audit verify` found the log tampered with (edited, missing or truncated rows, an emptied log, a witness not found). */
  AuditBroken: 7,
  MigrationsPending: 10,
} as const;

/** The `code` of a `--json` error for each exit code, when the error names none of its own. */
export const ERROR_CODES: Record<number, string> = {
  [ExitCode.Error]: 'error',
  [ExitCode.Usage]: 'usage',
  [ExitCode.InvalidConfig]: 'invalid_config',
  [ExitCode.DoctorFailed]: 'doctor_failed',
  [ExitCode.NotRunning]: 'not_running',
  [ExitCode.PartialBatch]: 'partial_batch',
  [ExitCode.MigrationsPending]: 'migrations_pending',
};

/**
 * An error that ends a command with a message and an exit code; `code` (snake_case) is what
 * `--json` prints as `{"error":{"code","message"}}` (default: from the exit code).
 */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;
  constructor(message: string, exitCode: number = ExitCode.Error, code?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = code ?? ERROR_CODES[exitCode] ?? 'error';
  }
}

export function processContext(): Context {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    prompt: inquirerPrompter(),
    osUser: safeUser(),
    exit: (code) => process.exit(code),
    untilSignal: () =>
      new Promise((resolve) => {
        const handler = (signal: string) => {
          process.off('SIGINT', handler);
          process.off('SIGTERM', handler);
          resolve(signal);
        };
        process.on('SIGINT', handler);
        process.on('SIGTERM', handler);
      }),
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
