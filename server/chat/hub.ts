// The Hub: pairing and relaying between live connections. This is the one place that holds
// cross-connection state. Commands are fire-and-forget; their outcomes reach people as
// protocol messages through the sink each person registered, so a Redis-backed Hub can
// implement the same interface asynchronously.
import type { ChatMode, EndedReason, ServerMessage, SignalData } from '../protocol/messages.ts';
import type { Avoid } from './avoids.ts';

/** Pairing band: the two are never paired across. */
export type AgeBand = 'minor' | 'adult';

/** A connected person as the Hub knows them. Identity comes from the server-side session. */
export interface Participant {
  /** Connection id (also sent in `welcome`). */
  id: string;
  sessionId: string;
  deviceId: string;
  band: AgeBand;
  /** The connection's client address (after the trusted-proxy rule), for bans and reports. */
  address?: string;
  /** Keyed hash of a verified e-mail identity, when the instance uses e-mail access. */
  identityHash?: string | null;
  /** When the device was first seen (its oldest session), for the shared-address avoid rule. */
  deviceSince?: number;
  /** This person's media must be relayed (a minor, or a relay-only instance): so must their conversation's. */
  relayOnly?: boolean;
}

/** Where the Hub delivers messages for one person. */
export interface ParticipantSink {
  /**
   * `encoded`, when given, is `message` already serialised (UTF-8 JSON): a relayed frame that can
   * go out as the sender wrote it, without being serialised again.
   */
  send(message: ServerMessage, encoded?: Uint8Array): void;
}

export interface FindRequest {
  mode: ChatMode;
  interests: readonly string[];
}

/** One line of a conversation's server-held transcript (evidence for reports). */
export interface TranscriptLine {
  from: 'a' | 'b';
  sessionId: string;
  text: string;
  at: number;
}

/** A conversation as handed to a report: both sides and the transcript. */
export interface ConversationRecord {
  conversationId: string;
  mode: ChatMode;
  startedAt: number;
  endedAt: number | null;
  reporter: Participant;
  reported: Participant;
  transcript: TranscriptLine[];
  /** What the Hub now avoids because of this report (to be stored, so a restart keeps it). */
  avoids: Avoid[];
  /** The reported side's address looked shared (many devices at once) when the report was made. */
  reportedAddressShared: boolean;
}

export interface HubStats {
  online: number;
  queued: number;
  inConversation: number;
  conversations: number;
}

/** The pairing and relay contract (DESIGN.md). */
export interface Hub {
  /** Registers a live connection. */
  connect(participant: Participant, sink: ParticipantSink): void;
  /** Removes a connection at once: its queue entry goes, its conversation ends with `disconnected`. */
  disconnect(id: string): void;
  /** Enters (or re-enters, with new choices) the queue. */
  enqueue(id: string, request: FindRequest): void;
  /** Ends the conversation (reason `next`) or leaves the queue, then finds again with the same choices. */
  next(id: string): void;
  /** Ends the conversation (reason `left`) or leaves the queue. */
  leave(id: string): void;
  /** Relays a message, signal or typing state to the partner; the Hub stamps the sender. */
  sendToPartner(id: string, message: PartnerMessage): void;
  /**
   * Ends the conversation for a report; the two are never paired again: by device and identity,
   * and by the reported side's address for a window (see avoids.ts). Returns the conversation
   * record (current, or the last one within the report grace period) with the avoids it made.
   */
  endForReport(id: string): ConversationRecord | undefined;
  /** Ends a person's conversation or queue entry for a system reason (ban, moderator, the space closing). */
  kick(id: string, reason: Extract<EndedReason, 'ban' | 'moderator' | 'closed'>): void;
  /** Takes a person out of the queue (only a queue in `mode`, when given); true when they were queued there. Nothing is sent. */
  dequeue(id: string, mode?: ChatMode): boolean;
  /** True when the person is in a conversation. */
  inConversation(id: string): boolean;
  /** Forbids pairing anyone holding `avoid.a` with anyone holding `avoid.b` (until it expires). */
  avoid(avoid: Avoid): void;
  /** Messages everyone online. */
  broadcast(message: ServerMessage): void;
  /** True when the person is neither queued nor in a conversation. */
  isIdle(id: string): boolean;
  stats(): HubStats;
  /** Connection ids of everyone online (for moderation sweeps). */
  participants(): Iterable<Participant>;
  close(): void;
}

export type PartnerMessage =
  | { type: 'message'; text: string }
  /** `encoded`: the sender's frame, when it is byte for byte a valid `signal` message for the partner. */
  | { type: 'signal'; data: SignalData; encoded?: Uint8Array }
  | { type: 'typing'; on: boolean };

export interface HubOptions {
  /** How long an entry with interests waits for a shared one before random pairing. */
  interestWaitMs: number;
  /** How long after a conversation its participants may still report it. */
  reportGraceMs: number;
  /** Transcript lines kept per side while a conversation lives. */
  transcriptLinesPerSide: number;
  /** How long a report keeps the reporter from the reported side's address; 0 for not at all. */
  reportedAddressAvoidMs: number;
  /** Distinct devices connected at once from one address that make it shared (a school's NAT). */
  sharedAddressDevices: number;
  /**
   * Asked of both people just before they are paired: false (a ban that arrived since the find,
   * an automatic quarantine written by this process) keeps the person out of every pairing.
   */
  mayPair?: (participant: Participant) => boolean;
  now: () => number;
  random: () => number;
  newId: () => string;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

export const HUB_DEFAULTS = { transcriptLinesPerSide: 50 } as const;

/** How long an address that was once seen shared stays counted as shared. */
export const SHARED_ADDRESS_MEMORY_MS = 24 * 3600_000;
