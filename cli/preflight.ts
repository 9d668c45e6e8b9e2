// Checks shared by `start` (fail fast before migrating) and `doctor` (report with the fix).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Why `host:port` cannot be listened on, or undefined when it is free. Port 0 is always free. */
export function portProblem(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(`port ${port} on ${host} is already in use (by another program or another instance)`);
      else if (error.code === 'EACCES') resolve(`port ${port} needs privileges on this system: use a port of 1024 or more behind a reverse proxy`);
      else if (error.code === 'EADDRNOTAVAIL') resolve(`${host} is not an address of this machine`);
      else resolve(`cannot listen on ${host}:${port}: ${error.message}`);
    });
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

/** Why the data folder cannot be written to, or undefined when it can (it is created if missing). */
export function dataDirProblem(dir: string): string | undefined {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return `${dir} is not writable (${code}): the database, backups and pid file live there`;
  }
}

export interface Health {
  ok: boolean;
  /** The HTTP status, when the server answered. */
  status?: number;
  /** Why there was no answer. */
  error?: string;
}

/**
 * GET /healthz with a timeout. Through node:http and not fetch: the server's URL is always plain
 * HTTP, and fetch's first call loads undici, which cost `start` about 90 ms.
 */
export function fetchHealth(baseUrl: string, timeoutMs = 3000): Promise<Health> {
  return new Promise((resolve) => {
    const failed = (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message });
    try {
      const request = get(new URL('/healthz', baseUrl), { timeout: timeoutMs }, (response) => {
        response.resume();
        resolve({ ok: response.statusCode === 200, status: response.statusCode ?? 0 });
      });
      request.once('timeout', () => request.destroy(new Error('no answer within the timeout')));
      request.once('error', failed);
    } catch (error) {
      // An invalid or non-HTTP URL in a pid file
      failed(error as NodeJS.ErrnoException);
    }
  });
}
