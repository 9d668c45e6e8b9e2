// The `email` access mode: a person proves they hold an address in one of the allowed domains by
// opening a single-use magic link. Only keyed hashes are stored (of the link's token and of the
// address); the address itself never reaches the database or the logs.
import { randomBytes } from 'node:crypto';
import { keyedHash } from './keyed-hash.ts';
import { isIP } from 'node:net';
import type { SendMailOptions, Transporter } from 'nodemailer';
import { z } from 'zod';
import type { InstanceSettings, ServerConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { memoryLimiterStore, type KeyedLimit, type LimiterStore } from '../cluster/limiter-store.ts';
import { addressKey } from './ip.ts';

/** Abuse limits of `start`: each sent link costs a mail, so both the sender and the inbox are capped. */
export const EMAIL_LIMITS = {
  /** Links per e-mail address within the window. */
  perEmail: 5,
  /** Link requests per client address within the window (any e-mail, allowed domain or not). */
  perAddress: 20,
  windowMs: 15 * 60_000,
} as const;
const EMAIL_WINDOW_SECONDS = EMAIL_LIMITS.windowMs / 1000;

/**
 * The page a magic link opens; the token rides in the fragment, which browsers never send to a
 * server. The page spends the link only when the person presses its button: mail scanners (Safe
 * Links and the like, common in schools) fetch every link in a message and would otherwise spend it
 * before the pupil clicks.
 */
export const CONFIRM_PAGE = '/verify';
/** A link to the confirm page for a token. */
export function confirmLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${CONFIRM_PAGE}#${new URLSearchParams({ token })}`;
}

/** Bytes of randomness in a magic-link token (base64url-encoded). */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const DAY_MS = 24 * 3600 * 1000;
/** SMTP waits: a slow or dead mail server fails the request in seconds, not minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;

const EmailAddress = z.email().max(254);

/** What the magic links are sent through (a nodemailer transport, opened on the first send). */
export interface MailTransport {
  sendMail(mail: SendMailOptions): Promise<unknown>;
  close(): void;
}

/**
 * The one mail transport for magic links, built from `email.smtp` and the SMTP password in `.env`.
 * nodemailer (about 40 modules) is imported at the first send, not at start.
 */
export function createMailTransport(smtp: InstanceSettings['email']['smtp'], password: string | undefined): MailTransport {
  let transporter: Promise<Transporter> | undefined;
  const open = () =>
    (transporter ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        ...smtpOptions(smtp),
        ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: password ?? '' } } : {}),
        ...SMTP_TIMEOUTS,
      }),
    ));
  return {
    sendMail: async (mail) => (await open()).sendMail(mail),
    close: () => void transporter?.then((t) => t.close()),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || (isIP(host) !== 0 && /^(127\.|::1$)/.test(host));
}

/** How the magic links connect to the SMTP server (the same for sending and for checking). */
function smtpOptions(smtp: InstanceSettings['email']['smtp']) {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // STARTTLS is used whenever the server offers it; credentials are never sent in clear across
    // a network, so a server that does not offer it is refused when a user is set (loopback aside).
    requireTLS: !smtp.secure && smtp.user !== undefined && !isLoopback(smtp.host),
    // nodemailer's own logging would print recipients and message data.
    logger: false,
    debug: false,
  };
}

/** What a check of the SMTP server found (`strangerchat doctor email`). */
export interface SmtpCheck {
  ok: boolean;
  /** TLS from the first byte (`implicit`, port 465), after STARTTLS, or none; null when not reached. */
  tls: 'implicit' | 'starttls' | 'none' | null;
  /** true: the login was accepted; false: refused; null: no user configured, or not reached. */
  authenticated: boolean | null;
  /** Why it failed, in the server's or the system's words (never the password). */
  failure?: { stage: 'connect' | 'tls' | 'auth'; code: string | null; message: string };
}

/** TLS errors come from the socket; their messages say so. */
const TLS_ERROR = /certificate|self[- ]signed|ssl|tls|handshake|wrong version number|alert/i;

/**
 * Connects to the SMTP server with the settings of the magic links, says whether TLS was used
 * (implicit or STARTTLS), logs in when a user is set, and quits: no message is sent.
 */
export async function verifySmtp(smtp: InstanceSettings['email']['smtp'], password: string | undefined, timeoutMs: number): Promise<SmtpCheck> {
  const { default: SMTPConnection } = await import('nodemailer/lib/smtp-connection');
  const options = smtpOptions(smtp);
  const connection = new SMTPConnection({ ...options, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
  return new Promise<SmtpCheck>((resolve) => {
    let settled = false;
    const finish = (result: SmtpCheck) => {
      if (settled) return;
      settled = true;
      connection.removeAllListeners('error');
      connection.on('error', () => {});
      if (result.ok) connection.quit();
      else connection.close();
      resolve(result);
    };
    const failure = (error: unknown, stage?: 'connect' | 'tls' | 'auth'): NonNullable<SmtpCheck['failure']> => {
      const { code, message } = error as { code?: string; message?: string };
      const text = String(message ?? error);
      return { stage: stage ?? (code === 'EAUTH' ? 'auth' : code === 'ETLS' || TLS_ERROR.test(text) ? 'tls' : 'connect'), code: code ?? null, message: text };
    };
    connection.on('error', (error: unknown) => finish({ ok: false, tls: null, authenticated: null, failure: failure(error) }));
    connection.connect(() => {
      const tls = connection.secureConnection ? 'implicit' : connection.secure ? 'starttls' : 'none';
      if (smtp.user === undefined) return finish({ ok: true, tls, authenticated: null });
      connection.login({ user: smtp.user, pass: password ?? '' }, (error) => {
        if (error) return finish({ ok: false, tls, authenticated: false, failure: failure(error, 'auth') });
        finish({ ok: true, tls, authenticated: true });
      });
    });
  });
}

/**
 * The mailbox an address delivers to, as identities and limits count it: lower-cased, without a
 * `+tag` (jake+2@ reaches jake@), and without dots in the local part at the domains that ignore
 * them (j.ake@gmail.com reaches jake@gmail.com). Otherwise every tag would be a new person: a way
 * round an identity ban, and another five links per 15 minutes.
 */
export function canonicalMailbox(address: string, ignoreDotsDomains: ReadonlySet<string>): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
  let local = address.slice(0, at).toLowerCase();
  // A tag follows the first "+"; a local part that starts with one has no name before it to keep.
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (ignoreDotsDomains.has(domain)) local = local.replaceAll('.', '') || local;
  return `${local}@${domain}`;
}

/**
 * The keyed identity of a mailbox (see canonicalMailbox): the same person gets the same hash, the
 * address is not recoverable.
 */
export function identityHash(secret: string, mailbox: string): string {
  return keyedHash(secret, 'identity', mailbox);
}

export interface VerifiedEmail {
  /** HMAC-SHA256 of the canonical mailbox (see identityHash). */
  identityHash: string;
  /** When the verification stops counting on this device (ms). */
  expiresAt: number;
}

export interface EmailAccessDeps {
  db: Db;
  config: ServerConfig;
  now: () => number;
  transport: Pick<MailTransport, 'sendMail'>;
  logger: Logger;
  /** Where the link limits are counted (default: this process, on `now`). */
  limiters?: LimiterStore;
}

export class EmailAccessService {
  readonly #db: Db;
  readonly #config: ServerConfig;
  readonly #now: () => number;
  readonly #transport: Pick<MailTransport, 'sendMail'>;
  readonly #logger: Logger;
  readonly #domains: Set<string>;
  readonly #ignoreDotsDomains: Set<string>;
  readonly #perEmail: KeyedLimit;
  readonly #perAddress: KeyedLimit;

  constructor(deps: EmailAccessDeps) {
    this.#db = deps.db;
    this.#config = deps.config;
    this.#now = deps.now;
    this.#transport = deps.transport;
    this.#logger = deps.logger;
    this.#domains = new Set(deps.config.settings.email.domains.map((d) => d.toLowerCase().replace(/\.$/, '')));
    this.#ignoreDotsDomains = new Set(deps.config.settings.email.ignoreDotsDomains.map((d) => d.toLowerCase().replace(/\.$/, '')));
    // In the cluster's store: a mailbox or a network is counted the same on every node.
    const limiters = deps.limiters ?? memoryLimiterStore({ now: deps.now });
    this.#perEmail = limiters.limit({ name: 'email-links-per-mailbox', points: EMAIL_LIMITS.perEmail, durationSeconds: EMAIL_WINDOW_SECONDS });
    this.#perAddress = limiters.limit({ name: 'email-links-per-address', points: EMAIL_LIMITS.perAddress, durationSeconds: EMAIL_WINDOW_SECONDS });
  }

  /** Minutes a link stays valid. */
  get linkTtlMinutes(): number {
    return this.#config.settings.email.linkTtlMinutes;
  }

  #tokenHash(token: string): string {
    return keyedHash(this.#config.secrets.sessionSecret, 'email-token', token);
  }

  /**
   * Sends a magic link to `email` when its domain is allowed. The answer is the same whether or
   * not the address was seen before. `address` is the requesting client's network address.
   */
  async start(email: string, address: string): Promise<{ expiresInMinutes: number }> {
    const { settings } = this.#config;
    if (settings.accessMode !== 'email') {
      throw new AppError(403, 'access_mode', 'This space does not use e-mail verification.');
    }
    const parsed = EmailAddress.safeParse(email.trim());
    if (!parsed.success) throw new AppError(400, 'invalid_body', 'Enter a valid e-mail address.');
    const mailbox = parsed.data;
    // An IPv6 client counts as its /64, as every other limit does: one home holds a whole /64.
    const client = addressKey(address);
    const byClient = await this.#perAddress.consume(client);
    if (!byClient.allowed) throw rateLimited(byClient.msBeforeNext);
    const domain = mailbox.slice(mailbox.lastIndexOf('@') + 1).toLowerCase();
    if (!this.#domains.has(domain)) {
      throw new AppError(403, 'email_domain_not_allowed', `Only addresses at ${[...this.#domains].join(', ')} can join ${settings.name}.`);
    }
    // The limit counts the person's mailbox, not how they spelled it, as the identity does.
    const identity = identityHash(this.#config.secrets.sessionSecret, canonicalMailbox(mailbox, this.#ignoreDotsDomains));
    const byMailbox = await this.#perEmail.consume(identity);
    if (!byMailbox.allowed) throw rateLimited(byMailbox.msBeforeNext);

    const now = this.#now();
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const tokenHash = this.#tokenHash(token);
    const ttlMinutes = settings.email.linkTtlMinutes;
    // Links that can no longer be used are worth nothing: drop them as new ones are made.
    await this.purgeExpired();
    await this.#db
      .insertInto('email_verifications')
      .values({ token_hash: tokenHash, identity_hash: identity, created_at: now, expires_at: now + ttlMinutes * 60_000, used_at: null })
      .execute();
    try {
      await this.#transport.sendMail({ from: settings.email.from, to: mailbox, ...this.#message(token, ttlMinutes) });
    } catch (error) {
      await this.#db.deleteFrom('email_verifications').where('token_hash', '=', tokenHash).execute();
      // SMTP replies often quote the recipient: log the codes only, never the error text.
      const { code, responseCode, command } = error as { code?: string; responseCode?: number; command?: string };
      this.#logger.warn({ code, responseCode, command: command?.split(' ')[0] }, 'magic link not sent');
      throw new AppError(503, 'email_unavailable', 'We could not send the e-mail just now. Please try again in a few minutes.');
    }
    return { expiresInMinutes: ttlMinutes };
  }

  /** Deletes the verifications whose link has expired (used or not); returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.#db.deleteFrom('email_verifications').where('expires_at', '<=', this.#now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Uses a magic link's token once; undefined when it is malformed, unknown, used or expired. */
  async verify(token: string | null | undefined): Promise<VerifiedEmail | undefined> {
    if (this.#config.settings.accessMode !== 'email') return undefined;
    if (!token || !TOKEN_PATTERN.test(token)) return undefined;
    const hash = this.#tokenHash(token);
    const now = this.#now();
    const result = await this.#db
      .updateTable('email_verifications')
      .set({ used_at: now })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    const row = await this.#db.selectFrom('email_verifications').select('identity_hash').where('token_hash', '=', hash).executeTakeFirst();
    if (!row) return undefined;
    return { identityHash: row.identity_hash, expiresAt: now + this.#config.settings.email.verifiedDays * DAY_MS };
  }

  #message(token: string, ttlMinutes: number): { subject: string; text: string; html: string; headers: Record<string, string> } {
    const { name, publicUrl } = this.#config.settings;
    const link = confirmLink(publicUrl ?? '', token);
    const text = [
      'Hello,',
      '',
      `Someone asked to join ${name} with this e-mail address. Open this link in the browser you chat with, and press the button on the page to confirm it is you:`,
      '',
      link,
      '',
      `The link works once, for ${ttlMinutes} minutes.`,
      '',
      'If this was not you, ignore this e-mail: nothing happens without the link.',
      '',
    ].join('\n');
    const html = [
      '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">',
      '<p>Hello,</p>',
      `<p>Someone asked to join ${escapeHtml(name)} with this e-mail address. Open this link in the browser you chat with, and press the button on the page to confirm it is you:</p>`,
      `<p><a href="${escapeHtml(link)}">Confirm my address for ${escapeHtml(name)}</a></p>`,
      `<p>Or copy it into your browser: ${escapeHtml(link)}</p>`,
      `<p>The link works once, for ${ttlMinutes} minutes.</p>`,
      '<p>If this was not you, ignore this e-mail: nothing happens without the link.</p>',
      '</body></html>',
    ].join('\n');
    // Auto-Submitted keeps out-of-office replies from answering the sender (RFC 3834).
    return { subject: `Your link to ${name}`, text, html, headers: { 'Auto-Submitted': 'auto-generated' } };
  }
}

function rateLimited(retryAfterMs: number): AppError {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
  return new AppError(429, 'rate_limited', `Too many requests: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
