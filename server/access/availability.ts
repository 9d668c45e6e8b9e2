// Whether the space is open now, and whether video is offered: the opening hours (in the
// instance's time zone), the operator's pause (`strangerchat pause` / `resume`), and whether a
// moderator is on duty (when video needs one). The pause and the duty rows live in the database,
// so every process and the terminal agree; each process keeps what it last read, and reads again
// when the moderation feed says it changed, when a duty it knows of ends (a renewal may have
// extended it), and every REFRESH_EVERY_MS in any case. The rules (who is refused what, and why)
// are here; server/chat/availability-watch.ts tells the people connected when the answer changes.
import { randomUUID } from 'node:crypto';
import { instanceTimeZone, resolveVideoOnlyOnDuty, type ServerConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { AuditLog } from '../moderation/audit.ts';
import type { DutyService, OnDuty } from '../moderation/duty.ts';
import type { Availability } from '../protocol/http.ts';
import type { Actor } from './actor.ts';
import { formatMoment, nextOpening, openingState } from './opening-hours.ts';
import { assertCan } from './permissions.ts';

export type { Availability } from '../protocol/http.ts';

/** Longest message a pause may carry (shown on the landing page and in the chat). */
export const PAUSE_MESSAGE_MAX_LENGTH = 300;
/** The longest pause with an end: anything longer is meant to have none. */
export const PAUSE_MAX_MS = 90 * 86_400_000;
/** Read again at least this often, whatever the feed says (a safety net, cheap: two small queries). */
export const REFRESH_EVERY_MS = 30_000;

/** A pause of the whole space, as stored. */
export interface SitePause {
  id: string;
  pausedAt: number;
  pausedBy: string;
  /** Null: until someone resumes. */
  until: number | null;
  message: string | null;
}

/** Why a new session or search is refused now. */
export interface ClosedRefusal {
  code: 'closed' | 'paused';
  message: string;
  opensAt: number | null;
}

/** The answer where nothing restricts the space (a connection built without the live state). */
export const ALWAYS_OPEN: Availability = Object.freeze({ open: true, state: 'open', opensAt: null, closesAt: null, message: null, timeZone: 'UTC', video: true, videoReason: null });

export const VIDEO_NEEDS_MODERATOR = 'Video is offered only while a moderator is on duty, and none is right now: text only for now.';

export class AvailabilityService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #config: ServerConfig;
  readonly #duty: DutyService;
  readonly #timeZone: string;
  readonly #videoOnlyOnDuty: boolean;
  /** Undefined until the first read. */
  #pause: SitePause | null | undefined;
  #onDuty: OnDuty[] = [];
  #readAt = 0;

  constructor(deps: { db: Db; audit: AuditLog; now: () => number; config: ServerConfig; duty: DutyService }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#now = deps.now;
    this.#config = deps.config;
    this.#duty = deps.duty;
    this.#timeZone = instanceTimeZone(deps.config.settings);
    this.#videoOnlyOnDuty = resolveVideoOnlyOnDuty(deps.config.settings) && deps.config.settings.modes.includes('video');
  }

  get timeZone(): string {
    return this.#timeZone;
  }

  /**
   * Pauses the whole space now, until `until` (ms) or until someone resumes: new sessions and
   * searches are refused with `paused`, and conversations end after the grace. A new pause
   * replaces one in force. Audited (`site.pause`) and published in one transaction.
   */
  async pause(actor: Actor, input: { until?: number | null; message?: string | null }): Promise<SitePause> {
    assertCan(actor.role, 'site.pause');
    const message = input.message?.trim() || null;
    if (message && message.length > PAUSE_MESSAGE_MAX_LENGTH) throw new AppError(400, 'invalid_message', `message: at most ${PAUSE_MESSAGE_MAX_LENGTH} characters.`, { field: 'message' });
    const until = input.until ?? null;
    const pause = await this.#audit.transaction(async (trx, record, write) => {
      const now = this.#now();
      if (until !== null && (!Number.isFinite(until) || until <= now)) throw new AppError(400, 'invalid_until', 'until: must be in the future.', { field: 'until' });
      if (until !== null && until - now > PAUSE_MAX_MS) throw new AppError(400, 'invalid_until', 'until: at most 90 days from now; leave it out for a pause that lasts until you resume.', { field: 'until' });
      await trx.updateTable('site_pauses').set({ resumed_at: now, resumed_by: actor.name }).where('resumed_at', 'is', null).execute();
      const row = { id: randomUUID(), paused_at: now, paused_by: actor.name, until, message, resumed_at: null, resumed_by: null };
      await trx.insertInto('site_pauses').values(row).execute();
      await record(actor, { action: 'site.pause', details: { pauseId: row.id, until, message } });
      await write.publish({ kind: 'availability_changed', payload: { what: 'pause' } });
      return { id: row.id, pausedAt: now, pausedBy: actor.name, until, message };
    });
    this.#pause = pause;
    return pause;
  }

  /** Ends the pause in force; false when there was none. Audited (`site.resume`) and published. */
  async resume(actor: Actor): Promise<boolean> {
    assertCan(actor.role, 'site.pause');
    const resumed = await this.#audit.transaction(async (trx, record, write) => {
      const now = this.#now();
      const active = await activePause(trx, now);
      await trx.updateTable('site_pauses').set({ resumed_at: now, resumed_by: actor.name }).where('resumed_at', 'is', null).execute();
      if (!active) return false;
      await record(actor, { action: 'site.resume', details: { pauseId: active.id } });
      await write.publish({ kind: 'availability_changed', payload: { what: 'pause' } });
      return true;
    });
    if (resumed) this.#pause = null;
    return resumed;
  }

  /** Reads the pause in force and who is on duty again. */
  async refresh(): Promise<void> {
    const now = this.#now();
    const [pause, onDuty] = await Promise.all([activePause(this.#db, now), this.#videoOnlyOnDuty ? this.#duty.onDuty() : Promise.resolve([])]);
    this.#pause = pause;
    this.#onDuty = onDuty;
    this.#readAt = now;
  }

  /** True when what was read may be out of date: never read, a known duty has ended (or was renewed), or a while has passed. */
  needsRefresh(): boolean {
    const now = this.#now();
    return this.#pause === undefined || now - this.#readAt >= REFRESH_EVERY_MS || this.#onDuty.some((duty) => duty.until <= now);
  }

  /** The answer now, from what was last read (nobody on duty and no pause before the first read). */
  current(): Availability {
    const now = this.#now();
    const { week } = this.#config.settings.openingHours;
    const pause = this.#pause && (this.#pause.until === null || this.#pause.until > now) ? this.#pause : null;
    const onDuty = this.#onDuty.some((duty) => duty.until > now);
    const offered = this.#config.settings.modes.includes('video');
    const video = offered && (!this.#videoOnlyOnDuty || onDuty);
    const videoReason = offered && !video ? 'no_moderator' : null;
    if (pause) {
      const opensAt = pause.until === null ? null : nextOpening(week, this.#timeZone, pause.until);
      return { open: false, state: 'paused', opensAt, closesAt: null, message: pause.message, timeZone: this.#timeZone, video, videoReason };
    }
    const hours = openingState(week, this.#timeZone, now);
    return { open: hours.open, state: hours.open ? 'open' : 'closed', opensAt: hours.opensAt, closesAt: hours.closesAt, message: null, timeZone: this.#timeZone, video, videoReason };
  }

  /** The answer now, read from the database first when it may be out of date (sessions, the terminal). */
  async state(): Promise<Availability> {
    if (this.needsRefresh()) await this.refresh();
    return this.current();
  }

  /** Who is on duty, as last read (empty when video needs no moderator: then nobody asks). */
  onDuty(): readonly OnDuty[] {
    return this.#onDuty.filter((duty) => duty.until > this.#now());
  }

  /** Why new sessions and searches are refused now, or undefined when the space is open. */
  refusal(availability = this.current()): ClosedRefusal | undefined {
    if (availability.open) return undefined;
    const name = this.#config.settings.name;
    const when = availability.opensAt === null ? undefined : formatMoment(availability.opensAt, this.#timeZone);
    if (availability.state === 'paused') {
      const said = availability.message ? ` ${availability.message.replace(/[.!?]?$/, '.')}` : '';
      const back = when ? ` It opens again on ${when}.` : ' It opens again when the people who run it say so.';
      return { code: 'paused', message: `${name} is paused for now.${said}${back}`, opensAt: availability.opensAt };
    }
    const back = when ? ` It opens again on ${when}.` : '';
    return { code: 'closed', message: `${name} is closed at this time.${back}`, opensAt: availability.opensAt };
  }

  /** Why video is not offered now (though the space offers it), or undefined when it is. */
  videoUnavailable(): 'no_moderator' | undefined {
    return this.current().videoReason ?? undefined;
  }

  /** A session may start now; throws 403 `closed` or `paused` with `opensAt` otherwise. */
  async assertOpen(): Promise<void> {
    const refusal = this.refusal(await this.state());
    if (refusal) throw new AppError(403, refusal.code, refusal.message, { opensAt: refusal.opensAt });
  }
}

/** The pause in force at `now`, if any. */
async function activePause(db: Db, now: number): Promise<SitePause | null> {
  const row = await db
    .selectFrom('site_pauses')
    .selectAll()
    .where('resumed_at', 'is', null)
    .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
    .orderBy('paused_at', 'desc')
    .executeTakeFirst();
  return row ? { id: row.id, pausedAt: Number(row.paused_at), pausedBy: row.paused_by, until: row.until === null ? null : Number(row.until), message: row.message } : null;
}
