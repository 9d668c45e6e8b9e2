// An instance made by `strangerchat init` in a temp folder, for the moderation commands' tests:
// run commands in-process against it (as OS user "tester"), start it in-process, and read its
// database directly (read-only), so a test checks what a command wrote without trusting the CLI.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import * as assert from 'uvu/assert';
import { runCli, startInProcess, type CliResult, type FakeContextOptions } from './cli.ts';
import { tempDir } from './server.ts';

export interface TestInstance {
  /** The folder holding the instance folder (the commands' working folder). */
  here: string;
  /** The instance folder. */
  dir: string;
  /** `strangerchat <args> -C <dir>` in-process. */
  cli(args: string[], options?: Partial<FakeContextOptions>): Promise<CliResult>;
  /** Starts the instance in-process; `stop()` stops it. */
  start(): Promise<{ url: string; stop(): Promise<number> }>;
  /** Rows of a query on the instance's database (read-only). */
  rows<T = Record<string, unknown>>(query: string, ...params: Array<string | number | null>): T[];
  /** The audit entries, oldest first. */
  audit(): Array<{ id: number; actor: string; action: string; target: string | null; reason: string | null; details: Record<string, unknown> | null }>;
  remove(): void;
}

export async function newInstance(prefix = 'strangerchat-mod-'): Promise<TestInstance> {
  const here = tempDir(prefix);
  const dir = join(here, 'chat');
  const made = await runCli(['init', 'chat', '--yes', '--port', '0'], { cwd: here });
  assert.is(made.code, 0, made.stderr);
  const rows = <T>(query: string, ...params: Array<string | number | null>): T[] => {
    const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'), { readOnly: true });
    try {
      // Plain objects (node:sqlite's rows have no prototype), so deep equality works on them.
      return db.prepare(query).all(...params).map((row) => ({ ...row }) as T);
    } finally {
      db.close();
    }
  };
  return {
    here,
    dir,
    cli: (args, options = {}) => runCli([...args, '-C', dir], { cwd: here, ...options }),
    async start() {
      const started = await startInProcess(['-C', dir], { cwd: here });
      return { url: started.url, stop: started.stop };
    },
    rows,
    audit: () =>
      rows<{ id: number; actor: string; action: string; target: string | null; reason: string | null; details: string | null }>(
        'SELECT id, actor, action, target, reason, details FROM audit_log ORDER BY id',
      ).map((row) => ({ ...row, details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null })),
    remove: () => rmSync(here, { recursive: true, force: true }),
  };
}

/** Polls until `probe` returns a value, or fails naming what it waited for. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
