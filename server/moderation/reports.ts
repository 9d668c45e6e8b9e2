// Reports filed from a conversation: the server-held transcript and both sides, never
// anything the client claims about its partner.
import { randomBytes, randomUUID } from 'node:crypto';
import { keyedHash } from '../access/keyed-hash.ts';
import { addressKey } from '../access/ip.ts';
import type { Db } from '../db/database.ts';
import type { ConversationRecord } from '../chat/hub.ts';
import type { Logger } from '../logger.ts';
import type { ReportReason } from '../protocol/messages.ts';
import type { PairAvoidStore } from './pair-avoids.ts';
import type { AlertService } from './alerts.ts';

export interface FiledReport {
  reportId: string;
  evidenceToken: string;
}

/** Report statuses: `open` until a moderator resolves it. */
export type { ReportStatus } from '../protocol/moderation.ts';

/**
 * True when both sides were on one network (an IPv4 address, or an IPv6 /64): two sessions of
 * one person, or two people behind one NAT. Such a report is flagged for moderators and does not
 * count toward the automatic quarantine, which one person with two sessions could otherwise steer.
 */
export function sameNetwork(a: string | undefined, b: string | undefined): boolean {
  return !!a && !!b && addressKey(a) === addressKey(b);
}

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
  readonly #avoids: PairAvoidStore;
  readonly #alerts: Pick<AlertService, 'forReport' | 'raised'> | undefined;

  constructor(deps: { db: Db; secret: string; now: () => number; avoids: PairAvoidStore; alerts?: Pick<AlertService, 'forReport' | 'raised'>; afterReport?: ReportFiledHook; logger?: Logger }) {
    this.#db = deps.db;
    this.#alerts = deps.alerts;
    this.#avoids = deps.avoids;
    this.#secret = deps.secret;
    this.#now = deps.now;
    this.#hook = deps.afterReport;
    this.#logger = deps.logger;
  }

  async file(record: ConversationRecord, reason: ReportReason, note: string | undefined): Promise<FiledReport> {
    const reportId = randomUUID();
    const evidenceToken = randomBytes(24).toString('base64url');
    const { reporter, reported } = record;
    // The report, the avoids it made and the alert it raises are one write: a restart never knows one without the others.
    const alerted = await this.#db.transaction().execute(async (trx) => {
      await trx
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
          same_network: sameNetwork(reporter.address, reported.address) ? 1 : 0,
        })
        .execute();
      await this.#avoids.save(record.avoids, reportId, trx);
      return this.#alerts?.forReport(trx, { reportId, reason, reportedDeviceId: reported.deviceId, reportedIdentityHash: reported.identityHash ?? null, reportedBand: reported.band });
    });
    if (alerted) this.#alerts?.raised();
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
}
