// Output rules of every command: results on stdout (with --json, one stable JSON document);
// prose and progress on stderr; colours only on a TTY, never with --no-color or NO_COLOR.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Context } from './context.ts';

export interface GlobalOptions {
  dir?: string;
  json?: boolean;
  color?: boolean;
  yes?: boolean;
  input?: boolean;
  /** Times in UTC instead of the terminal's local time. */
  utc?: boolean;
  /** Act as this moderator account (cli/identity.ts); else STRANGERCHAT_AS. */
  as?: string;
}

export class Output {
  readonly json: boolean;
  /** Colours for stdout and stderr (level 0 when off). */
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  readonly #ctx: Context;
  readonly #utc: boolean;

  constructor(ctx: Context, options: GlobalOptions) {
    this.#ctx = ctx;
    this.json = options.json === true;
    this.#utc = options.utc === true;
    const colourAllowed = options.color !== false && ctx.env.NO_COLOR === undefined && ctx.env.TERM !== 'dumb';
    this.out = new Chalk({ level: colourAllowed && ctx.stdout.isTTY ? 1 : 0 });
    this.err = new Chalk({ level: colourAllowed && ctx.stderr.isTTY ? 1 : 0 });
  }

  /** The command's result: JSON with --json, else the human text. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.#ctx.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else {
      const text = human();
      if (text) this.#ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Prose for people (stderr), always shown: next steps, warnings. */
  say(text: string): void {
    this.#ctx.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Progress (stderr), only on a terminal and never with --json. */
  progress(text: string): void {
    if (!this.json && this.#ctx.stderr.isTTY) this.say(text);
  }

  warn(text: string): void {
    this.say(`${this.err.yellow('warning')} ${text}`);
  }

  /** A moment as people read it here: the terminal's local time with its offset, or UTC with --utc. */
  time(ms: number | null | undefined): string {
    return this.#utc ? formatTime(ms) : formatLocalTime(ms, this.#ctx.env.TZ || undefined);
  }

  /** What `time` shows times in, for headings ("times in UTC+01:00"). */
  zone(): string {
    if (this.#utc) return 'UTC';
    return offsetOf(Date.now(), this.#ctx.env.TZ || undefined);
  }
}

/** Formats rows as an aligned plain-text table. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : (cell ?? '').padEnd(widths[i]!))).join('  ')).join('\n');
}

/** A moment in UTC, ISO 8601 (`2026-11-28T12:00:00Z`); "-" for none. */
export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** "UTC+01:00" (or "UTC") at a moment in a time zone (default: the system's). */
function offsetOf(ms: number, timeZone: string | undefined): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(ms).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  return name === 'GMT' ? 'UTC' : name.replace('GMT', 'UTC');
}

/**
 * A moment in a time zone (default: the system's, which TZ sets) with its offset, so a line
 * read later or elsewhere is never ambiguous: `2026-11-28 13:00:00 +01:00`; "-" for none.
 */
export function formatLocalTime(ms: number | null | undefined, timeZone?: string): string {
  if (ms === null || ms === undefined) return '-';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(ms)
      .map((part) => [part.type, part.value]),
  );
  const offset = offsetOf(ms, timeZone).replace('UTC', '') || '+00:00';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${offset}`;
}
