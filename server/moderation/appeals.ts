// Appeals: a banned person writes why the ban should go; a moderator other than the one who
// banned decides (uphold or lift), and the decision is recorded and audited. Once decided, the
// same ban may be appealed again only after a cool-down, so a refused appeal cannot be repeated
// until a moderator gives in.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { orderedWriteTransaction } from '../db/transaction.ts';
import type { AppealsTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { accountOf, type Actor } from '../access/actor.ts';
import { assertCan } from '../access/permissions.ts';
import type { AuditLog } from './audit.ts';
import type { BanService } from './bans.ts';
import type { Ban, BanIndex, BanSubject } from './ban-index.ts';

const MAX_PAGE = 200;
const DAY_MS = 86_400_000;

import type { Appeal, AppealDecision, AppealStatus, OwnAppeal } from '../protocol/moderation.ts';

import { APPEAL_MESSAGE_MAX_LENGTH, DECISION_NOTE_MAX_LENGTH } from '../protocol/moderation.ts';
export { APPEAL_MESSAGE_MAX_LENGTH, DECISION_NOTE_MAX_LENGTH, type Appeal, type AppealDecision, type AppealStatus, type OwnAppeal } from '../protocol/moderation.ts';



function own(row: AppealsTable, cooldownMs: number): OwnAppeal {
  const decidedAt = row.decided_at === null ? null : Number(row.decided_at);
  return { id: row.id, status: row.status as AppealStatus, createdAt: Number(row.created_at), decidedAt, nextAppealAt: decidedAt === null ? null : decidedAt + cooldownMs };
}

/** A moment as the refusal states it: `2026-12-08 10:00 UTC` (the same for every reader). */
function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export class AppealService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #bans: BanService;
  /** The index of active bans; only a process that enforces bans (the server) has one. */
  readonly #index: BanIndex | undefined;
  readonly #now: () => number;
  readonly #cooldownMs: number;

  constructor(deps: { db: Db; audit: AuditLog; bans: BanService; index?: BanIndex; now: () => number; cooldownDays: number }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#bans = deps.bans;
    this.#index = deps.index;
    this.#now = deps.now;
    this.#cooldownMs = deps.cooldownDays * DAY_MS;
  }

  /** The ban that decides for this person (the one the ban screen shows), or a 404. */
  #banOf(subject: BanSubject): Ban {
    if (!this.#index) throw new TypeError('AppealService needs the ban index of a process that enforces bans to find whose appeal this is (createServices({ banIndex }))');
    const ban = this.#index.match(subject);
    if (!ban) throw new AppError(404, 'not_banned', 'There is no active ban on you to appeal.');
    return ban;
  }

  /** The person's appeal of their current ban, if any. */
  async mine(subject: BanSubject): Promise<OwnAppeal | null> {
    const ban = this.#banOf(subject);
    const row = await this.#db.selectFrom('appeals').selectAll().where('ban_id', '=', ban.id).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    return row ? own(row, this.#cooldownMs) : null;
  }

  /**
   * Files an appeal against the person's current ban: one open appeal per ban, and after a
   * decision none until the cool-down has passed (429 `appeal_too_soon`, saying from when).
   */
  async file(subject: BanSubject, message: string): Promise<OwnAppeal> {
    const text = message.trim();
    if (!text || text.length > APPEAL_MESSAGE_MAX_LENGTH) {
      throw new AppError(400, 'invalid_message', `An appeal is 1 to ${APPEAL_MESSAGE_MAX_LENGTH} characters.`);
    }
    const ban = this.#banOf(subject);
    // The checks and the insert hold the ordered-writes lock together: of two simultaneous
    // submissions, the second finds the first.
    return orderedWriteTransaction(this.#db, async (trx) => {
      if (await this.#openAppeal(ban.id, trx)) throw appealExists();
      const nextAt = await this.#nextAppealAt(ban.id, trx);
      if (nextAt !== undefined && nextAt > this.#now()) {
        throw new AppError(429, 'appeal_too_soon', `Your last appeal of this ban was decided recently. You can appeal again from ${utcMinute(nextAt)}.`, {
          retryAt: nextAt,
          retryAfter: Math.ceil((nextAt - this.#now()) / 1000),
        });
      }
      const row: AppealsTable = {
        id: randomUUID(),
        ban_id: ban.id,
        message: text,
        status: 'open',
        created_at: this.#now(),
        decided_by: null,
        decided_at: null,
        decision_note: null,
      };
      await trx.insertInto('appeals').values(row).execute();
      return own(row, this.#cooldownMs);
    });
  }

  /** When the latest decision on this ban lets a new appeal in; undefined when none was decided. */
  async #nextAppealAt(banId: string, db: Db): Promise<number | undefined> {
    const row = await db
      .selectFrom('appeals')
      .select('decided_at')
      .where('ban_id', '=', banId)
      .where('decided_at', 'is not', null)
      .orderBy('decided_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.decided_at == null ? undefined : Number(row.decided_at) + this.#cooldownMs;
  }

  async #openAppeal(banId: string, db: Db): Promise<string | undefined> {
    const row = await db
      .selectFrom('appeals')
      .select('id')
      .where('ban_id', '=', banId)
      .where('status', '=', 'open')
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  async list(actor: Actor, filter: { status?: AppealStatus | 'decided' | 'all'; limit?: number; offset?: number } = {}): Promise<Appeal[]> {
    assertCan(actor.role, 'appeals.list');
    let query = this.#db.selectFrom('appeals').selectAll();
    const status = filter.status ?? 'open';
    if (status === 'decided') query = query.where('status', '!=', 'open');
    else if (status !== 'all') query = query.where('status', '=', status);
    const rows = await query
      .orderBy('created_at', status === 'open' ? 'asc' : 'desc')
      .orderBy('id')
      .limit(Math.min(filter.limit ?? 50, MAX_PAGE))
      .offset(filter.offset ?? 0)
      .execute();
    return Promise.all(rows.map((row) => this.#appeal(row)));
  }

  /** Decides an appeal. Refused to the moderator who made the ban: a second pair of eyes decides. */
  async decide(actor: Actor, id: string, decision: AppealDecision, note: string): Promise<Appeal> {
    assertCan(actor.role, 'appeals.decide');
    const text = note.trim();
    if (!text || text.length > DECISION_NOTE_MAX_LENGTH) {
      throw new AppError(400, 'invalid_note', `A decision needs a note of 1 to ${DECISION_NOTE_MAX_LENGTH} characters.`);
    }
    const row = await this.#db.selectFrom('appeals').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found', 'No such appeal.');
    if (row.status !== 'open') throw new AppError(409, 'already_decided', 'This appeal was already decided.');
    const ban = await this.#bans.get(row.ban_id);
    // The same person, whether they made the ban in /mod or at the terminal with --as.
    const author = ban && accountOf(ban.createdBy);
    if (ban && (ban.createdBy === actor.name || (author !== undefined && author === accountOf(actor.name)))) {
      throw new AppError(403, 'same_moderator', 'You made this ban: another moderator must decide its appeal.');
    }
    if (decision === 'lift') assertCan(actor.role, 'bans.remove');
    const now = this.#now();
    const status: AppealStatus = decision === 'lift' ? 'lifted' : 'upheld';
    // The decision, the ban it lifts and the audit entry are one transaction: nothing half-decided.
    await this.#audit.transaction(async (trx, record, write) => {
      const claimed = await trx
        .updateTable('appeals')
        .set({ status, decided_by: actor.name, decided_at: now, decision_note: text })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw new AppError(409, 'already_decided', 'This appeal was already decided.');
      if (decision === 'lift' && ban) await this.#bans.liftIn(write, ban.id, actor, `appeal ${id}: ${text}`);
      await record(actor, {
        action: `appeal.${decision}`,
        target: ban ? `${ban.targetKind}:${ban.target}` : `ban:${row.ban_id}`,
        reason: text,
        details: { appealId: id, banId: row.ban_id },
      });
    });
    return this.#appeal({ ...row, status, decided_by: actor.name, decided_at: now, decision_note: text });
  }

  async #appeal(row: AppealsTable): Promise<Appeal> {
    const ban = await this.#bans.get(row.ban_id);
    return {
      ...own(row, this.#cooldownMs),
      message: row.message,
      decidedBy: row.decided_by,
      decisionNote: row.decision_note,
      ban: ban
        ? {
            id: ban.id,
            targetKind: ban.targetKind,
            target: ban.target,
            reason: ban.reason,
            severity: ban.severity,
            createdBy: ban.createdBy,
            createdAt: ban.createdAt,
            expiresAt: ban.expiresAt,
            liftedAt: ban.liftedAt,
            reportId: ban.reportId,
            quarantine: ban.quarantine,
          }
        : null,
    };
  }
}

function appealExists(): AppError {
  return new AppError(409, 'appeal_exists', 'You already appealed this ban; a moderator will decide it.');
}
