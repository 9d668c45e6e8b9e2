// A real coturn `turnserver` for a test: loopback only, on a free port, with the TURN REST shared
// secret, a throwaway config/log/pid/db folder, and stopped in teardown. Debian's package `coturn`
// provides it (scripts/install-system-deps.sh installs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** How long coturn gets to answer its first STUN request. */
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3000;

export interface Coturn {
  /** e.g. `turn:127.0.0.1:40123?transport=udp` */
  readonly url: string;
  readonly port: number;
  readonly secret: string;
  readonly realm: string;
  /** The log so far (for failure messages: coturn logs no payloads, only allocation events). */
  log(): string;
  stop(): Promise<void>;
}

/** Finds `turnserver` on PATH (and in Debian's /usr/bin, /usr/sbin). */
export function findTurnserver(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'turnserver');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Starts coturn; throws (never skips) when it is not installed. */
export async function startCoturn(): Promise<Coturn> {
  const binary = findTurnserver();
  if (!binary) {
    throw new Error('turnserver (coturn) is not installed: run `apt-get install coturn` (or scripts/install-system-deps.sh)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-coturn-'));
  const port = await freePort();
  const secret = randomBytes(24).toString('base64url');
  const realm = 'strangerchat.test';
  const logFile = join(dir, 'turnserver.log');
  const configFile = join(dir, 'turnserver.conf');
  writeFileSync(
    configFile,
    [
      'listening-ip=127.0.0.1',
      'relay-ip=127.0.0.1',
      `listening-port=${port}`,
      'use-auth-secret',
      `static-auth-secret=${secret}`,
      `realm=${realm}`,
      'fingerprint',
      'no-tls',
      'no-dtls',
      'no-cli',
      'no-rfc5780',
      'no-multicast-peers',
      // The two test peers and their relayed addresses are all on loopback: for this test only.
      'allow-loopback-peers',
      `userdb=${join(dir, 'turndb')}`,
      `pidfile=${join(dir, 'turnserver.pid')}`,
      `log-file=${logFile}`,
      'simple-log',
      'no-stdout-log',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  const child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8') + stderr;
    } catch {
      return stderr;
    }
  };

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await terminate(child, exited);
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    await Promise.race([
      waitForStun(port),
      exited.then((code) => Promise.reject(new Error(`turnserver exited (${code}) before listening:\n${log()}`))),
      spawnError.then((error) => Promise.reject(error)),
    ]);
  } catch (error) {
    const message = `${(error as Error).message}\n${log()}`;
    await stop();
    throw new Error(`coturn did not start: ${message}`);
  }
  return { url: `turn:127.0.0.1:${port}?transport=udp`, port, secret, realm, log, stop };
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A port free on 127.0.0.1 for both TCP and UDP at the time of asking. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port for coturn');
}

/** Resolves once a STUN Binding request to the port gets a success response. */
async function waitForStun(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const socket = createSocket('udp4');
  socket.on('error', () => {});
  try {
    for (;;) {
      const transactionId = randomBytes(12);
      const request = Buffer.alloc(20);
      request.writeUInt16BE(0x0001, 0); // Binding request
      request.writeUInt16BE(0, 2);
      request.writeUInt32BE(0x2112a442, 4); // magic cookie
      transactionId.copy(request, 8);
      const answered = new Promise<boolean>((resolve) => {
        const onMessage = (message: Buffer) => {
          if (message.length >= 20 && message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transactionId)) {
            socket.off('message', onMessage);
            resolve(true);
          }
        };
        socket.on('message', onMessage);
        setTimeout(() => {
          socket.off('message', onMessage);
          resolve(false);
        }, 200);
      });
      socket.send(request, port, '127.0.0.1');
      if (await answered) return;
      if (Date.now() > deadline) throw new Error(`no STUN answer on 127.0.0.1:${port} after ${START_TIMEOUT_MS} ms`);
    }
  } finally {
    socket.close();
  }
}
