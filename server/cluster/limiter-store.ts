// Limits shared by every process of an instance: per-address new sessions, reports per address
// and per device, magic links per mailbox and per address, moderator logins, and open WebSocket
// connections per address. The counting is rate-limiter-flexible's (fixed windows, optional
// blocks): its memory limiter here, its Redis limiter (RateLimiterRedis on @redis/client) in a
// cluster, under the same rules. What is per socket (the token bucket, a connection's finds and
// reports, strikes) and the per-address message limit on the relay's hot path stay in the process
// (server/chat/rate-limit.ts): they must answer synchronously, in frame order.
import { createRequire } from 'node:module';
import type { RateLimiterAbstract, RateLimiterMemory as MemoryLimiterClass, RateLimiterRes as LimiterResClass } from 'rate-limiter-flexible';

// The two classes from their own files: the package's index requires every limiter it has (Mongo,
// DynamoDB, Etcd, Prisma …), about 8 MB of an idle server's memory.
const requirePackage = createRequire(import.meta.url);
const RateLimiterMemory = requirePackage('rate-limiter-flexible/lib/RateLimiterMemory.js') as typeof MemoryLimiterClass;
const RateLimiterRes = requirePackage('rate-limiter-flexible/lib/RateLimiterRes.js') as typeof LimiterResClass;
type RateLimiterMemory = MemoryLimiterClass;
type RateLimiterRes = LimiterResClass;

/** One limit: at most `points` per key in each window of `durationSeconds`. */
export interface LimitRule {
  /** Names the limit's keys (rate-limiter-flexible's keyPrefix): unique per limit. */
  name: string;
  points: number;
  durationSeconds: number;
  /** Once over, the key waits this long (from the refused attempt), not just to the window's end. */
  blockSeconds?: number;
}

/** What a limit said about one attempt. */
export interface LimitVerdict {
  allowed: boolean;
  /** Points counted in the key's window, this attempt included (refused attempts count too). */
  consumed: number;
  /** Milliseconds until the key's window (or block) ends. */
  msBeforeNext: number;
}

/** A limit, counted wherever the store keeps its counts. Rejects only when the store fails. */
export interface KeyedLimit {
  readonly rule: LimitRule;
  /** Counts `points` (default 1) for `key`; refused when that goes over the rule. */
  consume(key: string, points?: number): Promise<LimitVerdict>;
  /** Gives back `points` (default 1) counted for `key`. */
  reward(key: string, points?: number): Promise<void>;
}

/** A cap on things held open at once per key (connections of an address), each given back by its holder. */
export interface SlotCounter {
  /** Takes a slot; false when the key already holds the cap. */
  acquire(key: string): Promise<boolean>;
  /** Gives a slot back (a stray release changes nothing). */
  release(key: string): void;
  /** Slots the key holds now. */
  count(key: string): Promise<number>;
}

/** Where limits are counted: this process (memory) or the cluster (Redis). */
export interface LimiterStore {
  limit(rule: LimitRule): KeyedLimit;
  /** A counter of slots per key, capped at `perKey`. */
  slots(name: string, perKey: number): SlotCounter;
}

/** Past this many keys, the memory limiter forgets the oldest windows first: a flood of distinct keys cannot exhaust memory. */
const MEMORY_MAX_KEYS = 100_000;

/** rate-limiter-flexible's limiter as a KeyedLimit: a refusal is a verdict, not an exception. */
export function keyedLimit(rule: LimitRule, limiter: RateLimiterAbstract): KeyedLimit {
  const verdict = (res: RateLimiterRes, allowed: boolean): LimitVerdict => ({ allowed, consumed: res.consumedPoints, msBeforeNext: Math.max(0, res.msBeforeNext) });
  return {
    rule,
    async consume(key, points = 1) {
      try {
        return verdict(await limiter.consume(key, points), true);
      } catch (refusal) {
        if (refusal instanceof RateLimiterRes) return verdict(refusal, false);
        throw refusal;
      }
    },
    async reward(key, points = 1) {
      await limiter.reward(key, points);
    },
  };
}

/** The limits of one process, on its clock. */
export function memoryLimiterStore(options: { now?: () => number; maxKeys?: number } = {}): LimiterStore {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? MEMORY_MAX_KEYS;
  return {
    limit: (rule) =>
      keyedLimit(rule, clockedMemoryLimiter({ keyPrefix: rule.name, points: rule.points, duration: rule.durationSeconds, blockDuration: rule.blockSeconds ?? 0 }, now, maxKeys)),
    slots: (_name, perKey) => {
      const counter = new ConnectionCounter(perKey);
      return {
        acquire: async (key) => counter.acquire(key),
        release: (key) => counter.release(key),
        count: async (key) => counter.count(key),
      };
    },
  };
}

/**
 * rate-limiter-flexible's memory limiter on an injected clock: its own storage reads Date.now and
 * sets a timer per key, so it is given this one instead (the same answers, read on `now`, expired
 * lazily, and capped at `maxKeys`).
 */
function clockedMemoryLimiter(options: ConstructorParameters<typeof RateLimiterMemory>[0], now: () => number, maxKeys: number): RateLimiterMemory {
  const limiter = new RateLimiterMemory(options);
  Object.assign(limiter, { _memoryStorage: new ClockedStorage(now, maxKeys) });
  return limiter;
}

/** The interface of rate-limiter-flexible's MemoryStorage, on an injected clock. */
class ClockedStorage {
  readonly #now: () => number;
  readonly #maxKeys: number;
  /** In the order windows began: the oldest is forgotten first. */
  readonly #records = new Map<string, { value: number; expiresAt: number | null }>();

  constructor(now: () => number, maxKeys: number) {
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  #live(key: string, at: number): { value: number; expiresAt: number | null } | undefined {
    const record = this.#records.get(key);
    if (record && record.expiresAt !== null && record.expiresAt <= at) {
      this.#records.delete(key);
      return undefined;
    }
    return record;
  }

  incrby(key: string, value: number, durationSec: number): RateLimiterRes {
    const at = this.#now();
    const record = this.#live(key, at);
    if (!record) return this.set(key, value, durationSec);
    record.value += value;
    return new RateLimiterRes(0, record.expiresAt === null ? -1 : record.expiresAt - at, record.value, false);
  }

  set(key: string, value: number, durationSec: number): RateLimiterRes {
    const durationMs = durationSec * 1000;
    this.#records.delete(key);
    this.#records.set(key, { value, expiresAt: durationMs > 0 ? this.#now() + durationMs : null });
    if (this.#records.size > this.#maxKeys) this.#records.delete(this.#records.keys().next().value!);
    return new RateLimiterRes(0, durationMs === 0 ? -1 : durationMs, value, true);
  }

  get(key: string): RateLimiterRes | null {
    const at = this.#now();
    const record = this.#live(key, at);
    return record ? new RateLimiterRes(0, record.expiresAt === null ? -1 : record.expiresAt - at, record.value, false) : null;
  }

  delete(key: string): boolean {
    return this.#records.delete(key);
  }
}

/** Counts open things per key; a key leaves the map when its count returns to zero. */
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
