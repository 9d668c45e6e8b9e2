// Reports filed from a conversation: the server-held transcript and both sides, never
// anything the client claims about its partner.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { ConversationRecord } from '../chat/hub.ts';
import type { ReportReason } from '../protocol/messages.ts';

export interface FiledReport {
  reportId: string;
  evidenceToken: string;
}

export class ReportService {
  readonly #db: Db;
  readonly #secret: string;
  readonly #now: () => number;

  constructor(deps: { db: Db; secret: string; now: () => number }) {
    this.#db = deps.db;
    this.#secret = deps.secret;
    this.#now = deps.now;
  }

  async file(record: ConversationRecord, reason: ReportReason, note: string | undefined): Promise<FiledReport> {
    const reportId = randomUUID();
    const evidenceToken = randomBytes(24).toString('base64url');
    await this.#db
      .insertInto('reports')
      .values({
        id: reportId,
        conversation_id: record.conversationId,
        reason,
        note: note?.trim() || null,
        status: 'open',
        reporter_session_id: record.reporter.sessionId,
        reported_session_id: record.reported.sessionId,
        transcript: JSON.stringify(
          record.transcript.map((line) => ({
            by: line.sessionId === record.reporter.sessionId ? 'reporter' : 'reported',
            text: line.text,
            at: line.at,
          })),
        ),
        evidence_token_hash: createHmac('sha256', this.#secret).update(`evidence:${evidenceToken}`).digest('base64url'),
        created_at: this.#now(),
      })
      .execute();
    return { reportId, evidenceToken };
  }
}
