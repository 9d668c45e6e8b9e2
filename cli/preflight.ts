// Checks shared by `start` (fail fast before migrating) and `doctor` (report with the fix).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** GET /healthz with a timeout. */
export async function fetchHealth(baseUrl: string, timeoutMs = 3000): Promise<Health> {
  try {
    const response = await fetch(new URL('/healthz', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { ok: response.status === 200, status: response.status };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, error: cause ?? (error as Error).message };
  }
}
