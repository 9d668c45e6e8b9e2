// Bans: on an address, a range, a device or a verified identity; `no_access` (no site at all)
// or `no_matching` (may read the site, never paired); with an expiry or none. A ban, its audit
// entry and its feed event are one transaction (the event row is the outbox), so every process
// enforces it within 2 s, and a failure anywhere leaves no half of it. The `…In` methods join a
// caller's transaction (a report resolved with a ban, a quarantine of a device and an identity).
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { BansTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan } from '../access/permissions.ts';
import { formatAddress, formatRange, parseAddress, parseRange } from '../access/ip.ts';
import type { AuditedWrite, AuditLog } from './audit.ts';
import type { BanStatus, BanView } from '../protocol/moderation.ts';
import { BanIndex, type Ban, type BanMatch, type BanSeverity, type BanSubject, type BanTargetKind } from './ban-index.ts';
import { lockoutRisks, type LockoutContext, type LockoutRisk } from './lockout.ts';

import { BAN_NOTE_MAX_LENGTH, BAN_REASON_MAX_LENGTH } from '../protocol/moderation.ts';
export { BAN_NOTE_MAX_LENGTH, BAN_REASON_MAX_LENGTH } from '../protocol/moderation.ts';
const DEVICE_ID = /^[0-9a-f-]{36}$/i;
const IDENTITY_HASH = /^[A-Za-z0-9_-]{20,128}$/;

export interface BanTarget {
  kind: BanTargetKind;
  target: string;
}

/**
 * The widest ranges a ban may cover. Anything wider is a typo (`0.0.0.0/0`) that would close
 * the site to everyone; no real network a moderator meets is that large.
 */
export const MIN_BAN_PREFIX = { 4: 8, 6: 16 } as const;
/** How much earlier an existing ban may end and still cover a new one (addUnlessCovered). */
const COVER_TOLERANCE_MS = 60_000;

function invalidTarget(message: string): AppError {
  return new AppError(400, 'invalid_target', `target: ${message}`, { field: 'target' });
}

/**
 * Reads a ban target as an operator types it: `203.0.113.7`, `2001:db8::1` (its /64),
 * `198.51.100.0/24`, `::ffff:203.0.113.7` (IPv4), `device:<id>`, `identity:<hash>`.
 * Throws a 400 `invalid_target` naming the problem.
 */
export function parseBanTarget(text: string): BanTarget {
  const value = text.trim();
  if (value.startsWith('device:')) {
    const id = value.slice('device:'.length).toLowerCase();
    if (!DEVICE_ID.test(id)) throw invalidTarget(`"${value.slice(0, 80)}" is not a device id (device:<uuid>).`);
    return { kind: 'device', target: id };
  }
  if (value.startsWith('identity:')) {
    const hash = value.slice('identity:'.length);
    if (!IDENTITY_HASH.test(hash)) throw invalidTarget(`"${value.slice(0, 80)}" is not an identity hash (identity:<hash>).`);
    return { kind: 'identity', target: hash };
  }
  const range = parseRange(value);
  if (!range) throw invalidTarget(`"${value.slice(0, 80)}" is not an IP address, CIDR range, device:<id> or identity:<hash>.`);
  if (range.prefix < MIN_BAN_PREFIX[range.family]) {
    throw invalidTarget(`"${value.slice(0, 80)}" covers too much of the Internet; the widest range is /${MIN_BAN_PREFIX[range.family]} for IPv${range.family}.`);
  }
  // One address as typed (an IPv6 address standing for its /64) is an `ip` ban; a range typed as such is a `cidr`.
  const single = range.family === 4 ? range.prefix === 32 : !value.includes('/');
  return { kind: single ? 'ip' : 'cidr', target: formatRange(range) };
}

/**
 * Reads whom to check against the bans: one address (`203.0.113.7`, `2001:db8::1`),
 * `device:<id>` or `identity:<hash>`. Throws a 400 `invalid_subject` naming the field.
 */
export function parseBanSubject(text: string, field = 'subject'): BanSubject {
  const value = text.trim();
  if (value.startsWith('device:') || value.startsWith('identity:')) {
    let target: BanTarget;
    try {
      target = parseBanTarget(value);
    } catch {
      throw new AppError(400, 'invalid_subject', `${field}: "${value.slice(0, 80)}" is not device:<uuid> or identity:<hash>.`, { field });
    }
    return target.kind === 'device' ? { deviceId: target.target } : { identityHash: target.target };
  }
  const address = parseAddress(value);
  if (!address) throw new AppError(400, 'invalid_subject', `${field}: "${value.slice(0, 80)}" is not an IP address, device:<id> or identity:<hash>.`, { field });
  return { address: formatAddress(address) };
}

export interface AddBanInput {
  target: string | BanTarget;
  reason: string;
  severity?: BanSeverity;
  /** Milliseconds from now; null or undefined for no expiry. */
  durationMs?: number | null;
  note?: string | null;
  reportId?: string | null;
  quarantine?: boolean;
}

function toBan(row: BansTable): Ban {
  return {
    id: row.id,
    targetKind: row.target_kind as BanTargetKind,
    target: row.target,
    reason: row.reason,
    severity: row.severity as BanSeverity,
    note: row.note,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    liftedAt: row.lifted_at === null ? null : Number(row.lifted_at),
    liftedBy: row.lifted_by,
    reportId: row.report_id,
    quarantine: row.quarantine === 1,
  };
}

export type { BanStatus } from '../protocol/moderation.ts';

export function banStatus(ban: Ban, now: number): BanStatus {
  if (ban.liftedAt !== null) return 'lifted';
  if (ban.expiresAt !== null && ban.expiresAt <= now) return 'expired';
  return 'active';
}

/** A ban as the dashboard and `ban … --json` show it: every field, and whether it still applies. */
export function banView(ban: Ban, now: number): BanView {
  return { ...ban, status: banStatus(ban, now) };
}

export class BanService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => number;
  /** This process's index, when it enforces bans (the server); the CLI has none. */
  readonly #index: BanIndex | undefined;
  readonly #lockout: (() => LockoutContext) | undefined;
  #lockoutContext: LockoutContext | undefined;

  constructor(deps: { db: Db; audit: AuditLog; now: () => number; index?: BanIndex; lockout?: () => LockoutContext }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#now = deps.now;
    this.#index = deps.index;
    this.#lockout = deps.lockout;
  }

  /**
   * Why a ban on `target` could lock out more than the person it is meant for (loopback, a
   * trusted proxy, the server's own address, …; see lockout.ts). The terminal refuses such a ban
   * without --force; the dashboard's API warns. Throws 400 invalid_target for a bad target.
   */
  lockoutRisks(target: string | BanTarget): LockoutRisk[] {
    const parsed = typeof target === 'string' ? parseBanTarget(target) : target;
    if (!this.#lockout) return [];
    this.#lockoutContext ??= this.#lockout();
    return lockoutRisks(parsed, this.#lockoutContext);
  }

  async add(input: AddBanInput, actor: Actor): Promise<Ban> {
    assertCan(actor.role, 'bans.add');
    return this.#audit.transaction((_trx, _record, write) => this.addIn(write, input, actor));
  }

  /**
   * Adds a ban inside `write`'s transaction: the row, its audit entry and its `ban_added` event
   * commit together, and this process's index learns the ban once they have.
   */
  async addIn(write: AuditedWrite, input: AddBanInput, actor: Actor): Promise<Ban> {
    assertCan(actor.role, 'bans.add');
    const target = typeof input.target === 'string' ? parseBanTarget(input.target) : input.target;
    const reason = input.reason.trim();
    if (!reason) throw new AppError(400, 'invalid_reason', 'reason: a ban needs a reason; it is shown to the person.', { field: 'reason' });
    if (reason.length > BAN_REASON_MAX_LENGTH) throw new AppError(400, 'invalid_reason', `reason: at most ${BAN_REASON_MAX_LENGTH} characters.`, { field: 'reason' });
    if (input.note && input.note.length > BAN_NOTE_MAX_LENGTH) throw new AppError(400, 'invalid_note', `note: at most ${BAN_NOTE_MAX_LENGTH} characters.`, { field: 'note' });
    const severity = input.severity ?? 'no_access';
    if (severity !== 'no_access' && severity !== 'no_matching') throw new AppError(400, 'invalid_severity', 'severity: no_access or no_matching.', { field: 'severity' });
    if (input.durationMs != null && (!Number.isFinite(input.durationMs) || input.durationMs <= 0)) {
      throw new AppError(400, 'invalid_duration', 'duration: must be longer than zero (or none for a permanent ban).', { field: 'duration' });
    }
    const now = this.#now();
    const row: BansTable = {
      id: randomUUID(),
      target_kind: target.kind,
      target: target.target,
      reason,
      severity,
      note: input.note?.trim() || null,
      created_by: actor.name,
      created_at: now,
      expires_at: input.durationMs == null ? null : now + input.durationMs,
      lifted_at: null,
      lifted_by: null,
      report_id: input.reportId ?? null,
      quarantine: input.quarantine ? 1 : 0,
    };
    await write.trx.insertInto('bans').values(row).execute();
    const ban = toBan(row);
    await write.record(actor, {
      action: ban.quarantine ? 'ban.quarantine' : 'ban.add',
      target: `${ban.targetKind}:${ban.target}`,
      reason,
      details: { banId: ban.id, severity, expiresAt: ban.expiresAt, reportId: ban.reportId, note: ban.note },
    });
    await write.publish({ kind: 'ban_added', payload: { banId: ban.id } });
    write.afterCommit(() => this.#index?.put(ban));
    return ban;
  }

  /**
   * Adds a ban unless an active ban on the same target already covers it (at least as severe,
   * and lasting at least as long, to the minute: durations are typed in minutes at the finest):
   * for batches (the CLI's `ban add` and `ban import`), so that running one twice adds nothing.
   * `added` is false when the covering ban is returned instead. The look and the ban are one
   * transaction: two batches at once add it once.
   */
  async addUnlessCovered(input: AddBanInput, actor: Actor): Promise<{ ban: Ban; added: boolean }> {
    assertCan(actor.role, 'bans.add');
    const target = typeof input.target === 'string' ? parseBanTarget(input.target) : input.target;
    const severity = input.severity ?? 'no_access';
    return this.#audit.transaction(async (trx, _record, write) => {
      const now = this.#now();
      const until = input.durationMs == null ? null : now + input.durationMs;
      const rows = await trx
        .selectFrom('bans')
        .selectAll()
        .where('target_kind', '=', target.kind)
        .where('target', '=', target.target)
        .where('lifted_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute();
      const covering = rows
        .map(toBan)
        .find((ban) => (ban.severity === 'no_access' || ban.severity === severity) && (ban.expiresAt === null || (until !== null && ban.expiresAt >= until - COVER_TOLERANCE_MS)));
      if (covering) return { ban: covering, added: false };
      return { ban: await this.addIn(write, { ...input, target }, actor), added: true };
    });
  }

  /** Lifts a ban (kept for the record). */
  async lift(id: string, actor: Actor, reason?: string): Promise<Ban> {
    assertCan(actor.role, 'bans.remove');
    return this.#audit.transaction((_trx, _record, write) => this.liftIn(write, id, actor, reason));
  }

  /**
   * Lifts a ban inside `write`'s transaction: the change, its audit entry and its `ban_lifted`
   * event commit together; this process's index forgets the ban once they have.
   */
  async liftIn(write: AuditedWrite, id: string, actor: Actor, reason?: string): Promise<Ban> {
    assertCan(actor.role, 'bans.remove');
    const row = await write.trx.selectFrom('bans').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found', 'No such ban.');
    if (row.lifted_at !== null) return toBan(row);
    const now = this.#now();
    await write.trx.updateTable('bans').set({ lifted_at: now, lifted_by: actor.name }).where('id', '=', id).execute();
    const ban = toBan({ ...row, lifted_at: now, lifted_by: actor.name });
    await write.record(actor, { action: 'ban.lift', target: `${ban.targetKind}:${ban.target}`, reason: reason ?? null, details: { banId: id } });
    await write.publish({ kind: 'ban_lifted', payload: { banId: id } });
    write.afterCommit(() => this.#index?.remove(id));
    return ban;
  }

  /** Every ban on exactly this target (as parseBanTarget writes it), newest first: what `ban remove <target>` lifts. */
  async onTarget(actor: Actor, target: string | BanTarget): Promise<Ban[]> {
    assertCan(actor.role, 'bans.list');
    const parsed = typeof target === 'string' ? parseBanTarget(target) : target;
    const rows = await this.#db
      .selectFrom('bans')
      .selectAll()
      .where('target_kind', '=', parsed.kind)
      .where('target', '=', parsed.target)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toBan);
  }

  async get(id: string): Promise<Ban | undefined> {
    const row = await this.#db.selectFrom('bans').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toBan(row);
  }

  async list(actor: Actor, filter: { status?: BanStatus | 'all'; limit?: number; offset?: number } = {}): Promise<Ban[]> {
    assertCan(actor.role, 'bans.list');
    const now = this.#now();
    // Newest first; the id breaks ties, so pages neither repeat nor skip bans made in the same millisecond.
    let query = this.#db.selectFrom('bans').selectAll().orderBy('created_at', 'desc').orderBy('id');
    if (filter.status === 'active') {
      query = query.where('lifted_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    } else if (filter.status === 'expired') {
      query = query.where('lifted_at', 'is', null).where('expires_at', '<=', now);
    } else if (filter.status === 'lifted') {
      query = query.where('lifted_at', 'is not', null);
    }
    if (filter.limit !== undefined) query = query.limit(filter.limit).offset(filter.offset ?? 0);
    return (await query.execute()).map(toBan);
  }

  /** Which active bans match a subject, and why (the dashboard's and the CLI's "check"). */
  async check(subject: BanSubject, actor: Actor): Promise<BanMatch[]> {
    assertCan(actor.role, 'bans.list');
    if (this.#index) return this.#index.matchAll(subject);
    // A process without an index of its own (the CLI) builds one from the database.
    const index = new BanIndex(this.#now);
    for (const ban of await this.loadActive()) index.put(ban);
    return index.matchAll(subject);
  }

  /** Every active ban, for building an index (the CLI's check). */
  async loadActive(): Promise<Ban[]> {
    return (await this.#activeQuery(this.#now()).execute()).map(toBan);
  }

  /**
   * Every active ban, a page at a time in id order, for the server's index at start: between
   * pages the caller can answer requests instead of holding the event loop for the whole table.
   */
  async *activeInPages(pageSize: number): AsyncGenerator<Ban[]> {
    const now = this.#now();
    for (let after = ''; ; ) {
      // By id after the last one (not OFFSET): each page reads only its own rows.
      const rows = await this.#activeQuery(now).where('id', '>', after).orderBy('id').limit(pageSize).execute();
      if (rows.length > 0) yield rows.map(toBan);
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  #activeQuery(now: number) {
    return this.#db
      .selectFrom('bans')
      .selectAll()
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
  }
}
