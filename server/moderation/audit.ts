// The audit log: every moderation action and every viewing of evidence, append-only and
// hash-chained. Each row holds the SHA-256 of the previous row and of its own content, so
// changing or deleting a row breaks the chain at that row; `verify` finds it. Retention deletes
// the oldest rows; its `retention.purge` entry names the hash the remaining chain starts from,
// so removing old rows by any other means is found too.
import { createHash, randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { AuditLogTable } from '../db/schema.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan } from '../access/permissions.ts';

/** prev_hash of the first row ever written. */
export const GENESIS_HASH = '0'.repeat(64);
/**
 * Attempts when another writer extended the chain at the same moment. Between attempts a writer
 * waits a random, growing while (up to APPEND_MAX_BACKOFF_MS), so two busy writers stop colliding.
 */
const APPEND_ATTEMPTS = 40;
const APPEND_MAX_BACKOFF_MS = 50;
const VERIFY_BATCH = 1000;
/** The action retention records; its details' `auditAnchor` attests where the remaining chain starts. */
export const RETENTION_PURGE_ACTION = 'retention.purge';

export interface AuditEntryInput {
  action: string;
  target?: string | null;
  reason?: string | null;
  details?: Record<string, unknown> | null;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Rows checked. */
  rows: number;
  /** The first row that does not verify. */
  badRowId?: number;
  problem?: string;
  /** Set when older rows were purged by retention: the chain is checked from this row on. */
  anchoredAt?: number;
}

/** The hash of a row: its predecessor's hash and its own content, in a fixed order. */
export function rowHash(prevHash: string, row: Pick<AuditLogTable, 'at' | 'actor' | 'action' | 'target' | 'reason' | 'details'>): string {
  const content = JSON.stringify([Number(row.at), row.actor, row.action, row.target ?? null, row.reason ?? null, row.details ?? null]);
  return createHash('sha256').update(`${prevHash}\n${content}`).digest('hex');
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

export class AuditLog {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(deps: { db: Db; now: () => number }) {
    this.#db = deps.db;
    this.#now = deps.now;
  }

  /** Appends an entry. Safe across processes: a lost race on the chain's end retries. */
  async record(actor: Actor | string, entry: AuditEntryInput): Promise<AuditEntry> {
    const actorName = typeof actor === 'string' ? actor : actor.name;
    for (let attempt = 1; ; attempt++) {
      const last = await this.#db.selectFrom('audit_log').select(['hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
      const prevHash = last?.hash ?? GENESIS_HASH;
      const row = {
        at: this.#now(),
        actor: actorName,
        action: entry.action,
        target: entry.target ?? null,
        reason: entry.reason ?? null,
        details: entry.details ? JSON.stringify(entry.details) : null,
        prev_hash: prevHash,
      };
      try {
        const inserted = await this.#db
          .insertInto('audit_log')
          .values({ ...row, hash: rowHash(prevHash, row) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toEntry(inserted as AuditLogTable & { id: number });
      } catch (error) {
        // prev_hash is unique: another writer extended the chain first. Read the new end and retry.
        if (attempt >= APPEND_ATTEMPTS || !isUniqueViolation(error)) throw error;
        await sleep(randomInt(Math.min(2 ** attempt, APPEND_MAX_BACKOFF_MS) + 1));
      }
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

  /** Entries after the row `afterId`, oldest first (what `audit --follow` and `reports watch` poll for). */
  async after(actor: Actor, afterId: number, limit = 1000): Promise<AuditEntry[]> {
    assertCan(actor.role, 'audit.read');
    const rows = await this.#db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').limit(Math.min(limit, 1000)).execute();
    return rows.map((row) => toEntry(row as AuditLogTable & { id: number }));
  }

  /**
   * Walks the whole chain; reports the first row whose link or content does not verify. When
   * retention removed the oldest rows, the chain starts at the oldest remaining row, and a
   * remaining `retention.purge` entry must attest that start.
   */
  async verify(): Promise<AuditVerification> {
    let expectedPrev: string | undefined;
    let rows = 0;
    let anchoredAt: number | undefined;
    let anchorHash: string | undefined;
    const attestedAnchors = new Set<string>();
    let afterId = 0;
    for (;;) {
      const batch = await this.#db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').limit(VERIFY_BATCH).execute();
      if (batch.length === 0) break;
      for (const row of batch) {
        const id = Number(row.id);
        if (expectedPrev === undefined) {
          // Retention may have purged older rows: the oldest remaining row anchors the chain.
          if (row.prev_hash !== GENESIS_HASH) {
            anchoredAt = id;
            anchorHash = row.prev_hash;
          }
        } else if (row.prev_hash !== expectedPrev) {
          return { ok: false, rows, badRowId: id, problem: 'its link to the previous row is broken (a row was changed, removed or inserted)', anchoredAt };
        }
        if (rowHash(row.prev_hash, row) !== row.hash) {
          return { ok: false, rows, badRowId: id, problem: 'its content does not match its hash (the row was changed)', anchoredAt };
        }
        if (row.action === RETENTION_PURGE_ACTION) {
          const anchor = retentionAnchor(row.details);
          if (anchor) attestedAnchors.add(anchor);
        }
        expectedPrev = row.hash;
        rows++;
        afterId = id;
      }
    }
    if (anchoredAt === undefined) return { ok: true, rows };
    if (!attestedAnchors.has(anchorHash!)) {
      return { ok: false, rows, badRowId: anchoredAt, problem: 'older rows are missing and no retention purge records removing them', anchoredAt };
    }
    return { ok: true, rows, anchoredAt };
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
