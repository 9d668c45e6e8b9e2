// `strangerchat logs`: the instance's log, read from its rotated files in data/logs (written by
// `start`, see server/logger.ts), pretty-printed by pino-pretty or as the JSON lines themselves;
// -f follows it across rotations until Ctrl-C.
import { existsSync, readdirSync, readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { pino } from 'pino';
import pinoPretty from 'pino-pretty';
import type { ServerConfig } from '../../server/config.ts';
import { PRETTY_OPTIONS } from '../../server/logger.ts';
import { CliError, type Context } from '../context.ts';
import { withExamples, withNotes } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { logsDirOf } from '../paths.ts';
import { countFlag, sinceFlag } from '../services.ts';

/** Lines shown without -n or --since. */
export const DEFAULT_LINES = 50;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type LevelName = (typeof LEVELS)[number];
/** The files the log writes (server/log-file.ts): strangerchat.<n>.log, the highest number being written now. */
const LOG_FILE = /^strangerchat\.(\d+)\.log$/;
/** The most read from a file per turn while following (a burst is read over several turns). */
const FOLLOW_CHUNK_BYTES = 1 << 20;

export interface LogsOptions extends GlobalOptions {
  follow?: boolean;
  lines?: number;
  level?: LevelName;
  since?: number;
}

export interface LogsDeps {
  /** How often -f looks for new lines. */
  pollIntervalMs: number;
}

export const defaultLogsDeps: LogsDeps = { pollIntervalMs: 250 };

export function registerLogs(program: Command, ctx: Context, deps: LogsDeps = defaultLogsDeps): void {
  const command = program
    .command('logs')
    .description("the instance's log (data/logs, written by start), readable, or as JSON lines with --json; -f follows it")
    .option('-f, --follow', 'keep printing new lines as the server writes them, until Ctrl-C')
    .option('-n, --lines <count>', `the last this many lines (default ${DEFAULT_LINES}, or every line with --since)`, countFlag('--lines', 0, 1_000_000))
    .addOption(new Option('--level <level>', 'only lines at this level or above').choices(LEVELS))
    .option('--since <when>', 'only lines since: a duration back from now (30m, 24h, 7d) or a date (2026-11-28, 2026-11-28T12:00:00Z)', sinceFlag)
    .action(async (_o: LogsOptions, command: Command) => logs(ctx, command.optsWithGlobals<LogsOptions>(), deps));
  withNotes(
    command,
    'Output',
    'Readable lines (pino-pretty), in local time. With --json, the log\'s own JSON lines: one object\nper line, with "time" (ms), "level" (10 trace … 60 fatal) and "msg".',
  );
  withExamples(command, ['strangerchat logs', 'strangerchat logs -f --level warn', 'strangerchat logs -n 200 --since 1h', 'strangerchat logs --json --since 2026-11-28 | jq .msg']);
}

interface LogFile {
  path: string;
  number: number;
}

/** The log files, oldest first. */
export function logFiles(dir: string): LogFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ name, match: LOG_FILE.exec(name) }))
    .filter((entry) => entry.match)
    .map((entry) => ({ path: join(dir, entry.name), number: Number(entry.match![1]) }))
    .sort((a, b) => a.number - b.number);
}

/** Prints lines, filtered; keeps the partial last line of a read for the next one. */
class Printer {
  readonly #ctx: Context;
  readonly #json: boolean;
  readonly #minLevel: number;
  readonly #since: number | undefined;
  readonly #pretty: (line: unknown) => string;

  constructor(ctx: Context, options: LogsOptions, output: Output) {
    this.#ctx = ctx;
    this.#json = output.json;
    this.#minLevel = options.level ? pino.levels.values[options.level]! : 0;
    this.#since = options.since;
    this.#pretty = pinoPretty.prettyFactory({ ...PRETTY_OPTIONS, colorize: output.out.level > 0 });
  }

  /** True when a line passes the filters (--level, --since). */
  accepts(line: string): boolean {
    if (!line.trim()) return false;
    let record: { level?: unknown; time?: unknown };
    try {
      record = JSON.parse(line) as { level?: unknown; time?: unknown };
    } catch {
      // Not a line pino wrote: shown unless a filter asks for what it cannot tell.
      return this.#minLevel === 0 && this.#since === undefined;
    }
    if (typeof record.level === 'number' && record.level < this.#minLevel) return false;
    if (this.#since !== undefined && !(typeof record.time === 'number' && record.time >= this.#since)) return false;
    return true;
  }

  print(line: string): void {
    if (this.#json) {
      this.#ctx.stdout.write(`${line}\n`);
      return;
    }
    let text: string;
    try {
      text = this.#pretty(JSON.parse(line));
    } catch {
      text = `${line}\n`;
    }
    this.#ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** The last `count` accepted lines across the files, reading from the newest file back. */
function tail(files: LogFile[], printer: Printer, count: number): string[] {
  const shown: string[] = [];
  for (let i = files.length - 1; i >= 0 && shown.length < count; i--) {
    const lines = readFileSync(files[i]!.path, 'utf8').split('\n');
    // The file being written may end in a line not yet complete: follow prints it once whole.
    if (i === files.length - 1) lines.pop();
    for (let j = lines.length - 1; j >= 0 && shown.length < count; j--) {
      if (printer.accepts(lines[j]!)) shown.push(lines[j]!);
    }
  }
  return shown.reverse();
}

function noLogProblem(config: ServerConfig, dir: string): string {
  if (!config.settings.log.file) {
    return `this instance writes no log file (log.file is off): turn it on with strangerchat config set log.file true and restart, or read the service manager's log (journalctl -u strangerchat)`;
  }
  return `no log in ${dir} yet: the instance has not run since logs were written there (strangerchat start)`;
}

export async function logs(ctx: Context, options: LogsOptions, deps: LogsDeps = defaultLogsDeps): Promise<void> {
  const output = new Output(ctx, options);
  const { config } = instanceConfig(ctx, options);
  const dir = logsDirOf(config);
  const files = logFiles(dir);
  if (files.length === 0 && !options.follow) throw new CliError(noLogProblem(config, dir));
  const printer = new Printer(ctx, options, output);
  const count = options.lines ?? (options.since !== undefined ? Number.POSITIVE_INFINITY : DEFAULT_LINES);
  for (const line of tail(files, printer, count)) printer.print(line);
  if (!options.follow) return;
  if (files.length === 0) output.say(`Waiting for the log in ${dir} (Ctrl-C to stop)…`);
  await follow(ctx, dir, files.at(-1), printer, deps);
}

/**
 * Prints what is appended from here on: the newest file from its last complete line, then each
 * newer file the log begins. Ends when the process is asked to stop (Ctrl-C).
 */
async function follow(ctx: Context, dir: string, start: LogFile | undefined, printer: Printer, deps: LogsDeps): Promise<void> {
  let current = start;
  let offset = start ? completeLength(start.path) : 0;
  let partial = '';
  let stopped = false;
  const signal = ctx.untilSignal().then(() => {
    stopped = true;
  });
  const readMore = () => {
    const files = logFiles(dir);
    if (!current) {
      current = files[0];
      offset = 0;
      if (!current) return;
    }
    for (;;) {
      const size = existsSync(current.path) ? statSync(current.path).size : 0;
      // Truncated or replaced: start it again.
      if (size < offset) offset = 0;
      if (size > offset) {
        const chunk = readRange(current.path, offset, Math.min(size - offset, FOLLOW_CHUNK_BYTES));
        offset += chunk.length;
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop()!;
        for (const line of lines) if (printer.accepts(line)) printer.print(line);
        if (size > offset) return;
      }
      const next = files.find((file) => file.number > current!.number);
      if (!next) return;
      // A rotation: the old file is complete, the new one is read from its start.
      if (partial && printer.accepts(partial)) printer.print(partial);
      partial = '';
      current = next;
      offset = 0;
    }
  };
  while (!stopped) {
    readMore();
    await Promise.race([signal, new Promise((resolve) => setTimeout(resolve, deps.pollIntervalMs))]);
  }
}

/** The length of a file up to and including its last newline. */
function completeLength(path: string): number {
  const text = readFileSync(path);
  const last = text.lastIndexOf(0x0a);
  return last + 1;
}

function readRange(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
