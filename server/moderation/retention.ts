// Retention: nothing personal is kept past its period. Evidence goes a set time after its report
// is resolved (open reports keep theirs), and an appeal's text as long after its decision;
// addresses and chat sessions after their periods, audit entries
// after a year; spent tickets, moderator logins, e-mail links and feed events as soon as they are
// of no use; "never pair again" entries on an address, and age-band locks, when they expire (an
// address entry at the latest with the other addresses). Runs hourly in every server process and on demand (CLI `purge`, the owners' API).
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { InstanceSettings } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan } from '../access/permissions.ts';
import { memoryLock, type Lock } from '../cluster/lock.ts';
import { RETENTION_PURGE_ACTION, type AuditLog } from './audit.ts';

export const DAY_MS = 86_400_000;
/** How often each server process purges. */
export const RETENTION_INTERVAL_MS = 3600_000;
/** Feed events are read within seconds by every process; a day is a wide margin. */
export const EVENT_RETENTION_MS = DAY_MS;

/** The lock a purge holds: one runner in the whole cluster at a time. */
export const RETENTION_LOCK = 'retention-purge';

/** Who the scheduled purge is recorded as. */
export const RETENTION_ACTOR: Actor = { role: 'owner', name: 'system:retention' };

import { type RetentionCounts } from '../protocol/moderation.ts';
export type { RetentionCounts } from '../protocol/moderation.ts';

export interface PurgeResult {
  dryRun: boolean;
  at: number;
  counts: RetentionCounts;
}

export type RetentionPeriods = InstanceSettings['retention'];

interface Cutoffs {
  now: number;
  evidence: number;
  address: number;
  audit: number;
  session: number;
  event: number;
}

type Where<T extends keyof Database> = (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>;

/** Resolved reports whose evidence is past its period (and not already removed). */
const evidenceDue =
  (c: Cutoffs): Where<'reports'> =>
  (eb) =>
    eb.and([eb('evidence_purged_at', 'is', null), eb('resolved_at', 'is not', null), eb('resolved_at', '<=', c.evidence)]);

/** Decided appeals whose text is past the evidence period. */
const appealDue =
  (c: Cutoffs): Where<'appeals'> =>
  (eb) =>
    eb.and([eb('status', '!=', 'open'), eb('decided_at', 'is not', null), eb('decided_at', '<=', c.evidence), eb('message', '!=', '')]);

/** Reports that still hold evidence after this purge: open, or resolved within the period. */
const keepsEvidence =
  (c: Cutoffs): Where<'reports'> =>
  (eb) =>
    eb.and([eb('evidence_purged_at', 'is', null), eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>', c.evidence)])]);

const sessionAddressDue =
  (c: Cutoffs): Where<'sessions'> =>
  (eb) =>
    eb.and([eb('address', '!=', ''), eb('created_at', '<=', c.address)]);

const reportAddressDue =
  (c: Cutoffs): Where<'reports'> =>
  (eb) =>
    eb.and([eb.or([eb('reporter_address', 'is not', null), eb('reported_address', 'is not', null)]), eb('created_at', '<=', c.address)]);

/** Moderator logins still in use past the address period (the others are deleted whole). */
const moderatorAddressDue =
  (c: Cutoffs): Where<'moderator_sessions'> =>
  (eb) =>
    eb.and([eb('address', '!=', ''), eb('created_at', '<=', c.address), eb('ended_at', 'is', null), eb('expires_at', '>', c.now)]);

/**
 * Chat sessions whose end is past the period (a session never marked ended — its ticket unused,
 * its connection closed — counts from its start), unless a report that still holds evidence
 * names it.
 */
const sessionDue =
  (c: Cutoffs): Where<'sessions'> =>
  (eb) =>
    eb.and([
      eb(eb.fn.coalesce('sessions.ended_at', 'sessions.created_at'), '<=', c.session),
      eb.not(
        eb.exists(
          eb
            .selectFrom('reports')
            .select('reports.id')
            .where((r) => r.or([r('reports.reporter_session_id', '=', r.ref('sessions.id')), r('reports.reported_session_id', '=', r.ref('sessions.id'))]))
            .where(keepsEvidence(c) as unknown as Where<'reports' | 'sessions'>),
        ),
      ),
    ]);

const ticketDue =
  (c: Cutoffs): Where<'tickets'> =>
  (eb) =>
    eb.or([eb('used_at', 'is not', null), eb('expires_at', '<=', c.now)]);

const moderatorSessionDue =
  (c: Cutoffs): Where<'moderator_sessions'> =>
  (eb) =>
    eb.or([eb('ended_at', 'is not', null), eb('expires_at', '<=', c.now)]);

const emailVerificationDue =
  (c: Cutoffs): Where<'email_verifications'> =>
  (eb) =>
    eb.or([eb('used_at', 'is not', null), eb('expires_at', '<=', c.now)]);

const eventDue =
  (c: Cutoffs): Where<'moderation_events'> =>
  (eb) =>
    eb('created_at', '<=', c.event);

/** Expired avoids, and address avoids past the address period even if their window is longer. */
const avoidDue =
  (c: Cutoffs): Where<'pair_avoids'> =>
  (eb) =>
    eb.or([
      eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', c.now)]),
      eb.and([eb('key_b', 'like', 'address:%'), eb('created_at', '<=', c.address)]),
    ]);

const bandLockDue =
  (c: Cutoffs): Where<'age_band_locks'> =>
  (eb) =>
    eb('expires_at', '<=', c.now);

function total(counts: RetentionCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

export class RetentionService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #periods: RetentionPeriods;
  readonly #logger: Logger | undefined;
  readonly #locks: Lock;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(deps: { db: Db; audit: AuditLog; now: () => number; periods: RetentionPeriods; logger?: Logger; locks?: Lock }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#now = deps.now;
    this.#periods = deps.periods;
    this.#logger = deps.logger;
    this.#locks = deps.locks ?? memoryLock();
  }

  #cutoffs(): Cutoffs {
    const now = this.#now();
    const p = this.#periods;
    return {
      now,
      evidence: now - p.evidenceDays * DAY_MS,
      address: now - p.addressDays * DAY_MS,
      audit: now - p.auditDays * DAY_MS,
      session: now - p.sessionDays * DAY_MS,
      event: now - EVENT_RETENTION_MS,
    };
  }

  /**
   * Removes what is past its period and returns the counts; a dry run only counts. A person
   * asking (the CLI, an owner) needs config.manage; every real purge that removes something, or
   * that a person asked for, is audited with its counts.
   */
  async purge(options: { dryRun?: boolean; actor?: Actor } = {}): Promise<PurgeResult> {
    if (options.actor) assertCan(options.actor.role, 'config.manage');
    // After a purge another runner is doing, not beside it.
    return this.#locks.withLock(RETENTION_LOCK, () => this.#purge(options));
  }

  async #purge(options: { dryRun?: boolean; actor?: Actor }): Promise<PurgeResult> {
    const dryRun = options.dryRun === true;
    const c = this.#cutoffs();
    const counts = dryRun ? await this.#count(c) : await this.#apply(c, options.actor);
    if (!dryRun && total(counts) > 0) this.#logger?.info({ counts }, 'retention purge');
    return { dryRun, at: c.now, counts };
  }

  async #count(c: Cutoffs): Promise<RetentionCounts> {
    const db = this.#db;
    const n = (row: { n: number | string | bigint } | undefined) => Number(row?.n ?? 0);
    const count = <T extends keyof Database>(table: T, where: Where<T>) =>
      db
        .selectFrom(table as keyof Database)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(where as unknown as Where<keyof Database>)
        .executeTakeFirst()
        .then(n);
    const audit = await this.#auditDue(c, db);
    return {
      evidence: await count('reports', evidenceDue(c)),
      appeals: await count('appeals', appealDue(c)),
      addresses:
        (await count('sessions', sessionAddressDue(c))) +
        (await count('reports', reportAddressDue(c))) +
        (await count('moderator_sessions', moderatorAddressDue(c))),
      audit: audit?.count ?? 0,
      sessions: await count('sessions', sessionDue(c)),
      tickets: await count('tickets', ticketDue(c)),
      moderatorSessions: await count('moderator_sessions', moderatorSessionDue(c)),
      emailVerifications: await count('email_verifications', emailVerificationDue(c)),
      events: await count('moderation_events', eventDue(c)),
      avoids: await count('pair_avoids', avoidDue(c)),
      bandLocks: await count('age_band_locks', bandLockDue(c)),
    };
  }

  async #apply(c: Cutoffs, actor: Actor | undefined): Promise<RetentionCounts> {
    const db = this.#db;
    const changed = (result: { numUpdatedRows: bigint } | { numDeletedRows: bigint }) =>
      Number('numUpdatedRows' in result ? result.numUpdatedRows : result.numDeletedRows);

    // Tickets first: deleting a session would otherwise remove its tickets uncounted (cascade).
    const tickets = changed(await db.deleteFrom('tickets').where(ticketDue(c)).executeTakeFirst());
    const moderatorSessions = changed(await db.deleteFrom('moderator_sessions').where(moderatorSessionDue(c)).executeTakeFirst());
    const emailVerifications = changed(await db.deleteFrom('email_verifications').where(emailVerificationDue(c)).executeTakeFirst());
    const events = changed(await db.deleteFrom('moderation_events').where(eventDue(c)).executeTakeFirst());
    const avoids = changed(await db.deleteFrom('pair_avoids').where(avoidDue(c)).executeTakeFirst());
    const bandLocks = changed(await db.deleteFrom('age_band_locks').where(bandLockDue(c)).executeTakeFirst());

    // Frames of every report whose evidence is due or already removed (a late upload included).
    await db
      .deleteFrom('report_frames')
      .where('report_id', 'in', (eb) =>
        eb
          .selectFrom('reports')
          .select('reports.id')
          .where((r) => r.or([r('evidence_purged_at', 'is not', null), evidenceDue(c)(r)])),
      )
      .execute();
    const evidence = changed(
      await db.updateTable('reports').set({ transcript: '[]', note: null, evidence_purged_at: c.now }).where(evidenceDue(c)).executeTakeFirst(),
    );

    const appeals = changed(await db.updateTable('appeals').set({ message: '' }).where(appealDue(c)).executeTakeFirst());

    const addresses =
      changed(await db.updateTable('sessions').set({ address: '' }).where(sessionAddressDue(c)).executeTakeFirst()) +
      changed(await db.updateTable('reports').set({ reporter_address: null, reported_address: null }).where(reportAddressDue(c)).executeTakeFirst()) +
      changed(await db.updateTable('moderator_sessions').set({ address: '' }).where(moderatorAddressDue(c)).executeTakeFirst());

    const sessions = changed(await db.deleteFrom('sessions').where(sessionDue(c)).executeTakeFirst());

    // The audit log last, so its entry can carry every count. The entry and the removal of the old
    // rows are one transaction: it names the hash the remaining chain will start from (see
    // AuditLog.verify), and the rows go exactly when it is written.
    const counts: RetentionCounts = {
      evidence,
      appeals,
      addresses,
      audit: 0,
      sessions,
      tickets,
      moderatorSessions,
      emailVerifications,
      events,
      avoids,
      bandLocks,
    };
    await this.#audit.transaction(async (trx, record) => {
      const due = await this.#auditDue(c, trx);
      counts.audit = due?.count ?? 0;
      if (due || actor || total(counts) > 0) {
        await record(actor ?? RETENTION_ACTOR, {
          action: RETENTION_PURGE_ACTION,
          details: { counts, periods: { ...this.#periods }, ...(due ? { auditAnchor: due.lastHash } : {}) },
        });
      }
      if (due) await trx.deleteFrom('audit_log').where('id', '<=', due.lastId).execute();
    });
    return counts;
  }

  /**
   * The oldest audit entries past the period, as a prefix of the chain: everything before the
   * first entry still within the period (so a clock that went back cannot split the chain).
   */
  async #auditDue(c: Cutoffs, db: Db): Promise<{ lastId: number; lastHash: string; count: number } | undefined> {
    const firstKept = await db.selectFrom('audit_log').select('id').where('at', '>', c.audit).orderBy('id').limit(1).executeTakeFirst();
    let lastQuery = db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1);
    if (firstKept) lastQuery = lastQuery.where('id', '<', firstKept.id);
    const last = await lastQuery.executeTakeFirst();
    if (!last) return undefined;
    const row = await db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', '<=', last.id)
      .executeTakeFirstOrThrow();
    return { lastId: Number(last.id), lastHash: last.hash, count: Number(row.n) };
  }

  /**
   * Purges every `intervalMs` (unref'd: it never keeps the process alive); errors are logged. A
   * purge another runner of the cluster is doing (or this one still is) is not started again.
   */
  start(intervalMs = RETENTION_INTERVAL_MS): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.#locks
        .ifFree(RETENTION_LOCK, () => this.#purge({}))
        .catch((error: unknown) => this.#logger?.error({ err: error }, 'retention purge failed'))
        .finally(() => (this.#running = undefined));
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a purge in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
