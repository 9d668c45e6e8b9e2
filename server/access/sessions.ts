// Sessions: a person who accepted the rules and gave an age. A session gets a ticket for the
// WebSocket; the session's band decides whom the Hub may pair them with.
import { randomUUID } from 'node:crypto';
import { ADULT_AGE, type ServerConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { SessionRequest, SessionResponse } from '../protocol/http.ts';
import type { AgeBand } from '../chat/hub.ts';
import type { TicketService, TicketSession } from './tickets.ts';
import type { InviteService } from './invites.ts';
import type { AgeBandLocks } from './age-bands.ts';
import type { AvailabilityService } from './availability.ts';
import type { BanIndex, BanSubject } from '../moderation/ban-index.ts';
import { assertMayChat } from '../moderation/ban-gate.ts';
import type { AuditLog } from '../moderation/audit.ts';
import { compileOnce } from '../db/compiled.ts';
import type { Actor } from './actor.ts';
import { assertCan } from './permissions.ts';

/** Every new session is one of these: compiled once. */
const insertSession = compileOnce<{
  id: string;
  deviceId: string;
  band: AgeBand;
  age: number;
  address: string;
  createdAt: number;
  endedAt: null;
  identityHash: string | null;
  inviteId: string | null;
}>(['id', 'deviceId', 'band', 'age', 'address', 'createdAt', 'endedAt', 'identityHash', 'inviteId'], (db, v) =>
  db.insertInto('sessions').values({
    id: v.id,
    device_id: v.deviceId,
    age_band: v.band,
    age: v.age,
    address: v.address,
    created_at: v.createdAt,
    ended_at: v.endedAt,
    identity_hash: v.identityHash,
    invite_id: v.inviteId,
  }),
);

/** The `age` stored for a session whose band came from a school sign-in: no age was asked or given. */
export const NO_DECLARED_AGE = -1;

/** Longest reason a moderator can give for ending a session. */
import { KILL_REASON_MAX_LENGTH } from '../protocol/moderation.ts';
export { KILL_REASON_MAX_LENGTH } from '../protocol/moderation.ts';

/** The band of a declared age; anything that is not clearly an adult age is minor. */
export function ageBand(age: number): AgeBand {
  return Number.isInteger(age) && age >= ADULT_AGE ? 'adult' : 'minor';
}

/** A stored band as the Hub may trust it: anything but exactly `adult` (a damaged or unknown value) is minor. */
export function bandOf(stored: unknown): AgeBand {
  return stored === 'adult' ? 'adult' : 'minor';
}

/** A chat session as moderators and the operator see it (no address, no age: the band is enough). */
export interface ChatSession {
  id: string;
  deviceId: string;
  band: AgeBand;
  createdAt: number;
  /** When a moderator ended it; a session is otherwise never marked ended (its connection just closes). */
  endedAt: number | null;
}

/** Most sessions one list returns. */
export const SESSIONS_PAGE_MAX = 1000;

export interface SessionOrigin {
  address: string;
  deviceId: string;
  /** The keyed hash of an e-mail address verified on this device (email access mode), or of a school sign-in. */
  identityHash?: string;
  /** The band a school sign-in gave (oidc): it replaces the declared age, which is then refused. */
  identityBand?: AgeBand;
}

export class SessionService {
  readonly #db: Db;
  readonly #config: ServerConfig;
  readonly #tickets: TicketService;
  readonly #invites: InviteService;
  /** The index of active bans; only a process that enforces bans (the server) has one. */
  readonly #bans: BanIndex | undefined;
  readonly #now: () => number;
  readonly #audit: AuditLog;
  readonly #bands: AgeBandLocks;
  readonly #availability: Pick<AvailabilityService, 'assertOpen'> | undefined;

  constructor(deps: {
    db: Db;
    audit: AuditLog;
    config: ServerConfig;
    tickets: TicketService;
    invites: InviteService;
    bands: AgeBandLocks;
    bans?: BanIndex;
    /** Opening hours and pauses: no session starts while the space is closed. */
    availability?: Pick<AvailabilityService, 'assertOpen'>;
    now: () => number;
  }) {
    this.#availability = deps.availability;
    this.#audit = deps.audit;
    this.#bands = deps.bands;
    this.#bans = deps.bans;
    this.#db = deps.db;
    this.#config = deps.config;
    this.#tickets = deps.tickets;
    this.#invites = deps.invites;
    this.#now = deps.now;
  }

  /** The ban check of chat (moderation/ban-gate.ts): the one rule at session creation and at the upgrade. */
  #refuseBanned(subject: BanSubject, during: string): void {
    if (!this.#bans) throw new TypeError(`SessionService.${during} needs the ban index of a process that enforces bans (createServices({ banIndex }))`);
    assertMayChat(this.#bans, subject, this.#config.settings.moderation.appealUrl);
  }

  /** Checks the rules, age and access mode, records the session and issues a ticket. */
  async create(request: SessionRequest, origin: SessionOrigin): Promise<SessionResponse & { sessionId: string }> {
    this.#refuseBanned({ address: origin.address, deviceId: origin.deviceId, identityHash: origin.identityHash ?? null }, 'create');
    // Outside the opening hours, or paused: 403 closed / paused, with when it opens again.
    await this.#availability?.assertOpen();
    if (request.acceptRules !== true) {
      throw new AppError(400, 'rules_not_accepted', 'Please read and accept the rules first.');
    }
    const { accessMode, oidc } = this.#config.settings;
    const schoolBand = origin.identityBand;
    if (accessMode === 'oidc' && !schoolBand) {
      throw new AppError(403, 'sign_in_required', `Sign in with ${oidc.label ?? this.#config.settings.name} first.`);
    }
    let band: AgeBand;
    if (schoolBand) {
      // The school says who this is; an age typed beside it would be a second, weaker answer.
      if (request.age !== undefined) {
        throw new AppError(400, 'age_not_accepted', 'Your age group comes from your school account: no age is needed.');
      }
      band = schoolBand;
    } else {
      if (request.age === undefined) throw new AppError(400, 'invalid_body', 'Invalid request: age is required.');
      if (request.age < this.#config.minAge) {
        throw new AppError(403, 'too_young', `You must be at least ${this.#config.minAge} to use ${this.#config.settings.name}.`);
      }
      band = ageBand(request.age);
      if (band === 'adult' && oidc.requireForAdults) {
        throw new AppError(403, 'adult_sign_in_required', `Adults sign in with ${oidc.label ?? this.#config.settings.name}: a typed age of ${ADULT_AGE} or more is not accepted here.`);
      }
    }
    if (accessMode === 'email' && !origin.identityHash) {
      throw new AppError(403, 'email_required', 'Confirm your e-mail address first: we send you a link.');
    }
    // A school sign-in is its own admission: staff need no invite code.
    const needsInvite = accessMode === 'invite' && !schoolBand;
    const sessionId = randomUUID();
    const ttl = this.#config.settings.limits.ticketTtlSeconds;
    // The band's lock, the invite's use, the session and its ticket are one write: a refused
    // switch or a failure spends no invite and extends no lock. The lock is claimed first, so a
    // locked band is refused before an invite is asked for. Where nobody can type an age (oidc),
    // only the identity is locked: a shared school computer is used by staff and pupils in turn,
    // and no one on it can claim another band.
    const lockOrigin = accessMode === 'oidc' ? { deviceId: origin.deviceId, identityHash: origin.identityHash, identityOnly: true } : origin;
    const ticket = await this.#bands.claim(lockOrigin, band, async (trx) => {
      let inviteId: string | null = null;
      if (needsInvite) {
        if (!request.inviteCode) throw new AppError(403, 'invite_required', 'This space is open to invited people only: enter your invite code.');
        inviteId = (await this.#invites.redeem(request.inviteCode, trx)) ?? null;
        if (!inviteId) throw new AppError(403, 'invite_invalid', 'This invite code is not valid: it may be mistyped, used up, expired or revoked.');
      }
      await insertSession(trx, {
        id: sessionId,
        deviceId: origin.deviceId,
        band,
        age: request.age ?? NO_DECLARED_AGE,
        address: origin.address,
        createdAt: this.#now(),
        endedAt: null,
        identityHash: origin.identityHash ?? null,
        inviteId,
      });
      return this.#tickets.issue(sessionId, ttl, trx);
    });
    return { ticket, expiresIn: ttl, sessionId };
  }

  /**
   * Lets a WebSocket in: redeems its single-use ticket (401 `invalid_ticket` when it is missing,
   * unknown, used or expired) and applies the same ban check as `create`, to the session's device
   * and identity and to the address the upgrade comes from (403 `banned`).
   */
  async admit(ticket: string | null | undefined, address: string): Promise<TicketSession> {
    const session = await this.#tickets.redeem(ticket);
    if (!session) throw new AppError(401, 'invalid_ticket', 'The ticket is missing, unknown, used or expired.');
    this.#refuseBanned({ address, deviceId: session.device_id, identityHash: session.identity_hash }, 'admit');
    return session;
  }

  /** Recent sessions, newest first: by default only those not ended, created since `since`. */
  async list(actor: Actor, filter: { includeEnded?: boolean; since?: number; limit?: number } = {}): Promise<ChatSession[]> {
    assertCan(actor.role, 'sessions.list');
    let query = this.#db
      .selectFrom('sessions')
      .select(['id', 'device_id', 'age_band', 'created_at', 'ended_at'])
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(Math.min(filter.limit ?? 50, SESSIONS_PAGE_MAX));
    if (!filter.includeEnded) query = query.where('ended_at', 'is', null);
    if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      deviceId: row.device_id,
      band: row.age_band as AgeBand,
      createdAt: Number(row.created_at),
      endedAt: row.ended_at === null ? null : Number(row.ended_at),
    }));
  }

  /**
   * Ends a session (a moderator's or the operator's decision): audited, and published on the
   * moderation feed, so its live connections on every process close with 4401 within 2 s.
   * Ending an ended session closes its connections again; `ended` says whether it was open.
   */
  async end(sessionId: string, actor: Actor, reason?: string | null): Promise<{ sessionId: string; ended: boolean }> {
    assertCan(actor.role, 'sessions.kill');
    const note = reason?.trim() || null;
    if (note && note.length > KILL_REASON_MAX_LENGTH) throw new AppError(400, 'invalid_reason', `The reason is limited to ${KILL_REASON_MAX_LENGTH} characters.`);
    // The end, its audit entry and its feed event are one transaction; the sockets close after it,
    // on every process, when the feed delivers the event.
    return this.#audit.transaction(async (trx, record, write) => {
      const row = await trx.selectFrom('sessions').select(['id']).where('id', '=', sessionId).executeTakeFirst();
      if (!row) throw new AppError(404, 'not_found', 'No such session.');
      const result = await trx.updateTable('sessions').set({ ended_at: this.#now() }).where('id', '=', sessionId).where('ended_at', 'is', null).executeTakeFirst();
      const ended = Number(result.numUpdatedRows) === 1;
      await record(actor, { action: 'session.kill', target: `session:${sessionId}`, reason: note, details: { wasOpen: ended } });
      await write.publish({ kind: 'session_killed', payload: { sessionId } });
      return { sessionId, ended };
    });
  }
}
