// Moderator accounts: creation (never with a default password), login with rate limits,
// sessions, disabling (which ends every session of the account), password resets. Every change to
// an account, every login (and failed login) and logout is audited; passwords never are.
import { randomBytes, randomUUID } from 'node:crypto';
import { keyedHash } from './keyed-hash.ts';
import type { Db } from '../db/database.ts';
import type { ModeratorsTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { KeyedLimiter } from '../limits.ts';
import type { AuditLog } from '../moderation/audit.ts';
import type { Actor } from './actor.ts';
import { dummyHash, generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { assertCan, canManageRole, isRole, type Role } from './permissions.ts';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{2,31}$/;
/** Failed logins allowed per account, and per address, within LOGIN_WINDOW_MS. */
export const LOGIN_FAILURES_PER_ACCOUNT = 5;
export const LOGIN_FAILURES_PER_ADDRESS = 20;
export const LOGIN_WINDOW_MS = 15 * 60_000;
const SESSION_BYTES = 32;

export interface Moderator {
  id: string;
  username: string;
  role: Role;
  mustChangePassword: boolean;
  createdAt: number;
  createdBy: string;
  disabledAt: number | null;
}

export interface ModeratorLogin {
  /** The cookie value; only its keyed hash is stored. */
  token: string;
  csrfToken: string;
  expiresAt: number;
  moderator: Moderator;
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
  };
}

/** Who a failed login is recorded as: nobody has proved who they are. */
const LOGIN_ACTOR = 'system:login';

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
  readonly #accountFailures: KeyedLimiter;
  readonly #addressFailures: KeyedLimiter;
  readonly #audit: AuditLog;

  constructor(deps: { db: Db; audit: AuditLog; secret: string; now: () => number; sessionHours: number }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#secret = deps.secret;
    this.#now = deps.now;
    this.#sessionMs = deps.sessionHours * 3600_000;
    this.#accountFailures = new KeyedLimiter({ limit: LOGIN_FAILURES_PER_ACCOUNT, windowMs: LOGIN_WINDOW_MS, now: deps.now });
    this.#addressFailures = new KeyedLimiter({ limit: LOGIN_FAILURES_PER_ADDRESS, windowMs: LOGIN_WINDOW_MS, now: deps.now });
  }

  #hash(token: string): string {
    return keyedHash(this.#secret, 'moderator-session', token);
  }

  async count(): Promise<number> {
    const row = await this.#db.selectFrom('moderators').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
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
   * changed at the first login.
   */
  async create(input: { username: string; role: string; password?: string }, actor: Actor): Promise<{ moderator: Moderator; password?: string }> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(username)) {
      throw new AppError(400, 'invalid_username', 'A username is 3 to 32 characters: lower-case letters, digits, and . _ - (not first).');
    }
    if (!isRole(input.role)) throw new AppError(400, 'invalid_role', `Unknown role "${input.role}".`);
    // The very first account is created by the operator (init or CLI); after that, the matrix decides.
    if (!(await this.#isBootstrap(actor)) && !canManageRole(actor.role, input.role)) {
      throw new AppError(403, 'forbidden', `Your role (${actor.role}) cannot create ${input.role} accounts.`);
    }
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password);
      if (problem) throw new AppError(400, 'weak_password', `The password ${problem}.`);
    }
    if (await this.find(username)) throw new AppError(409, 'username_taken', `The username ${username} is taken.`);
    const generated = input.password === undefined ? generatePassword() : undefined;
    const row: ModeratorsTable = {
      id: randomUUID(),
      username,
      role: input.role,
      password_hash: await hashPassword(input.password ?? generated!),
      must_change_password: generated ? 1 : 0,
      created_at: this.#now(),
      created_by: actor.name,
      disabled_at: null,
    };
    await this.#db.insertInto('moderators').values(row).execute();
    await this.#audit.record(actor, { action: 'moderator.create', target: moderatorTarget(username), details: { role: input.role, generatedPassword: generated !== undefined } });
    return generated ? { moderator: toModerator(row), password: generated } : { moderator: toModerator(row) };
  }

  async #isBootstrap(actor: Actor): Promise<boolean> {
    return actor.moderatorId === undefined && (await this.count()) === 0;
  }

  async login(username: string, password: string, address: string): Promise<ModeratorLogin> {
    const account = username.trim().toLowerCase().slice(0, 64);
    const wait = Math.max(this.#accountFailures.retryAfterMs(account), this.#addressFailures.retryAfterMs(address));
    if (wait > 0) {
      throw new AppError(429, 'rate_limited', `Too many failed logins; try again in ${Math.ceil(wait / 60_000)} minute(s).`, {
        retryAfter: Math.ceil(wait / 1000),
      });
    }
    const row = await this.#db.selectFrom('moderators').selectAll().where('username', '=', account).executeTakeFirst();
    // Verify against a dummy hash for unknown accounts so response time does not reveal them.
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
    if (!row || !ok || row.disabled_at !== null) {
      this.#accountFailures.hit(account);
      this.#addressFailures.hit(address);
      // An unknown username is not recorded: people type their password into the wrong field.
      await this.#audit.record(LOGIN_ACTOR, {
        action: 'moderator.login_failed',
        target: row ? moderatorTarget(row.username) : null,
        details: { problem: !row ? 'unknown_account' : !ok ? 'wrong_password' : 'disabled' },
      });
      throw new AppError(401, 'invalid_credentials', 'Wrong username or password.');
    }
    this.#accountFailures.reset(account);
    const token = randomBytes(SESSION_BYTES).toString('base64url');
    const csrfToken = randomBytes(SESSION_BYTES).toString('base64url');
    const now = this.#now();
    const expiresAt = now + this.#sessionMs;
    await this.#db
      .insertInto('moderator_sessions')
      .values({ id_hash: this.#hash(token), moderator_id: row.id, csrf_token: csrfToken, address, created_at: now, expires_at: expiresAt, ended_at: null })
      .execute();
    await this.#audit.record(moderatorActorName(row.username), { action: 'moderator.login', target: moderatorTarget(row.username) });
    return { token, csrfToken, expiresAt, moderator: toModerator(row) };
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
    if (Number(failures.n) >= LOGIN_FAILURES_PER_ACCOUNT || this.#accountFailures.retryAfterMs(account) > 0) {
      throw new AppError(429, 'rate_limited', `Too many failed logins on ${account}; try again in ${Math.ceil(LOGIN_WINDOW_MS / 60_000)} minutes.`);
    }
    const row = await this.#db.selectFrom('moderators').selectAll().where('username', '=', account).executeTakeFirst();
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
    if (!row || !ok || row.disabled_at !== null) {
      this.#accountFailures.hit(account);
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
    this.#accountFailures.reset(account);
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
    const result = await this.#db.updateTable('moderator_sessions').set({ ended_at: this.#now() }).where('id_hash', '=', idHash).where('ended_at', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return;
    const row = await this.#db
      .selectFrom('moderator_sessions')
      .innerJoin('moderators', 'moderators.id', 'moderator_sessions.moderator_id')
      .select('moderators.username')
      .where('moderator_sessions.id_hash', '=', idHash)
      .executeTakeFirst();
    if (row) await this.#audit.record(moderatorActorName(row.username), { action: 'moderator.logout', target: moderatorTarget(row.username) });
  }

  async #target(username: string, actor: Actor): Promise<ModeratorsTable> {
    const row = await this.#db.selectFrom('moderators').selectAll().where('username', '=', username.trim().toLowerCase()).executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found', `No moderator named ${username}.`);
    if (!canManageRole(actor.role, row.role as Role)) {
      throw new AppError(403, 'forbidden', `Your role (${actor.role}) cannot manage ${row.role} accounts.`);
    }
    return row;
  }

  async #endSessions(moderatorId: string): Promise<void> {
    await this.#db.updateTable('moderator_sessions').set({ ended_at: this.#now() }).where('moderator_id', '=', moderatorId).where('ended_at', 'is', null).execute();
  }

  /** Disables an account and ends all its sessions at once. */
  async disable(username: string, actor: Actor): Promise<Moderator> {
    const row = await this.#target(username, actor);
    if (row.id === actor.moderatorId) throw new AppError(400, 'cannot_disable_self', 'You cannot disable your own account.');
    if (row.role === 'owner' && (await this.#activeOwners()) <= 1) {
      throw new AppError(400, 'last_owner', 'This is the last active owner; make another owner first.');
    }
    const now = this.#now();
    await this.#db.updateTable('moderators').set({ disabled_at: now }).where('id', '=', row.id).execute();
    await this.#endSessions(row.id);
    await this.#audit.record(actor, { action: 'moderator.disable', target: moderatorTarget(row.username) });
    return toModerator({ ...row, disabled_at: now });
  }

  async enable(username: string, actor: Actor): Promise<Moderator> {
    const row = await this.#target(username, actor);
    await this.#db.updateTable('moderators').set({ disabled_at: null }).where('id', '=', row.id).execute();
    await this.#audit.record(actor, { action: 'moderator.enable', target: moderatorTarget(row.username) });
    return toModerator({ ...row, disabled_at: null });
  }

  /** Generates a new one-time password (shown once) and ends the account's sessions. */
  async resetPassword(username: string, actor: Actor): Promise<{ moderator: Moderator; password: string }> {
    const row = await this.#target(username, actor);
    const password = generatePassword();
    await this.#db
      .updateTable('moderators')
      .set({ password_hash: await hashPassword(password), must_change_password: 1 })
      .where('id', '=', row.id)
      .execute();
    await this.#endSessions(row.id);
    await this.#audit.record(actor, { action: 'moderator.reset_password', target: moderatorTarget(row.username) });
    return { moderator: toModerator({ ...row, must_change_password: 1 }), password };
  }

  /** A moderator changes their own password, proving the current one. */
  async changePassword(moderatorId: string, current: string, next: string): Promise<void> {
    const row = await this.#db.selectFrom('moderators').selectAll().where('id', '=', moderatorId).executeTakeFirst();
    if (!row || !(await verifyPassword(current, row.password_hash))) {
      throw new AppError(401, 'invalid_credentials', 'The current password is wrong.');
    }
    const problem = passwordProblem(next);
    if (problem) throw new AppError(400, 'weak_password', `The new password ${problem}.`);
    await this.#db
      .updateTable('moderators')
      .set({ password_hash: await hashPassword(next), must_change_password: 0 })
      .where('id', '=', moderatorId)
      .execute();
    await this.#audit.record(moderatorActorName(row.username), { action: 'moderator.change_password', target: moderatorTarget(row.username) });
  }

  async setRole(username: string, role: string, actor: Actor): Promise<Moderator> {
    if (!isRole(role)) throw new AppError(400, 'invalid_role', `Unknown role "${role}".`);
    const row = await this.#target(username, actor);
    if (!canManageRole(actor.role, role)) throw new AppError(403, 'forbidden', `Your role (${actor.role}) cannot grant ${role}.`);
    if (row.role === 'owner' && role !== 'owner' && (await this.#activeOwners()) <= 1) {
      throw new AppError(400, 'last_owner', 'This is the last active owner; make another owner first.');
    }
    await this.#db.updateTable('moderators').set({ role }).where('id', '=', row.id).execute();
    await this.#audit.record(actor, { action: 'moderator.set_role', target: moderatorTarget(row.username), details: { from: row.role, to: role } });
    return toModerator({ ...row, role });
  }

  async #activeOwners(): Promise<number> {
    const row = await this.#db
      .selectFrom('moderators')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'owner')
      .where('disabled_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

