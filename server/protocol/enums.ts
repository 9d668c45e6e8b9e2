// The wire's enums, written once: services, routes, the web client (which imports this file for
// its values: it pulls in no schema library) and the CLI read them from here.

/** Moderator roles, from the most to the least powerful (permissions.ts says what each may do). */
export const ROLES = ['owner', 'admin', 'moderator', 'safeguarding', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Everything a moderator may be allowed to do (server/access/permissions.ts maps each to its roles). */
export const ACTIONS = [
  'stats.read',
  'reports.list',
  'reports.view',
  'evidence.view',
  'evidence.view_sensitive',
  'evidence.export',
  'reports.resolve',
  'bans.list',
  'bans.add',
  'bans.remove',
  'appeals.list',
  'appeals.decide',
  'invites.list',
  'invites.create',
  'invites.revoke',
  'sessions.list',
  'sessions.kill',
  'announce',
  'duty.list',
  'duty.set',
  'site.pause',
  'alerts.list',
  'alerts.acknowledge',
  'audit.read',
  'moderators.list',
  'moderators.manage',
  'moderators.confirm_sso',
  'config.manage',
] as const;
export type Action = (typeof ACTIONS)[number];

/** What raises a safeguarding alert: a `minor` or `illegal` report, a repeat report, a quarantine, a refused age-group switch. */
export const ALERT_KINDS = ['report_sensitive', 'report_repeat', 'quarantine', 'band_switch'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Where a moderator went on duty: the dashboard (while it renews it) or the terminal (for set hours). */
export const DUTY_VIAS = ['dashboard', 'terminal'] as const;
export type DutyVia = (typeof DUTY_VIAS)[number];

/** `no_access`: no site at all; `no_matching`: may read the site, never paired. */
export const BAN_SEVERITIES = ['no_access', 'no_matching'] as const;

/** What a ban is on: an address (an IPv6 address means its /64), a range, a device, a verified identity. */
export const BAN_TARGET_KINDS = ['ip', 'cidr', 'device', 'identity'] as const;
export type BanTargetKind = (typeof BAN_TARGET_KINDS)[number];

/** Where a ban stands now. */
export const BAN_STATUSES = ['active', 'expired', 'lifted'] as const;
export type BanStatus = (typeof BAN_STATUSES)[number];

export const REPORT_STATUSES = ['open', 'resolved'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** How a moderator closes a report. */
export const RESOLUTIONS = ['dismiss', 'ban', 'lift_quarantine'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** Which of the reported person's identifiers a ban from a report targets (`network`: the surrounding /24 or /48). */
export const REPORT_BAN_TARGETS = ['device', 'address', 'identity', 'network'] as const;
export type ReportBanTarget = (typeof REPORT_BAN_TARGETS)[number];

export const APPEAL_STATUSES = ['open', 'upheld', 'lifted'] as const;
export type AppealStatus = (typeof APPEAL_STATUSES)[number];
export const APPEAL_DECISIONS = ['uphold', 'lift'] as const;
export type AppealDecision = (typeof APPEAL_DECISIONS)[number];

export const INVITE_STATUSES = ['active', 'expired', 'used_up', 'revoked'] as const;
export type InviteStatus = (typeof INVITE_STATUSES)[number];

/** Why a ban could shut out more than the person it is meant for (server/moderation/lockout.ts). */
export const LOCKOUT_RISKS = ['loopback', 'trusted_proxy', 'own_address', 'private_range', 'wide_range'] as const;
export type LockoutRiskCode = (typeof LOCKOUT_RISKS)[number];

/**
 * What `audit verify` found wrong (docs/moderation.md): a changed row, deleted rows in the middle,
 * at the start without a purge recording it, or at the end, an emptied log, a witness's entry not
 * found, or a head in the data folder that cannot be read.
 */
export const AUDIT_FINDINGS = ['edited_row', 'missing_rows', 'missing_oldest_rows', 'truncated_tail', 'emptied', 'expected_not_found', 'head_unreadable'] as const;
export type AuditFinding = (typeof AUDIT_FINDINGS)[number];
