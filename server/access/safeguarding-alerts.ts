// Mail to the safeguarding accounts whenever a safeguarding account is created, re-roled, enabled,
// disabled, reset or given another address: the role opens evidence about children, so a change
// nobody in it expected (an owner's account taken over, a lead locked out) is noticed by the
// people it concerns, not only in the audit log. Sent after the change is committed; a mail that
// cannot be sent is logged (codes only) and never undoes the change.
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { MailTransport } from './email.ts';

/** A committed change to an account that is, or was, safeguarding. */
export interface SafeguardingChange {
  /** The audit action, e.g. `moderator.reset_password`. */
  action: string;
  /** Who made it, as the audit log names them. */
  actor: string;
  /** The account changed. */
  moderatorId: string;
  username: string;
  at: number;
  /** For a role change: from and to. */
  roles?: { from: string; to: string };
  /** The account's address before this change, when the change replaced it: told as well. */
  previousEmail?: string | null;
}

const WHAT: Record<string, string> = {
  'moderator.create': 'was created',
  'moderator.set_role': 'had its role changed',
  'moderator.enable': 'was enabled',
  'moderator.disable': 'was disabled',
  'moderator.reset_password': 'had its password reset (its logins were ended)',
  'moderator.set_email': 'had its e-mail address changed',
};

export interface SafeguardingAlertsDeps {
  db: Db;
  /** Undefined when the instance sends no mail: then nothing is sent. */
  transport: Pick<MailTransport, 'sendMail'> | undefined;
  from: string;
  instanceName: string;
  logger: Logger;
}

export class SafeguardingAlerts {
  readonly #deps: SafeguardingAlertsDeps;

  constructor(deps: SafeguardingAlertsDeps) {
    this.#deps = deps;
  }

  /** Mails every active safeguarding account with an address, and the account concerned. */
  async send(change: SafeguardingChange): Promise<void> {
    const { db, transport, from, logger } = this.#deps;
    if (!transport) return;
    const rows = await db
      .selectFrom('moderators')
      .select(['id', 'email'])
      .where('email', 'is not', null)
      .where((eb) => eb.or([eb.and([eb('role', '=', 'safeguarding'), eb('disabled_at', 'is', null)]), eb('id', '=', change.moderatorId)]))
      .execute();
    const recipients = new Set(rows.map((row) => row.email!.toLowerCase()));
    if (change.previousEmail) recipients.add(change.previousEmail.toLowerCase());
    const mail = this.#message(change);
    for (const to of recipients) {
      try {
        await transport.sendMail({ from, to, ...mail });
      } catch (error) {
        // SMTP replies often quote the recipient: log the codes only, never the error text.
        const { code, responseCode, command } = error as { code?: string; responseCode?: number; command?: string };
        logger.warn({ code, responseCode, command: command?.split(' ')[0], moderatorId: change.moderatorId, action: change.action }, 'safeguarding alert not sent');
      }
    }
  }

  #message(change: SafeguardingChange): { subject: string; text: string; headers: Record<string, string> } {
    const what = WHAT[change.action] ?? `changed (${change.action})`;
    const lines = [
      `On ${this.#deps.instanceName}, the account "${change.username}" ${what}.`,
      '',
      `Who: ${change.actor}`,
      `When: ${new Date(change.at).toISOString().replace('.000Z', 'Z')}`,
      ...(change.roles ? [`Role: ${change.roles.from} -> ${change.roles.to}`] : []),
      '',
      'You receive this because you hold a safeguarding account there, or this is your account.',
      'If you did not expect it, tell the instance\'s owner now: safeguarding accounts open the evidence of reports about children.',
      'Every change is in the audit log (strangerchat audit, or Audit log in /mod).',
      '',
    ];
    // Auto-Submitted keeps out-of-office replies from answering (RFC 3834).
    return { subject: `[${this.#deps.instanceName}] Safeguarding account ${change.username} ${what.split(' (')[0]}`, text: lines.join('\n'), headers: { 'Auto-Submitted': 'auto-generated' } };
  }
}
