// The moderation_events feed: how a change made by another process (the CLI, another node)
// reaches this one. The table is the outbox: a change and its event row commit in one transaction
// (AuditLog.transaction's `publish`), always under the ordered-writes lock, so ids are committed in
// increasing order and every process reads the rows above the last id it has seen, in commit
// order. It reads every second, and at once when the cluster's EventBus wakes it (a notify after
// a commit); the payloads are validated (server/protocol/feed.ts) before anything acts on them.
import type { CompiledQuery, Selectable } from 'kysely';
import type { EventBus } from '../cluster/event-bus.ts';
import type { Db } from '../db/database.ts';
import type { ModerationEventsTable } from '../db/schema.ts';
import { orderedWriteTransaction } from '../db/transaction.ts';
import type { Logger } from '../logger.ts';
import { ModerationEvent } from '../protocol/feed.ts';

export { ModerationEvent, type ModerationEventKind } from '../protocol/feed.ts';

/** How often each server process reads the feed: a ban reaches everyone within 2 s. */
export const FEED_POLL_INTERVAL_MS = 1000;
const FEED_BATCH = 500;

/** Appends an event inside the caller's transaction, which must hold the ordered-writes lock (AuditLog.transaction does). */
export async function appendEvent(trx: Db, event: ModerationEvent, now: number): Promise<void> {
  await trx.insertInto('moderation_events').values({ kind: event.kind, payload: JSON.stringify(event.payload), created_at: now }).execute();
}

/** Appends an event on its own (a change that writes nothing else), under the ordered-writes lock. */
export async function publishEvent(db: Db, event: ModerationEvent, now: number): Promise<void> {
  await orderedWriteTransaction(db, (trx) => appendEvent(trx, event, now));
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
  /** The read, compiled once with a placeholder for the last id (it runs once per busy event-loop turn). */
  #readAfter: ((lastId: number) => CompiledQuery<EventRow>) | undefined;

  readonly #bus: EventBus | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: { db: Db; logger: Logger; handler: EventHandler; intervalMs?: number; bus?: EventBus }) {
    this.#db = deps.db;
    this.#logger = deps.logger;
    this.#handler = deps.handler;
    this.#intervalMs = deps.intervalMs ?? FEED_POLL_INTERVAL_MS;
    this.#bus = deps.bus;
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
    // A wake-up reads now, after whatever read is running (rows committed during it may be past its query).
    this.#unsubscribe = this.#bus?.subscribe(() => void this.catchUp());
  }

  /** Reads new events now; concurrent calls share one read. True when the read succeeded. */
  poll(): Promise<boolean> {
    this.#polling ??= this.#read().finally(() => (this.#polling = undefined));
    return this.#polling;
  }

  /**
   * Resolves once a read that began after this call has handled its events (true), or failed
   * (false): whatever another process wrote before the call is then known here. The read starts
   * at the end of the current event-loop turn (setImmediate), so every caller of that turn — a
   * busy server reads hundreds of `find`s in one — shares it: one query per turn, not one per
   * caller. A read already running may have begun before some caller's moment, so the shared one
   * waits for it and begins after.
   */
  catchUp(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    this.#queued ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      if (this.#polling) await this.#polling;
      this.#queued = undefined;
      return this.#stopped ? false : this.poll();
    });
    return this.#queued;
  }

  async #read(): Promise<boolean> {
    try {
      const { rows } = await this.#db.executeQuery((this.#readAfter ??= compileRead(this.#db))(this.#lastId));
      for (const row of rows) {
        this.#lastId = Number(row.id);
        const event = parseEvent(row.kind, row.payload);
        if (!event) {
          this.#logger.warn({ eventId: row.id, kind: row.kind }, 'a moderation event does not match its schema: skipped');
          continue;
        }
        try {
          await this.#handler(event);
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
    this.#unsubscribe?.();
    clearInterval(this.#timer);
    await this.#queued;
    await this.#polling;
  }
}

type EventRow = Selectable<ModerationEventsTable>;

/**
 * The feed's read as a function of the last id seen: the query is built and compiled once, and
 * each read only puts in its id (building it through Kysely on every read was half its cost).
 */
function compileRead(db: Db): (lastId: number) => CompiledQuery<EventRow> {
  const SENTINEL = -987_654_321;
  const compiled = db.selectFrom('moderation_events').selectAll().where('id', '>', SENTINEL).orderBy('id').limit(FEED_BATCH).compile();
  const at = compiled.parameters.indexOf(SENTINEL);
  if (at < 0 || compiled.parameters.lastIndexOf(SENTINEL) !== at) throw new TypeError('compileRead: the last id is not one parameter of the compiled read');
  return (lastId) => ({ ...compiled, parameters: compiled.parameters.map((value, index) => (index === at ? lastId : value)) }) as CompiledQuery<EventRow>;
}

/** A row as an event, or undefined when its payload is not JSON or does not match the schema. */
function parseEvent(kind: string, payload: string): ModerationEvent | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const parsed = ModerationEvent.safeParse({ kind, payload: body });
  return parsed.success ? parsed.data : undefined;
}
