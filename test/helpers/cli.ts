// Drives CLI commands in-process, create-astro style: an injected context with a scripted fake
// prompt, captured stdout/stderr, a throwing exit and a temp working folder. `runBin` runs the
// built package entry (bin/strangerchat.js) as a real child process, as an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { CliError, type Context } from '../../cli/context.ts';
import { run } from '../../cli/main.ts';
import type { Choice, Prompter } from '../../cli/prompt.ts';

export const BIN = join(import.meta.dirname, '../../bin/strangerchat.js');

/** Answers for the fake prompt: the first key found in a question's message answers it. */
export type Answers = Record<string, string | boolean | typeof DEFAULT | typeof CANCEL>;
/** Take the question's default. */
export const DEFAULT = Symbol('default');
/** Press Ctrl-C at the question (@inquirer/prompts then rejects with an ExitPromptError). */
export const CANCEL = Symbol('cancel');

export interface FakeContextOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** A terminal on stdin and stderr (so questions may be asked). Default: none, as in CI. */
  tty?: boolean;
  answers?: Answers;
  /** What standard input holds (e.g. a password for --password-stdin). */
  stdin?: string;
  osUser?: string;
}

export interface FakeContext {
  ctx: Context;
  stdout(): string;
  stderr(): string;
  /** Every question's message, in order. */
  asked: string[];
  /** Ends a running `start` as SIGTERM would. */
  signal(name?: string): void;
}

class Capture extends Writable {
  text = '';
  isTTY: boolean;
  constructor(isTTY: boolean) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export function fakeContext(options: FakeContextOptions): FakeContext {
  const stdout = new Capture(false);
  const stderr = new Capture(options.tty === true);
  const stdin = Object.assign(Readable.from(options.stdin === undefined ? [] : [options.stdin]), { isTTY: options.tty === true });
  const asked: string[] = [];
  const answers = options.answers ?? {};

  function lookup(message: string): string | boolean | typeof DEFAULT {
    asked.push(message);
    const key = Object.keys(answers).find((k) => message.toLowerCase().includes(k.toLowerCase()));
    if (key === undefined) throw new Error(`unexpected question: "${message}"`);
    const answer = answers[key]!;
    if (answer === CANCEL) throw Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    return answer;
  }
  function validated(message: string, value: string, validate?: (value: string) => true | string): string {
    const verdict = validate?.(value) ?? true;
    if (verdict !== true) throw new Error(`the answer "${value}" to "${message}" was refused: ${verdict}`);
    return value;
  }
  const prompt: Prompter = {
    async input(q) {
      const a = lookup(q.message);
      return validated(q.message, a === DEFAULT ? (q.default ?? '') : String(a), q.validate);
    },
    async password(q) {
      const a = lookup(q.message);
      return validated(q.message, a === DEFAULT ? '' : String(a), q.validate);
    },
    async select<T extends string>(q: { message: string; choices: Choice<T>[]; default?: T }): Promise<T> {
      const a = lookup(q.message);
      const value = a === DEFAULT ? q.default : a;
      const choice = q.choices.find((c) => c.value === value);
      if (!choice) throw new Error(`"${String(value)}" is not a choice of "${q.message}"`);
      return choice.value;
    },
    async confirm(q) {
      const a = lookup(q.message);
      return a === DEFAULT ? (q.default ?? false) : a === true || a === 'yes';
    },
  };

  let resolveSignal: (signal: string) => void = () => {};
  const signalled = new Promise<string>((resolve) => (resolveSignal = resolve));
  const ctx: Context = {
    stdout,
    stderr,
    stdin,
    env: options.env ?? {},
    cwd: options.cwd,
    prompt,
    osUser: options.osUser ?? 'tester',
    exit(code: number): never {
      throw new CliError('', code);
    },
    untilSignal: () => signalled,
  };
  return { ctx, stdout: () => stdout.text, stderr: () => stderr.text, asked, signal: (name = 'SIGTERM') => resolveSignal(name) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  asked: string[];
  /** stdout parsed as JSON (for --json runs). */
  json<T = any>(): T;
}

/** Runs `strangerchat <args>` in-process and returns its exit code and output. */
export async function runCli(args: string[], options: FakeContextOptions): Promise<CliResult> {
  const fake = fakeContext(options);
  const code = await run(args, fake.ctx);
  return result(code, fake.stdout(), fake.stderr(), fake.asked);
}

function result(code: number, stdout: string, stderr: string, asked: string[] = []): CliResult {
  return {
    code,
    stdout,
    stderr,
    asked,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

/** Starts `strangerchat start` in-process; resolves once its URL is printed. `stop()` signals it and waits. */
export async function startInProcess(args: string[], options: FakeContextOptions): Promise<{ url: string; fake: FakeContext; stop(): Promise<number> }> {
  const fake = fakeContext(options);
  const running = run(['start', ...args], fake.ctx);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const url = /^(http:\/\/\S+)$/m.exec(fake.stdout())?.[1];
    if (url) {
      return {
        url,
        fake,
        async stop() {
          fake.signal();
          return running;
        },
      };
    }
    const early = await Promise.race([running, new Promise<undefined>((r) => setTimeout(r, 20))]);
    if (early !== undefined) throw new Error(`start exited with ${early} before printing a URL:\n${fake.stderr()}`);
    if (Date.now() > deadline) throw new Error(`start printed no URL:\n${fake.stderr()}`);
  }
}

/** Runs the built CLI as a child process (no terminal, so it never prompts). */
export function runBin(args: string[], options: { cwd?: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin!.end(options.stdin ?? '');
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`strangerchat ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(result(code ?? -1, stdout, stderr));
    });
  });
}

/** Starts `strangerchat start` as a child process; resolves with its URL once printed. */
/** A sanity bound, not a speed check: start takes ~1 s, but 20–30 s on a 2-core machine at load 30. */
const START_URL_TIMEOUT_MS = 60_000;

export function spawnStart(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ child: ChildProcess; url: string; stderr(): string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'start', ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start printed no URL; stderr:\n${stderr}`));
    }, START_URL_TIMEOUT_MS);
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const url = /^(http:\/\/\S+)$/m.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, stderr: () => stderr, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code} before printing a URL; stderr:\n${stderr}`));
    });
  });
}
