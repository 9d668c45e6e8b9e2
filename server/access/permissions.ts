// The permission matrix: role × action, and whose accounts each role manages, in one place.
// Services ask it; HTTP routes and CLI commands reach it only through them.
import { AppError } from '../errors.ts';
import { ROLES, type Action, type Role } from '../protocol/moderation.ts';

export { ACTIONS, ROLES, type Action, type Role } from '../protocol/moderation.ts';

/** Report reasons whose evidence only the safeguarding role may open. */
export const SENSITIVE_REASONS: ReadonlySet<string> = new Set(['minor', 'illegal']);

const ALL: readonly Role[] = ROLES;
const STAFF: readonly Role[] = ['owner', 'admin', 'moderator', 'safeguarding'];
/** Roles that manage some accounts (MANAGED_ROLES says whose). */
const MANAGERS: readonly Role[] = ['owner', 'admin', 'safeguarding'];

/** Who may do what. Read-only actions include the auditor; nothing that changes state does. */
export const PERMISSIONS = {
  'stats.read': ALL,
  'reports.list': ALL,
  'reports.view': ALL,
  /** Evidence (transcript, frames) of ordinary reports. */
  'evidence.view': STAFF,
  /** Evidence of `minor` and `illegal` reports: safeguarding only, by design. */
  'evidence.view_sensitive': ['safeguarding'],
  /** A report's evidence package for a referral (police, a child-protection officer): safeguarding only. */
  'evidence.export': ['safeguarding'],
  'reports.resolve': STAFF,
  'bans.list': ALL,
  'bans.add': STAFF,
  'bans.remove': STAFF,
  'appeals.list': ALL,
  'appeals.decide': STAFF,
  'invites.list': ALL,
  'invites.create': STAFF,
  'invites.revoke': STAFF,
  'sessions.list': ALL,
  'sessions.kill': STAFF,
  'announce': STAFF,
  /** Who is on duty, and whether the space is open (opening hours, a pause). */
  'duty.list': ALL,
  /** Going on and off duty oneself: those who can act on what they see. */
  'duty.set': STAFF,
  /** Closing the whole space for a while (`strangerchat pause`) and opening it again. */
  'site.pause': ['owner', 'admin', 'safeguarding'],
  /** The safeguarding alerts and the state of their deliveries. */
  'alerts.list': ALL,
  /** Acknowledging an alert; one about a `minor` or `illegal` report needs `evidence.view_sensitive` as well. */
  'alerts.acknowledge': STAFF,
  'audit.read': ALL,
  'moderators.list': MANAGERS,
  /** Create, disable, enable, reset, re-role and set the e-mail of accounts: which ones, MANAGED_ROLES says. */
  'moderators.manage': MANAGERS,
  /** Confirm the owner or safeguarding role a school sign-in asked for (moderator-sso.ts): a claim alone never grants them. */
  'moderators.confirm_sso': ['owner'],
  'config.manage': ['owner'],
} as const satisfies Record<Action, readonly Role[]>;

/**
 * Whose accounts each role manages. Owners manage every account. Admins manage everyone but
 * owners and safeguarding: the safeguarding role opens evidence about children, so an admin must
 * not be able to make an account safeguarding, or reset the safeguarding lead's password and sign
 * in as them. Safeguarding manages its own role only (a deputy, a leaver).
 */
export const MANAGED_ROLES: Readonly<Record<Role, readonly Role[]>> = {
  owner: ROLES,
  admin: ['admin', 'moderator', 'auditor'],
  safeguarding: ['safeguarding'],
  moderator: [],
  auditor: [],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function can(role: Role, action: Action): boolean {
  return (PERMISSIONS[action] as readonly Role[]).includes(role);
}

/** The action that guards a report's evidence, by its reason. */
export function evidenceAction(reason: string): Action {
  return SENSITIVE_REASONS.has(reason) ? 'evidence.view_sensitive' : 'evidence.view';
}

/** Throws a 403 `forbidden` that names the missing permission. */
export function assertCan(role: Role, action: Action): void {
  if (!can(role, action)) throw new AppError(403, 'forbidden', `Your role (${role}) does not allow ${action}.`);
}

/** Whether `actor` may create, change, enable, disable or reset an account of role `target` (MANAGED_ROLES). */
export function canManageRole(actor: Role, target: Role): boolean {
  return can(actor, 'moderators.manage') && MANAGED_ROLES[actor].includes(target);
}

/** Throws a 403 `forbidden` unless `actor` manages accounts of role `target`. */
export function assertCanManageRole(actor: Role, target: Role): void {
  if (!canManageRole(actor, target)) {
    const why = target === 'safeguarding' ? ': only an owner or a safeguarding account manages safeguarding accounts' : target === 'owner' ? ': only an owner manages owners' : '';
    throw new AppError(403, 'forbidden', `Your role (${actor}) cannot manage ${target} accounts${why}.`);
  }
}
