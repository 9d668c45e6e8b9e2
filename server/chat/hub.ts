// The Hub: pairing and relaying between live connections, the one holder of cross-connection
// state, and the seam a networked implementation (a Redis Hub serving several nodes) meets. The
// shape is LiveKit's router (pkg/routing/interfaces.go): every call may fail, outcomes travel
// through sinks as serialisable messages "potentially on a different node", and a node drains
// before it leaves. The contract, which test/helpers/hub-contract.ts checks against every Hub:
// - Commands (connect, disconnect, enqueue, next, leave, sendToPartner, kick) return nothing and
//   never throw: their outcomes reach people as protocol messages through the sink each person
//   registered. A failure is told to the person it concerns (an `error` frame) and reported to
//   `onError`; it is never thrown at the caller.
// - For one person, effects happen in the order of that person's commands.
// - Delivery is node-addressed: a participant lives on the node where it connected, and only that
//   node holds its sink. What one node hands another is plain data: Participant, FindRequest,
//   PartnerMessage, ServerMessage and Avoid survive a JSON round trip (`encoded` bytes are the
//   UTF-8 JSON of the message they come with).
// - Answers that need the cluster's state (stats, a report's record) are asynchronous. Nothing
//   asks the Hub synchronously about a person: a connection knows its own state from what it was
//   told (queued, matched, ended).
// - The interest waits are a Hub's only timers set through `setTimer`, and `close` clears them.
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

/** What `endForReport` found: the conversation's record, nothing reportable, or a failure (already reported to onError). */
export type ReportOutcome = { kind: 'record'; record: ConversationRecord } | { kind: 'nothing' } | { kind: 'failed' };

/** Live figures (the cluster's, for a cluster-wide Hub). */
export interface HubStats {
  online: number;
  queued: number;
  inConversation: number;
  conversations: number;
}

/** The pairing and relay contract (DESIGN.md, and the rules above). */
export interface Hub {
  /** The node this Hub serves: where the sinks of the participants it connected live. */
  readonly nodeId: string;
  /** Registers a live connection of this node. */
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
  /** Ends a person's conversation or queue entry for a system reason (ban, moderator, the space closing). */
  kick(id: string, reason: Extract<EndedReason, 'ban' | 'moderator' | 'closed'>): void;
  /**
   * Ends the conversation for a report at once (as the person's next command would see it); the
   * two are never paired again: by device and identity, and by the reported side's address for a
   * window (see avoids.ts). Resolves with the conversation's record (current, or the last one
   * within the report grace period) and the avoids it made, so they can be stored. Never rejects.
   */
  endForReport(id: string): Promise<ReportOutcome>;
  /**
   * Forbids pairing anyone holding `a` with anyone holding `b`, for each avoid (until it expires).
   * Resolves once they are in force for every node; rejects when they could not be stored.
   */
  avoid(avoids: readonly Avoid[]): Promise<void>;
  /** Live figures; rejects when they cannot be read. */
  stats(): Promise<HubStats>;
  /**
   * A graceful leave: this node's waiting people leave the queues (nobody is paired with a node
   * that is going) and new finds here are refused; conversations go on until their sockets close.
   */
  drain(): Promise<void>;
  /** Forgets this node's participants and clears its timers. */
  close(): Promise<void>;
}

export type PartnerMessage =
  | { type: 'message'; text: string }
  /** `encoded`: the sender's frame, when it is byte for byte a valid `signal` message for the partner. */
  | { type: 'signal'; data: SignalData; encoded?: Uint8Array }
  | { type: 'typing'; on: boolean };

export interface HubOptions {
  /** This node's id (unique in the cluster). */
  nodeId: string;
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
  /** Where failures go that nobody asked about (a duplicate connection, a store that failed). */
  onError?: (error: unknown, context: { participantId?: string; during: string }) => void;
  now: () => number;
  random: () => number;
  newId: () => string;
  /** The interest waits' timers (a Hub sets no others through these). */
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
}

export const HUB_DEFAULTS = { transcriptLinesPerSide: 50 } as const;

/** How long an address that was once seen shared stays counted as shared. */
export const SHARED_ADDRESS_MEMORY_MS = 24 * 3600_000;

/** What every Hub answers a find it cannot take: already in a conversation, or the node is draining. */
export const FIND_REFUSED = {
  alreadyMatched: { type: 'error', code: 'already_matched', message: 'You are already in a conversation; send next or leave first.' },
  draining: { type: 'error', code: 'internal', message: 'The server is restarting; connect again in a moment.' },
} as const satisfies Record<string, ServerMessage>;
