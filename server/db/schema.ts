// Table types for Kysely. Times are integer milliseconds since the epoch; ids are text.
import type { Generated } from 'kysely';

export interface SessionsTable {
  id: string;
  device_id: string;
  /** `minor` (under 18) or `adult`: the pairing band. */
  age_band: string;
  age: number;
  address: string;
  created_at: number;
  ended_at: number | null;
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
}

export interface ModerationEventsTable {
  /** Monotonic: every process reads events above the last id it has seen. */
  id: Generated<number>;
  kind: string;
  /** JSON payload, e.g. `{"sessionId":"…"}`. */
  payload: string;
  created_at: number;
}

export interface Database {
  sessions: SessionsTable;
  tickets: TicketsTable;
  reports: ReportsTable;
  moderation_events: ModerationEventsTable;
}
