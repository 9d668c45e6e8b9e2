// The audit log: every moderation action and every viewing of evidence, append-only and
// hash-chained. Each row holds the SHA-256 of the previous row and of its own content, so
// changing or deleting a row breaks the chain at that row; `verify` finds it. Three things anchor
// the chain beyond what someone with write access to the database alone can rebuild:
// - each row's keyed MAC (of its hash, under a key derived from the instance's secret in `.env`);
//   rows written before MACs existed stay hash-chained only, and are pinned by the first MACed row;
// - the head (the newest row's id and hash) recorded in the data folder after every append
//   (audit-head.ts), so deleting the newest rows, or all of them, is found;
// - an outside witness: `audit head` prints the head, `audit verify --expect <hash>` checks it is
//   still in the chain.
// Retention deletes the oldest rows; its `retention.purge` entry names the hash the remaining chain
// starts from, so removing old rows by any other means is found too.
import { createHash, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { AuditLogTable } from '../db/schema.ts';
import { orderedWriteTransaction } from '../db/transaction.ts';
import type { EventBus } from '../cluster/event-bus.ts';
import type { Logger } from '../logger.ts';
import type { ModerationEvent } from '../protocol/feed.ts';
import { appendEvent } from './events.ts';
import type { Actor } from '../access/actor.ts';
import { keyedHash } from '../access/keyed-hash.ts';
import { assertCan } from '../access/permissions.ts';
import { AuditHeadError, type AuditHead, type AuditHeadStore } from './audit-head.ts';

/** prev_hash of the first row ever written. */
export const GENESIS_HASH = '0'.repeat(64);
/**
 * Attempts when another writer extended the chain at the same moment (only a writer that does
 * not take the chain's lock can cause it). Between attempts a writer waits a random, growing
 * while (up to APPEND_MAX_BACKOFF_MS).
 */
const APPEND_ATTEMPTS = 40;
const APPEND_MAX_BACKOFF_MS = 50;
const VERIFY_BATCH = 1000;
/** The action retention records; its details' `auditAnchor` attests where the remaining chain starts. */
export const RETENTION_PURGE_ACTION = 'retention.purge';
/** The purpose the MAC key is derived under (keyed-hash.ts): distinct from every other use of the secret. */
const MAC_PURPOSE = 'audit-entry';
import type { AuditEntry, AuditVerification } from '../protocol/moderation.ts';

import { type AuditFinding } from '../protocol/moderation.ts';
export { AUDIT_FINDINGS, AUDIT_HASH, type AuditEntry, type AuditFinding, type AuditVerification } from '../protocol/moderation.ts';

export interface AuditEntryInput {
  action: string;
  target?: string | null;
  reason?: string | null;
  details?: Record<string, unknown> | null;
}


/** Appends an entry inside the caller's transaction (see AuditLog.transaction). */
export type RecordInTransaction = (actor: Actor | string, entry: AuditEntryInput) => Promise<AuditEntry>;

/**
 * One write of the audit log, as its work sees it: the transaction, its audit entries, its feed
 * events (the outbox) and the side effects that wait for the commit. Services that change several
 * things together take one of these, so a caller can join them into its own transaction.
 */
export interface AuditedWrite {
  /** The transaction: every query of the work goes through it. */
  readonly trx: Db;
  /** Appends an audit entry in this transaction. */
  record: RecordInTransaction;
  /** Appends a moderation-feed event in this transaction; the feed's readers are woken after the commit. */
  publish(event: ModerationEvent): Promise<void>;
  /** Runs `effect` once the transaction has committed (an index in memory, sockets, e-mail); a failure is logged, not thrown. */
  afterCommit(effect: () => void | Promise<void>): void;
}



export interface VerifyOptions {
  /** A hash an outside witness kept (`strangerchat audit head`): it must still be in the chain. */
  expect?: string;
}

/** The hash of a row: its predecessor's hash and its own content, in a fixed order. */
export function rowHash(prevHash: string, row: Pick<AuditLogTable, 'at' | 'actor' | 'action' | 'target' | 'reason' | 'details'>): string {
  const content = JSON.stringify([Number(row.at), row.actor, row.action, row.target ?? null, row.reason ?? null, row.details ?? null]);
  return createHash('sha256').update(`${prevHash}\n${content}`).digest('hex');
}

/** The MAC of a row's hash under the instance's secret: only someone holding `.env` can make one. */
export function rowMac(secret: string, hash: string): string {
  return keyedHash(secret, MAC_PURPOSE, hash);
}

function toEntry(row: AuditLogTable & { id: number }): AuditEntry {
  return {
    id: Number(row.id),
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    reason: row.reason,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    hash: row.hash,
  };
}

export interface AuditLogDeps {
  db: Db;
  now: () => number;
  /** The instance's session secret; the MAC key is derived from it (MAC_PURPOSE). */
  secret: string;
  /** Where the head is recorded: the data folder's audit-head/. */
  head: AuditHeadStore;
  logger: Logger;
  /** Woken after a commit that published feed events (default: none; the feed's poll reads them). */
  bus?: EventBus;
}

export class AuditLog {
  readonly #db: Db;
  readonly #now: () => number;
  readonly #secret: string;
  readonly #head: AuditHeadStore;
  readonly #logger: Logger;
  readonly #bus: EventBus | undefined;

  constructor(deps: AuditLogDeps) {
    this.#db = deps.db;
    this.#now = deps.now;
    this.#secret = deps.secret;
    this.#head = deps.head;
    this.#logger = deps.logger;
    this.#bus = deps.bus;
  }

  /** Appends an entry. Safe across processes and nodes: appends take the chain's lock in turn. */
  async record(actor: Actor | string, entry: AuditEntryInput): Promise<AuditEntry> {
    return this.transaction((_trx, record) => record(actor, entry));
  }

  /**
   * Runs `work` in one write transaction with the chain's lock held: what it changes, the entries
   * it records and the feed events it publishes commit together or not at all. After the commit
   * the head is recorded, the feed's readers are woken and the side effects run, in order. `work`
   * must use `trx` for every query, and may be run again (with nothing of the first run kept) when
   * a writer that took no lock extended the chain first.
   */
  async transaction<T>(work: (trx: Db, record: RecordInTransaction, write: AuditedWrite) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const recorded: AuditEntry[] = [];
      const effects: Array<() => void | Promise<void>> = [];
      let published = false;
      let lostRace = false;
      try {
        const result = await orderedWriteTransaction(this.#db, async (trx) => {
          const record: RecordInTransaction = async (actor, entry) => {
            try {
              const appended = await this.#append(trx, actor, entry);
              recorded.push(appended);
              return appended;
            } catch (error) {
              // prev_hash is unique: another writer extended the chain first.
              lostRace = isUniqueViolation(error);
              throw error;
            }
          };
          const write: AuditedWrite = {
            trx,
            record,
            publish: async (event) => {
              await appendEvent(trx, event, this.#now());
              published = true;
            },
            afterCommit: (effect) => void effects.push(effect),
          };
          return work(trx, record, write);
        });
        if (recorded.length > 0) this.#recordHead(recorded[recorded.length - 1]!);
        if (published) this.#bus?.notify();
        for (const effect of effects) {
          try {
            await effect();
          } catch (error) {
            this.#logger.error({ err: error }, 'an effect after a committed change failed');
          }
        }
        return result;
      } catch (error) {
        if (!lostRace || attempt >= APPEND_ATTEMPTS) throw error;
        await sleep(randomInt(Math.min(2 ** attempt, APPEND_MAX_BACKOFF_MS) + 1));
      }
    }
  }

  async #append(trx: Db, actor: Actor | string, entry: AuditEntryInput): Promise<AuditEntry> {
    const last = await trx.selectFrom('audit_log').select(['hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const prevHash = last?.hash ?? GENESIS_HASH;
    const row = {
      at: this.#now(),
      actor: typeof actor === 'string' ? actor : actor.name,
      action: entry.action,
      target: entry.target ?? null,
      reason: entry.reason ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
      prev_hash: prevHash,
    };
    const hash = rowHash(prevHash, row);
    const inserted = await trx
      .insertInto('audit_log')
      .values({ ...row, hash, mac: rowMac(this.#secret, hash) })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEntry(inserted as AuditLogTable & { id: number });
  }

  /** After the commit: the entry is in the log whatever happens here, so a failure is logged, not thrown. */
  #recordHead(entry: AuditEntry): void {
    try {
      this.#head.advance({ id: entry.id, hash: entry.hash });
    } catch (error) {
      this.#logger.error({ err: error, auditId: entry.id, dir: this.#head.dir }, 'the audit head could not be recorded in the data folder');
    }
  }

  async list(actor: Actor, filter: { since?: number; until?: number; action?: string; limit?: number; beforeId?: number } = {}): Promise<AuditEntry[]> {
    assertCan(actor.role, 'audit.read');
    let query = this.#db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
    return (await query.execute()).map((row) => toEntry(row as AuditLogTable & { id: number }));
  }

  /** The newest row of the chain (what a witness keeps) and the head the data folder records. */
  async head(): Promise<{ last: AuditHead | null; recordedHead: AuditHead | null }> {
    const last = await this.#db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return { last: last ? { id: Number(last.id), hash: last.hash } : null, recordedHead: this.#head.read() ?? null };
  }

  /** Every entry about these targets (`report:<id>`, `device:<id>`, …), oldest first: the history of one case. */
  async about(actor: Actor, targets: readonly string[]): Promise<AuditEntry[]> {
    assertCan(actor.role, 'audit.read');
    if (targets.length === 0) return [];
    const rows = await this.#db.selectFrom('audit_log').selectAll().where('target', 'in', [...targets]).orderBy('id').execute();
    return rows.map((row) => toEntry(row as AuditLogTable & { id: number }));
  }

  /** Entries after the row `afterId`, oldest first (what `audit --follow` and `reports watch` poll for). */
  async after(actor: Actor, afterId: number, limit = 1000): Promise<AuditEntry[]> {
    assertCan(actor.role, 'audit.read');
    const rows = await this.#db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').limit(Math.min(limit, 1000)).execute();
    return rows.map((row) => toEntry(row as AuditLogTable & { id: number }));
  }

  /**
   * Walks the whole chain; reports the first row whose link, content or MAC does not verify, then
   * whether the chain still reaches the head recorded in the data folder and the witnessed hash.
   * When retention removed the oldest rows, the chain starts at the oldest remaining row, and a
   * remaining `retention.purge` entry must attest that start.
   */
  async verify(options: VerifyOptions = {}): Promise<AuditVerification> {
    let recordedHead: AuditHead | null;
    try {
      recordedHead = this.#head.read() ?? null;
    } catch (error) {
      if (!(error instanceof AuditHeadError)) throw error;
      return { ok: false, rows: 0, finding: 'head_unreadable', problem: error.message, unkeyedRows: 0, last: null, recordedHead: null };
    }
    let expectedPrev: string | undefined;
    let rows = 0;
    let unkeyedRows = 0;
    let keyed = false;
    let anchoredAt: number | undefined;
    let anchorHash: string | undefined;
    let last: AuditHead | null = null;
    let headSeen: AuditHead | undefined;
    let expectSeen = false;
    const attestedAnchors = new Set<string>();
    let afterId = 0;
    const result = (finding: AuditFinding, badRowId: number | undefined, problem: string): AuditVerification => ({
      ok: false,
      rows,
      finding,
      ...(badRowId !== undefined ? { badRowId } : {}),
      problem,
      ...(anchoredAt !== undefined ? { anchoredAt } : {}),
      unkeyedRows,
      last,
      recordedHead,
    });
    for (;;) {
      const batch = await this.#db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').limit(VERIFY_BATCH).execute();
      if (batch.length === 0) break;
      for (const row of batch) {
        const id = Number(row.id);
        if (rowHash(row.prev_hash, row) !== row.hash) {
          return result('edited_row', id, 'its content does not match its hash (the row was changed)');
        }
        if (row.mac === null) {
          // Before the upgrade rows had no MAC; once one has, every later row must.
          if (keyed) return result('edited_row', id, 'it has no MAC although the rows before it have one (it was written or rewritten without the instance\'s key)');
          unkeyedRows++;
        } else {
          if (row.mac !== rowMac(this.#secret, row.hash)) return result('edited_row', id, 'its MAC does not match (the row was changed or forged without the instance\'s key)');
          keyed = true;
        }
        if (expectedPrev === undefined) {
          // Retention may have purged older rows: the oldest remaining row anchors the chain.
          if (row.prev_hash !== GENESIS_HASH) {
            anchoredAt = id;
            anchorHash = row.prev_hash;
          }
        } else if (row.prev_hash !== expectedPrev) {
          return result('missing_rows', id, `it does not link to row ${last!.id} before it: the rows between them were deleted (or a row was replaced)`);
        }
        if (row.action === RETENTION_PURGE_ACTION) {
          const anchor = retentionAnchor(row.details);
          if (anchor) attestedAnchors.add(anchor);
        }
        if (recordedHead && id === recordedHead.id) headSeen = { id, hash: row.hash };
        if (options.expect !== undefined && row.hash === options.expect) expectSeen = true;
        expectedPrev = row.hash;
        last = { id, hash: row.hash };
        rows++;
        afterId = id;
      }
    }
    if (anchoredAt !== undefined && !attestedAnchors.has(anchorHash!)) {
      return result('missing_oldest_rows', anchoredAt, 'older rows are missing and no retention purge records removing them');
    }
    if (recordedHead) {
      if (!last) return result('emptied', recordedHead.id, `the log is empty, but the data folder records entries up to row ${recordedHead.id}`);
      if (headSeen && headSeen.hash !== recordedHead.hash) {
        return result('edited_row', recordedHead.id, 'it is not the row the data folder recorded when it was written (the row was replaced)');
      }
      // A head older than the chain's start was purged by retention with the rows before it (an idle node's).
      const purged = anchoredAt !== undefined && recordedHead.id < anchoredAt;
      if (!headSeen && !purged) {
        return result('truncated_tail', recordedHead.id, `the log ends at row ${last.id}, but the data folder records rows up to ${recordedHead.id}: the newest rows were deleted`);
      }
    }
    if (options.expect !== undefined && !expectSeen) {
      return result(
        'expected_not_found',
        undefined,
        `the witnessed entry ${options.expect} is not in the log: rows were deleted or changed${anchoredAt !== undefined ? ` (or retention removed it: the chain now starts at row ${anchoredAt})` : ''}`,
      );
    }
    return { ok: true, rows, ...(anchoredAt !== undefined ? { anchoredAt } : {}), unkeyedRows, last, recordedHead };
  }
}

/** The `auditAnchor` a retention.purge entry attests, if any. */
function retentionAnchor(details: string | null): string | undefined {
  if (!details) return undefined;
  try {
    const anchor = (JSON.parse(details) as { auditAnchor?: unknown }).auditAnchor;
    return typeof anchor === 'string' ? anchor : undefined;
  } catch {
    return undefined;
  }
}
