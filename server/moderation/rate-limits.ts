// Rate limits per address and per connection: new sessions, open WebSocket connections, chat
// messages across an address's connections, reports per address and per device (a script opens
// new connections, a flood of reports comes from many), and per connection `find`/`next` and `report`.
// The defaults (config `rateLimits`) are ones a person never meets and a script always does;
// per-address ones are generous because a whole school often shares one address. An address
// is counted as `addressKey` sees it: one IPv4 address, or one IPv6 /64 (a single v6 address
// is trivially rotated). In memory, per process.
import type { InstanceSettings } from '../config.ts';
import { addressKey } from '../access/ip.ts';
import { KeyedLimiter } from '../limits.ts';

export type RateLimitSettings = InstanceSettings['rateLimits'];

const MINUTE_MS = 60_000;
const TEN_MINUTES_MS = 10 * MINUTE_MS;

/** A sliding-window limit for one thing (one connection's finds, one connection's reports). */
export class WindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #times: number[] = [];

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records an event at `now`; false (and nothing recorded) when the limit is reached. */
  take(now: number): boolean {
    while (this.#times.length && now - this.#times[0]! >= this.#windowMs) this.#times.shift();
    if (this.#times.length >= this.#limit) return false;
    this.#times.push(now);
    return true;
  }
}

/** Counts open connections per key; a key leaves the map when its count returns to zero. */
export class ConnectionCounter {
  readonly #limit: number;
  readonly #open = new Map<string, number>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Takes a slot; false when the key already holds the limit. */
  acquire(key: string): boolean {
    const open = this.#open.get(key) ?? 0;
    if (open >= this.#limit) return false;
    this.#open.set(key, open + 1);
    return true;
  }

  release(key: string): void {
    const open = this.#open.get(key) ?? 0;
    if (open <= 1) this.#open.delete(key);
    else this.#open.set(key, open - 1);
  }

  count(key: string): number {
    return this.#open.get(key) ?? 0;
  }

  /** Keys holding at least one slot (tests check that closing everything leaves none). */
  get size(): number {
    return this.#open.size;
  }
}

/** Something that emits `close` once, like the socket of an upgrade. */
interface Closable {
  on(event: 'close', listener: () => void): unknown;
}

export class RateLimits {
  readonly #settings: RateLimitSettings;
  readonly #sessions: KeyedLimiter;
  readonly #messages: KeyedLimiter;
  readonly #reportsByAddress: KeyedLimiter;
  readonly #reportsByDevice: KeyedLimiter;
  readonly connections: ConnectionCounter;

  constructor(settings: RateLimitSettings, now: () => number) {
    this.#settings = settings;
    this.#sessions = new KeyedLimiter({ limit: settings.sessionsPer10Minutes, windowMs: TEN_MINUTES_MS, now });
    this.#messages = new KeyedLimiter({ limit: settings.messagesPerMinutePerAddress, windowMs: MINUTE_MS, now });
    this.#reportsByAddress = new KeyedLimiter({ limit: settings.reportsPer10MinutesPerAddress, windowMs: TEN_MINUTES_MS, now });
    this.#reportsByDevice = new KeyedLimiter({ limit: settings.reportsPer10MinutesPerDevice, windowMs: TEN_MINUTES_MS, now });
    this.connections = new ConnectionCounter(settings.connectionsPerAddress);
  }

  /**
   * Counts a report for its address (an `addressKey`) and its device, across all their
   * connections; false, and nothing counted, when either is over its limit.
   */
  takeReportFor(addressKey: string, deviceId: string): boolean {
    if (!this.#reportsByAddress.allowed(addressKey) || !this.#reportsByDevice.allowed(deviceId)) return false;
    this.#reportsByAddress.hit(addressKey);
    this.#reportsByDevice.hit(deviceId);
    return true;
  }

  /** Counts a new session for the address; returns 0 when allowed, else milliseconds to wait. */
  takeSession(address: string): number {
    const key = addressKey(address);
    if (this.#sessions.hit(key)) return 0;
    return Math.max(1, this.#sessions.retryAfterMs(key));
  }

  /** Counts a chat message for the address (all its connections together); false when over. */
  takeMessage(address: string): boolean {
    return this.takeMessageFor(addressKey(address));
  }

  /** As takeMessage, for a key from `addressKey` (a connection computes its key once, not per message). */
  takeMessageFor(key: string): boolean {
    return this.#messages.hit(key);
  }

  /**
   * Holds one of the address's connection slots until `socket` closes, whatever happens in
   * between (refused upgrade, failed handshake, normal close); false when none is free.
   */
  holdConnection(address: string, socket: Closable): boolean {
    const key = addressKey(address);
    if (!this.connections.acquire(key)) return false;
    // Not `once`: its wrapper is one more object per socket, for an event a socket emits once.
    let held = true;
    socket.on('close', () => {
      if (held) this.connections.release(key);
      held = false;
    });
    return true;
  }

  /** A fresh `find`/`next` allowance for one connection. */
  findLimiter(): WindowLimiter {
    return new WindowLimiter(this.#settings.findsPerMinute, MINUTE_MS);
  }

  /** A fresh report allowance for one connection. */
  reportLimiter(): WindowLimiter {
    return new WindowLimiter(this.#settings.reportsPer10Minutes, TEN_MINUTES_MS);
  }
}
