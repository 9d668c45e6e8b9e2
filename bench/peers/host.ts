// What every reference peer process shares: the session + ticket handshake reduced to a single-use
// random string, the bench figures (cli/bench-stats.ts, the same instrument the strangerchat
// server runs under the harness) and the start-up lines bench/lib/server.ts reads: the URL on
// stdout, the bench-stats address on stderr. SIGTERM closes and exits 0, as `strangerchat start`.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BENCH_STATS_LINE, startBenchStats } from '../../cli/bench-stats.ts';
import type { RunningServer } from '../../server/app.ts';
import type { PairingStats } from './pairing.ts';

/** Single-use tickets: what `POST /api/session` hands out and `/ws?ticket=…` takes back. */
export class Tickets {
  readonly #open = new Set<string>();

  issue(): string {
    const ticket = randomBytes(16).toString('base64url');
    this.#open.add(ticket);
    return ticket;
  }

  /** True once per issued ticket. */
  take(ticket: string | null): boolean {
    return ticket !== null && this.#open.delete(ticket);
  }
}

/** `POST /api/session` → 201 `{ticket, expiresIn}`; anything else 404. The body is read and ignored. */
export function answerSession(req: IncomingMessage, res: ServerResponse, issue: () => string): void {
  if (req.method !== 'POST' || req.url !== '/api/session') {
    res.writeHead(404).end();
    return;
  }
  req.resume();
  req.once('end', () => {
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ticket: issue(), expiresIn: 60 }));
  });
}

/** The ticket of a `/ws?ticket=…` upgrade, or null for any other path. */
export function ticketOf(url: string | undefined): string | null {
  if (!url?.startsWith('/ws?')) return null;
  return new URLSearchParams(url.slice(4)).get('ticket');
}

/** The `welcome` a generator client waits for (it reads only `id`). */
export function welcome(id: string, online: number): object {
  return { type: 'welcome', v: 1, id, online, iceServers: [], relayOnly: false, modes: ['text', 'video'], band: 'adult', availability: { open: true, video: true } };
}

/** Listens on 127.0.0.1, on the port of argv `--port N` (default 0: any free port). */
export function listen(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(portArgument(), '127.0.0.1', () => resolve());
  });
}

export function portArgument(): number {
  const flag = process.argv.indexOf('--port');
  return flag >= 0 ? Number(process.argv[flag + 1]) : 0;
}

/** Starts the bench figures of a listening server, then prints what the harness reads. */
export async function announce(server: Server, stats: () => PairingStats, closeSockets: () => void): Promise<void> {
  // The instrument only calls stats(); a reference peer has no RunningServer to give it.
  const figures = await startBenchStats({ stats: async () => stats() } as unknown as RunningServer);
  const address = server.address();
  process.stdout.write(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`);
  process.stderr.write(`${BENCH_STATS_LINE}${figures.url}\n`);
  process.once('SIGTERM', () => {
    closeSockets();
    server.closeAllConnections();
    server.close();
    void figures.close().then(() => process.exit(0));
  });
}
