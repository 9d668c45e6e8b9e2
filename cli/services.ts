// What the moderation commands share: the instance's services (server/services.ts, the same
// construction the server uses) acting as the operating-system user, the mapping of service
// errors to exit codes, ids by unique prefix, flag parsers, terminal-safe text and batch tallies.
import { readFileSync } from 'node:fs';
import type { Actor } from '../server/access/actor.ts';
import type { ServerConfig } from '../server/config.ts';
import type { Db } from '../server/db/database.ts';
import { AppError } from '../server/errors.ts';
import { memoryCluster } from '../server/cluster/cluster.ts';
import { redisFeedPublisher } from '../server/cluster/redis/redis-cluster.ts';
import { createLogger } from '../server/logger.ts';
import { parseDuration } from '../server/moderation/duration.ts';
import { createServices, type Services } from '../server/services.ts';
import { CliError, ExitCode, type Context } from './context.ts';
import { terminalActor } from './identity.ts';
import { openInstance, type OpenInstance } from './instance.ts';
import { Output, type GlobalOptions } from './output.ts';
import { readRunning, type PidInfo } from './pidfile.ts';

/** What a moderation command works with. */
export interface Operator {
  instance: OpenInstance;
  services: Services;
  /** The operator at the terminal (an owner, audited as `cli:<os user>`), or the --as account (cli/identity.ts). */
  actor: Actor;
  output: Output;
  now: () => number;
}

/**
 * Opens the instance (exit 10 while migrations are pending), builds its services without a ban
 * index (bans reach a running server through the moderation feed), runs `work`, and closes
 * everything. A service's refusal becomes a CLI error: invalid input exits 2, anything else 1.
 */
export async function withServices<T>(ctx: Context, options: GlobalOptions, work: (operator: Operator) => Promise<T>): Promise<T> {
  const output = new Output(ctx, options);
  const instance = await openInstance(ctx, options);
  // Services log only what an operator must see (warnings), as JSON lines on stderr like the server.
  const logger = createLogger({ level: 'warn', destination: ctx.stderr });
  // Limits and locks stay this process's; on a cluster a change wakes the nodes through Redis.
  const own = memoryCluster({ now: Date.now });
  const redisUrl = instance.config.settings.redis.url;
  const events = redisUrl ? redisFeedPublisher({ url: redisUrl, logger }) : own.events;
  const services = createServices({ db: instance.db, config: instance.config, now: Date.now, logger, cluster: { events, limiters: own.limiters, locks: own.locks } });
  try {
    const actor = await terminalActor(ctx, options, services);
    return await work({ instance, services, actor, output, now: Date.now });
  } catch (error) {
    throw asCliError(error);
  } finally {
    services.close();
    await events.close();
    await own.close();
    await instance.close();
  }
}

/** What to do about a refusal at the terminal, by its code (the service's message says what was refused). */
const TERMINAL_HINTS: Record<string, string> = {
  safeguarding_required: 'pass --as <a safeguarding account> (docs/moderation.md)',
};

/** A service's AppError as a CLI error: 400 (invalid input) exits 2, every other refusal 1. */
export function asCliError(error: unknown): unknown {
  if (error instanceof AppError) {
    const hint = TERMINAL_HINTS[error.code];
    return new CliError(hint ? `${error.message.replace(/\.$/, '')}: ${hint}` : error.message, error.status === 400 ? ExitCode.Usage : ExitCode.Error, error.code);
  }
  return error;
}

/** The running server of this instance on this machine, if any (pid file and a live process). */
export function runningServer(config: ServerConfig): PidInfo | undefined {
  return readRunning(config);
}

/**
 * What to say about a change that a running server picks up from the feed. PostgreSQL instances
 * may run on other machines, where this one's pid file cannot tell.
 */
export function liveNote(config: ServerConfig, running: PidInfo | undefined): string {
  if (running) return `the running server (pid ${running.pid}) applies it within 2 s`;
  if (config.database.driver === 'postgres') return 'every server process on this database applies it within 2 s';
  return 'the server is not running; it applies this when it starts';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_PREFIX = /^[0-9a-f][0-9a-f-]{3,35}$/i;
/** How many characters of an id the tables show (enough to be unique in practice; any unique prefix works). */
export const SHORT_ID_LENGTH = 8;

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/**
 * A full id from a whole id or a unique prefix of 4 or more characters (as the tables show them).
 * Exit 2 for something that is no id or an ambiguous prefix; 1 when nothing has that prefix.
 */
export async function resolveId(db: Db, table: 'bans' | 'reports' | 'invites' | 'sessions', text: string, what: string): Promise<string> {
  const value = text.trim().toLowerCase();
  if (UUID.test(value)) return value;
  checkIdForm(text, what);
  const rows = await db.selectFrom(table).select('id').where('id', 'like', `${value}%`).limit(2).execute();
  if (rows.length === 0) throw new CliError(`no ${what} has an id starting with ${value}`);
  if (rows.length > 1) throw new CliError(`${value} is the start of several ${what} ids: give more characters`, ExitCode.Usage);
  return rows[0]!.id;
}

/** Exit 2 unless `text` has the form of an id or of a prefix of one (whether it exists is resolveId's question). */
export function checkIdForm(text: string, what: string): void {
  const value = text.trim().toLowerCase();
  if (!UUID.test(value) && !ID_PREFIX.test(value)) {
    throw new CliError(`"${terminalSafe(text.slice(0, 60))}" is not ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} id (a UUID, or the first 4 or more characters of one, e.g. 3f2a9c1e)`, ExitCode.Usage);
  }
}

/** What a duration flag holds for "permanent" (commander turns a parser's null into ""). */
export const PERMANENT = 'permanent';
export type DurationValue = number | typeof PERMANENT;

/** A commander parser for a duration (`30m`, `12h`, `7d`, `2w`, `1d12h`, `permanent`): milliseconds, or PERMANENT. */
export function durationFlag(flag: string): (value: string) => DurationValue {
  return (value) => {
    try {
      return parseDuration(value, flag) ?? PERMANENT;
    } catch (error) {
      throw asCliError(error);
    }
  };
}

/** A duration flag's value as the services take it: milliseconds, null for permanent, undefined when not given. */
export function durationMs(value: DurationValue | undefined): number | null | undefined {
  return value === PERMANENT ? null : value;
}

/** `--since`: a duration back from now (`24h`, `7d`) or a date (`2026-11-28`, ISO 8601). Milliseconds since the epoch. */
export function sinceFlag(value: string): number {
  const text = value.trim();
  if (/^(?:\d{1,6}[mhdw])+$/i.test(text)) {
    const ms = durationFlag('--since')(text);
    if (ms !== PERMANENT) return Date.now() - ms;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isFinite(at)) return at;
  }
  throw new CliError(`--since: "${terminalSafe(value.slice(0, 40))}" is neither a duration back from now (30m, 24h, 7d, 2w) nor a date (2026-11-28 or 2026-11-28T12:00:00Z)`, ExitCode.Usage);
}

/** A commander parser for a whole number from `min` to `max`. */
export function countFlag(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
      throw new CliError(`${flag} must be a whole number from ${min} to ${max}, got "${terminalSafe(value.slice(0, 20))}"`, ExitCode.Usage);
    }
    return Number(value);
  };
}

/**
 * Text that other people wrote (chat lines, notes, reasons) as a terminal may show it: control
 * characters and bidirectional overrides are made visible, so no one can move the cursor, recolour
 * or rewrite the operator's terminal, or disguise a line, through a report.
 */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Reads a file, or standard input for "-". */
export async function readInputFile(ctx: Context, path: string): Promise<string> {
  if (path === '-') {
    let text = '';
    for await (const chunk of ctx.stdin) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    return text;
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A file that is not there (or is a folder) is a wrong argument; one that cannot be read is not.
    throw new CliError(`cannot read ${path}: ${code ?? (error as Error).message}`, code === 'ENOENT' || code === 'EISDIR' ? ExitCode.Usage : ExitCode.Error);
  }
}

/** The exit codes of a batch command, for its --help and docs/cli.md. */
export const BATCH_EXIT_CODES = `0  every item was done or skipped (already so)
1  every item failed
2  a bad argument or option (e.g. a target or duration that does not parse): nothing was done
6  some items failed, the others were done ("added N, skipped N, failed N" says how many)`;

/** One item of a batch (`ban add a b c`, `ban import`, `ban remove`). */
export interface BatchItem<T> {
  /** What the operator gave: a target, an id, or "line 12". */
  input: string;
  status: 'done' | 'skipped' | 'failed';
  result?: T;
  error?: string;
}

/**
 * The tally of a batch: "added N, skipped N, failed N" (the verb is the batch's). Exit 6 when
 * some items failed and others did not; 1 when every item failed.
 */
export function finishBatch<T>(output: Output, verb: string, items: BatchItem<T>[], shape: (item: BatchItem<T>) => unknown, human: (item: BatchItem<T>) => string): void {
  const count = (status: BatchItem<T>['status']) => items.filter((item) => item.status === status).length;
  const done = count('done');
  const skipped = count('skipped');
  const failed = count('failed');
  const summary = `${verb} ${done}, skipped ${skipped}, failed ${failed}`;
  output.result({ [verb]: done, skipped, failed, results: items.map(shape) }, () => [...items.map(human).filter(Boolean), summary].join('\n'));
  for (const item of items) if (item.status === 'failed') output.say(`${output.err.red('failed')} ${terminalSafe(item.input)}: ${item.error}`);
  if (failed === 0) return;
  if (failed === items.length) throw new CliError(`${summary}: nothing was done`);
  throw new CliError(`${summary}: the batch partly failed`, ExitCode.PartialBatch);
}

/** The message of a failed item: a service's refusal as it explains itself, anything else as is. */
export function itemError(error: unknown): string {
  return error instanceof AppError || error instanceof CliError ? error.message : String((error as Error).message ?? error);
}
