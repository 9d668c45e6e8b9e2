// Sessions: a person who accepted the rules and gave an age. A session gets a ticket for the
// WebSocket; the session's band decides whom the Hub may pair them with.
import { randomUUID } from 'node:crypto';
import { ADULT_AGE, type ServerConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { SessionRequest, SessionResponse } from '../protocol/http.ts';
import type { AgeBand } from '../chat/hub.ts';
import type { TicketService } from './tickets.ts';

export function ageBand(age: number): AgeBand {
  return age >= ADULT_AGE ? 'adult' : 'minor';
}

export interface SessionOrigin {
  address: string;
  deviceId: string;
}

export class SessionService {
  readonly #db: Db;
  readonly #config: ServerConfig;
  readonly #tickets: TicketService;
  readonly #now: () => number;

  constructor(deps: { db: Db; config: ServerConfig; tickets: TicketService; now: () => number }) {
    this.#db = deps.db;
    this.#config = deps.config;
    this.#tickets = deps.tickets;
    this.#now = deps.now;
  }

  /** Checks the rules, age and access mode, records the session and issues a ticket. */
  async create(request: SessionRequest, origin: SessionOrigin): Promise<SessionResponse & { sessionId: string }> {
    if (request.acceptRules !== true) {
      throw new AppError(400, 'rules_not_accepted', 'Please read and accept the rules first.');
    }
    if (request.age < this.#config.minAge) {
      throw new AppError(403, 'too_young', `You must be at least ${this.#config.minAge} to use ${this.#config.settings.name}.`);
    }
    const { accessMode } = this.#config.settings;
    if (accessMode === 'invite' && !request.inviteCode) {
      throw new AppError(403, 'invite_required', 'This space is open to invited people only: enter your invite code.');
    }
    if (accessMode !== 'open') {
      // Invite codes and e-mail verification arrive with the access issue; until then refuse rather than let anyone in.
      throw new AppError(403, 'invite_required', 'This invite code is not valid.');
    }
    const sessionId = randomUUID();
    await this.#db
      .insertInto('sessions')
      .values({
        id: sessionId,
        device_id: origin.deviceId,
        age_band: ageBand(request.age),
        age: request.age,
        address: origin.address,
        created_at: this.#now(),
        ended_at: null,
      })
      .execute();
    const ttl = this.#config.settings.limits.ticketTtlSeconds;
    const ticket = await this.#tickets.issue(sessionId, ttl);
    return { ticket, expiresIn: ttl, sessionId };
  }

  /** Ends a session; its live connections close with 4401 through the moderation feed. */
  async end(sessionId: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('sessions')
      .set({ ended_at: this.#now() })
      .where('id', '=', sessionId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
