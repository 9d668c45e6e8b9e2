// `strangerchat start` as a real child process from the built package entry (bin/), as an
// operator runs it: it creates a default instance in an empty folder, prints its URL once
// healthy, serves protocol v1, and exits cleanly on SIGTERM and SIGINT.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/server.ts';
import { connect } from '../helpers/client.ts';

const BIN = join(import.meta.dirname, '../../bin/strangerchat.js');
/** A sanity bound, not a speed check (bench/ measures start-up): a busy 2-core machine takes 20–30 s. */
const START_TIMEOUT_MS = 60_000;

interface Started {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

function startCli(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start printed no URL within ${START_TIMEOUT_MS} ms; stderr:\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /^(http:\/\/\S+)$/m.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, stderr: () => stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code} before printing a URL; stderr:\n${stderr}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, signal: null });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return exitOf(child).then(({ code }) => ({ code, stdout, stderr }));
}

test('start in an empty folder creates a default instance and serves it until SIGTERM', async () => {
  const dir = join(tempDir(), 'my-chat');
  const started = await startCli(['--dir', dir, '--port', '0']);
  try {
    assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // bin/strangerchat.js re-executed itself, in the same process, with the server's heap settings.
    const cmdline = readFileSync(`/proc/${started.child.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes('--max-semi-space-size=12'), cmdline.join(' '));
    assert.ok(cmdline.includes('--heap-growing-percent=100'), cmdline.join(' '));
    assert.ok(existsSync(join(dir, 'strangerchat.json')));
    assert.ok(existsSync(join(dir, 'rules.md')));
    assert.ok(existsSync(join(dir, 'data', 'strangerchat.db')));
    assert.is(statSync(join(dir, '.env')).mode & 0o777, 0o600, '.env is private');
    const settings = JSON.parse(readFileSync(join(dir, 'strangerchat.json'), 'utf8')) as { profile: string; accessMode: string };
    assert.is(settings.profile, 'community');
    assert.is(settings.accessMode, 'open');

    assert.is((await fetch(`${started.url}/healthz`)).status, 200);
    const config = (await (await fetch(`${started.url}/api/config`)).json()) as { rules: string };
    assert.match(config.rules, /The rules of strangerchat/);
    const a = await connect(started.url);
    const b = await connect(started.url);
    a.send({ type: 'find', mode: 'text' });
    b.send({ type: 'find', mode: 'text' });
    await Promise.all([a.next('matched'), b.next('matched')]);

    started.child.kill('SIGTERM');
    const [closeA, exit] = await Promise.all([a.waitClose(10_000), exitOf(started.child)]);
    assert.is(closeA, 1001, 'clients hear "going away"');
    assert.is(exit.code, 0, started.stderr());
  } finally {
    started.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a second start reuses the instance and its secret, keeps the operator\'s heap flags; SIGINT stops it too', async () => {
  const dir = join(tempDir(), 'again');
  const first = await startCli(['--dir', dir, '--port', '0']);
  first.child.kill('SIGINT');
  assert.is((await exitOf(first.child)).code, 0);
  const env = readFileSync(join(dir, '.env'), 'utf8');
  // The operator's own heap settings win over start's: given to node, or in NODE_OPTIONS.
  const second = await startCli(['--dir', dir, '--port', '0'], { NODE_OPTIONS: '--max-semi-space-size=16' }, ['--heap-growing-percent=50']);
  try {
    const cmdline = readFileSync(`/proc/${second.child.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes('--heap-growing-percent=50'), cmdline.join(' '));
    assert.not.ok(cmdline.some((arg) => arg.startsWith('--max-semi-space-size') || arg === '--heap-growing-percent=100'), cmdline.join(' '));
    assert.is(readFileSync(join(dir, '.env'), 'utf8'), env);
    assert.is((await fetch(`${second.url}/healthz`)).status, 200);
  } finally {
    second.child.kill('SIGINT');
    assert.is((await exitOf(second.child)).code, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('start refuses a non-empty folder that is not an instance, and an invalid config names the key', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'notes.txt'), 'my files');
  const refused = await runCli(['start', '--dir', dir, '--port', '0']);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /not empty/);

  const bad = join(dir, 'bad');
  mkdirSync(bad);
  const made = await startCli(['--dir', bad, '--port', '0']);
  made.child.kill('SIGTERM');
  await exitOf(made.child);
  writeFileSync(join(bad, 'strangerchat.json'), JSON.stringify({ profile: 'club', server: { port: 'eighty' } }));
  const invalid = await runCli(['start', '--dir', bad]);
  assert.is(invalid.code, 3);
  assert.match(invalid.stderr, /profile/);
  assert.match(invalid.stderr, /server\.port/);

  const badPort = await runCli(['start', '--dir', bad, '--port', 'x']);
  assert.is(badPort.code, 2);
  rmSync(dir, { recursive: true, force: true });
});

test('--help shows the options and an example', async () => {
  const help = await runCli(['start', '--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /--dir/);
  assert.match(help.stdout, /--port/);
  assert.match(help.stdout, /--host/);
  assert.match(help.stdout, /Example/);
});

test.run();
