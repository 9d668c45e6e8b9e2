// Moderator accounts: creation (never with a default password), login with limits counted before
// the password is checked (login-limits.ts), sessions, disabling (which ends every session of the
// account), password resets, roles and an optional e-mail address. Who may change which account is
// the permission matrix's (MANAGED_ROLES); each change is authorised, made and audited in one
// transaction, and a change to a safeguarding account is mailed to the safeguarding accounts after
// the commit. Every login (and failed login) and logout is audited; passwords never are.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { keyedHash } from './keyed-hash.ts';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { ModeratorsTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { AuditLog, RecordInTransaction } from '../moderation/audit.ts';
import type { LimiterStore } from '../cluster/limiter-store.ts';
import type { Actor } from './actor.ts';
import { LOGIN_LIMITS, LoginLimited, LoginLimits, passwordEpoch, type LoginPlace } from './login-limits.ts';
import { dummyHash, generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { assertCan, assertCanManageRole, isRole, type Role } from './permissions.ts';
import type { SafeguardingAlerts, SafeguardingChange } from './safeguarding-alerts.ts';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{2,31}$/;
/** A moderator's optional address (where safeguarding alerts go). */
export const ModeratorEmail = z.email().max(254);
const SESSION_BYTES = 32;
/** How long a browser stays known to an account after signing in there (see login-limits.ts). */
export const KNOWN_BROWSER_DAYS = 30;
const DAY_MS = 86_400_000;
const KNOWN_BROWSER = /^([0-9a-f-]{36})\.(\d{1,15})\.([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;

import { type Moderator } from '../protocol/moderation.ts';
export type { Moderator } from '../protocol/moderation.ts';

export interface ModeratorLogin {
  /** The cookie value; only its keyed hash is stored. */
  token: string;
  csrfToken: string;
  expiresAt: number;
  moderator: Moderator;
  /** Marks this browser as known to the account (for LoginPlace.knownBrowser next time). */
  knownBrowser: { token: string; expiresAt: number };
}

export interface AuthenticatedModerator {
  moderator: Moderator;
  csrfToken: string;
  expiresAt: number;
}

function toModerator(row: ModeratorsTable): Moderator {
  return {
    id: row.id,
    username: row.username,
    role: row.role as Role,
    mustChangePassword: row.must_change_password === 1,
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
    email: row.email ?? null,
  };
}

/** An address as given (trimmed), or a 400 naming the problem; null clears it. */
function emailOf(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  const parsed = ModeratorEmail.safeParse(value.trim());
  if (!parsed.success) throw new AppError(400, 'invalid_email', `"${value.slice(0, 80)}" is not an e-mail address.`);
  return parsed.data;
}

function conflict(): AppError {
  return new AppError(409, 'conflict', 'The account changed meanwhile; reload and try again.');
}

/** Who a failed login is recorded as: nobody has proved who they are. */
const LOGIN_ACTOR = 'system:login';
/** `--as` at the terminal: each command is a new process, so its failures are counted from the audit log. */
const LOGIN_FAILURES_PER_ACCOUNT = LOGIN_LIMITS.perAccountPlace.attempts;
const LOGIN_WINDOW_MS = LOGIN_LIMITS.perAccountPlace.windowSeconds * 1000;

/** The audit log's name for a moderator acting (the same as the HTTP API's actor name). */
export function moderatorActorName(username: string): string {
  return `moderator:${username}`;
}

function moderatorTarget(username: string): string {
  return `moderator:${username}`;
}

export class ModeratorService {
  readonly #db: Db;
  readonly #secret: string;
  readonly #now: () => number;
  readonly #sessionMs: number;
  readonly #limits: LoginLimits;
  readonly #audit: AuditLog;
  readonly #alerts: SafeguardingAlerts;

  constructor(deps: { db: Db; audit: AuditLog; alerts: SafeguardingAlerts; secret: string; now: () => number; sessionHours: number; limiters?: LimiterStore }) {
    this.#limits = new LoginLimits(deps.limiters);
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#alerts = deps.alerts;
    this.#secret = deps.secret;
    this.#now = deps.now;
    this.#sessionMs = deps.sessionHours * 3600_000;
  }

  #hash(token: string): string {
    return keyedHash(this.#secret, 'moderator-session', token);
  }

  async count(): Promise<number> {
    return count(this.#db);
  }

  async find(username: string): Promise<Moderator | undefined> {
    const row = await this.#db.selectFrom('moderators').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();
    return row && toModerator(row);
  }

  async list(actor: Actor): Promise<Moderator[]> {
    assertCan(actor.role, 'moderators.list');
    const rows = await this.#db.selectFrom('moderators').selectAll().orderBy('created_at').execute();
    return rows.map(toModerator);
  }

  /**
   * Creates an account. Without a password, one is generated, returned once, and must be
   * changed at the first login. `email` is optional: where safeguarding alerts reach it.
   */
  async create(input: { username: string; role: string; password?: string; email?: string | null }, actor: Actor): Promise<{ moderator: Moderator; password?: string }> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(username)) {
      throw new AppError(400, 'invalid_username', 'A username is 3 to 32 characters: lower-case letters, digits, and . _ - (not first).');
    }
    if (!isRole(input.role)) throw new AppError(400, 'invalid_role', `Unknown role "${input.role}".`);
    const role = input.role;
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password);
      if (problem) throw new AppError(400, 'weak_password', `The password ${problem}.`);
    }
    const email = emailOf(input.email);
    // Refused before the slow hash when the role can never create it; decided for good below.
    if (actor.moderatorId !== undefined) assertCanManageRole(actor.role, role);
    const generated = input.password === undefined ? generatePassword() : undefined;
    const row: ModeratorsTable = {
      id: randomUUID(),
      username,
      role,
      password_hash: await hashPassword(input.password ?? generated!),
      must_change_password: generated ? 1 : 0,
      created_at: this.#now(),
      created_by: actor.name,
      disabled_at: null,
      email,
    };
    const change = await this.#audit
      .transaction(async (trx, record) => {
        // The very first account is created by the operator (init or CLI); after that, the matrix decides.
        if (!(actor.moderatorId === undefined && (await count(trx)) === 0)) assertCanManageRole(actor.role, role);
        if (await trx.selectFrom('moderators').select('id').where('username', '=', username).executeTakeFirst()) throw usernameTaken(username);
        await trx.insertInto('moderators').values(row).execute();
        await record(actor, { action: 'moderator.create', target: moderatorTarget(username), details: { role, generatedPassword: generated !== undefined, ...(email !== null ? { email: true } : {}) } });
        return this.#change('moderator.create', actor, row, role === 'safeguarding');
      })
      .catch((error: unknown) => {
        throw isUniqueViolation(error) ? usernameTaken(username) : error;
      });
    await this.#alert(change);
    return generated ? { moderator: toModerator(row), password: generated } : { moderator: toModerator(row) };
  }

  /**
   * Checks a username and password. The attempt is counted before the password is hashed, so
   * guesses sent at once cannot outrun the limits; a browser the account signed in from before
   * (`place.knownBrowser`) is spared the locks others cause (see login-limits.ts).
   */
  async login(username: string, password: string, place: LoginPlace): Promise<ModeratorLogin> {
    const account = username.trim().toLowerCase().slice(0, 64);
    const row = await this.#db.selectFrom('moderators').selectAll().where('username', '=', account).executeTakeFirst();
    const knownBrowser = row && place.knownBrowser && this.#isKnownBrowser(place.knownBrowser, row.id) ? place.knownBrowser : undefined;
    let attempt;
    try {
      attempt = await this.#limits.reserve({ name: account, epoch: passwordEpoch(row?.password_hash) }, { address: place.address, ...(knownBrowser ? { knownBrowser } : {}) });
    } catch (error) {
      // The moment a limit locks is worth one entry; the refusals after it are not (they would flood the log).
      if (error instanceof LoginLimited && error.justLocked) {
        await this.#audit.record(LOGIN_ACTOR, { action: 'moderator.login_locked', target: row ? moderatorTarget(row.username) : null, details: { scope: error.scope } });
      }
      throw error;
    }
    try {
      // Verify against a dummy hash for unknown accounts so response time does not reveal them.
      const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
      if (!row || !ok || row.disabled_at !== null) {
        // An unknown username is not recorded: people type their password into the wrong field.
        await this.#audit.record(LOGIN_ACTOR, {
          action: 'moderator.login_failed',
          target: row ? moderatorTarget(row.username) : null,
          details: { problem: !row ? 'unknown_account' : !ok ? 'wrong_password' : 'disabled' },
        });
        throw new AppError(401, 'invalid_credentials', 'Wrong username or password.');
      }
      await attempt.succeeded();
    } finally {
      attempt.release();
    }
    return this.#openSession(row, place);
  }

  /**
   * Signs in an account whose holder the school's provider vouched for (moderator SSO,
   * moderator-sso.ts): no password, but the same limits (a refusal counts as a failed attempt),
   * the same session and CSRF token, and the same audit entries, marked `via: "sso"`.
   */
  async loginVouched(moderatorId: string, place: LoginPlace): Promise<ModeratorLogin> {
    const row = await this.#db.selectFrom('moderators').selectAll().where('id', '=', moderatorId).executeTakeFirst();
    if (!row) throw new AppError(401, 'invalid_credentials', 'This account does not exist.');
    const knownBrowser = place.knownBrowser && this.#isKnownBrowser(place.knownBrowser, row.id) ? place.knownBrowser : undefined;
    let attempt;
    try {
      attempt = await this.#limits.reserve({ name: row.username, epoch: passwordEpoch(row.password_hash) }, { address: place.address, ...(knownBrowser ? { knownBrowser } : {}) });
    } catch (error) {
      if (error instanceof LoginLimited && error.justLocked) {
        await this.#audit.record(LOGIN_ACTOR, { action: 'moderator.login_locked', target: moderatorTarget(row.username), details: { scope: error.scope, via: 'sso' } });
      }
      throw error;
    }
    try {
      if (row.disabled_at !== null) {
        await this.#audit.record(LOGIN_ACTOR, { action: 'moderator.login_failed', target: moderatorTarget(row.username), details: { problem: 'disabled', via: 'sso' } });
        throw new AppError(403, 'account_disabled', `The account ${row.username} is disabled.`);
      }
      await attempt.succeeded();
    } finally {
      attempt.release();
    }
    return this.#openSession(row, place, { via: 'sso' });
  }

  /** A new session for a proven account: its cookie token, CSRF token and known-browser mark; audited. */
  async #openSession(row: ModeratorsTable, place: LoginPlace, details?: Record<string, unknown>): Promise<ModeratorLogin> {
    const token = randomBytes(SESSION_BYTES).toString('base64url');
    const csrfToken = randomBytes(SESSION_BYTES).toString('base64url');
    const now = this.#now();
    const expiresAt = now + this.#sessionMs;
    // The login and its audit entry are one transaction: no session that the log does not show.
    await this.#audit.transaction(async (trx, record) => {
      await trx
        .insertInto('moderator_sessions')
        .values({ id_hash: this.#hash(token), moderator_id: row.id, csrf_token: csrfToken, address: place.address, created_at: now, expires_at: expiresAt, ended_at: null })
        .execute();
      await record(moderatorActorName(row.username), { action: 'moderator.login', target: moderatorTarget(row.username), ...(details ? { details } : {}) });
    });
    return { token, csrfToken, expiresAt, moderator: toModerator(row), knownBrowser: this.#newKnownBrowser(row.id, now) };
  }

  /** `<account id>.<expiry>.<nonce>.<mac>`: unforgeable without the secret, tied to one account. */
  #newKnownBrowser(moderatorId: string, now: number): { token: string; expiresAt: number } {
    const expiresAt = now + KNOWN_BROWSER_DAYS * DAY_MS;
    const body = `${moderatorId}.${expiresAt}.${randomBytes(9).toString('base64url')}`;
    return { token: `${body}.${keyedHash(this.#secret, 'known-browser', body)}`, expiresAt };
  }

  #isKnownBrowser(token: string, moderatorId: string): boolean {
    const match = KNOWN_BROWSER.exec(token);
    if (!match || match[1] !== moderatorId || Number(match[2]) <= this.#now()) return false;
    const expected = Buffer.from(keyedHash(this.#secret, 'known-browser', token.slice(0, token.lastIndexOf('.'))));
    const given = Buffer.from(match[4]!);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /**
   * The account a terminal acts as (`--as`), once its password is proved: the operator holds the
   * instance's files, so this is accountability and role enforcement, not a wall against them.
   * Refuses disabled accounts and accounts still on a one-time password. Failures are audited as
   * at /mod (`moderator.login_failed`, with `via: "cli"`) and, since each command is a new
   * process, counted from the audit log: after LOGIN_FAILURES_PER_ACCOUNT within LOGIN_WINDOW_MS
   * the account waits, whichever door the failures came through.
   */
  async authenticateTerminal(username: string, password: string, osUser: string): Promise<Moderator> {
    const account = username.trim().toLowerCase().slice(0, 64);
    const since = this.#now() - LOGIN_WINDOW_MS;
    const failures = await this.#db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'moderator.login_failed')
      .where('target', '=', moderatorTarget(account))
      .where('at', '>=', since)
      .executeTakeFirstOrThrow();
    if (Number(failures.n) >= LOGIN_FAILURES_PER_ACCOUNT) {
      throw new AppError(429, 'rate_limited', `Too many failed logins on ${account}; try again in ${Math.ceil(LOGIN_WINDOW_MS / 60_000)} minutes.`);
    }
    const row = await this.#db.selectFrom('moderators').selectAll().where('username', '=', account).executeTakeFirst();
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
    if (!row || !ok || row.disabled_at !== null) {
      await this.#audit.record(LOGIN_ACTOR, {
        action: 'moderator.login_failed',
        target: row ? moderatorTarget(row.username) : null,
        details: { problem: !row ? 'unknown_account' : !ok ? 'wrong_password' : 'disabled', via: 'cli', osUser },
      });
      throw new AppError(401, 'invalid_credentials', row && ok ? `The account ${row.username} is disabled.` : 'Wrong username or password.');
    }
    if (row.must_change_password === 1) {
      throw new AppError(403, 'password_change_required', `${row.username} still has a one-time password: sign in at /mod once and choose your own first.`);
    }
    return toModerator(row);
  }

  /** The moderator behind a session cookie, or undefined when it is unknown, ended, expired or disabled. */
  async authenticate(token: string | undefined): Promise<AuthenticatedModerator | undefined> {
    if (!token || token.length > 128) return undefined;
    const row = await this.#db
      .selectFrom('moderator_sessions')
      .innerJoin('moderators', 'moderators.id', 'moderator_sessions.moderator_id')
      .selectAll('moderators')
      .select(['moderator_sessions.csrf_token', 'moderator_sessions.expires_at', 'moderator_sessions.ended_at'])
      .where('moderator_sessions.id_hash', '=', this.#hash(token))
      .executeTakeFirst();
    if (!row || row.ended_at !== null || Number(row.expires_at) <= this.#now() || row.disabled_at !== null) return undefined;
    return { moderator: toModerator(row), csrfToken: row.csrf_token, expiresAt: Number(row.expires_at) };
  }

  async logout(token: string): Promise<void> {
    const idHash = this.#hash(token);
    await this.#audit.transaction(async (trx, record) => {
      const result = await trx.updateTable('moderator_sessions').set({ ended_at: this.#now() }).where('id_hash', '=', idHash).where('ended_at', 'is', null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return;
      const row = await trx
        .selectFrom('moderator_sessions')
        .innerJoin('moderators', 'moderators.id', 'moderator_sessions.moderator_id')
        .select('moderators.username')
        .where('moderator_sessions.id_hash', '=', idHash)
        .executeTakeFirst();
      if (row) await record(moderatorActorName(row.username), { action: 'moderator.logout', target: moderatorTarget(row.username) });
    });
  }

  /**
   * The account `actor` is about to change, read inside the change's transaction: a 404 when
   * there is none, a 403 unless `actor` manages accounts of its role.
   */
  async #target(trx: Db, username: string, actor: Actor): Promise<ModeratorsTable> {
    const row = await trx.selectFrom('moderators').selectAll().where('username', '=', username.trim().toLowerCase()).executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found', `No moderator named ${username}.`);
    assertCanManageRole(actor.role, row.role as Role);
    return row;
  }

  /** What to mail after the commit: a change to an account that is or was safeguarding, else nothing. */
  #change(action: string, actor: Actor, row: ModeratorsTable, safeguarding: boolean, extra: Partial<SafeguardingChange> = {}): SafeguardingChange | undefined {
    if (!safeguarding) return undefined;
    return { action, actor: actor.name, moderatorId: row.id, username: row.username, at: this.#now(), ...extra };
  }

  async #alert(change: SafeguardingChange | undefined): Promise<void> {
    if (change) await this.#alerts.send(change);
  }

  /**
   * One audited change to an existing account: `apply` runs in the transaction after the target
   * is read and authorised, and returns the changed row; the alert goes out after the commit.
   */
  async #changeAccount(
    username: string,
    actor: Actor,
    action: string,
    apply: (trx: Db, row: ModeratorsTable, record: RecordInTransaction) => Promise<{ row: ModeratorsTable; details?: Record<string, unknown>; alert?: Partial<SafeguardingChange> }>,
  ): Promise<Moderator> {
    const { moderator, change } = await this.#audit.transaction(async (trx, record) => {
      const before = await this.#target(trx, username, actor);
      const after = await apply(trx, before, record);
      await record(actor, { action, target: moderatorTarget(before.username), ...(after.details ? { details: after.details } : {}) });
      const safeguarding = before.role === 'safeguarding' || after.row.role === 'safeguarding';
      return { moderator: toModerator(after.row), change: this.#change(action, actor, before, safeguarding, after.alert) };
    });
    await this.#alert(change);
    return moderator;
  }

  /** Disables an account and ends all its sessions at once. */
  async disable(username: string, actor: Actor): Promise<Moderator> {
    return this.#changeAccount(username, actor, 'moderator.disable', async (trx, row) => {
      if (row.id === actor.moderatorId) throw new AppError(400, 'cannot_disable_self', 'You cannot disable your own account.');
      if (row.role === 'owner' && row.disabled_at === null && (await activeOwners(trx)) <= 1) {
        throw new AppError(400, 'last_owner', 'This is the last active owner; make another owner first.');
      }
      const now = this.#now();
      await trx.updateTable('moderators').set({ disabled_at: now }).where('id', '=', row.id).execute();
      await this.#endSessions(trx, row.id);
      return { row: { ...row, disabled_at: now } };
    });
  }

  async enable(username: string, actor: Actor): Promise<Moderator> {
    return this.#changeAccount(username, actor, 'moderator.enable', async (trx, row) => {
      await trx.updateTable('moderators').set({ disabled_at: null }).where('id', '=', row.id).execute();
      return { row: { ...row, disabled_at: null } };
    });
  }

  /** Generates a new one-time password (shown once) and ends the account's sessions. */
  async resetPassword(username: string, actor: Actor): Promise<{ moderator: Moderator; password: string }> {
    // Refused before the slow hash when the role manages no account at all.
    assertCan(actor.role, 'moderators.manage');
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    const moderator = await this.#changeAccount(username, actor, 'moderator.reset_password', async (trx, row) => {
      // A new hash is also a new login-limit epoch (login-limits.ts): the account's locks are cleared.
      const changed = await trx.updateTable('moderators').set({ password_hash: passwordHash, must_change_password: 1 }).where('id', '=', row.id).where('password_hash', '=', row.password_hash).executeTakeFirst();
      if (Number(changed.numUpdatedRows) !== 1) throw conflict();
      await this.#endSessions(trx, row.id);
      return { row: { ...row, password_hash: passwordHash, must_change_password: 1 } };
    });
    return { moderator, password };
  }

  /** A moderator changes their own password, proving the current one. */
  async changePassword(moderatorId: string, current: string, next: string): Promise<void> {
    const row = await this.#db.selectFrom('moderators').selectAll().where('id', '=', moderatorId).executeTakeFirst();
    if (!row || !(await verifyPassword(current, row.password_hash))) {
      throw new AppError(401, 'invalid_credentials', 'The current password is wrong.');
    }
    const problem = passwordProblem(next);
    if (problem) throw new AppError(400, 'weak_password', `The new password ${problem}.`);
    const passwordHash = await hashPassword(next);
    await this.#audit.transaction(async (trx, record) => {
      // Only if nobody reset it since it was checked: a reset wins over a change in flight.
      const changed = await trx.updateTable('moderators').set({ password_hash: passwordHash, must_change_password: 0 }).where('id', '=', moderatorId).where('password_hash', '=', row.password_hash).executeTakeFirst();
      if (Number(changed.numUpdatedRows) !== 1) throw conflict();
      await record(moderatorActorName(row.username), { action: 'moderator.change_password', target: moderatorTarget(row.username) });
    });
  }

  /** Changes an account's role: the actor must manage both the role it has and the role it gets. */
  async setRole(username: string, role: string, actor: Actor): Promise<Moderator> {
    if (!isRole(role)) throw new AppError(400, 'invalid_role', `Unknown role "${role}".`);
    assertCanManageRole(actor.role, role);
    return this.#changeAccount(username, actor, 'moderator.set_role', async (trx, row) => {
      if (row.role === 'owner' && role !== 'owner' && row.disabled_at === null && (await activeOwners(trx)) <= 1) {
        throw new AppError(400, 'last_owner', 'This is the last active owner; make another owner first.');
      }
      await trx.updateTable('moderators').set({ role }).where('id', '=', row.id).execute();
      return { row: { ...row, role }, details: { from: row.role, to: role }, alert: { roles: { from: row.role, to: role } } };
    });
  }

  /** Sets (or, with null, removes) an account's e-mail address; the old address hears of it too. */
  async setEmail(username: string, email: string | null, actor: Actor): Promise<Moderator> {
    const address = emailOf(email);
    return this.#changeAccount(username, actor, 'moderator.set_email', async (trx, row) => {
      await trx.updateTable('moderators').set({ email: address }).where('id', '=', row.id).execute();
      // The addresses themselves stay out of the audit log: whether there is one is enough.
      return { row: { ...row, email: address }, details: { email: address !== null }, alert: { previousEmail: row.email } };
    });
  }

  async #endSessions(trx: Db, moderatorId: string): Promise<void> {
    await trx.updateTable('moderator_sessions').set({ ended_at: this.#now() }).where('moderator_id', '=', moderatorId).where('ended_at', 'is', null).execute();
  }
}

async function count(db: Db): Promise<number> {
  const row = await db.selectFrom('moderators').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function activeOwners(db: Db): Promise<number> {
  const row = await db
    .selectFrom('moderators')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function usernameTaken(username: string): AppError {
  return new AppError(409, 'username_taken', `The username ${username} is taken.`);
}
