// The moderators' side of reports: the queue, a report with its evidence (every opening of
// evidence is audited first, then shown), and resolving it: dismiss, ban the reported person,
// or lift the automatic quarantine. Ban targets come from the report, never from the moderator.
// The reporter's note of a `minor` or `illegal` report is evidence like its transcript: it is
// shown only inside an audited opening by a role that may open that evidence (safeguarding), and
// withheld from every list, every other role and every other answer.
import { isIP } from 'node:net';
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ReportsTable as StoredReport } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan, can, evidenceAction, SENSITIVE_REASONS } from '../access/permissions.ts';
import type { AuditEntry, AuditLog } from './audit.ts';
import type { BanService, BanTarget } from './bans.ts';
import { BAN_REASON_MAX_LENGTH, parseBanTarget } from './bans.ts';
import type { Ban, BanSeverity } from './ban-index.ts';
import type { ReportStatus } from './reports.ts';
import type { AgeBandLocks } from '../access/age-bands.ts';

/** A report row as read. */
type ReportsTable = Selectable<StoredReport>;

import type { EvidenceExport, OpenedReport, ReportBanTarget, ReportDetails, ReportEvidence, ReportParty, ReportSummary, Resolution, ResolveResult, TranscriptEntry } from '../protocol/moderation.ts';

import { RESOLUTION_NOTE_MAX_LENGTH } from '../protocol/moderation.ts';
export { REPORT_BAN_TARGETS, RESOLUTIONS, RESOLUTION_NOTE_MAX_LENGTH } from '../protocol/moderation.ts';
export type { EvidenceExport, OpenedReport, ReportBanTarget, ReportDetails, ReportEvidence, ReportParty, ReportSummary, Resolution, ResolveResult, TranscriptEntry } from '../protocol/moderation.ts';
/** The `network` target: the surrounding /24 (IPv4) or /48 (IPv6, a typical site). */
export const NETWORK_PREFIX = { 4: 24, 6: 48 } as const;
const MAX_PAGE = 200;







export interface ReportFilter {
  status?: ReportStatus | 'all';
  reason?: string;
  band?: 'minor' | 'adult';
  limit?: number;
  offset?: number;
}

export interface ResolveInput {
  action: Resolution;
  note?: string;
  ban?: {
    target: ReportBanTarget;
    severity: BanSeverity;
    /** Milliseconds from now; null for no expiry. */
    durationMs: number | null;
    reason: string;
  };
}



export class ReportReviewService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #bans: BanService;
  readonly #bands: AgeBandLocks;
  readonly #now: () => number;

  constructor(deps: { db: Db; audit: AuditLog; bans: BanService; bands: AgeBandLocks; now: () => number }) {
    this.#db = deps.db;
    this.#bands = deps.bands;
    this.#audit = deps.audit;
    this.#bans = deps.bans;
    this.#now = deps.now;
  }

  async list(actor: Actor, filter: ReportFilter = {}): Promise<{ reports: ReportSummary[]; total: number }> {
    assertCan(actor.role, 'reports.list');
    let query = this.#db.selectFrom('reports');
    if (filter.status && filter.status !== 'all') query = query.where('status', '=', filter.status);
    if (filter.reason) query = query.where('reason', '=', filter.reason);
    if (filter.band) query = query.where('reported_age_band', '=', filter.band);
    const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const rows = await query
      .selectAll()
      // The open queue is worked oldest first; history reads newest first.
      .orderBy('created_at', filter.status === 'open' || filter.status === undefined ? 'asc' : 'desc')
      .orderBy('id')
      .limit(Math.min(filter.limit ?? 50, MAX_PAGE))
      .offset(filter.offset ?? 0)
      .execute();
    const frames = await this.#frameCounts(rows.map((r) => r.id));
    const quarantined = await this.#quarantinedDevices(rows.map((r) => r.reported_device_id));
    return {
      // A list opens no evidence: sensitive notes are withheld here even from safeguarding.
      reports: rows.map((row) => summary(row, frames.get(row.id) ?? 0, !!row.reported_device_id && quarantined.has(row.reported_device_id), false)),
      total: Number(total?.n ?? 0),
    };
  }

  /** Opens a report. Evidence is included only when the role may open it, and that opening is audited first. */
  async open(actor: Actor, id: string): Promise<OpenedReport> {
    assertCan(actor.role, 'reports.view');
    const row = await this.#load(id);
    const mayOpen = can(actor.role, evidenceAction(row.reason));
    // The note comes with the evidence, and so only once its opening is audited below.
    const report = await this.#details(row, mayOpen && row.evidence_purged_at === null);
    if (report.evidencePurged) return { report, evidence: null, evidenceHidden: false };
    if (!mayOpen) return { report, evidence: null, evidenceHidden: true };
    const frames = await this.#db
      .selectFrom('report_frames')
      .select(['idx', 'size', 'created_at'])
      .where('report_id', '=', id)
      .orderBy('idx')
      .execute();
    await this.#audit.record(actor, {
      action: 'evidence.view',
      target: `report:${id}`,
      details: { part: 'transcript', reason: row.reason, frames: frames.length, ...(row.note && SENSITIVE_REASONS.has(row.reason) ? { note: true } : {}) },
    });
    return {
      report,
      evidence: {
        transcript: JSON.parse(row.transcript) as TranscriptEntry[],
        frames: frames.map((f) => ({ idx: Number(f.idx), size: Number(f.size), createdAt: Number(f.created_at) })),
      },
      evidenceHidden: false,
    };
  }

  /** One evidence frame (JPEG bytes); audited before it is returned. */
  async frame(actor: Actor, id: string, idx: number): Promise<Uint8Array> {
    assertCan(actor.role, 'reports.view');
    const row = await this.#load(id);
    assertCan(actor.role, evidenceAction(row.reason));
    const frame = await this.#db
      .selectFrom('report_frames')
      .select(['jpeg'])
      .where('report_id', '=', id)
      .where('idx', '=', idx)
      .executeTakeFirst();
    if (!frame) throw new AppError(404, 'not_found', 'No such frame.');
    await this.#audit.record(actor, { action: 'evidence.view', target: `report:${id}`, details: { part: 'frame', idx, reason: row.reason } });
    return frame.jpeg;
  }

  /** The reported person's device, address, identity or network as this report recorded it: what a ban from it targets. */
  async banTarget(actor: Actor, id: string, target: ReportBanTarget): Promise<BanTarget> {
    assertCan(actor.role, 'reports.view');
    return reportedTarget(await this.#load(id), target);
  }

  /**
   * A report's whole case for a referral: its details, transcript and frames, the bans made from
   * it and the audit entries about them. Safeguarding only; recorded as `evidence.export` before
   * anything is read, so the package's own audit entries include its export.
   */
  async exportEvidence(actor: Actor, id: string): Promise<EvidenceExport> {
    assertCan(actor.role, 'evidence.export');
    const row = await this.#load(id);
    const frameCount = (await this.#frameCounts([id])).get(id) ?? 0;
    const exported = await this.#audit.record(actor, {
      action: 'evidence.export',
      target: `report:${id}`,
      details: { reason: row.reason, frames: frameCount, evidencePurged: row.evidence_purged_at !== null },
    });
    const frameRows = await this.#db.selectFrom('report_frames').select(['idx', 'created_at', 'jpeg']).where('report_id', '=', id).orderBy('idx').execute();
    // The export is an audited opening of the evidence (recorded above): it carries the note.
    const report = await this.#details(row, can(actor.role, evidenceAction(row.reason)) && row.evidence_purged_at === null);
    const quarantines = new Set(report.quarantineBanIds);
    const bans = (await this.#db.selectFrom('bans').select('id').where('report_id', '=', id).execute()).map((b) => b.id);
    const related = (await Promise.all([...new Set([...bans, ...quarantines])].map((banId) => this.#bans.get(banId)))).filter((ban): ban is Ban => ban !== undefined);
    related.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const banIds = new Set(related.map((ban) => ban.id));
    const targets = [`report:${id}`, ...new Set(related.map((ban) => `${ban.targetKind}:${ban.target}`))];
    // Entries on a banned target that are about other bans (an older ban on the same device) are another case.
    const audit = (await this.#audit.about(actor, targets)).filter((entry) => entry.target === `report:${id}` || banIds.has(String(entry.details?.banId ?? '')));
    const purged = row.evidence_purged_at !== null;
    return {
      report,
      transcript: purged ? null : (JSON.parse(row.transcript) as TranscriptEntry[]),
      frames: frameRows.map((f) => ({ idx: Number(f.idx), createdAt: Number(f.created_at), jpeg: f.jpeg })),
      bans: related,
      audit,
      exportedAt: exported.at,
      exportedBy: actor.name,
    };
  }

  async resolve(actor: Actor, id: string, input: ResolveInput): Promise<ResolveResult> {
    assertCan(actor.role, 'reports.resolve');
    const row = await this.#load(id);
    if (!mayHandle(actor, row.reason)) {
      throw new AppError(403, 'safeguarding_required', `A ${row.reason} report is resolved from the terminal only as a safeguarding account.`);
    }
    if (row.status !== 'open') throw new AppError(409, 'already_resolved', 'This report was already resolved.');
    const note = input.note?.trim() || null;
    if (note && note.length > RESOLUTION_NOTE_MAX_LENGTH) {
      throw new AppError(400, 'invalid_note', `The note is limited to ${RESOLUTION_NOTE_MAX_LENGTH} characters.`);
    }
    // Everything that can be refused is checked before the report is claimed.
    let banTarget: BanTarget | undefined;
    if (input.action === 'ban') {
      if (!input.ban) throw new AppError(400, 'invalid_body', 'A ban resolution needs its ban: target, severity, duration and reason.');
      banTarget = reportedTarget(row, input.ban.target);
      assertCan(actor.role, 'bans.add');
      const reason = input.ban.reason.trim();
      if (!reason || reason.length > BAN_REASON_MAX_LENGTH) {
        throw new AppError(400, 'invalid_reason', `A ban needs a reason of at most ${BAN_REASON_MAX_LENGTH} characters; it is shown to the person.`);
      }
      if (input.ban.durationMs !== null && !(input.ban.durationMs > 0)) throw new AppError(400, 'invalid_duration', 'The duration must be positive.');
    }
    // The claim, the ban, the quarantines it replaces and the audit entry are one transaction: a
    // failure anywhere leaves the report open and nothing of the decision written.
    const { ban, liftedBanIds } = await this.#audit.transaction(async (trx, record, write) => {
      const quarantines = await this.#activeQuarantines(row, trx);
      if (input.action === 'lift_quarantine' && quarantines.length === 0) {
        throw new AppError(409, 'not_quarantined', 'The reported person is not quarantined.');
      }
      const now = this.#now();
      const claimed = await trx
        .updateTable('reports')
        .set({ status: 'resolved', resolved_at: now, resolved_by: actor.name, resolution: input.action, resolution_note: note })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw new AppError(409, 'already_resolved', 'This report was already resolved.');
      let ban: Ban | undefined;
      if (input.action === 'ban') {
        ban = await this.#bans.addIn(
          write,
          { target: banTarget!, reason: input.ban!.reason, severity: input.ban!.severity, durationMs: input.ban!.durationMs, note, reportId: id },
          actor,
        );
      }
      // A moderator's decision replaces the automatic hold: lifting it, or a ban that says how long.
      const liftedBanIds: string[] = [];
      if (input.action === 'ban' || input.action === 'lift_quarantine') {
        for (const quarantine of quarantines) {
          await this.#bans.liftIn(write, quarantine, actor, input.action === 'ban' ? `reviewed in report ${id}: replaced by ban ${ban!.id}` : `reviewed in report ${id}`);
          liftedBanIds.push(quarantine);
        }
      }
      await record(actor, {
        action: `report.${input.action}`,
        target: `report:${id}`,
        reason: note,
        details: { reason: row.reason, ...(ban ? { banId: ban.id } : {}), ...(liftedBanIds.length ? { liftedBanIds } : {}) },
      });
      return { ban, liftedBanIds };
    });
    return { report: await this.#details(await this.#load(id), false), ...(ban ? { ban } : {}), liftedBanIds };
  }

  /** Reports filed at or after `since`, oldest first (what `reports watch` polls for). */
  async filedSince(actor: Actor, since: number, limit = MAX_PAGE): Promise<ReportSummary[]> {
    assertCan(actor.role, 'reports.list');
    const rows = await this.#db
      .selectFrom('reports')
      .selectAll()
      .where('created_at', '>=', since)
      .orderBy('created_at')
      .orderBy('id')
      .limit(Math.min(limit, MAX_PAGE))
      .execute();
    const frames = await this.#frameCounts(rows.map((r) => r.id));
    const quarantined = await this.#quarantinedDevices(rows.map((r) => r.reported_device_id));
    // A feed of new reports opens no evidence: sensitive notes stay withheld.
    return rows.map((row) => summary(row, frames.get(row.id) ?? 0, !!row.reported_device_id && quarantined.has(row.reported_device_id), false));
  }

  async #load(id: string): Promise<ReportsTable> {
    const row = await this.#db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found', 'No such report.');
    return row;
  }

  /** A report's details; `withSensitiveNote` only inside an audited opening of its evidence. */
  async #details(row: ReportsTable, withSensitiveNote: boolean): Promise<ReportDetails> {
    const frames = await this.#frameCounts([row.id]);
    const quarantines = await this.#activeQuarantines(row);
    const against = row.reported_device_id
      ? await this.#db
          .selectFrom('reports')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('reported_device_id', '=', row.reported_device_id)
          .executeTakeFirst()
      : undefined;
    return {
      ...summary(row, frames.get(row.id) ?? 0, quarantines.length > 0, withSensitiveNote),
      conversationId: row.conversation_id,
      resolutionNote: row.resolution_note,
      reporter: { sessionId: row.reporter_session_id, deviceId: row.reporter_device_id, identityHash: row.reporter_identity_hash, address: row.reporter_address },
      reported: { sessionId: row.reported_session_id, deviceId: row.reported_device_id, identityHash: row.reported_identity_hash, address: row.reported_address },
      reportsAgainstReported: Number(against?.n ?? 1),
      quarantineBanIds: quarantines,
      reportedBandSwitches: await this.#bands.switchAttempts({ deviceId: row.reported_device_id, identityHash: row.reported_identity_hash }),
      evidencePurged: row.evidence_purged_at !== null,
    };
  }

  /** Ids of the active quarantine bans on the reported person's device or identity (read in `db`: a transaction's, when given). */
  async #activeQuarantines(row: ReportsTable, db: Db = this.#db): Promise<string[]> {
    const targets: Array<[string, string]> = [];
    if (row.reported_device_id) targets.push(['device', row.reported_device_id]);
    if (row.reported_identity_hash) targets.push(['identity', row.reported_identity_hash]);
    if (targets.length === 0) return [];
    const now = this.#now();
    const bans = await db
      .selectFrom('bans')
      .select('id')
      .where('quarantine', '=', 1)
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) => eb.or(targets.map(([kind, target]) => eb.and([eb('target_kind', '=', kind), eb('target', '=', target)]))))
      .orderBy('created_at')
      .execute();
    return bans.map((b) => b.id);
  }

  async #quarantinedDevices(devices: Array<string | null>): Promise<Set<string>> {
    const wanted = [...new Set(devices.filter((d): d is string => !!d))];
    if (wanted.length === 0) return new Set();
    const now = this.#now();
    const rows = await this.#db
      .selectFrom('bans')
      .select('target')
      .where('quarantine', '=', 1)
      .where('target_kind', '=', 'device')
      .where('target', 'in', wanted)
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return new Set(rows.map((r) => r.target));
  }

  async #frameCounts(ids: string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('report_frames')
      .select(['report_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('report_id', 'in', ids)
      .groupBy('report_id')
      .execute();
    return new Map(rows.map((r) => [r.report_id, Number(r.n)]));
  }
}

/**
 * At the terminal a `minor` or `illegal` report is handled only as a safeguarding account
 * (`--as`): resolving it, and reading the reporter's note, as well as its evidence (which only
 * safeguarding opens anywhere). The operator's own owner identity at the terminal names no
 * person, and these are the reports a named, trained person must handle.
 */
function mayHandle(actor: Actor, reason: string): boolean {
  return !actor.terminal || !SENSITIVE_REASONS.has(reason) || can(actor.role, 'evidence.view_sensitive');
}

function summary(row: ReportsTable, frames: number, quarantined: boolean, withSensitiveNote: boolean): ReportSummary {
  const withheld = row.note !== null && SENSITIVE_REASONS.has(row.reason) && !withSensitiveNote;
  return {
    id: row.id,
    createdAt: Number(row.created_at),
    reason: row.reason,
    note: withheld ? null : row.note,
    noteWithheld: withheld,
    status: row.status as ReportStatus,
    mode: row.mode,
    reportedBand: row.reported_age_band,
    sensitive: SENSITIVE_REASONS.has(row.reason),
    frames,
    quarantined,
    sameNetwork: Number(row.same_network) === 1,
    resolution: row.resolution as Resolution | null,
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
    resolvedBy: row.resolved_by,
  };
}

/** The reported person's device, address, identity or network, as recorded in the report. */
function reportedTarget(row: ReportsTable, target: ReportBanTarget): BanTarget {
  switch (target) {
    case 'device':
      if (!row.reported_device_id) throw new AppError(400, 'no_device', 'This report has no device to ban.');
      return { kind: 'device', target: row.reported_device_id };
    case 'identity':
      if (!row.reported_identity_hash) throw new AppError(400, 'no_identity', 'The reported person had no verified identity.');
      return { kind: 'identity', target: row.reported_identity_hash };
    case 'address':
    case 'network': {
      const address = row.reported_address;
      const family = address ? isIP(address) : 0;
      if (!address || (family !== 4 && family !== 6)) {
        throw new AppError(400, 'no_address', 'This report no longer holds the reported address (retention removes it).');
      }
      // An IPv6 address stands for its /64 (see access/ip.ts); `network` widens either family.
      return parseBanTarget(target === 'address' ? address : `${address}/${NETWORK_PREFIX[family]}`);
    }
  }
}
