// The limits a process keeps for itself, answered synchronously in frame order: a connection's
// token bucket and strike counters, a connection's finds and reports (WindowLimiter, in
// server/moderation/rate-limits.ts), and the per-address message limit on the relay's hot path
// (KeyedLimiter). Limits shared by the cluster are counted in the LimiterStore
// (server/cluster/limiter-store.ts).

/** A token bucket: `rate` tokens a second, holding at most `burst`. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAt: number;

  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  take(now: number): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#rate);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Counts strikes within a sliding window; `hit` returns true once the limit is reached. */
export class StrikeCounter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #times: number[] = [];

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  hit(now: number): boolean {
    this.#times.push(now);
    while (this.#times.length && now - this.#times[0]! > this.#windowMs) this.#times.shift();
    return this.#times.length >= this.#limit;
  }
}

/**
 * Keyed rate limiting in memory: a sliding log per key, with a cap on the number of keys so a
 * flood of distinct keys cannot exhaust memory (the oldest keys are dropped first).
 */
export interface KeyedLimiterOptions {
  /** Events allowed per key within the window. */
  limit: number;
  windowMs: number;
  /** Most keys tracked at once. */
  maxKeys?: number;
  now: () => number;
}

const DEFAULT_MAX_KEYS = 100_000;

export class KeyedLimiter {
  readonly #options: Required<KeyedLimiterOptions>;
  /**
   * Per key, the times of its events in arrival order; entries before `head` have left the
   * window. Trimming from the front keeps a check O(1) amortised: copying the whole log on
   * every event made each chat message cost O(messages of its address in the last minute).
   */
  readonly #events = new Map<string, { times: number[]; head: number }>();

  constructor(options: KeyedLimiterOptions) {
    this.#options = { maxKeys: DEFAULT_MAX_KEYS, ...options };
  }

  /** The key's log with expired events dropped (undefined, and forgotten, when none is left). */
  #recent(key: string, now: number): { times: number[]; head: number } | undefined {
    const log = this.#events.get(key);
    if (!log) return undefined;
    while (log.head < log.times.length && now - log.times[log.head]! >= this.#options.windowMs) log.head++;
    if (log.head === log.times.length) {
      this.#events.delete(key);
      return undefined;
    }
    if (log.head > 64 && log.head * 2 > log.times.length) {
      log.times = log.times.slice(log.head);
      log.head = 0;
    }
    return log;
  }

  #count(log: { times: number[]; head: number } | undefined): number {
    return log ? log.times.length - log.head : 0;
  }

  /** True when another event is allowed for this key now (without recording it). */
  allowed(key: string): boolean {
    return this.#count(this.#recent(key, this.#options.now())) < this.#options.limit;
  }

  /** Records an event; returns false when it exceeded the limit. */
  hit(key: string): boolean {
    const now = this.#options.now();
    const log = this.#recent(key, now) ?? { times: [], head: 0 };
    if (this.#count(log) >= this.#options.limit) return false;
    log.times.push(now);
    // Re-inserted, so the Map's order is least recently used first for the eviction below.
    this.#events.delete(key);
    this.#events.set(key, log);
    if (this.#events.size > this.#options.maxKeys) this.#events.delete(this.#events.keys().next().value!);
    return true;
  }

  /** Milliseconds until the key may act again (0 when it may now). */
  retryAfterMs(key: string): number {
    const now = this.#options.now();
    const log = this.#recent(key, now);
    if (!log || this.#count(log) < this.#options.limit) return 0;
    return Math.max(0, log.times[log.head]! + this.#options.windowMs - now);
  }

  reset(key: string): void {
    this.#events.delete(key);
  }
}
