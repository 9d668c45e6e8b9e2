// Single-use, short-lived WebSocket tickets. Stored as keyed hashes; redeemed atomically in the
// database so that two nodes (or two racing upgrades) can never both accept one ticket.
import { randomBytes } from 'node:crypto';
import { keyedHash } from './keyed-hash.ts';
import type { Db } from '../db/database.ts';
import { compileOnce } from '../db/compiled.ts';

/** Bytes of randomness in a ticket (base64url-encoded). */
const TICKET_BYTES = 24;

/** Every new session stores one ticket: compiled once. */
const insertTicket = compileOnce<{ hash: string; sessionId: string; expiresAt: number; usedAt: null }>(['hash', 'sessionId', 'expiresAt', 'usedAt'], (db, v) =>
  db.insertInto('tickets').values({ hash: v.hash, session_id: v.sessionId, expires_at: v.expiresAt, used_at: v.usedAt }),
);

/** Spends an unused, unexpired ticket (one changed row) at every upgrade: compiled once. */
const spendTicket = compileOnce(['now', 'hash'], (db, v: { now: number; hash: string }) =>
  db.updateTable('tickets').set({ used_at: v.now }).where('hash', '=', v.hash).where('used_at', 'is', null).where('expires_at', '>', v.now),
);

/** The session of a spent ticket, with when its device was first seen: compiled once. */
const ticketSession = compileOnce(['hash'], (db, v: { hash: string }) =>
  db
    .selectFrom('tickets')
    .innerJoin('sessions', 'sessions.id', 'tickets.session_id')
    .select(['sessions.id', 'sessions.device_id', 'sessions.age_band', 'sessions.address', 'sessions.identity_hash', 'sessions.created_at'])
    .select((eb) =>
      eb
        .selectFrom('sessions as first')
        .select((inner) => inner.fn.min('first.created_at').as('at'))
        .whereRef('first.device_id', '=', 'sessions.device_id')
        .as('device_since'),
    )
    .where('tickets.hash', '=', v.hash)
    .where('sessions.ended_at', 'is', null),
);

export interface TicketSession {
  id: string;
  device_id: string;
  age_band: string;
  address: string;
  identity_hash: string | null;
  /** When the device was first seen: its oldest session still on record. */
  device_since: number;
}

export class TicketService {
  readonly #db: Db;
  readonly #secret: string;
  readonly #now: () => number;

  constructor(deps: { db: Db; secret: string; now: () => number }) {
    this.#db = deps.db;
    this.#secret = deps.secret;
    this.#now = deps.now;
  }

  #hash(ticket: string): string {
    return keyedHash(this.#secret, 'ticket', ticket);
  }

  /** Issues a ticket for a session (inside the caller's transaction when given one). */
  async issue(sessionId: string, ttlSeconds: number, db: Db = this.#db): Promise<string> {
    const ticket = randomBytes(TICKET_BYTES).toString('base64url');
    await insertTicket(db, { hash: this.#hash(ticket), sessionId, expiresAt: this.#now() + ttlSeconds * 1000, usedAt: null });
    return ticket;
  }

  /** Marks the ticket used and returns its session; undefined when missing, unknown, used or expired. */
  async redeem(ticket: string | null | undefined): Promise<TicketSession | undefined> {
    if (!ticket || ticket.length > 128) return undefined;
    const hash = this.#hash(ticket);
    const now = this.#now();
    const result = await spendTicket(this.#db, { now, hash });
    if (Number(result.numAffectedRows) !== 1) return undefined;
    const [session] = (await ticketSession(this.#db, { hash })).rows;
    if (!session) return undefined;
    const { created_at, device_since, ...rest } = session;
    return { ...rest, device_since: Number(device_since ?? created_at) };
  }

  /** Deletes tickets that expired more than a minute ago. */
  async purgeExpired(): Promise<number> {
    const result = await this.#db.deleteFrom('tickets').where('expires_at', '<', this.#now() - 60_000).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
