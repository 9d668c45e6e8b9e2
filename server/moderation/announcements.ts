// Announcements: a moderator's message to everyone online. Published on the moderation feed, so
// every server process sends it as a `notice` to the people connected to it; audited.
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan } from '../access/permissions.ts';
import type { AuditLog } from './audit.ts';

import { ANNOUNCEMENT_MAX_LENGTH } from '../protocol/moderation.ts';
export { ANNOUNCEMENT_MAX_LENGTH } from '../protocol/moderation.ts';

export class AnnouncementService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #now: () => number;

  constructor(deps: { db: Db; audit: AuditLog; now: () => number }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#now = deps.now;
  }

  /** Sends `text` (1–500 characters once trimmed) to everyone online, on every process. */
  async announce(text: string, actor: Actor): Promise<{ text: string; at: number }> {
    assertCan(actor.role, 'announce');
    const trimmed = text.trim();
    if (!trimmed || trimmed.length > ANNOUNCEMENT_MAX_LENGTH) {
      throw new AppError(400, 'invalid_text', `An announcement is 1 to ${ANNOUNCEMENT_MAX_LENGTH} characters.`);
    }
    const at = this.#now();
    // The audit entry and the feed event are one transaction: no announcement goes out unrecorded.
    await this.#audit.transaction(async (_trx, record, write) => {
      await record(actor, { action: 'announcement.send', details: { text: trimmed } });
      await write.publish({ kind: 'announcement', payload: { text: trimmed } });
    });
    return { text: trimmed, at };
  }
}
