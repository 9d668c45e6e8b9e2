// What the chat does, counted per UTC day in daily_counts for `strangerchat stats` and the
// transparency report: conversations by mode and messages the filter blocked (counted in memory
// as they happen, added to the table every minute), sessions per day and active devices per month
// (counted from the sessions table every hour, before retention removes the rows). Numbers only:
// nothing here names a person, a device or an address.
import { memoryLock, type Lock } from '../cluster/lock.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { ChatMode } from '../protocol/messages.ts';

/** How often the in-memory counts are added to the table (and at shutdown). */
export const USAGE_FLUSH_INTERVAL_MS = 60_000;
/** How often sessions and the month's active devices are counted from the sessions table. */
export const USAGE_RECOUNT_INTERVAL_MS = 3_600_000;
/** The recount's lock: one node recounts at a time (the counts are the same from any of them). */
export const USAGE_RECOUNT_LOCK = 'usage-recount';
const DAY_MS = 86_400_000;

/** Metric names in daily_counts. */
export const METRICS = {
  sessions: 'sessions',
  conversations: (mode: ChatMode) => `conversations.${mode}`,
  filtered: (reason: string) => `filtered.${reason}`,
  /** On a month's row (`2026-12`): distinct devices that started a session that month. */
  activeDevices: 'month.active_devices',
} as const;

/** `2026-12-01` for a time (UTC). */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** `2026-12` for a time (UTC). */
export function utcMonth(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** The in-memory counts of this process, by day and metric; cheap enough for the relay's path. */
export class UsageCounters {
  readonly #now: () => number;
  #pending = new Map<string, number>();
  #day = '';
  #dayEnds = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Called once per conversation, by the initiator's side. */
  conversationStarted(mode: ChatMode): void {
    this.#add(METRICS.conversations(mode));
  }

  messageFiltered(reason: string): void {
    this.#add(METRICS.filtered(reason));
  }

  #add(metric: string): void {
    const at = this.#now();
    if (at >= this.#dayEnds || at < this.#dayEnds - DAY_MS) {
      this.#day = utcDay(at);
      this.#dayEnds = Date.parse(`${this.#day}T00:00:00Z`) + DAY_MS;
    }
    const key = `${this.#day}|${metric}`;
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
  }

  /** The counts since the last call, as [day, metric, count]. */
  take(): Array<[string, string, number]> {
    const pending = this.#pending;
    this.#pending = new Map();
    return [...pending].map(([key, count]) => {
      const [day, metric] = key.split('|') as [string, string];
      return [day, metric, count];
    });
  }
}

/**
 * Writes the counts to daily_counts on a schedule. The flush is additive (every node adds its
 * own); the recount reads the whole sessions table, so one node of the cluster does it at a time.
 */
export class UsageRecorder {
  readonly #db: Db;
  readonly #counters: UsageCounters;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  readonly #recountIntervalMs: number;
  #flushTimer: NodeJS.Timeout | undefined;
  #recountTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly #locks: Lock;

  constructor(deps: { db: Db; counters: UsageCounters; now: () => number; logger: Logger; flushIntervalMs?: number; recountIntervalMs?: number; locks?: Lock }) {
    this.#locks = deps.locks ?? memoryLock();
    this.#db = deps.db;
    this.#counters = deps.counters;
    this.#now = deps.now;
    this.#logger = deps.logger;
    this.#flushIntervalMs = deps.flushIntervalMs ?? USAGE_FLUSH_INTERVAL_MS;
    this.#recountIntervalMs = deps.recountIntervalMs ?? USAGE_RECOUNT_INTERVAL_MS;
  }

  start(): void {
    this.#flushTimer = setInterval(() => void this.flush(), this.#flushIntervalMs);
    this.#flushTimer.unref();
    this.#recountTimer = setInterval(() => void this.recount(), this.#recountIntervalMs);
    this.#recountTimer.unref();
  }

  /** Adds the in-memory counts to the table. */
  flush(): Promise<void> {
    return this.#serial(async () => {
      for (const [day, metric, count] of this.#counters.take()) {
        await this.#db
          .insertInto('daily_counts')
          .values({ day, metric, value: count })
          .onConflict((oc) => oc.columns(['day', 'metric']).doUpdateSet((eb) => ({ value: eb('daily_counts.value', '+', eb.ref('excluded.value')) })))
          .execute();
      }
    });
  }

  /**
   * Counts today's and yesterday's sessions and this month's active devices from the sessions
   * table (two indexed range queries, hourly), keeping the larger of the stored and the counted
   * value: retention removes old sessions, which must not lower a count already taken.
   */
  recount(): Promise<void> {
    return this.#serial(async () => {
      await this.#locks.ifFree(USAGE_RECOUNT_LOCK, () => this.#recount());
    });
  }

  async #recount(): Promise<void> {
    const now = this.#now();
    const today = Date.parse(`${utcDay(now)}T00:00:00Z`);
    for (const start of [today - DAY_MS, today]) {
      const row = await this.#db
        .selectFrom('sessions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('created_at', '>=', start)
        .where('created_at', '<', start + DAY_MS)
        .executeTakeFirstOrThrow();
      await this.#keepLarger(utcDay(start), METRICS.sessions, Number(row.n));
    }
    const month = utcMonth(now);
    const monthStart = Date.parse(`${month}-01T00:00:00Z`);
    const next = new Date(monthStart);
    next.setUTCMonth(next.getUTCMonth() + 1);
    const devices = await this.#db
      .selectFrom('sessions')
      .select((eb) => eb.fn.count<number>('device_id').distinct().as('n'))
      .where('created_at', '>=', monthStart)
      .where('created_at', '<', next.getTime())
      .executeTakeFirstOrThrow();
    await this.#keepLarger(month, METRICS.activeDevices, Number(devices.n));
  }

  async #keepLarger(day: string, metric: string, value: number): Promise<void> {
    await this.#db
      .insertInto('daily_counts')
      .values({ day, metric, value })
      .onConflict((oc) =>
        oc
          .columns(['day', 'metric'])
          .doUpdateSet((eb) => ({ value: eb.ref('excluded.value') }))
          .where((eb) => eb('daily_counts.value', '<', eb.ref('excluded.value'))),
      )
      .execute();
  }

  /** One write at a time; a failure is logged and never stops the next. */
  #serial(work: () => Promise<void>): Promise<void> {
    this.#writing = this.#writing.then(work).catch((error: unknown) => this.#logger.warn({ err: error }, 'writing the usage counts failed'));
    return this.#writing;
  }

  /** Stops the timers and writes what is left (the database stays open). */
  async stop(): Promise<void> {
    clearInterval(this.#flushTimer);
    clearInterval(this.#recountTimer);
    await this.flush();
    await this.recount();
  }
}
