// The permission matrix: role × action, in one place. HTTP routes and CLI commands ask `can`.
import { AppError } from '../errors.ts';

export const ROLES = ['owner', 'admin', 'moderator', 'safeguarding', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Report reasons whose evidence only the safeguarding role may open. */
export const SENSITIVE_REASONS: ReadonlySet<string> = new Set(['minor', 'illegal']);

const ALL: readonly Role[] = ROLES;
const STAFF: readonly Role[] = ['owner', 'admin', 'moderator', 'safeguarding'];
const MANAGERS: readonly Role[] = ['owner', 'admin'];

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
  'audit.read': ALL,
  'moderators.list': MANAGERS,
  /** Create, disable, reset passwords of, and change roles of accounts (never an owner, unless an owner). */
  'moderators.manage': MANAGERS,
  'config.manage': ['owner'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof PERMISSIONS;
export const ACTIONS = Object.keys(PERMISSIONS) as Action[];

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

/** Only an owner may create, change or disable an owner; admins manage everyone else. */
export function canManageRole(actor: Role, target: Role): boolean {
  if (!can(actor, 'moderators.manage')) return false;
  return target !== 'owner' || actor === 'owner';
}
