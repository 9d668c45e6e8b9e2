// Moderators on duty. The database says who is on duty until when, so that every process (and
// every node) agrees: from the dashboard, on duty lasts while the dashboard renews it (a closed
// tab lapses within DUTY_DASHBOARD_TTL_MS); from the terminal, for a set number of hours. Going on
// and off duty is authorised, changed, audited and published on the moderation feed in one
// transaction; a renewal is none of these (it changes nothing anyone sees).
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan } from '../access/permissions.ts';
import type { AuditLog } from './audit.ts';
import type { DutyVia, OnDuty } from '../protocol/moderation.ts';

/** How long on duty from the dashboard lasts without a renewal. */
export const DUTY_DASHBOARD_TTL_MS = 3 * 60_000;
/** How often the dashboard renews it: thrice per TTL, so a background tab's slowed timers still keep it. */
export const DUTY_HEARTBEAT_MS = 60_000;
const HOUR_MS = 3600_000;

export type { DutyVia, OnDuty } from '../protocol/moderation.ts';

/** The key of an actor's duty row: their account, or the operator's terminal identity. */
function holderOf(actor: Actor): string {
  return actor.moderatorId ? `moderator:${actor.moderatorId}` : actor.name;
}

function nameOf(actor: Actor): string {
  return actor.moderatorId ? (/ as (.+)$/.exec(actor.name)?.[1] ?? actor.name.replace(/^moderator:/, '')) : actor.name;
}

export class DutyService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => number;

  constructor(deps: { db: Db; audit: AuditLog; now: () => number }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#now = deps.now;
  }

  /**
   * Puts the actor on duty: from the dashboard until the next renewal is due, from the terminal for
   * `hours`. Audited (`duty.on`) and published when it changes anything but a dashboard's renewal.
   */
  async on(actor: Actor, how: { via: 'dashboard' } | { via: 'terminal'; hours: number }): Promise<OnDuty> {
    assertCan(actor.role, 'duty.set');
    if (how.via === 'terminal' && !(how.hours > 0 && how.hours <= 24)) throw new AppError(400, 'invalid_hours', 'hours: from a quarter of an hour to 24.');
    const holder = holderOf(actor);
    return this.#audit.transaction(async (trx, record, write) => {
      const now = this.#now();
      const row = await trx.selectFrom('moderator_duty').selectAll().where('holder', '=', holder).executeTakeFirst();
      const active = row && Number(row.expires_at) > now ? row : undefined;
      const until = how.via === 'terminal' ? now + Math.round(how.hours * HOUR_MS) : Math.max(now + DUTY_DASHBOARD_TTL_MS, Number(active?.expires_at ?? 0));
      const since = active ? Number(active.since) : now;
      const via = how.via === 'terminal' ? 'terminal' : ((active?.via as DutyVia | undefined) ?? 'dashboard');
      const values = { holder, moderator_id: actor.moderatorId ?? null, name: nameOf(actor), via, since, expires_at: until };
      await trx.insertInto('moderator_duty').values(values).onConflict((oc) => oc.column('holder').doUpdateSet({ via, since, expires_at: until, name: values.name })).execute();
      // Pressing the toggle again while on duty changes nothing worth recording; a new length from the terminal does.
      if (!active || how.via === 'terminal') {
        await record(actor, { action: 'duty.on', target: holder.startsWith('moderator:') ? `moderator:${values.name}` : holder, details: { via: how.via, until } });
        await write.publish({ kind: 'availability_changed', payload: { what: 'duty' } });
      }
      return { name: values.name, via, since, until };
    });
  }

  /**
   * The dashboard's renewal: extends the actor's duty by DUTY_DASHBOARD_TTL_MS (never shortens a
   * terminal's). Undefined when the actor is not on duty (it lapsed, or ended elsewhere): then the
   * dashboard shows them off duty, and they go on again with the toggle.
   */
  async renew(actor: Actor): Promise<OnDuty | undefined> {
    assertCan(actor.role, 'duty.set');
    const now = this.#now();
    const holder = holderOf(actor);
    await this.#db
      .updateTable('moderator_duty')
      .set({ expires_at: now + DUTY_DASHBOARD_TTL_MS })
      .where('holder', '=', holder)
      .where('expires_at', '>', now)
      .where('expires_at', '<', now + DUTY_DASHBOARD_TTL_MS)
      .execute();
    return this.mine(actor);
  }

  /** Takes the actor off duty; false when they were not on duty. Audited (`duty.off`) and published. */
  async off(actor: Actor): Promise<boolean> {
    assertCan(actor.role, 'duty.set');
    return this.#end(actor, {});
  }

  /**
   * Signing out of the dashboard ends the duty it kept (not one set from the terminal): nobody is
   * left "on duty" for the minutes a lapse would take. Asks no permission: it only ends.
   */
  async offAtLogout(actor: Actor): Promise<boolean> {
    return this.#end(actor, { via: 'dashboard', details: { at: 'logout' } });
  }

  async #end(actor: Actor, only: { via?: DutyVia; details?: Record<string, unknown> }): Promise<boolean> {
    const holder = holderOf(actor);
    return this.#audit.transaction(async (trx, record, write) => {
      const now = this.#now();
      const row = await trx.selectFrom('moderator_duty').select(['expires_at', 'name', 'via']).where('holder', '=', holder).executeTakeFirst();
      if (!row || (only.via && row.via !== only.via)) return false;
      await trx.deleteFrom('moderator_duty').where('holder', '=', holder).execute();
      if (Number(row.expires_at) <= now) return false;
      await record(actor, { action: 'duty.off', target: holder.startsWith('moderator:') ? `moderator:${row.name}` : holder, ...(only.details ? { details: only.details } : {}) });
      await write.publish({ kind: 'availability_changed', payload: { what: 'duty' } });
      return true;
    });
  }

  /** The actor's own duty, if on duty now. */
  async mine(actor: Actor): Promise<OnDuty | undefined> {
    const row = await this.#db.selectFrom('moderator_duty').selectAll().where('holder', '=', holderOf(actor)).where('expires_at', '>', this.#now()).executeTakeFirst();
    return row && { name: row.name, via: row.via as DutyVia, since: Number(row.since), until: Number(row.expires_at) };
  }

  /** Who is on duty now, longest on duty first. */
  async list(actor: Actor): Promise<OnDuty[]> {
    assertCan(actor.role, 'duty.list');
    return this.onDuty();
  }

  /** Who is on duty now (no permission: what every process reads to decide whether video is offered). Disabled accounts are not. */
  async onDuty(): Promise<OnDuty[]> {
    const rows = await this.#db
      .selectFrom('moderator_duty')
      .leftJoin('moderators', 'moderators.id', 'moderator_duty.moderator_id')
      .select(['moderator_duty.name', 'moderator_duty.via', 'moderator_duty.since', 'moderator_duty.expires_at', 'moderators.disabled_at', 'moderator_duty.moderator_id'])
      .where('moderator_duty.expires_at', '>', this.#now())
      .orderBy('moderator_duty.since')
      .execute();
    return rows
      .filter((row) => row.moderator_id === null || row.disabled_at === null)
      .map((row) => ({ name: row.name, via: row.via as DutyVia, since: Number(row.since), until: Number(row.expires_at) }));
  }
}
