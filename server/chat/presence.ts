// Presence: how many people are online, read from the Hub's stats every few seconds (so a
// cluster-wide Hub makes it cluster-wide) and pushed to this process's connections as a
// `presence` message — only when it changed, serialised once, and written a slice of sockets per
// event-loop turn so that a broadcast to thousands never holds the loop. `online()` gives the last
// reading to HTTP (`GET /api/presence`), which therefore costs nothing per request; `live()` is
// that reading with this node's own arrivals and departures since, for a welcome.
import type { ServerMessage } from '../protocol/messages.ts';

/** How often the count is read and, when it changed, pushed. */
export const PRESENCE_INTERVAL_MS = 5000;
/** Sockets written per event-loop turn during a push. */
const PUSH_SLICE = 500;

export interface PresenceRecipient {
  send(message: ServerMessage, encoded?: Uint8Array): void;
}

export interface PresenceOptions {
  /** The number of people online, from the Hub's stats (the cluster's). */
  count: () => Promise<number>;
  /** This process's connections (a live view: read at each push). */
  recipients: () => Iterable<PresenceRecipient>;
  /** How many connections this process holds now. */
  local: () => number;
  intervalMs?: number;
  /** Where a failed reading is reported (the last one is kept). */
  onError?: (error: unknown) => void;
}

export class Presence {
  readonly #options: PresenceOptions;
  #online = 0;
  /** People online elsewhere at the last reading: the reading less this process's connections then. */
  #elsewhere = 0;
  /** The count last pushed; a push happens only when a reading differs from it. */
  #pushed = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #reading = false;
  #pushing = false;
  #stopped = false;

  constructor(options: PresenceOptions) {
    this.#options = options;
  }

  /** The last reading. */
  online(): number {
    return this.#online;
  }

  /** The last reading of the other nodes plus this node's connections now: what a new connection is told. */
  live(): number {
    return this.#elsewhere + this.#options.local();
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#options.intervalMs ?? PRESENCE_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the count and pushes it when it changed (the timer calls it; tests may too). */
  async tick(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      const local = this.#options.local();
      this.#online = await this.#options.count();
      this.#elsewhere = Math.max(0, this.#online - local);
    } catch (error) {
      this.#options.onError?.(error);
      return;
    } finally {
      this.#reading = false;
    }
    if (this.#stopped || this.#pushing || this.#online === this.#pushed) return;
    this.#pushing = true;
    try {
      const online = (this.#pushed = this.#online);
      const message: ServerMessage = { type: 'presence', online };
      const encoded = new TextEncoder().encode(JSON.stringify(message));
      let sent = 0;
      for (const recipient of [...this.#options.recipients()]) {
        if (this.#stopped) return;
        recipient.send(message, encoded);
        if (++sent % PUSH_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#pushing = false;
    }
  }
}
