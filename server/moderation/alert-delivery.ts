// The alerts' outbox sender: every server process reads `alert_deliveries` for what is due, claims
// a row (a conditional update, so two processes never send one delivery together), and sends it:
// an e-mail to a safeguarding account through nodemailer, or a signed JSON POST to a webhook. A
// failure waits longer each time (30 s, 1 min, 2 min, … up to an hour) until
// `alerts.deliveryAttempts`, then the delivery is marked failed, which doctor and the dashboard
// show. The outbox is a table: a restart loses nothing, and a claim left by a process that died
// mid-send is taken again when its lease ends.
//
// A webhook request carries ids, kinds and links (never chat text or evidence) and the header
// `X-Strangerchat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under
// STRANGERCHAT_WEBHOOK_SECRET: the receiver recomputes it, and refuses an old `t` (replays).
import { createHmac } from 'node:crypto';
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { MailTransport } from '../access/email.ts';
import type { AlertKind } from './alerts.ts';

/** The first wait after a failure; each next one doubles, up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 30_000;
export const RETRY_MAX_MS = 3600_000;
/** How often the outbox is read when nothing wakes the sender. */
export const OUTBOX_POLL_MS = 5000;
/** How long a claim holds a delivery (longer than any send may take). */
const CLAIM_LEASE_MS = 60_000;
/** A webhook that has not answered in this long has failed this attempt. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Deliveries sent per read of the outbox. */
const BATCH = 20;
/** The signature header, and how a receiver should read it (docs/moderation.md). */
export const SIGNATURE_HEADER = 'x-strangerchat-signature';
/** How old a signed timestamp a receiver should still accept. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** What a webhook receives (JSON). */
export interface AlertWebhookPayload {
  type: 'alert.raised';
  /** This delivery: the same on each retry, so a receiver can drop a repeat. */
  deliveryId: string;
  alert: {
    id: string;
    kind: AlertKind;
    /** For a report: its reason (`minor`, `illegal`, …). */
    reason: string | null;
    reportId: string | null;
    banId: string | null;
    createdAt: number;
    /** The dashboard's alerts, where it is acknowledged (absolute when `publicUrl` is set). */
    link: string;
  };
  instance: { name: string; url: string | null };
}

/** `t=<seconds>,v1=<hex>`: HMAC-SHA256 of `<seconds>.<body>` under the secret. */
export function signWebhook(secret: string, body: string, seconds: number): string {
  return `t=${seconds},v1=${createHmac('sha256', secret).update(`${seconds}.${body}`).digest('hex')}`;
}

export interface AlertDeliveryDeps {
  db: Db;
  now: () => number;
  logger: Logger;
  /** Undefined when the instance sends no mail (then no e-mail delivery is ever queued). */
  transport: Pick<MailTransport, 'sendMail'> | undefined;
  from: string;
  instanceName: string;
  publicUrl: string | undefined;
  webhookSecret: string | undefined;
  /** `alerts.deliveryAttempts`. */
  attempts: number;
  /** Tests shorten the waits. */
  retryFirstMs?: number;
  pollMs?: number;
  /** The HTTP client (default: the global fetch). */
  fetch?: typeof fetch;
}

const WHAT: Record<AlertKind, string> = {
  report_sensitive: 'a report about a minor, or about something illegal',
  report_repeat: 'a report against someone already reported recently',
  quarantine: 'an automatic quarantine (several people reported one person)',
  band_switch: 'a browser refused when it tried to change age group',
};

/** A short code for a failed attempt (never a message, which may quote an address). */
function errorCode(error: unknown): string {
  const { code, responseCode, name, cause } = error as { code?: string; responseCode?: number; name?: string; cause?: { code?: string } };
  if (responseCode) return `smtp_${responseCode}`;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  return cause?.code ?? code ?? 'error';
}

export class AlertDelivery {
  readonly #deps: AlertDeliveryDeps;
  readonly #fetch: typeof fetch;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #started = false;
  #stopped = false;

  constructor(deps: AlertDeliveryDeps) {
    this.#deps = deps;
    this.#fetch = deps.fetch ?? fetch;
  }

  /** Sends what is due now (deliveries a previous run left pending too), then every OUTBOX_POLL_MS. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#timer = setInterval(() => this.wake(), this.#deps.pollMs ?? OUTBOX_POLL_MS);
    this.#timer.unref();
    this.wake();
  }

  /** Looks at the outbox now (a run in progress looks again when it ends). Nothing before start(). */
  wake(): void {
    if (!this.#started || this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run()
      .catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'reading the alert outbox failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Resolves when the run in progress (if any) has ended. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #run(): Promise<void> {
    const { db, now } = this.#deps;
    for (;;) {
      const due = await db
        .selectFrom('alert_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now())
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now())]))
        .orderBy('next_attempt_at')
        .limit(BATCH)
        .execute();
      for (const { id } of due) {
        if (this.#stopped) return;
        await this.#attempt(id);
      }
      if (due.length < BATCH) return;
    }
  }

  async #attempt(id: string): Promise<void> {
    const { db, now, logger } = this.#deps;
    const at = now();
    const claimed = await db
      .updateTable('alert_deliveries')
      .set({ claimed_until: at + CLAIM_LEASE_MS })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', at)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    const row = await db
      .selectFrom('alert_deliveries')
      .innerJoin('alerts', 'alerts.id', 'alert_deliveries.alert_id')
      .select(['alert_deliveries.id', 'alert_deliveries.channel', 'alert_deliveries.target', 'alert_deliveries.attempts', 'alerts.id as alertId', 'alerts.kind', 'alerts.report_id', 'alerts.ban_id', 'alerts.details', 'alerts.created_at'])
      .where('alert_deliveries.id', '=', id)
      .executeTakeFirst();
    if (!row) return;
    const attempts = Number(row.attempts) + 1;
    let problem: string | undefined;
    try {
      problem = row.channel === 'email' ? await this.#mail(row) : await this.#post(row);
    } catch (error) {
      problem = errorCode(error);
    }
    const done = now();
    if (problem === undefined) {
      await db.updateTable('alert_deliveries').set({ status: 'sent', attempts, sent_at: done, claimed_until: null, last_error: null }).where('id', '=', id).execute();
      logger.info({ deliveryId: id, alertId: row.alertId, channel: row.channel, attempts }, 'alert delivered');
      return;
    }
    // No address any more is not worth retrying.
    const last = attempts >= this.#deps.attempts || problem === 'no_address';
    const wait = Math.min((this.#deps.retryFirstMs ?? RETRY_FIRST_MS) * 2 ** (attempts - 1), RETRY_MAX_MS);
    await db
      .updateTable('alert_deliveries')
      .set(last ? { status: 'failed', attempts, failed_at: done, claimed_until: null, last_error: problem } : { attempts, next_attempt_at: done + wait, claimed_until: null, last_error: problem })
      .where('id', '=', id)
      .execute();
    logger.warn({ deliveryId: id, alertId: row.alertId, channel: row.channel, attempts, error: problem, ...(last ? {} : { retryInMs: wait }) }, last ? 'alert delivery failed for good' : 'alert delivery failed; retrying');
  }

  #link(): string {
    const base = this.#deps.publicUrl?.replace(/\/$/, '') ?? '';
    return `${base}/mod#alerts`;
  }

  /** Undefined when sent; else the failure's code. */
  async #mail(row: { target: string; alertId: string; kind: string; report_id: string | null; created_at: number; details: string | null }): Promise<string | undefined> {
    const { db, transport, from, instanceName } = this.#deps;
    if (!transport) return 'no_mail_server';
    const account = await db.selectFrom('moderators').select(['email', 'disabled_at']).where('id', '=', row.target.replace(/^moderator:/, '')).executeTakeFirst();
    if (!account?.email || account.disabled_at !== null) return 'no_address';
    const what = WHAT[row.kind as AlertKind] ?? row.kind;
    const details = row.details ? (JSON.parse(row.details) as { reason?: string; earlierReports?: number }) : {};
    const lines = [
      `On ${instanceName}: ${what}.`,
      '',
      `When: ${new Date(Number(row.created_at)).toISOString().replace('.000Z', 'Z')}`,
      ...(details.reason ? [`Reason given: ${details.reason}`] : []),
      ...(details.earlierReports ? [`Earlier reports against the same person in the last days: ${details.earlierReports}`] : []),
      '',
      `Open the alerts in the moderation pages, and acknowledge it there: ${this.#link()}`,
      '',
      'You receive this because you hold a safeguarding account there. Nothing of the conversation is in this e-mail.',
      '',
    ];
    await transport.sendMail({
      from,
      to: account.email,
      subject: `[${instanceName}] Safeguarding alert: ${what}`,
      text: lines.join('\n'),
      // Auto-Submitted keeps out-of-office replies from answering (RFC 3834).
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Strangerchat-Alert': row.alertId },
    });
    return undefined;
  }

  async #post(row: { id: string; target: string; alertId: string; kind: string; report_id: string | null; ban_id: string | null; created_at: number; details: string | null }): Promise<string | undefined> {
    const { webhookSecret, instanceName, publicUrl, now } = this.#deps;
    if (!webhookSecret) return 'no_secret';
    const details = row.details ? (JSON.parse(row.details) as { reason?: string }) : {};
    const payload: AlertWebhookPayload = {
      type: 'alert.raised',
      deliveryId: row.id,
      alert: { id: row.alertId, kind: row.kind as AlertKind, reason: details.reason ?? null, reportId: row.report_id, banId: row.ban_id, createdAt: Number(row.created_at), link: this.#link() },
      instance: { name: instanceName, url: publicUrl ?? null },
    };
    const body = JSON.stringify(payload);
    const response = await this.#fetch(row.target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'strangerchat-alerts',
        'x-strangerchat-event': 'alert.raised',
        'x-strangerchat-delivery': row.id,
        [SIGNATURE_HEADER]: signWebhook(webhookSecret, body, Math.floor(now() / 1000)),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300 ? undefined : `http_${response.status}`;
  }
}
