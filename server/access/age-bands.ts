// Age bands stick: a browser (and a verified e-mail identity) that started a session in one band
// cannot start one in the other for a period after its last session. Without this, an adult
// refused nothing could declare 15 in the next tab and be paired with children. A refused switch
// is an audit entry (`session.band_switch_refused`) and a counter on the lock, which moderators
// see beside the reports about that device: a browser that tried to change age is worth a look.
import type { Db } from '../db/database.ts';
import { compileOnce } from '../db/compiled.ts';
import { writeTransaction } from '../db/transaction.ts';
import { AppError } from '../errors.ts';
import type { AuditLog } from '../moderation/audit.ts';
import type { AlertService } from '../moderation/alerts.ts';
import type { AgeBand } from '../chat/hub.ts';
import { SYSTEM_ACTOR, type Actor } from './actor.ts';

/** Who records refused band switches in the audit log. */
export const AGE_BAND_ACTOR: Actor = { ...SYSTEM_ACTOR, name: 'system:age-band' };
export const BAND_SWITCH_ACTION = 'session.band_switch_refused';
/** One audit entry per locked subject per this long, however often a script retries. */
const AUDIT_EVERY_MS = 3600_000;

export const BAND_LOCKED_MESSAGE =
  'This browser was recently used with an age in another age group, so it cannot change age group for now. ' +
  'If you made a mistake, ask the people who run this space.';

/** Who a lock applies to: the device, and the verified identity; only the identity with `identityOnly` (and one). */
export interface LockOrigin {
  deviceId: string;
  identityHash?: string | null;
  /** The band came from the identity (a school sign-in) and nobody can declare another: the device is not locked. */
  identityOnly?: boolean;
}

/** The subject a lock is on: `device:<id>` or `identity:<hash>`. */
function subjectsOf(origin: LockOrigin): string[] {
  if (origin.identityHash && origin.identityOnly) return [`identity:${origin.identityHash}`];
  return origin.identityHash ? [`device:${origin.deviceId}`, `identity:${origin.identityHash}`] : [`device:${origin.deviceId}`];
}

/**
 * Takes or extends the subject's lock when it is free, expired or already this band's; changes no
 * row when another band holds it. Every new session runs it: compiled once.
 */
const upsertLock = compileOnce<{ subject: string; band: AgeBand; now: number; expiresAt: number; noAttempts: number; noAttemptAt: null }>(
  ['subject', 'band', 'now', 'expiresAt', 'noAttempts', 'noAttemptAt'],
  (db, v) =>
    db
      .insertInto('age_band_locks')
      .values({ subject: v.subject, band: v.band, declared_at: v.now, expires_at: v.expiresAt, switch_attempts: v.noAttempts, last_attempt_at: v.noAttemptAt })
      .onConflict((oc) =>
        oc
          .column('subject')
          .doUpdateSet({ band: v.band, declared_at: v.now, expires_at: v.expiresAt })
          .where((eb) => eb.or([eb('age_band_locks.band', '=', v.band), eb('age_band_locks.expires_at', '<=', v.now)])),
      ),
);

/** A claimed band that another band's lock refuses. */
class BandLocked extends Error {
  readonly subject: string;
  readonly lockedBand: string;
  constructor(subject: string, lockedBand: string) {
    super('band locked');
    this.subject = subject;
    this.lockedBand = lockedBand;
  }
}

export class AgeBandLocks {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #lockMs: number;
  readonly #alerts: Pick<AlertService, 'raiseIn' | 'raised'> | undefined;

  constructor(deps: { db: Db; audit: AuditLog; alerts?: Pick<AlertService, 'raiseIn' | 'raised'>; now: () => number; lockDays: number }) {
    this.#db = deps.db;
    this.#alerts = deps.alerts;
    this.#audit = deps.audit;
    this.#now = deps.now;
    this.#lockMs = deps.lockDays * 86_400_000;
  }

  /**
   * Records that this device (and identity) starts a session in `band`, extending its lock; throws
   * 403 `age_band_locked` when either is locked to the other band. Atomic per subject (a
   * conditional upsert), and both subjects in one transaction, so two racing sessions with
   * different ages cannot both pass. With `work`, that runs in the same write transaction after
   * the claim (the session's own writes): one commit, and a lock is extended only by a session
   * that is stored.
   */
  async claim(origin: LockOrigin, band: AgeBand): Promise<void>;
  async claim<T>(origin: LockOrigin, band: AgeBand, work: (trx: Db) => Promise<T>): Promise<T>;
  async claim<T>(origin: LockOrigin, band: AgeBand, work?: (trx: Db) => Promise<T>): Promise<T | undefined> {
    if (this.#lockMs <= 0) return work ? writeTransaction(this.#db, work) : undefined;
    const now = this.#now();
    const subjects = subjectsOf(origin);
    try {
      return await writeTransaction(this.#db, async (trx) => {
        for (const subject of subjects) {
          const result = await upsertLock(trx, { subject, band, now, expiresAt: now + this.#lockMs, noAttempts: 0, noAttemptAt: null });
          if (Number(result.numAffectedRows ?? 0) === 0) {
            const lock = await trx.selectFrom('age_band_locks').select('band').where('subject', '=', subject).executeTakeFirst();
            throw new BandLocked(subject, lock?.band ?? 'unknown');
          }
        }
        return work?.(trx);
      });
    } catch (error) {
      if (!(error instanceof BandLocked)) throw error;
      // After the rollback: the refusal is written in its own transaction.
      await this.#refused(error, band, now, subjects);
      throw new AppError(403, 'age_band_locked', BAND_LOCKED_MESSAGE);
    }
  }

  /** Counts the attempt on every locked subject of the person and audits it (at most hourly per subject). */
  async #refused(locked: BandLocked, band: AgeBand, now: number, subjects: string[]): Promise<void> {
    // The counter, its audit entry and the alert are one transaction: audited and alerted together,
    // as often as each other (at most hourly per subject); the alert's sender is woken after the commit.
    await this.#audit.transaction(async (trx, record, write) => {
      const rows = await trx.selectFrom('age_band_locks').select(['subject', 'band', 'last_attempt_at']).where('subject', 'in', subjects).execute();
      const holding = rows.filter((row) => row.band !== band);
      if (!holding.length) return;
      await trx
        .updateTable('age_band_locks')
        .set((eb) => ({ switch_attempts: eb('switch_attempts', '+', 1), last_attempt_at: now }))
        .where('subject', 'in', holding.map((row) => row.subject))
        .execute();
      const quiet = holding.every((row) => row.last_attempt_at !== null && now - Number(row.last_attempt_at) < AUDIT_EVERY_MS);
      if (quiet) return;
      await record(AGE_BAND_ACTOR, {
        action: BAND_SWITCH_ACTION,
        target: locked.subject,
        details: { from: locked.lockedBand, to: band, subjects: holding.map((row) => row.subject) },
      });
      const alerts = this.#alerts;
      if (!alerts) return;
      await alerts.raiseIn(trx, { kind: 'band_switch', subject: locked.subject, details: { from: locked.lockedBand, to: band } });
      write.afterCommit(() => alerts.raised());
    });
  }

  /** Refused switches recorded on these devices and identities (moderators see it beside reports). */
  async switchAttempts(origin: { deviceId: string | null; identityHash?: string | null }): Promise<number> {
    const subjects = [...(origin.deviceId ? [`device:${origin.deviceId}`] : []), ...(origin.identityHash ? [`identity:${origin.identityHash}`] : [])];
    if (!subjects.length) return 0;
    const rows = await this.#db.selectFrom('age_band_locks').select('switch_attempts').where('subject', 'in', subjects).execute();
    return rows.reduce((sum, row) => sum + Number(row.switch_attempts), 0);
  }
}
