// Moderators signing in to /mod with the school's OpenID provider (opt-in: oidc.moderators).
// The claims decide the role at every sign-in (oidc.moderators.roles, first match), so someone
// who leaves the group loses the role; without a matching rule there is no sign-in. `owner` and
// `safeguarding` are never granted by a claim alone: the first time the claims ask for one, the
// request waits until an owner confirms it once from the terminal (`strangerchat mod sso confirm`),
// audited. An SSO account is a moderator account like any other (same session, CSRF token, login
// limits, disabling, audit), with no usable password; it is never linked to an existing password
// account by name, so a provider account called "admin" cannot become the local admin.
import { randomUUID } from 'node:crypto';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { ModeratorSsoTable, ModeratorsTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { AuditLog } from '../moderation/audit.ts';
import type { Actor } from './actor.ts';
import type { LoginPlace } from './login-limits.ts';
import type { ModeratorLogin, ModeratorService } from './moderators.ts';
import { CONFIRMED_ROLES, roleFromClaims, usernameFromClaims, type Claims } from './oidc-rules.ts';
import { assertCan, type Role } from './permissions.ts';
import type { SafeguardingAlerts, SafeguardingChange } from './safeguarding-alerts.ts';

/** Who creates and re-roles SSO accounts in the audit log: the claims, not a person. */
export const SSO_ACTOR = 'system:sso';
/** The password hash of an SSO account: no password verifies against it (passwords.ts reads only `scrypt$…`). */
export const SSO_PASSWORD_HASH = '!sso';
/** Suffixes tried when a username is taken (`ada`, `ada-2`, … `ada-99`). */
const USERNAME_TRIES = 99;

/** An identity that signed in to /mod with the provider, as the operator sees it (`mod sso list`). */
export interface SsoAccount {
  username: string;
  /** The account's role; null while no account exists yet (awaiting confirmation). */
  role: Role | null;
  disabled: boolean;
  /** owner or safeguarding, asked for by the claims and awaiting an owner's confirmation. */
  pendingRole: Role | null;
  confirmedRole: Role | null;
  createdAt: number;
  lastSignInAt: number | null;
}

function target(username: string): string {
  return `moderator:${username}`;
}

export class ModeratorSsoService {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #moderators: ModeratorService;
  readonly #alerts: SafeguardingAlerts;
  readonly #config: ServerConfig;
  readonly #now: () => number;

  constructor(deps: { db: Db; audit: AuditLog; moderators: ModeratorService; alerts: SafeguardingAlerts; config: ServerConfig; now: () => number }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#moderators = deps.moderators;
    this.#alerts = deps.alerts;
    this.#config = deps.config;
    this.#now = deps.now;
  }

  /**
   * Signs in the identity a completed sign-in proved (OidcService.finish): its role from the
   * claims, its account created on the first sign-in, then a moderator session exactly as a
   * password login gives (ModeratorService.loginVouched).
   */
  async signIn(identityHash: string, claims: Claims, place: LoginPlace): Promise<ModeratorLogin> {
    const settings = this.#config.settings.oidc.moderators;
    if (!settings.enabled) throw new AppError(404, 'oidc_not_offered', 'This space does not offer that sign-in.');
    const role = roleFromClaims(claims, settings.roles);
    if (!role) {
      await this.#audit.record(SSO_ACTOR, { action: 'moderator.login_failed', target: null, details: { problem: 'no_role', via: 'sso' } });
      throw new AppError(403, 'sso_no_role', 'Your school account has no moderator role in this space.');
    }
    const link = await this.#link(identityHash, claims);
    if (CONFIRMED_ROLES.has(role) && link.confirmed_role !== role) {
      if (link.pending_role !== role) {
        await this.#audit.transaction(async (trx, record) => {
          await trx.updateTable('moderator_sso').set({ pending_role: role }).where('identity_hash', '=', identityHash).execute();
          await record(SSO_ACTOR, { action: 'moderator.sso_pending', target: target(link.username), details: { role } });
        });
      }
      throw new AppError(
        403,
        'sso_confirmation_required',
        `The ${role} role is never given by the school sign-in alone: an owner confirms it once, on the server, with "strangerchat mod sso confirm ${link.username}". Then sign in again.`,
        { username: link.username, role },
      );
    }
    const moderatorId = link.moderator_id ? await this.#update(link, role) : await this.#create(link, role);
    await this.#db.updateTable('moderator_sso').set({ last_sign_in_at: this.#now() }).where('identity_hash', '=', identityHash).execute();
    return this.#moderators.loginVouched(moderatorId, place);
  }

  /** The identity's row, made on its first sign-in with a username no one else has. */
  async #link(identityHash: string, claims: Claims): Promise<ModeratorSsoTable> {
    const found = await this.#db.selectFrom('moderator_sso').selectAll().where('identity_hash', '=', identityHash).executeTakeFirst();
    if (found) return found;
    const row: ModeratorSsoTable = {
      identity_hash: identityHash,
      username: await this.#freeUsername(usernameFromClaims(claims, this.#config.settings.oidc.moderators.usernameClaim)),
      moderator_id: null,
      pending_role: null,
      confirmed_role: null,
      created_at: this.#now(),
      last_sign_in_at: null,
    };
    try {
      await this.#db.insertInto('moderator_sso').values(row).execute();
    } catch (error) {
      // Two first sign-ins at once (or a name taken meanwhile): the row that won is the one.
      if (!isUniqueViolation(error)) throw error;
      const raced = await this.#db.selectFrom('moderator_sso').selectAll().where('identity_hash', '=', identityHash).executeTakeFirst();
      if (!raced) throw new AppError(409, 'conflict', 'Another sign-in took this username just now; please sign in again.');
      return raced;
    }
    return row;
  }

  /** `base`, else `base-2` … : free among both the accounts and the SSO identities. */
  async #freeUsername(base: string, db: Db = this.#db): Promise<string> {
    for (let n = 1; n <= USERNAME_TRIES; n++) {
      const name = n === 1 ? base : `${base.slice(0, 28)}-${n}`;
      const account = await db.selectFrom('moderators').select('id').where('username', '=', name).executeTakeFirst();
      const link = await db.selectFrom('moderator_sso').select('identity_hash').where('username', '=', name).executeTakeFirst();
      if (!account && !link) return name;
    }
    throw new AppError(409, 'username_taken', `No free username near ${base}: ask an owner to create the account by hand.`);
  }

  /** The account of a first sign-in (or of a confirmation): created, linked and audited together. */
  async #create(link: ModeratorSsoTable, role: Role, actor: Actor | string = SSO_ACTOR): Promise<string> {
    const { id, change } = await this.#audit.transaction(async (trx, record) => {
      // A password account may have taken the proposed name since: never join it, take another.
      const taken = await trx.selectFrom('moderators').select('id').where('username', '=', link.username).executeTakeFirst();
      const username = taken ? await this.#freeUsername(link.username, trx) : link.username;
      const row: ModeratorsTable = {
        id: randomUUID(),
        username,
        role,
        password_hash: SSO_PASSWORD_HASH,
        must_change_password: 0,
        created_at: this.#now(),
        created_by: SSO_ACTOR,
        disabled_at: null,
        email: null,
      };
      await trx.insertInto('moderators').values(row).execute();
      await trx.updateTable('moderator_sso').set({ moderator_id: row.id, username }).where('identity_hash', '=', link.identity_hash).execute();
      await record(actor, { action: 'moderator.create', target: target(username), details: { role, via: 'sso' } });
      return { id: row.id, change: role === 'safeguarding' ? this.#change('moderator.create', actor, row.id, username) : undefined };
    });
    if (change) await this.#alerts.send(change);
    return id;
  }

  /** The linked account, given the role its claims ask for now (a role change is audited). */
  async #update(link: ModeratorSsoTable, role: Role, actor: Actor | string = SSO_ACTOR): Promise<string> {
    const change = await this.#audit.transaction(async (trx, record) => {
      const account = await trx.selectFrom('moderators').select(['id', 'username', 'role', 'disabled_at']).where('id', '=', link.moderator_id!).executeTakeFirstOrThrow();
      // A disabled account stays as it is: loginVouched refuses it.
      if (account.role === role || account.disabled_at !== null) return undefined;
      await trx.updateTable('moderators').set({ role }).where('id', '=', account.id).execute();
      await record(actor, { action: 'moderator.set_role', target: target(account.username), details: { from: account.role, to: role, via: 'sso' } });
      const safeguarding = account.role === 'safeguarding' || role === 'safeguarding';
      return safeguarding ? { ...this.#change('moderator.set_role', actor, account.id, account.username), roles: { from: account.role, to: role } } : undefined;
    });
    if (change) await this.#alerts.send(change);
    return link.moderator_id!;
  }

  #change(action: string, actor: Actor | string, moderatorId: string, username: string): SafeguardingChange {
    return { action, actor: typeof actor === 'string' ? actor : actor.name, moderatorId, username, at: this.#now() };
  }

  /** Every identity that signed in to /mod with the provider, and what awaits confirmation. */
  async list(actor: Actor): Promise<SsoAccount[]> {
    assertCan(actor.role, 'moderators.list');
    const rows = await this.#db
      .selectFrom('moderator_sso')
      .leftJoin('moderators', 'moderators.id', 'moderator_sso.moderator_id')
      .select(['moderator_sso.username', 'moderator_sso.pending_role', 'moderator_sso.confirmed_role', 'moderator_sso.created_at', 'moderator_sso.last_sign_in_at', 'moderators.role', 'moderators.disabled_at'])
      .orderBy('moderator_sso.created_at')
      .execute();
    return rows.map((row) => ({
      username: row.username,
      role: (row.role ?? null) as Role | null,
      disabled: row.disabled_at !== null && row.disabled_at !== undefined,
      pendingRole: (row.pending_role ?? null) as Role | null,
      confirmedRole: (row.confirmed_role ?? null) as Role | null,
      createdAt: Number(row.created_at),
      lastSignInAt: row.last_sign_in_at === null ? null : Number(row.last_sign_in_at),
    }));
  }

  /**
   * An owner confirms the owner or safeguarding role the claims of `username` asked for: it is
   * recorded for that identity, and the account gets it (created if it had none). The claims must
   * still ask for it at each sign-in; confirming is needed once.
   */
  async confirm(username: string, actor: Actor): Promise<SsoAccount> {
    assertCan(actor.role, 'moderators.confirm_sso');
    const name = username.trim().toLowerCase();
    const link = await this.#db.selectFrom('moderator_sso').selectAll().where('username', '=', name).executeTakeFirst();
    if (!link) throw new AppError(404, 'not_found', `No school sign-in by ${name}: it appears after their first sign-in at /mod (strangerchat mod sso list).`);
    const role = link.pending_role as Role | null;
    if (!role) throw new AppError(409, 'nothing_to_confirm', `${name} awaits no confirmation${link.confirmed_role ? ` (${link.confirmed_role} is confirmed already)` : ''}.`);
    await this.#audit.transaction(async (trx, record) => {
      const spent = await trx.updateTable('moderator_sso').set({ confirmed_role: role, pending_role: null }).where('identity_hash', '=', link.identity_hash).where('pending_role', '=', role).executeTakeFirst();
      if (Number(spent.numUpdatedRows) !== 1) throw new AppError(409, 'conflict', 'The request changed meanwhile; list it again.');
      await record(actor, { action: 'moderator.sso_confirm', target: target(link.username), details: { role } });
    });
    if (link.moderator_id) await this.#update(link, role, actor);
    else await this.#create(link, role, actor);
    // A new or re-roled safeguarding account has been announced to the safeguarding accounts above.
    const confirmed = await this.#db.selectFrom('moderator_sso').select('username').where('identity_hash', '=', link.identity_hash).executeTakeFirstOrThrow();
    return (await this.list(actor)).find((account) => account.username === confirmed.username)!;
  }
}
