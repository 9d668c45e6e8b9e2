// Invite codes for the `invite` access mode: a number of uses and an expiry; created, listed and
// revoked by moderators (audited). Only a keyed hash of each code is stored.
import { randomInt, randomUUID } from 'node:crypto';
import { keyedHash } from './keyed-hash.ts';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { InvitesTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { AuditLog } from '../moderation/audit.ts';
import type { Actor } from './actor.ts';
import { assertCan } from './permissions.ts';

/** Codes read aloud in a classroom: no look-alike characters, grouped in fours. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 12;
import type { Invite } from '../protocol/moderation.ts';

import { MAX_INVITE_USES } from '../protocol/moderation.ts';
export { MAX_INVITE_USES, type Invite } from '../protocol/moderation.ts';


/** Upper-cases and drops spaces and dashes, so "abcd-efgh ijkl" works. */
export function normaliseInviteCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export class InviteService {
  readonly #db: Db;
  readonly #secret: string;
  readonly #now: () => number;
  readonly #audit: AuditLog;

  constructor(deps: { db: Db; audit: AuditLog; secret: string; now: () => number }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#secret = deps.secret;
    this.#now = deps.now;
  }

  #hash(code: string): string {
    return keyedHash(this.#secret, 'invite', normaliseInviteCode(code));
  }

  #toInvite(row: InvitesTable): Invite {
    const now = this.#now();
    const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
    const status = row.revoked_at !== null ? 'revoked' : expiresAt !== null && expiresAt <= now ? 'expired' : row.used_count >= row.max_uses ? 'used_up' : 'active';
    return {
      id: row.id,
      hint: row.hint,
      maxUses: row.max_uses,
      usedCount: row.used_count,
      expiresAt,
      note: row.note,
      createdBy: row.created_by,
      createdAt: Number(row.created_at),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      status,
    };
  }

  /** Creates an invite; the code is returned once and never stored in clear. */
  async create(input: { uses: number; expiresInMs?: number | null; note?: string }, actor: Actor): Promise<{ invite: Invite; code: string }> {
    assertCan(actor.role, 'invites.create');
    if (!Number.isInteger(input.uses) || input.uses < 1 || input.uses > MAX_INVITE_USES) {
      throw new AppError(400, 'invalid_uses', `Uses must be a whole number from 1 to ${MAX_INVITE_USES}.`);
    }
    if (input.expiresInMs != null && (!Number.isFinite(input.expiresInMs) || input.expiresInMs <= 0)) {
      throw new AppError(400, 'invalid_expiry', 'The expiry must be in the future.');
    }
    const raw = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
    const code = raw.match(/.{4}/g)!.join('-');
    const now = this.#now();
    const row: InvitesTable = {
      id: randomUUID(),
      code_hash: this.#hash(code),
      hint: code.slice(0, 4),
      max_uses: input.uses,
      used_count: 0,
      expires_at: input.expiresInMs == null ? null : now + input.expiresInMs,
      note: input.note?.trim().slice(0, 200) || null,
      created_by: actor.name,
      created_at: now,
      revoked_at: null,
    };
    await this.#audit.transaction(async (trx, record) => {
      await trx.insertInto('invites').values(row).execute();
      // The hint, never the code: the audit log is readable by every moderator.
      await record(actor, {
        action: 'invite.create',
        target: `invite:${row.id}`,
        details: { hint: row.hint, uses: row.max_uses, expiresAt: row.expires_at, note: row.note },
      });
    });
    return { invite: this.#toInvite(row), code };
  }

  async list(actor: Actor): Promise<Invite[]> {
    assertCan(actor.role, 'invites.list');
    const rows = await this.#db.selectFrom('invites').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map((row) => this.#toInvite(row));
  }

  async revoke(id: string, actor: Actor): Promise<Invite> {
    assertCan(actor.role, 'invites.revoke');
    const row = await this.#audit.transaction(async (trx, record) => {
      const row = await trx.selectFrom('invites').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new AppError(404, 'not_found', 'No such invite.');
      if (row.revoked_at === null) {
        row.revoked_at = this.#now();
        await trx.updateTable('invites').set({ revoked_at: row.revoked_at }).where('id', '=', id).execute();
        await record(actor, { action: 'invite.revoke', target: `invite:${row.id}`, details: { hint: row.hint } });
      }
      return row;
    });
    return this.#toInvite(row);
  }

  /** Uses one use of a code, atomically (inside the caller's transaction when given one); returns the invite id, or undefined when it is not valid. */
  async redeem(code: string, db: Db = this.#db): Promise<string | undefined> {
    if (!code || code.length > 64) return undefined;
    const hash = this.#hash(code);
    const now = this.#now();
    const result = await db
      .updateTable('invites')
      .set({ used_count: sql`used_count + 1` })
      .where('code_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) => eb('used_count', '<', eb.ref('max_uses')))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    const row = await db.selectFrom('invites').select('id').where('code_hash', '=', hash).executeTakeFirst();
    return row?.id;
  }
}
