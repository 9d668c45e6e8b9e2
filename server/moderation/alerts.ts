// Safeguarding alerts: what should reach the safeguarding lead now, not at the next look at the
// queue — a `minor` or `illegal` report, a report against someone already reported within
// `alerts.repeatReportDays`, an automatic quarantine, a refused age-group switch. Each is stored
// (with the change that raised it, in one transaction where the change has one), shown first in
// the dashboard until acknowledged (audited), and handed to the outbox: one delivery per
// safeguarding account with an address (when the instance sends safeguarding mail) and per
// webhook, which alert-delivery.ts sends after the commit, retrying with backoff. An alert holds
// ids, kinds and counts: never chat text, a note or evidence.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../access/actor.ts';
import { assertCan, can, SENSITIVE_REASONS } from '../access/permissions.ts';
import type { AuditLog } from './audit.ts';
import type { Alert, AlertKind, DeliveryHealth } from '../protocol/moderation.ts';

export { ALERT_KINDS, type Alert, type AlertKind, type DeliveryHealth } from '../protocol/moderation.ts';
/** Longest note a moderator may give when acknowledging. */
export const ACKNOWLEDGE_NOTE_MAX_LENGTH = 500;
/** Most alerts one list returns. */
export const ALERTS_PAGE_MAX = 200;
/** How far back `deliveryHealth` counts failures (doctor, the dashboard). */
export const DELIVERY_HEALTH_DAYS = 7;
const DAY_MS = 86_400_000;

export interface RaiseInput {
  kind: AlertKind;
  subject: string;
  reportId?: string | null;
  banId?: string | null;
  details?: Record<string, unknown>;
}

/** A report just stored, as the alert rules read it. */
export interface FiledReportFacts {
  reportId: string;
  reason: string;
  reportedDeviceId: string | null;
  reportedIdentityHash: string | null;
  reportedBand: string | null;
}

/** What the alerts ask of the outbox's sender: to look at the outbox now. */
export interface OutboxWaker {
  wake(): void;
}

export interface AlertServiceDeps {
  db: Db;
  audit: AuditLog;
  now: () => number;
  /** E-mail the safeguarding accounts (moderation.safeguardingAlerts, with a mail server). */
  email: boolean;
  webhooks: readonly string[];
  /** `alerts.repeatReportDays`: 0 turns the repeat rule off. */
  repeatReportDays: number;
}

function parseDetails(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export class AlertService {
  readonly #deps: AlertServiceDeps;
  #outbox: OutboxWaker | undefined;

  constructor(deps: AlertServiceDeps) {
    this.#deps = deps;
  }

  /** The sender this process runs (the server's), woken after each alert is committed. */
  useOutbox(outbox: OutboxWaker): void {
    this.#outbox = outbox;
  }

  /** Tells the sender that alerts were committed (after a `raiseIn` transaction). */
  raised(): void {
    this.#outbox?.wake();
  }

  /** Stores an alert and its deliveries inside the caller's transaction; call `raised()` after the commit. */
  async raiseIn(trx: Db, input: RaiseInput): Promise<string> {
    const { email, webhooks, now } = this.#deps;
    const id = randomUUID();
    const at = now();
    await trx
      .insertInto('alerts')
      .values({
        id,
        kind: input.kind,
        subject: input.subject,
        report_id: input.reportId ?? null,
        ban_id: input.banId ?? null,
        details: input.details ? JSON.stringify(input.details) : null,
        created_at: at,
        acknowledged_at: null,
        acknowledged_by: null,
        acknowledge_note: null,
      })
      .execute();
    const targets: Array<{ channel: 'email' | 'webhook'; target: string }> = webhooks.map((url) => ({ channel: 'webhook', target: url }));
    if (email) {
      const leads = await trx.selectFrom('moderators').select('id').where('role', '=', 'safeguarding').where('disabled_at', 'is', null).where('email', 'is not', null).orderBy('created_at').execute();
      targets.unshift(...leads.map((lead) => ({ channel: 'email' as const, target: `moderator:${lead.id}` })));
    }
    if (targets.length) {
      await trx
        .insertInto('alert_deliveries')
        .values(targets.map((t) => ({ id: randomUUID(), alert_id: id, channel: t.channel, target: t.target, status: 'pending', attempts: 0, next_attempt_at: at, claimed_until: null, last_error: null, created_at: at, sent_at: null, failed_at: null })))
        .execute();
    }
    return id;
  }

  /** Stores an alert in a transaction of its own and wakes the sender. */
  async raise(input: RaiseInput): Promise<string> {
    const id = await this.#deps.db.transaction().execute((trx) => this.raiseIn(trx, input));
    this.raised();
    return id;
  }

  /**
   * The alert a report raises, if any, inside the report's transaction: `report_sensitive` for a
   * `minor` or `illegal` report, else `report_repeat` when the reported browser or identity was
   * already reported within `repeatReportDays`. One report raises one alert at most; either says
   * how many earlier reports there were.
   */
  async forReport(trx: Db, report: FiledReportFacts): Promise<string | undefined> {
    const { repeatReportDays, now } = this.#deps;
    let earlier = 0;
    if (repeatReportDays > 0 && (report.reportedDeviceId || report.reportedIdentityHash)) {
      const row = await trx
        .selectFrom('reports')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('id', '!=', report.reportId)
        .where('created_at', '>=', now() - repeatReportDays * DAY_MS)
        .where((eb) =>
          eb.or([
            ...(report.reportedDeviceId ? [eb('reported_device_id', '=', report.reportedDeviceId)] : []),
            ...(report.reportedIdentityHash ? [eb('reported_identity_hash', '=', report.reportedIdentityHash)] : []),
          ]),
        )
        .executeTakeFirstOrThrow();
      earlier = Number(row.n);
    }
    const sensitive = SENSITIVE_REASONS.has(report.reason);
    if (!sensitive && earlier === 0) return undefined;
    return this.raiseIn(trx, {
      kind: sensitive ? 'report_sensitive' : 'report_repeat',
      subject: `report:${report.reportId}`,
      reportId: report.reportId,
      details: { reason: report.reason, reportedBand: report.reportedBand, earlierReports: earlier, withinDays: repeatReportDays },
    });
  }

  /** Alerts, unacknowledged first (newest first within each), with the count still unacknowledged. */
  async list(actor: Actor, filter: { status?: 'open' | 'all'; limit?: number; offset?: number } = {}): Promise<{ alerts: Alert[]; unacknowledged: number }> {
    assertCan(actor.role, 'alerts.list');
    const db = this.#deps.db;
    let query = db
      .selectFrom('alerts')
      .selectAll()
      .orderBy((eb) => eb.case().when('acknowledged_at', 'is', null).then(0).else(1).end())
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(Math.min(filter.limit ?? 50, ALERTS_PAGE_MAX))
      .offset(filter.offset ?? 0);
    if (filter.status !== 'all') query = query.where('acknowledged_at', 'is', null);
    const rows = await query.execute();
    const counts = await this.#deliveryCounts(rows.map((row) => row.id));
    const open = await db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where('acknowledged_at', 'is', null).executeTakeFirstOrThrow();
    return { alerts: rows.map((row) => this.#toAlert(row, counts.get(row.id))), unacknowledged: Number(open.n) };
  }

  async get(actor: Actor, id: string): Promise<Alert> {
    assertCan(actor.role, 'alerts.list');
    const row = await this.#deps.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found', 'No such alert.');
    return this.#toAlert(row, (await this.#deliveryCounts([id])).get(id));
  }

  /**
   * Marks an alert as seen and taken in hand; audited (`alert.acknowledge`, with how long it
   * waited). An alert about a `minor` or `illegal` report is acknowledged by the safeguarding role
   * only, since only it may open that report's evidence. Acknowledged once: 409 after that.
   */
  async acknowledge(id: string, actor: Actor, note?: string | null): Promise<Alert> {
    assertCan(actor.role, 'alerts.acknowledge');
    const text = note?.trim() || null;
    if (text && text.length > ACKNOWLEDGE_NOTE_MAX_LENGTH) throw new AppError(400, 'invalid_note', `note: at most ${ACKNOWLEDGE_NOTE_MAX_LENGTH} characters.`, { field: 'note' });
    await this.#deps.audit.transaction(async (trx, record) => {
      const row = await trx.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new AppError(404, 'not_found', 'No such alert.');
      if (row.kind === 'report_sensitive' && !can(actor.role, 'evidence.view_sensitive')) {
        throw new AppError(403, 'safeguarding_required', 'An alert about a minor or illegal report is acknowledged by a safeguarding account.');
      }
      if (row.acknowledged_at !== null) throw new AppError(409, 'already_acknowledged', `This alert was acknowledged by ${row.acknowledged_by ?? 'someone'} already.`);
      const at = this.#deps.now();
      await trx.updateTable('alerts').set({ acknowledged_at: at, acknowledged_by: actor.name, acknowledge_note: text }).where('id', '=', id).where('acknowledged_at', 'is', null).execute();
      await record(actor, { action: 'alert.acknowledge', target: `alert:${id}`, reason: text, details: { kind: row.kind, reportId: row.report_id, waitedMs: at - Number(row.created_at) } });
    });
    return this.get(actor, id);
  }

  /** Failed and waiting deliveries (for doctor and the dashboard). No permission: the operator's checks read it. */
  async deliveryHealth(): Promise<DeliveryHealth> {
    const db = this.#deps.db;
    const since = this.#deps.now() - DELIVERY_HEALTH_DAYS * DAY_MS;
    const [failed, pending, last] = await Promise.all([
      db.selectFrom('alert_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'failed').where('failed_at', '>=', since).executeTakeFirstOrThrow(),
      db.selectFrom('alert_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow(),
      db.selectFrom('alert_deliveries').select(['channel', 'target', 'last_error', 'failed_at']).where('status', '=', 'failed').orderBy('failed_at', 'desc').limit(1).executeTakeFirst(),
    ]);
    let target = last?.target ?? '';
    if (last?.channel === 'email') {
      // An address stays out of what doctor prints: the account it belongs to is enough.
      const account = await db.selectFrom('moderators').select('username').where('id', '=', last.target.replace(/^moderator:/, '')).executeTakeFirst();
      target = `e-mail to ${account?.username ?? 'a removed account'}`;
    }
    return {
      failed: Number(failed.n),
      pending: Number(pending.n),
      lastFailure: last ? { channel: last.channel, target, error: last.last_error, at: Number(last.failed_at) } : null,
    };
  }

  async #deliveryCounts(ids: string[]): Promise<Map<string, Alert['deliveries']>> {
    const counts = new Map<string, Alert['deliveries']>();
    if (!ids.length) return counts;
    const rows = await this.#deps.db
      .selectFrom('alert_deliveries')
      .select(['alert_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('alert_id', 'in', ids)
      .groupBy(['alert_id', 'status'])
      .execute();
    for (const row of rows) {
      const entry = counts.get(row.alert_id) ?? { sent: 0, pending: 0, failed: 0 };
      if (row.status === 'sent' || row.status === 'pending' || row.status === 'failed') entry[row.status] += Number(row.n);
      counts.set(row.alert_id, entry);
    }
    return counts;
  }

  #toAlert(row: { id: string; kind: string; subject: string; report_id: string | null; ban_id: string | null; details: string | null; created_at: number; acknowledged_at: number | null; acknowledged_by: string | null; acknowledge_note: string | null }, deliveries = { sent: 0, pending: 0, failed: 0 }): Alert {
    return {
      id: row.id,
      kind: row.kind as AlertKind,
      subject: row.subject,
      reportId: row.report_id,
      banId: row.ban_id,
      details: parseDetails(row.details),
      createdAt: Number(row.created_at),
      acknowledgedAt: row.acknowledged_at === null ? null : Number(row.acknowledged_at),
      acknowledgedBy: row.acknowledged_by,
      acknowledgeNote: row.acknowledge_note,
      deliveries,
    };
  }
}
