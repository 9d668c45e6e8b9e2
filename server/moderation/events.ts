// The moderation_events feed: how a change made by another process (the CLI, another node)
// reaches this one. Every process polls for rows above the last id it has seen.
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';

/** How often each server process reads the feed: a ban reaches everyone within 2 s. */
export const FEED_POLL_INTERVAL_MS = 1000;
const FEED_BATCH = 500;

export type ModerationEvent =
  | { kind: 'session_killed'; payload: { sessionId: string } }
  | { kind: 'announcement'; payload: { text: string } }
  /** A ban was added or changed: every process reloads it and disconnects whoever it matches. */
  | { kind: 'ban_added'; payload: { banId: string } }
  | { kind: 'ban_lifted'; payload: { banId: string } }
  /** Someone went on or off duty, or the site was paused or resumed: every process reads the state again. */
  | { kind: 'availability_changed'; payload: { what: 'duty' | 'pause' } };

export type ModerationEventKind = ModerationEvent['kind'];

/** Appends an event (used by services in any process). */
export async function publishEvent(db: Db, event: ModerationEvent, now: number): Promise<void> {
  await db.insertInto('moderation_events').values({ kind: event.kind, payload: JSON.stringify(event.payload), created_at: now }).execute();
}

/** Handles one event; a returned promise is awaited before the next event (and before catchUp resolves). */
export type EventHandler = (event: ModerationEvent) => void | Promise<void>;

/** Polls the feed and hands new events to the handler, in order, each exactly once per process. */
export class ModerationFeed {
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #handler: EventHandler;
  readonly #intervalMs: number;
  #lastId = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<boolean> | undefined;
  /** The read queued behind the running one, shared by every catchUp that arrived during it. */
  #queued: Promise<boolean> | undefined;
  #stopped = false;

  constructor(deps: { db: Db; logger: Logger; handler: EventHandler; intervalMs?: number }) {
    this.#db = deps.db;
    this.#logger = deps.logger;
    this.#handler = deps.handler;
    this.#intervalMs = deps.intervalMs ?? FEED_POLL_INTERVAL_MS;
  }

  /** Starts after the newest existing event: what happened before this process started is already in the database. */
  async start(): Promise<void> {
    const row = await this.#db
      .selectFrom('moderation_events')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    this.#lastId = Number(row?.max ?? 0);
    this.#timer = setInterval(() => void this.poll(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Reads new events now; concurrent calls share one read. True when the read succeeded. */
  poll(): Promise<boolean> {
    this.#polling ??= this.#read().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /**
   * Resolves once a read that began after this call has handled its events (true), or failed
   * (false): whatever another process wrote before the call is then known here. A read already
   * running may have begun before the caller's moment, so one more is queued behind it; every
   * call in the meantime shares that one, so a burst of callers costs two reads, not one each.
   */
  catchUp(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    if (!this.#polling) return this.poll();
    this.#queued ??= this.#polling.then(() => {
      this.#queued = undefined;
      return this.#stopped ? false : this.poll();
    });
    return this.#queued;
  }

  async #read(): Promise<boolean> {
    try {
      const rows = await this.#db
        .selectFrom('moderation_events')
        .selectAll()
        .where('id', '>', this.#lastId)
        .orderBy('id')
        .limit(FEED_BATCH)
        .execute();
      for (const row of rows) {
        this.#lastId = Number(row.id);
        try {
          await this.#handler({ kind: row.kind, payload: JSON.parse(row.payload) } as ModerationEvent);
        } catch (error) {
          this.#logger.error({ err: error, eventId: row.id, kind: row.kind }, 'moderation event handler failed');
        }
      }
      // A full batch: more may wait behind it, and a catchUp must see them too.
      if (rows.length === FEED_BATCH) return this.#read();
      return true;
    } catch (error) {
      this.#logger.warn({ err: error }, 'reading moderation events failed');
      return false;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#queued;
    await this.#polling;
  }
}
