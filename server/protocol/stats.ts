// The figures' wire shapes: `strangerchat stats --json` (InstanceStats), the yearly transparency
// report (TransparencyReport, also behind /transparency). Stable: scripts read them.
import type { AlertKind } from './enums.ts';
import type { Resolution } from './moderation.ts';

/** One UTC day of a period. */
export interface DayStats {
  day: string;
  sessions: number;
  conversations: number;
  textConversations: number;
  videoConversations: number;
  reports: number;
  /** Bans by moderators (from reports or not); automatic quarantines are counted apart. */
  bans: number;
  quarantines: number;
  filteredMessages: number;
}

/** The pairing bands the figures are split by (`unknown` for sessions from before bands were kept). */
export const STATS_BANDS = ['minor', 'adult', 'unknown'] as const;
export type StatsBand = (typeof STATS_BANDS)[number];
export type ByBand = Record<StatsBand, number>;

/** The stable shape of `strangerchat stats --json`. */
export interface InstanceStats {
  period: { from: number; to: number; days: number };
  generatedAt: number;
  days: DayStats[];
  usage: {
    sessions: number;
    conversations: number;
    textConversations: number;
    videoConversations: number;
    /** Distinct devices that started a session, per month of the period (UTC months). */
    monthlyActiveDevices: Array<{ month: string; devices: number }>;
    averageMonthlyActiveDevices: number | null;
  };
  reports: {
    total: number;
    open: number;
    byReason: Record<string, number>;
    byBand: ByBand;
    byReasonAndBand: Record<string, ByBand>;
    outcomes: Record<Resolution, number>;
  };
  /** From a report's filing to the first moderator who opened its evidence or resolved it. */
  firstAction: { actedOn: number; waiting: number; medianMs: number | null; p90Ms: number | null };
  bans: {
    /** Bans placed by moderators in the period: from a report, or on their own initiative. */
    total: number;
    fromReports: number;
    ownInitiative: number;
    byTarget: Record<string, number>;
    liftedSince: number;
    activeNow: number;
  };
  /** Automatic quarantines (several distinct reporters in a short window) and what became of them. */
  quarantines: { total: number; confirmedByBan: number; liftedByModerator: number; expired: number; awaitingReview: number };
  filteredMessages: { total: number; byReason: Record<string, number> };
  appeals: { total: number; open: number; upheld: number; lifted: number; medianDecisionMs: number | null };
  /** Safeguarding alerts raised in the period, and how long they waited for a moderator to acknowledge them. */
  alerts: { total: number; byKind: Record<AlertKind, number>; acknowledged: number; unacknowledged: number; medianAcknowledgeMs: number | null; p90AcknowledgeMs: number | null };
}

/**
 * The same figures as a yearly transparency report, in the order of what DSA Art. 15(1) and
 * Art. 24 ask of a provider. What strangerchat cannot know (orders from authorities, out-of-court
 * disputes) is null: the operator adds it.
 */
export interface TransparencyReport {
  period: { from: number; to: number };
  generatedAt: number;
  /** Art. 15(1)(a): orders from Member States' authorities (not recorded by strangerchat). */
  authorityOrders: null;
  /** Art. 15(1)(b), Art. 16: notices, i.e. the reports people filed from a conversation. */
  notices: { total: number; byReason: Record<string, number>; actions: Record<Resolution | 'open', number>; trustedFlaggers: 0; processedAutomatically: number; medianTimeToActionMs: number | null };
  /** Art. 15(1)(c): moderation on the provider's own initiative. */
  ownInitiative: { bansByModerators: number; automaticQuarantines: number; filteredMessages: number };
  /** Art. 15(1)(d), Art. 20: complaints (appeals of bans) and their outcomes. */
  complaints: { total: number; upheld: number; reversed: number; open: number; medianDecisionMs: number | null };
  /** Art. 15(1)(e): automated means, with what indicates their accuracy. */
  automatedMeans: {
    messageFilter: { blocked: number; byReason: Record<string, number> };
    quarantine: { total: number; confirmedByBan: number; liftedByModerator: number; awaitingReview: number; expired: number; liftedShare: number | null };
  };
  /** Art. 24(1)(a): disputes before out-of-court settlement bodies (not recorded by strangerchat). */
  outOfCourtDisputes: null;
  /** Art. 24(1)(b), Art. 23: suspensions (bans) for misuse. */
  suspensions: number;
  /** Art. 24(2): average monthly active recipients (distinct devices per month). */
  averageMonthlyActiveRecipients: number | null;
}
