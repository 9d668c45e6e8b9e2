// Rate limits per address and per connection: new sessions, open WebSocket connections, chat
// messages across an address's connections, reports per address and per device (a script opens
// new connections, a flood of reports comes from many), and per connection `find`/`next` and `report`.
// The defaults (config `rateLimits`) are ones a person never meets and a script always does;
// per-address ones are generous because a whole school often shares one address. An address
// is counted as `addressKey` sees it: one IPv4 address, or one IPv6 /64 (a single v6 address
// is trivially rotated). Sessions, connections and reports are counted in the cluster's
// LimiterStore (every node sees the same counts); the per-address message limit is this
// process's, since it answers on the relay's hot path, synchronously and in frame order.
import type { InstanceSettings } from '../config.ts';
import { addressKey } from '../access/ip.ts';
import { KeyedLimiter } from '../chat/rate-limit.ts';
import type { KeyedLimit, LimiterStore, SlotCounter } from '../cluster/limiter-store.ts';

export type RateLimitSettings = InstanceSettings['rateLimits'];

const MINUTE_MS = 60_000;
const TEN_MINUTES_MS = 10 * MINUTE_MS;
const TEN_MINUTES_S = TEN_MINUTES_MS / 1000;

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

/** Something that emits `close` once, like the socket of an upgrade. */
interface Closable {
  on(event: 'close', listener: (this: Closable) => void): unknown;
  /** True once closed (it will not emit `close` again). */
  readonly destroyed?: boolean;
}

/** A connection slot of one socket, from the moment it is asked for until the socket closes. */
interface ConnectionSlot {
  state: 'taking' | 'held' | 'closed' | 'released';
  readonly key: string;
  readonly store: Pick<SlotCounter, 'release'>;
}

/** Where a socket keeps its slot, so the one shared close listener finds it. */
const SLOT = Symbol('strangerchat.connectionSlot');
type SlottedSocket = Closable & { [SLOT]?: ConnectionSlot };

function releaseSlotOnClose(this: Closable): void {
  const slot = (this as SlottedSocket)[SLOT];
  if (!slot) return;
  if (slot.state === 'held') slot.store.release(slot.key);
  slot.state = slot.state === 'taking' ? 'closed' : 'released';
}

export class RateLimits {
  readonly #settings: RateLimitSettings;
  readonly #sessions: KeyedLimit;
  readonly #messages: KeyedLimiter;
  readonly #reportsByAddress: KeyedLimit;
  readonly #reportsByDevice: KeyedLimit;
  /** Open WebSocket connections per address key. */
  readonly connections: SlotCounter;

  constructor(settings: RateLimitSettings, deps: { now: () => number; limiters: LimiterStore }) {
    this.#settings = settings;
    const { limiters } = deps;
    this.#sessions = limiters.limit({ name: 'sessions-per-address', points: settings.sessionsPer10Minutes, durationSeconds: TEN_MINUTES_S });
    this.#messages = new KeyedLimiter({ limit: settings.messagesPerMinutePerAddress, windowMs: MINUTE_MS, now: deps.now });
    this.#reportsByAddress = limiters.limit({ name: 'reports-per-address', points: settings.reportsPer10MinutesPerAddress, durationSeconds: TEN_MINUTES_S });
    this.#reportsByDevice = limiters.limit({ name: 'reports-per-device', points: settings.reportsPer10MinutesPerDevice, durationSeconds: TEN_MINUTES_S });
    this.connections = limiters.slots('connections-per-address', settings.connectionsPerAddress);
  }

  /**
   * Counts a report for its address (an `addressKey`) and its device, across all their
   * connections; false, and nothing counted against the other, when either is over its limit.
   */
  async takeReportFor(addressKey: string, deviceId: string): Promise<boolean> {
    if (!(await this.#reportsByAddress.consume(addressKey)).allowed) return false;
    if ((await this.#reportsByDevice.consume(deviceId)).allowed) return true;
    await this.#reportsByAddress.reward(addressKey);
    return false;
  }

  /** Counts a new session for the address; resolves with 0 when allowed, else milliseconds to wait. */
  async takeSession(address: string): Promise<number> {
    const verdict = await this.#sessions.consume(addressKey(address));
    return verdict.allowed ? 0 : Math.max(1, verdict.msBeforeNext);
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
  async holdConnection(address: string, socket: Closable): Promise<boolean> {
    const key = addressKey(address);
    if (socket.destroyed) return false;
    // Listening before the slot is taken: a socket that closes while it is being taken still gives it back.
    // Not `once`: its wrapper is one more object per socket, for an event a socket emits once.
    // One shared listener that finds its slot on the socket: no closure and context per socket.
    const slot: ConnectionSlot = { state: 'taking', key, store: this.connections };
    (socket as SlottedSocket)[SLOT] = slot;
    socket.on('close', releaseSlotOnClose);
    const taken = await this.connections.acquire(key);
    if (!taken) {
      slot.state = 'released';
      return false;
    }
    if (slot.state === 'closed') {
      this.connections.release(key);
      slot.state = 'released';
      return false;
    }
    slot.state = 'held';
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
