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
}

export class Output {
  readonly json: boolean;
  /** Colours for stdout and stderr (level 0 when off). */
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  readonly #ctx: Context;

  constructor(ctx: Context, options: GlobalOptions) {
    this.#ctx = ctx;
    this.json = options.json === true;
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
}

/** Formats rows as an aligned plain-text table. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : (cell ?? '').padEnd(widths[i]!))).join('  ')).join('\n');
}

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}
