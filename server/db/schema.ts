// Table types for Kysely. Times are integer milliseconds since the epoch; ids are text.
import type { Generated } from 'kysely';

export interface SessionsTable {
  id: string;
  device_id: string;
  /** `minor` (under 18) or `adult`: the pairing band. */
  age_band: string;
  /** The declared age; NO_DECLARED_AGE (-1) when the band came from a school sign-in (no age is asked). */
  age: number;
  address: string;
  created_at: number;
  ended_at: number | null;
  /** Keyed hash of a verified e-mail address (email access mode) or school sign-in (iss|sub), never the address. */
  identity_hash: string | null;
  invite_id: string | null;
}

export interface TicketsTable {
  /** HMAC of the ticket: a leaked database does not yield usable tickets. */
  hash: string;
  session_id: string;
  expires_at: number;
  used_at: number | null;
}

export interface ReportsTable {
  id: string;
  conversation_id: string;
  reason: string;
  note: string | null;
  status: string;
  reporter_session_id: string;
  reported_session_id: string;
  /** JSON: the server-held transcript, both sides, with times. */
  transcript: string;
  evidence_token_hash: string;
  created_at: number;
  reporter_device_id: string | null;
  reported_device_id: string | null;
  reporter_identity_hash: string | null;
  reported_identity_hash: string | null;
  /** Cleared by retention after the address period. */
  reporter_address: string | null;
  reported_address: string | null;
  reported_age_band: string | null;
  mode: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  /** dismiss | ban | lift_quarantine */
  resolution: string | null;
  resolution_note: string | null;
  evidence_purged_at: number | null;
  /** 1 when reporter and reported were on one network (IPv4 address or IPv6 /64): not counted toward quarantine. */
  same_network: Generated<number>;
}

/** Who is never paired with whom after a report (server/chat/avoids.ts); the key order is as reported. */
export interface PairAvoidsTable {
  /** `device:<id>` or `identity:<hash>` of the reporter. */
  key_a: string;
  /** `device:<id>`, `identity:<hash>` or `address:<IPv4 or IPv6 /64>` of the reported side. */
  key_b: string;
  created_at: number;
  /** Null: for ever. */
  expires_at: number | null;
  /** 1 when key_b is an address that was shared when the report was filed. */
  shared: number;
  report_id: string | null;
}

/** The age band a device or identity last used, until when it sticks (server/access/age-bands.ts). */
export interface AgeBandLocksTable {
  /** `device:<id>` or `identity:<hash>`. */
  subject: string;
  band: string;
  declared_at: number;
  expires_at: number;
  /** Refused attempts to start a session in the other band. */
  switch_attempts: number;
  last_attempt_at: number | null;
}

export interface ReportFramesTable {
  report_id: string;
  idx: number;
  jpeg: Uint8Array;
  size: number;
  created_at: number;
}

export interface BansTable {
  id: string;
  target_kind: string;
  target: string;
  reason: string;
  severity: string;
  note: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  lifted_at: number | null;
  lifted_by: string | null;
  report_id: string | null;
  quarantine: number;
}

export interface AppealsTable {
  id: string;
  ban_id: string;
  message: string;
  status: string;
  created_at: number;
  decided_by: string | null;
  decided_at: number | null;
  decision_note: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  reason: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
  /** Keyed MAC of `hash` (see moderation/audit.ts); null on entries written before MACs existed. */
  mac: string | null;
}

export interface ModerationEventsTable {
  /** Monotonic: every process reads events above the last id it has seen. */
  id: Generated<number>;
  kind: string;
  /** JSON payload, e.g. `{"sessionId":"…"}`. */
  payload: string;
  created_at: number;
}

export interface ModeratorsTable {
  id: string;
  username: string;
  role: string;
  /** scrypt$N$r$p$salt$hash */
  password_hash: string;
  /** 1 when the password was generated and must be changed at the next login. */
  must_change_password: number;
  created_at: number;
  /** `moderator:<username>`, `cli:<os user>` or `init`. */
  created_by: string;
  disabled_at: number | null;
  /** Optional: where safeguarding alerts reach the account. */
  email: string | null;
}

export interface ModeratorSessionsTable {
  /** HMAC of the cookie value. */
  id_hash: string;
  moderator_id: string;
  csrf_token: string;
  address: string;
  created_at: number;
  expires_at: number;
  ended_at: number | null;
}

export interface InvitesTable {
  id: string;
  code_hash: string;
  hint: string;
  max_uses: number;
  used_count: number;
  expires_at: number | null;
  note: string | null;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
}

export interface EmailVerificationsTable {
  token_hash: string;
  identity_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A sign-in with the school's OpenID provider in flight (server/access/oidc.ts). */
export interface OidcSignInsTable {
  /** Keyed hash of the transaction id in the browser's cookie; state, nonce and PKCE verifier derive from that id. */
  id_hash: string;
  /** `member` or `moderator`. */
  purpose: string;
  created_at: number;
  expires_at: number;
  /** Set when the callback spent it: a replayed callback finds it used. */
  used_at: number | null;
}

/** A moderator who signs in with the school's provider (server/access/moderator-sso.ts). */
export interface ModeratorSsoTable {
  /** Keyed hash of iss|sub. */
  identity_hash: string;
  /** The account's username (proposed, until an account exists). */
  username: string;
  moderator_id: string | null;
  /** `owner` or `safeguarding` asked for by the claims, awaiting an owner's confirmation. */
  pending_role: string | null;
  /** `owner` or `safeguarding`, confirmed once by an owner from the terminal. */
  confirmed_role: string | null;
  created_at: number;
  last_sign_in_at: number | null;
}

/** Counts per UTC day (`2026-12-01`) or month (`2026-12`); numbers only, never about a person. */
export interface DailyCountsTable {
  day: string;
  /** e.g. `sessions`, `conversations.text`, `filtered.words`, `month.active_devices`. */
  metric: string;
  value: number;
}

/** Who is on duty, until when (server/moderation/duty.ts); a row past `expires_at` is off duty. */
export interface ModeratorDutyTable {
  /** `moderator:<account id>`, or `cli:<os user>` for the operator without --as. */
  holder: string;
  moderator_id: string | null;
  /** The username, or `cli:<os user>`. */
  name: string;
  /** dashboard (kept alive by the dashboard's heartbeat) | terminal (a set number of hours). */
  via: string;
  since: number;
  expires_at: number;
}

/** The operator's pauses of the whole site (server/access/availability.ts). */
export interface SitePausesTable {
  id: string;
  paused_at: number;
  paused_by: string;
  /** Null: until someone resumes. */
  until: number | null;
  message: string | null;
  resumed_at: number | null;
  resumed_by: string | null;
}

/** Safeguarding alerts (server/moderation/alerts.ts). */
export interface AlertsTable {
  id: string;
  /** report_sensitive | report_repeat | quarantine | band_switch */
  kind: string;
  /** `report:<id>`, `device:<id>` or `identity:<hash>`. */
  subject: string;
  report_id: string | null;
  ban_id: string | null;
  /** JSON: ids and counts only. */
  details: string | null;
  created_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  acknowledge_note: string | null;
}

/** The alerts' outbox: one row per e-mail recipient and per webhook (server/moderation/alert-delivery.ts). */
export interface AlertDeliveriesTable {
  id: string;
  alert_id: string;
  /** email | webhook */
  channel: string;
  /** `moderator:<account id>` (e-mail) or the webhook's URL. */
  target: string;
  /** pending | sent | failed */
  status: string;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  failed_at: number | null;
}

export interface Database {
  report_frames: ReportFramesTable;
  bans: BansTable;
  appeals: AppealsTable;
  audit_log: AuditLogTable;
  moderators: ModeratorsTable;
  moderator_sessions: ModeratorSessionsTable;
  invites: InvitesTable;
  email_verifications: EmailVerificationsTable;
  sessions: SessionsTable;
  tickets: TicketsTable;
  reports: ReportsTable;
  moderation_events: ModerationEventsTable;
  pair_avoids: PairAvoidsTable;
  age_band_locks: AgeBandLocksTable;
  daily_counts: DailyCountsTable;
  moderator_duty: ModeratorDutyTable;
  site_pauses: SitePausesTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
  oidc_sign_ins: OidcSignInsTable;
  moderator_sso: ModeratorSsoTable;
}
