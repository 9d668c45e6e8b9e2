// Keyed rate limiting in memory: a sliding log per key, with a cap on the number of keys so a
// flood of distinct keys cannot exhaust memory (the oldest keys are dropped first).
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
  readonly #events = new Map<string, number[]>();

  constructor(options: KeyedLimiterOptions) {
    this.#options = { maxKeys: DEFAULT_MAX_KEYS, ...options };
  }

  #recent(key: string, now: number): number[] {
    const times = this.#events.get(key);
    if (!times) return [];
    const fresh = times.filter((t) => now - t < this.#options.windowMs);
    if (fresh.length) this.#events.set(key, fresh);
    else this.#events.delete(key);
    return fresh;
  }

  /** True when another event is allowed for this key now (without recording it). */
  allowed(key: string): boolean {
    return this.#recent(key, this.#options.now()).length < this.#options.limit;
  }

  /** Records an event; returns false when it exceeded the limit. */
  hit(key: string): boolean {
    const now = this.#options.now();
    const times = this.#recent(key, now);
    if (times.length >= this.#options.limit) return false;
    times.push(now);
    this.#events.delete(key);
    this.#events.set(key, times);
    if (this.#events.size > this.#options.maxKeys) this.#events.delete(this.#events.keys().next().value!);
    return true;
  }

  /** Milliseconds until the key may act again (0 when it may now). */
  retryAfterMs(key: string): number {
    const now = this.#options.now();
    const times = this.#recent(key, now);
    if (times.length < this.#options.limit) return 0;
    return Math.max(0, times[0]! + this.#options.windowMs - now);
  }

  reset(key: string): void {
    this.#events.delete(key);
  }
}
