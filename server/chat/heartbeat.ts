// Dead-connection cleanup and the idle sweep (the `ws` README pattern: ping, and terminate what did
// not answer the last ping), spread over the interval. A ping is a system call per socket and its
// pong a frame to read, so pinging every socket at once holds the event loop (and every client's
// frames) in bursts: each tick visits the next share of the connections, so each is pinged once
// per interval and the load is even, and within a tick the sweep yields every HEARTBEAT_SLICE
// sockets (docs/benchmarks.md has the figures). A connection idle (neither queued nor in a
// conversation, as the Hub last told it) and silent past the idle timeout is closed with 4408.
import { CloseCode } from '../protocol/close-codes.ts';
import type { LiveConnection } from './connection.ts';

/** Sockets pinged per event-loop turn: a frame waits for at most one slice. */
const HEARTBEAT_SLICE = 25;
/** How often the heartbeat pings its share of the connections. */
const HEARTBEAT_TICK_MS = 50;

export interface HeartbeatOptions {
  /** This node's live connections (read at the start of each round). */
  connections: Iterable<LiveConnection>;
  /** Each connection is pinged once per interval. */
  intervalMs: number;
  /** An idle connection silent this long is closed. */
  idleTimeoutMs: number;
  now: () => number;
}

export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #ticksPerRound: number;
  #round: LiveConnection[] = [];
  #visited = 0;
  #tick = 0;
  #sweeping = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#ticksPerRound = Math.max(1, Math.round(options.intervalMs / HEARTBEAT_TICK_MS));
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#sweep(), this.#options.intervalMs / this.#ticksPerRound);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      if (this.#tick++ % this.#ticksPerRound === 0) {
        this.#round = [...this.#options.connections];
        this.#visited = 0;
      }
      const round = this.#round;
      const until = Math.min(round.length, this.#visited + Math.ceil(round.length / this.#ticksPerRound));
      const at = this.#options.now();
      for (let done = 1; this.#visited < until; this.#visited++, done++) {
        if (done % HEARTBEAT_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
        if (this.#stopped) return;
        const connection = round[this.#visited]!;
        // Closed since the round began, or while the sweep yielded.
        if (connection.ws.readyState !== connection.ws.OPEN) continue;
        if (!connection.alive) {
          connection.ws.terminate();
          continue;
        }
        if (at - connection.lastFrameAt > this.#options.idleTimeoutMs && connection.idle) {
          connection.close(CloseCode.Idle, 'idle');
          continue;
        }
        connection.alive = false;
        connection.ws.ping();
      }
    } finally {
      this.#sweeping = false;
    }
  }
}
