// The lock-out from the adversarial review, replayed: a real `strangerchat start` child process
// under a low file limit (`ulimit -n 256`), an attacker at 127.0.0.2 holding as many silent sockets
// as it can (more than the limit, reopening each one the server closes), and a person at 127.0.0.1
// who must still get a page and a WebSocket — and the server never runs out of descriptors.
// Needs the build (bin/ runs dist/); Linux (/proc, 127.0.0.0/8 on lo).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../helpers/client.ts';
import { BIN, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

const FILE_LIMIT = 256;
/** The per-address cap for this instance: well under the file limit, as docs/configuration.md advises. */
const PER_ADDRESS = 100;
/** More than the whole file limit. */
const ATTACKER_SOCKETS = 400;
/** How long the attacker waits before reopening a socket the server closed (keeps the test's CPU use sane). */
const REOPEN_DELAY_MS = 500;
const START_TIMEOUT_MS = 30_000;
const ATTACKER = '127.0.0.2';

/** Silent sockets from one address, each reopened when the server closes it. */
class Attacker {
  readonly #port: number;
  readonly #sockets = new Set<Socket>();
  #stopped = false;
  /** Sockets closed by the server before it sent a single byte (refused at the cap). */
  closedUnanswered = 0;

  constructor(port: number, count: number) {
    this.#port = port;
    for (let i = 0; i < count; i++) this.#open();
  }

  #open(): void {
    if (this.#stopped) return;
    const socket = connectTcp({ host: '127.0.0.1', port: this.#port, localAddress: ATTACKER });
    let answered = false;
    this.#sockets.add(socket);
    socket.on('data', () => (answered = true));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#sockets.delete(socket);
      if (!answered) this.closedUnanswered++;
      setTimeout(() => this.#open(), REOPEN_DELAY_MS).unref();
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const socket of this.#sockets) socket.destroy();
  }
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startLimited(dir: string): Promise<{ child: ChildProcess; url: string; stderr(): string }> {
  // The shell lowers the limit, then becomes the server: the limit is the server's own.
  const child = spawn('sh', ['-c', `ulimit -n ${FILE_LIMIT} && exec "$0" "$@"`, process.execPath, BIN, 'start', '-C', dir], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
      if (!url) return;
      clearTimeout(timer);
      resolve({ child, url, stderr: () => stderr });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code} before printing a URL; stderr:\n${stderr}`));
    });
  });
}

test('one address holding more idle sockets than the file limit does not lock anyone else out', async () => {
  const here = tempDir('strangerchat-idle-');
  const dir = join(here, 'chat');
  let attacker: Attacker | undefined;
  let started: Awaited<ReturnType<typeof startLimited>> | undefined;
  try {
    assert.is((await runCli(['init', 'chat', '--yes', '--port', '0', '--name', 'Maple High'], { cwd: here })).code, 0);
    assert.is((await runCli(['config', 'set', 'rateLimits.tcpConnectionsPerAddress', String(PER_ADDRESS), '-C', dir], { cwd: here })).code, 0);
    started = await startLimited(dir);
    const pid = started.child.pid!;
    assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), new RegExp(`^Max open files\\s+${FILE_LIMIT}\\s`, 'm'), 'the server runs under the low limit');
    const before = openFiles(pid);

    attacker = new Attacker(Number(new URL(started.url).port), ATTACKER_SOCKETS);
    // The attacker holds its whole share, and is refused the rest.
    await until(`the server to hold ${PER_ADDRESS} of the attacker's sockets`, () => openFiles(pid) >= before + PER_ADDRESS);
    await until('refusals of the sockets over the cap', () => attacker!.closedUnanswered >= ATTACKER_SOCKETS - PER_ADDRESS);

    // Meanwhile, someone else: the home page, the API, and a WebSocket.
    const page = await fetch(`${started.url}/`, { signal: AbortSignal.timeout(15_000) });
    assert.is(page.status, 200);
    assert.match(await page.text(), /Maple High/);
    const client = await connect(started.url);
    assert.is(client.welcome.type, 'welcome');
    client.send({ type: 'ping' });
    await client.next('pong');
    client.close();

    assert.ok(openFiles(pid) < FILE_LIMIT, `the server has descriptors to spare: ${openFiles(pid)} of ${FILE_LIMIT}`);
    assert.not.match(started.stderr(), /EMFILE|too many open files/i, 'never ran out of descriptors');
    assert.match(started.stderr(), /connections over the per-address limit closed/, 'the refusals are logged');
  } finally {
    attacker?.stop();
    if (started) {
      started.child.kill('SIGTERM');
      await new Promise((resolve) => (started!.child.exitCode !== null ? resolve(null) : started!.child.once('exit', resolve)));
    }
    rmSync(here, { recursive: true, force: true });
  }
});

test.run();
