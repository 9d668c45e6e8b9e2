// Small statistics for the harness: percentiles of latency samples, rounding for the report.

/** Latency figures in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Rounds to two decimals (milliseconds read best as 1.23). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Milliseconds for a table: two decimals below 100 ms, whole and grouped above (14,135 ms). */
export function formatMs(value: number): string {
  return `${value >= 100 ? Math.round(value).toLocaleString('en-US') : value} ms`;
}

/** Nearest-rank percentile of an ascending array (0 for an empty one). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    p50: round2(percentile(sorted, 50)),
    p99: round2(percentile(sorted, 99)),
    max: round2(sorted[sorted.length - 1]!),
    mean: round2(sum / sorted.length),
  };
}

/** The median of a few numbers (start-up runs). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Counts by key (error codes, close codes). */
export class Tally {
  readonly counts: Record<string, number> = {};

  add(key: string, by = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, n) => sum + n, 0);
  }
}

/** A FIFO of numbers without the O(n) cost of Array.shift. */
export class NumberQueue {
  #items: number[] = [];
  #head = 0;

  push(value: number): void {
    this.#items.push(value);
  }

  shift(): number | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const value = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true or the time is up; returns its last answer. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
