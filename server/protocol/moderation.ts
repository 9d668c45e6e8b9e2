// The moderators' HTTP API (/api/mod/…, the /mod dashboard), the ban screen's and the appeal
// form's, as they travel: the enums (written once here; services, routes, the web client and the
// CLI's --json all read these), the request bodies' schemas, and the answers' shapes. The routes
// validate with these schemas; the web client and the CLI import only from server/protocol/.
import { z } from 'zod';
import { ReportReason } from './messages.ts';

// --- Enums (server/protocol/enums.ts, which pulls in no schema library, for the web client) ---

export * from './enums.ts';
import { APPEAL_DECISIONS, APPEAL_STATUSES, BAN_SEVERITIES, BAN_STATUSES, REPORT_BAN_TARGETS, REPORT_STATUSES, RESOLUTIONS, ROLES } from './enums.ts';
import type { AlertKind, AppealStatus, AuditFinding, BanStatus, BanTargetKind, DutyVia, InviteStatus, LockoutRiskCode, ReportStatus, Resolution, Role } from './enums.ts';
/** A ban's severity, as a schema. */
export const BanSeverity = z.enum(BAN_SEVERITIES);
export type BanSeverity = (typeof BAN_SEVERITIES)[number];

// --- Limits of the bodies ---

export const BAN_REASON_MAX_LENGTH = 500;
export const BAN_NOTE_MAX_LENGTH = 1000;
export const RESOLUTION_NOTE_MAX_LENGTH = 1000;
export const APPEAL_MESSAGE_MAX_LENGTH = 2000;
export const DECISION_NOTE_MAX_LENGTH = 1000;
export const ANNOUNCEMENT_MAX_LENGTH = 500;
export const KILL_REASON_MAX_LENGTH = 500;
export const MAX_INVITE_USES = 100_000;
/** An audit entry's hash: 64 hex digits. */
export const AUDIT_HASH = /^[0-9a-f]{64}$/;
/** A page of the bans list: the default and the largest. */
export const BANS_PAGE_DEFAULT = 50;
export const BANS_PAGE_MAX = 500;
/** Most audit entries one request returns. */
export const AUDIT_PAGE_MAX = 1000;

// --- Request bodies and queries ---

/** `POST /api/mod/login`. */
export const LoginBody = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });
/** `POST /api/mod/password`. */
export const PasswordBody = z.strictObject({ current: z.string().min(1).max(256), next: z.string().min(1).max(256) });
/** `POST /api/mod/invites`. */
export const InviteBody = z.strictObject({
  uses: z.number().int().min(1).max(MAX_INVITE_USES),
  expiresInHours: z.number().positive().max(24 * 365).nullable().optional(),
  note: z.string().max(200).optional(),
});
const Email = z.string().trim().max(254);
/** `POST /api/mod/moderators`. */
export const ModeratorBody = z.strictObject({
  username: z.string().min(1).max(64),
  role: z.enum(ROLES),
  password: z.string().min(1).max(256).optional(),
  email: Email.nullable().optional(),
});
/** `PATCH /api/mod/moderators/:username`: a new role, or an address (null removes it): one change, one audit entry. */
export const AccountChangeBody = z.union([z.strictObject({ role: z.enum(ROLES) }), z.strictObject({ email: Email.nullable() })]);

/** `POST /api/mod/bans`. */
export const AddBanBody = z.strictObject({
  /** `203.0.113.7`, `2001:db8::1` (its /64), `198.51.100.0/24`, `device:<id>`, `identity:<hash>`. */
  target: z.string().min(1).max(200),
  reason: z.string().max(BAN_REASON_MAX_LENGTH),
  severity: BanSeverity.optional(),
  /** `30m`, `12h`, `7d`, `2w`, `permanent`; null or absent for a permanent ban. */
  duration: z.string().max(40).nullable().optional(),
  note: z.string().max(BAN_NOTE_MAX_LENGTH).nullable().optional(),
});
/** `DELETE /api/mod/bans/:id`. */
export const LiftBanBody = z.strictObject({ reason: z.string().max(BAN_REASON_MAX_LENGTH).optional() });
/** `GET /api/mod/bans`. */
export const BanListQuery = z.object({
  status: z.enum([...BAN_STATUSES, 'all']).default('active'),
  limit: z.coerce.number().int().min(1).max(BANS_PAGE_MAX).default(BANS_PAGE_DEFAULT),
  offset: z.coerce.number().int().min(0).default(0),
});

/** `GET /api/mod/reports`. */
export const ReportListQuery = z.object({
  status: z.enum([...REPORT_STATUSES, 'all']).default('open'),
  reason: ReportReason.optional(),
  band: z.enum(['minor', 'adult']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
/** `POST /api/mod/reports/:id/resolve`: a ban comes with `ban`, and only a ban does. */
export const ResolveBody = z
  .strictObject({
    action: z.enum(RESOLUTIONS),
    note: z.string().max(RESOLUTION_NOTE_MAX_LENGTH).optional(),
    ban: z
      .strictObject({
        target: z.enum(REPORT_BAN_TARGETS),
        severity: BanSeverity.default('no_access'),
        /** `30m`, `12h`, `7d`, `2w`, `permanent`; null or absent for no expiry. */
        duration: z.string().max(40).nullable().optional(),
        reason: z.string().trim().min(1).max(BAN_REASON_MAX_LENGTH),
      })
      .optional(),
  })
  .refine((body) => (body.action === 'ban') === (body.ban !== undefined), { path: ['ban'], message: 'is required for a ban, and only for a ban' });

/** `POST /api/appeals` (the banned person's form). */
export const AppealBody = z.strictObject({ message: z.string().trim().min(1).max(APPEAL_MESSAGE_MAX_LENGTH) });
/** `GET /api/mod/appeals`. */
export const AppealListQuery = z.object({
  status: z.enum([...APPEAL_STATUSES, 'decided', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
/** `POST /api/mod/appeals/:id/decide`. */
export const DecideBody = z.strictObject({ decision: z.enum(APPEAL_DECISIONS), note: z.string().trim().min(1).max(DECISION_NOTE_MAX_LENGTH) });

const Millis = z.coerce.number().int().min(0).max(8_640_000_000_000_000);
/** `GET /api/mod/audit`. */
export const AuditQuery = z.strictObject({
  since: Millis.optional(),
  until: Millis.optional(),
  action: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).optional(),
  beforeId: z.coerce.number().int().min(1).optional(),
});
/** `GET /api/mod/audit/verify`; `expect`: an entry hash a witness kept outside the instance (`strangerchat audit head`). */
export const VerifyQuery = z.strictObject({ expect: z.string().toLowerCase().regex(AUDIT_HASH, 'must be an entry hash: 64 hex digits').optional() });
/** `POST /api/mod/announce`. */
export const AnnounceBody = z.strictObject({ text: z.string().trim().min(1).max(ANNOUNCEMENT_MAX_LENGTH) });
/** `POST /api/mod/sessions/:id/kill`. */
export const KillBody = z.strictObject({ reason: z.string().max(KILL_REASON_MAX_LENGTH).optional() });
/** `POST /api/mod/purge`. */
export const PurgeBody = z.strictObject({ dryRun: z.boolean().optional() });

// --- Answers ---

/** A ban, as every reader sees it (times in ms since the epoch). */
export interface Ban {
  id: string;
  targetKind: BanTargetKind;
  target: string;
  reason: string;
  severity: BanSeverity;
  note: string | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  liftedAt: number | null;
  liftedBy: string | null;
  reportId: string | null;
  quarantine: boolean;
}

/** A ban as the dashboard and `ban list --json` show it: every field, and whether it still applies. */
export type BanView = Ban & { status: BanStatus };

/** One reason a ban could shut out more than the person it is meant for. */
export interface LockoutRisk {
  code: LockoutRiskCode;
  /** For a person: what the ban covers and what that would do. */
  message: string;
}

/** The answer of `GET /api/ban` (the ban screen). */
export type BanStatusResponse = { banned: false } | { banned: true; reason: string; until: number | null; severity: BanSeverity; appealUrl: string };

/** One side of a report as moderators see it. */
export interface ReportParty {
  sessionId: string;
  deviceId: string | null;
  identityHash: string | null;
  /** Null once retention removed it. */
  address: string | null;
}

/** A report in the queue (no evidence). */
export interface ReportSummary {
  id: string;
  createdAt: number;
  reason: string;
  /** The reporter's note; null when there is none, or when it is withheld (see noteWithheld). */
  note: string | null;
  /** True when the report has a note this answer does not show: a sensitive report's note is evidence. */
  noteWithheld: boolean;
  status: ReportStatus;
  mode: string | null;
  /** The reported person's pairing band. */
  reportedBand: string | null;
  /** Only the safeguarding role may open this report's evidence. */
  sensitive: boolean;
  frames: number;
  /** The reported person is under an active automatic quarantine. */
  quarantined: boolean;
  /** Reporter and reported were on one network (one person's two sessions, or one NAT): not counted toward quarantine. */
  sameNetwork: boolean;
  resolution: Resolution | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

export interface ReportDetails extends ReportSummary {
  conversationId: string;
  resolutionNote: string | null;
  reporter: ReportParty;
  reported: ReportParty;
  /** Reports against the same device, this one included. */
  reportsAgainstReported: number;
  /** Active quarantine bans on the reported person. */
  quarantineBanIds: string[];
  /** Refused attempts of the reported person's device or identity to start a session in the other age band. */
  reportedBandSwitches: number;
  evidencePurged: boolean;
}

export interface TranscriptEntry {
  by: 'reporter' | 'reported';
  text: string;
  at: number;
}

export interface ReportEvidence {
  transcript: TranscriptEntry[];
  frames: Array<{ idx: number; size: number; createdAt: number }>;
}

/** A report opened by a moderator: evidence only when their role may see it. */
export interface OpenedReport {
  report: ReportDetails;
  evidence: ReportEvidence | null;
  /** True when evidence exists but this role may not open it. */
  evidenceHidden: boolean;
}

/** Everything a report holds, for a referral: what `reports export` writes (safeguarding only). */
export interface EvidenceExport {
  report: ReportDetails;
  /** Null once retention removed the evidence. */
  transcript: TranscriptEntry[] | null;
  frames: Array<{ idx: number; createdAt: number; jpeg: Uint8Array }>;
  /** Bans made from this report, and the automatic quarantines on the reported person. */
  bans: Ban[];
  /** The audit entries about the report and those bans, oldest first, this export's own included. */
  audit: AuditEntry[];
  exportedAt: number;
  exportedBy: string;
}

export interface ResolveResult {
  report: ReportDetails;
  ban?: Ban;
  /** Quarantine bans lifted by this resolution. */
  liftedBanIds: string[];
}

/** One entry of the audit log. */
export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  hash: string;
}

/** The newest entry of the audit chain: what an outside witness keeps. */
export interface AuditHead {
  id: number;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Rows checked. */
  rows: number;
  /** What was found wrong. */
  finding?: AuditFinding;
  /** The first row that does not verify, or that should be there and is not. */
  badRowId?: number;
  problem?: string;
  /** Set when older rows were purged by retention: the chain is checked from this row on. */
  anchoredAt?: number;
  /** Rows written before entries were MACed (hash-chained only). */
  unkeyedRows: number;
  /** The newest row: what an outside witness keeps. Null for an empty log. */
  last: AuditHead | null;
  /** The head recorded in the data folder (null before the first entry of this version). */
  recordedHead: AuditHead | null;
}

/** What the banned person sees of their appeal. */
export interface OwnAppeal {
  id: string;
  status: AppealStatus;
  createdAt: number;
  decidedAt: number | null;
  /** Once decided: when the same ban may be appealed again (ms); null while open. */
  nextAppealAt: number | null;
}

/** An appeal as moderators see it, with the ban it is about. */
export interface Appeal extends OwnAppeal {
  message: string;
  decidedBy: string | null;
  decisionNote: string | null;
  ban: Pick<Ban, 'id' | 'targetKind' | 'target' | 'reason' | 'severity' | 'createdBy' | 'createdAt' | 'expiresAt' | 'liftedAt' | 'reportId' | 'quarantine'> | null;
}

export interface Invite {
  id: string;
  /** The first group of the code, to tell invites apart. */
  hint: string;
  maxUses: number;
  usedCount: number;
  expiresAt: number | null;
  note: string | null;
  createdBy: string;
  createdAt: number;
  revokedAt: number | null;
  status: InviteStatus;
}

/** A moderator account. */
export interface Moderator {
  id: string;
  username: string;
  role: Role;
  mustChangePassword: boolean;
  createdAt: number;
  createdBy: string;
  disabledAt: number | null;
  /** Where safeguarding alerts reach the account; null when none was given. */
  email: string | null;
}

/** The moderation figures the dashboard shows next to the live ones. */
export interface ModerationCounts {
  openReports: number;
  openAppeals: number;
  /** Bans neither lifted nor expired, quarantines included. */
  activeBans: number;
  /** Safeguarding alerts nobody has acknowledged yet. */
  openAlerts: number;
}

// --- On duty, and the safeguarding alerts (/api/mod/availability, /api/mod/alerts, `mod duty --json`) ---

/** Someone on duty. */
export interface OnDuty {
  /** The account's username, or `cli:<os user>`. */
  name: string;
  via: DutyVia;
  since: number;
  until: number;
}

/** An alert as moderators see it. */
export interface Alert {
  id: string;
  kind: AlertKind;
  /** What it is about: `report:<id>`, `device:<id>`, `identity:<hash>`. */
  subject: string;
  reportId: string | null;
  banId: string | null;
  /** Ids and counts: the report's reason, earlier reports, reporters, the bands of a switch. */
  details: Record<string, unknown>;
  createdAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgeNote: string | null;
  /** Its deliveries: how many went, wait, or failed. */
  deliveries: { sent: number; pending: number; failed: number };
}

/** The alert deliveries' state (doctor, the dashboard). */
export interface DeliveryHealth {
  /** Deliveries marked failed in the last DELIVERY_HEALTH_DAYS days (moderation/alerts.ts). */
  failed: number;
  /** Waiting for their (next) attempt. */
  pending: number;
  /** The latest failure: its channel, where (a webhook URL, or `e-mail to <username>`), the code, when. */
  lastFailure: { channel: string; target: string; error: string | null; at: number } | null;
}

/** What a purge removed (or, in a dry run, would remove), per category: `purge --json`. */
export interface RetentionCounts {
  /** Reports whose evidence (transcript, frames, note) was removed. */
  evidence: number;
  /** Decided appeals whose text was removed (the decision stays). */
  appeals: number;
  /** Chat sessions, reports and moderator logins whose addresses were cleared. */
  addresses: number;
  /** Audit entries deleted. */
  audit: number;
  /** Chat sessions deleted. */
  sessions: number;
  /** Used or expired WebSocket tickets deleted. */
  tickets: number;
  /** Ended or expired moderator logins deleted. */
  moderatorSessions: number;
  /** Used or expired e-mail links deleted. */
  emailVerifications: number;
  /** Moderation feed events deleted. */
  events: number;
  /** Expired "never pair again" entries deleted (address entries, and any past the address period). */
  avoids: number;
  /** Expired age-band locks deleted. */
  bandLocks: number;
}
