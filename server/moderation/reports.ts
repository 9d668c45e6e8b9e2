// Reports filed from a conversation: the server-held transcript and both sides, never
// anything the client claims about its partner.
import { randomBytes, randomUUID } from 'node:crypto';
import { keyedHash } from '../access/keyed-hash.ts';
import type { Db } from '../db/database.ts';
import type { ConversationRecord } from '../chat/hub.ts';
import type { Logger } from '../logger.ts';
import type { ReportReason } from '../protocol/messages.ts';

export interface FiledReport {
  reportId: string;
  evidenceToken: string;
}

/** Report statuses: `open` until a moderator resolves it. */
export type ReportStatus = 'open' | 'resolved';

/** The keyed hash under which a report's evidence token is stored (the token itself never is). */
export function evidenceTokenHash(secret: string, token: string): string {
  return keyedHash(secret, 'evidence', token);
}

/** What runs after a report is stored (the automatic quarantine); it never fails the report. */
export interface ReportFiledHook {
  afterReport(reportId: string): Promise<void>;
}

export class ReportService {
  readonly #db: Db;
  readonly #secret: string;
  readonly #now: () => number;
  readonly #hook: ReportFiledHook | undefined;
  readonly #logger: Logger | undefined;

  constructor(deps: { db: Db; secret: string; now: () => number; afterReport?: ReportFiledHook; logger?: Logger }) {
    this.#db = deps.db;
    this.#secret = deps.secret;
    this.#now = deps.now;
    this.#hook = deps.afterReport;
    this.#logger = deps.logger;
  }

  async file(record: ConversationRecord, reason: ReportReason, note: string | undefined): Promise<FiledReport> {
    const reportId = randomUUID();
    const evidenceToken = randomBytes(24).toString('base64url');
    const { reporter, reported } = record;
    await this.#db
      .insertInto('reports')
      .values({
        id: reportId,
        conversation_id: record.conversationId,
        reason,
        note: note?.trim() || null,
        status: 'open',
        reporter_session_id: reporter.sessionId,
        reported_session_id: reported.sessionId,
        reporter_device_id: reporter.deviceId,
        reported_device_id: reported.deviceId,
        reporter_identity_hash: reporter.identityHash ?? null,
        reported_identity_hash: reported.identityHash ?? null,
        reporter_address: reporter.address ?? null,
        reported_address: reported.address ?? null,
        reported_age_band: reported.band,
        mode: record.mode,
        // The Hub keeps the last lines of each side; this is the only place they are ever stored.
        transcript: JSON.stringify(
          record.transcript.map((line) => ({
            by: line.sessionId === reporter.sessionId ? 'reporter' : 'reported',
            text: line.text,
            at: line.at,
          })),
        ),
        evidence_token_hash: evidenceTokenHash(this.#secret, evidenceToken),
        created_at: this.#now(),
        resolved_at: null,
        resolved_by: null,
        resolution: null,
        resolution_note: null,
        evidence_purged_at: null,
      })
      .execute();
    if (this.#hook) {
      try {
        await this.#hook.afterReport(reportId);
      } catch (error) {
        // The report is stored; a failed automatic action must not make the reporter retry it.
        this.#logger?.error({ err: error, reportId }, 'automatic action after a report failed');
      }
    }
    return { reportId, evidenceToken };
  }

  /**
   * Every reporter/reported device pair on record, so a restarted process (or a new node) keeps
   * the rule that the two are never paired again; a page at a time, in the order of the
   * reports_device_pairs index, which covers the two columns (this reads the index, not the reports).
   */
  async *avoidPairsInPages(pageSize: number): AsyncGenerator<Array<[string, string]>> {
    let after: [string, string] | undefined;
    for (;;) {
      // No DISTINCT: the Hub keeps the pairs in a set anyway. Paging after the last pair skips
      // its repeats on the next page, which the set would have dropped too.
      let query = this.#db
        .selectFrom('reports')
        .select(['reporter_device_id', 'reported_device_id'])
        .where('reporter_device_id', 'is not', null)
        .where('reported_device_id', 'is not', null)
        .orderBy('reporter_device_id')
        .orderBy('reported_device_id')
        .limit(pageSize);
      if (after) {
        const [reporter, reported] = after;
        query = query.where((eb) => eb(eb.refTuple('reporter_device_id', 'reported_device_id'), '>', eb.tuple(reporter, reported)));
      }
      const rows = await query.execute();
      const pairs = rows.map((row): [string, string] => [row.reporter_device_id!, row.reported_device_id!]);
      if (pairs.length > 0) yield pairs;
      if (rows.length < pageSize) return;
      after = pairs[pairs.length - 1];
    }
  }
}
