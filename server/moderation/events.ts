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
  | { kind: 'ban_lifted'; payload: { banId: string } };

export type ModerationEventKind = ModerationEvent['kind'];

/** Appends an event (used by services in any process). */
export async function publishEvent(db: Db, event: ModerationEvent, now: number): Promise<void> {
  await db.insertInto('moderation_events').values({ kind: event.kind, payload: JSON.stringify(event.payload), created_at: now }).execute();
}

export type EventHandler = (event: ModerationEvent) => void;

/** Polls the feed and hands new events to the handler, in order, each exactly once per process. */
export class ModerationFeed {
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #handler: EventHandler;
  readonly #intervalMs: number;
  #lastId = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

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

  /** Reads new events now; concurrent calls share one read. */
  poll(): Promise<void> {
    this.#polling ??= this.#read().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  async #read(): Promise<void> {
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
          this.#handler({ kind: row.kind, payload: JSON.parse(row.payload) } as ModerationEvent);
        } catch (error) {
          this.#logger.error({ err: error, eventId: row.id, kind: row.kind }, 'moderation event handler failed');
        }
      }
    } catch (error) {
      this.#logger.warn({ err: error }, 'reading moderation events failed');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#polling;
  }
}
