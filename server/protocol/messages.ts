// Protocol v1 message schemas. The server validates every client frame with these;
// the web client imports the inferred types.
import { z } from 'zod';
import { Limits } from './limits.ts';
import type { Availability } from './http.ts';

export const PROTOCOL_VERSION = 1;

export { Limits } from './limits.ts';

export const ChatMode = z.enum(['text', 'video']);
export type ChatMode = z.infer<typeof ChatMode>;

export const ReportReason = z.enum(['nudity', 'minor', 'harassment', 'hate', 'spam', 'illegal', 'other']);
export type ReportReason = z.infer<typeof ReportReason>;

const interest = z
  .string()
  .trim()
  .toLowerCase()
  .min(Limits.interestMinLength)
  .max(Limits.interestMaxLength);

const sessionDescription = z.strictObject({
  type: z.enum(['offer', 'answer']),
  sdp: z.string().max(Limits.sdpMaxLength),
});

const iceCandidate = z.strictObject({
  candidate: z
    .strictObject({
      candidate: z.string().max(Limits.candidateMaxLength),
      sdpMid: z.string().max(64).nullable().optional(),
      sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
      usernameFragment: z.string().max(256).nullable().optional(),
    })
    .nullable(),
});

// Candidates first: a call sends many candidates per description, and a union that fails a
// branch builds that branch's issues before it tries the next (the two never both match).
export const SignalData = z.union([iceCandidate, sessionDescription]);
export type SignalData = z.infer<typeof SignalData>;

export const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('find'),
    mode: ChatMode,
    interests: z.array(interest).max(Limits.maxInterests).optional(),
  }),
  z.strictObject({ type: z.literal('signal'), data: SignalData }),
  z.strictObject({ type: z.literal('message'), text: z.string().min(1).max(Limits.messageMaxLength) }),
  z.strictObject({ type: z.literal('typing'), on: z.boolean() }),
  z.strictObject({ type: z.literal('next') }),
  z.strictObject({ type: z.literal('leave') }),
  z.strictObject({
    type: z.literal('report'),
    reason: ReportReason,
    note: z.string().max(Limits.reportNoteMaxLength).optional(),
  }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/**
 * A parsed frame that is a plain, valid chat message, exactly as ClientMessage would return it,
 * or undefined when the schema must decide. Chat messages are most of what a server reads, and
 * this takes them without zod's allocations; anything unusual (another type, an extra or
 * missing key, a wrong type or length) goes to the schema, which stays the one authority
 * (test/unit/protocol-fast-path.test.ts checks that both agree).
 */
export function plainChatMessage(frame: object): { type: 'message'; text: string } | undefined {
  const { type, text } = frame as { type?: unknown; text?: unknown };
  // Within the limit in UTF-16 units is within it in code points (what the schema counts); a
  // longer text may still fit, and the schema decides.
  if (type !== 'message' || typeof text !== 'string' || text.length < 1 || text.length > Limits.messageMaxLength) return undefined;
  return ownKeyCount(frame) === 2 ? { type, text } : undefined;
}

/**
 * A parsed frame of one of the common shapes, exactly as ClientMessage would return it, or
 * undefined when the schema must decide: a chat message (plainChatMessage), `next`, `leave`,
 * `ping`, `typing`, a `find` without interests, and a `signal` carrying a description or a
 * candidate. These are what a busy server reads per pairing; like plainChatMessage, anything
 * unusual goes to the schema (test/unit/protocol-fast-path.test.ts checks that both agree).
 */
export function plainClientMessage(frame: object): ClientMessage | undefined {
  const fields = frame as Record<string, unknown>;
  const type = fields.type;
  switch (type) {
    case 'message':
      return plainChatMessage(frame);
    case 'next':
    case 'leave':
    case 'ping':
      return ownKeyCount(frame) === 1 ? { type } : undefined;
    case 'typing':
      return typeof fields.on === 'boolean' && ownKeyCount(frame) === 2 ? { type, on: fields.on } : undefined;
    case 'find': {
      const mode = fields.mode;
      return (mode === 'text' || mode === 'video') && ownKeyCount(frame) === 2 ? { type, mode } : undefined;
    }
    case 'signal': {
      const data = ownKeyCount(frame) === 2 ? plainSignalData(fields.data) : undefined;
      return data && { type, data };
    }
    default:
      return undefined;
  }
}

/** `signal.data` of the two usual shapes, rebuilt as the schema would; undefined otherwise. */
function plainSignalData(data: unknown): SignalData | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const fields = data as Record<string, unknown>;
  const keys = ownKeyCount(data);
  if (keys === 2) {
    const { type, sdp } = fields;
    // Within the limit in UTF-16 units is within it in code points (what the schema counts).
    if ((type !== 'offer' && type !== 'answer') || typeof sdp !== 'string' || sdp.length > Limits.sdpMaxLength) return undefined;
    return { type, sdp };
  }
  if (keys !== 1 || !Object.hasOwn(fields, 'candidate')) return undefined;
  const candidate = fields.candidate;
  if (candidate === null) return { candidate: null };
  if (typeof candidate !== 'object' || Array.isArray(candidate)) return undefined;
  const { candidate: line, sdpMid, sdpMLineIndex, usernameFragment } = candidate as Record<string, unknown>;
  if (typeof line !== 'string' || line.length > Limits.candidateMaxLength) return undefined;
  let count = 1;
  const out: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null } = { candidate: line };
  if (sdpMid !== undefined) {
    if (sdpMid !== null && (typeof sdpMid !== 'string' || sdpMid.length > 64)) return undefined;
    out.sdpMid = sdpMid;
    count++;
  }
  if (sdpMLineIndex !== undefined) {
    if (sdpMLineIndex !== null && (typeof sdpMLineIndex !== 'number' || !Number.isInteger(sdpMLineIndex) || sdpMLineIndex < 0 || sdpMLineIndex > 255)) return undefined;
    out.sdpMLineIndex = sdpMLineIndex;
    count++;
  }
  if (usernameFragment !== undefined) {
    if (usernameFragment !== null && (typeof usernameFragment !== 'string' || usernameFragment.length > 256)) return undefined;
    out.usernameFragment = usernameFragment;
    count++;
  }
  // Another key (even one holding undefined, which JSON cannot write) is for the schema to refuse.
  return ownKeyCount(candidate) === count ? { candidate: out } : undefined;
}

function ownKeyCount(value: object): number {
  let keys = 0;
  for (const key in value) if (Object.hasOwn(value, key)) keys++;
  return keys;
}

export type ClientMessageType = ClientMessage['type'];
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ClientMessage.options.map(
  (option) => option.shape.type.value,
);

/** Who ended a conversation, from the receiver's point of view. */
export type EndedBy = 'self' | 'stranger' | 'system';
/** `closed`: the space closed (the end of its opening hours, or a pause), after the grace period. */
export type EndedReason = 'left' | 'next' | 'disconnected' | 'report' | 'ban' | 'moderator' | 'closed';

/** Error codes sent in `{type:"error"}` frames. */
export type WsErrorCode =
  | 'bad_message'
  | 'unknown_type'
  | 'too_large'
  | 'rate_limited'
  | 'not_matched'
  | 'already_matched'
  | 'wrong_mode'
  | 'filtered'
  | 'nothing_to_report'
  | 'no_matching'
  | 'mode_unavailable'
  /** Outside the opening hours: `opensAt` says when it opens. */
  | 'closed'
  /** The operator paused the space: `opensAt` says when it opens, when known. */
  | 'paused'
  | 'internal';

/** A STUN/TURN server as given to RTCPeerConnection. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type ServerMessage =
  | {
      type: 'welcome';
      v: number;
      id: string;
      online: number;
      iceServers: IceServer[];
      /** This person's media is relay-only: a minor's always is, in every profile. */
      relayOnly: boolean;
      /** The modes this person may use now (video is not offered to minors when there is no TURN relay, nor to anyone while it needs a moderator on duty and none is). */
      modes: ChatMode[];
      /** This person's age band, as the server decided it (the page applies the minors' protections by it). */
      band: 'minor' | 'adult';
      /** Whether the space is open, and whether video is offered; an `availability` message follows each change. */
      availability: Availability;
    }
  | { type: 'queued' }
  | {
      type: 'matched';
      conversationId: string;
      initiator: boolean;
      mode: ChatMode;
      commonInterests: string[];
      /** The conversation's media must go through the TURN relay (it includes a minor, or the instance is relay-only). */
      relayOnly: boolean;
      iceServers?: IceServer[];
    }
  | { type: 'signal'; data: SignalData }
  | { type: 'message'; text: string; at: number }
  | { type: 'typing'; on: boolean }
  | { type: 'ended'; by: EndedBy; reason: EndedReason }
  | { type: 'reported'; reportId: string; evidenceToken: string }
  /**
   * `reason` accompanies `filtered` (words, email, phone, link or handle) and `mode_unavailable`
   * (not_offered, no_relay, no_moderator), for a translated explanation; `opensAt` accompanies
   * `closed` and `paused` (ms, or null when unknown).
   */
  | { type: 'error'; code: WsErrorCode; message: string; reason?: string; opensAt?: number | null }
  | { type: 'banned'; reason: string; until: number | null }
  /** A moderator's announcement; with `kind: "closing"`, the space is closing and the conversation ends at `endsAt`. */
  | { type: 'notice'; text: string; kind?: 'closing'; endsAt?: number }
  /** The space opened or closed, or video became available or not: the new state, and the modes this person may use now. */
  | { type: 'availability'; availability: Availability; modes: ChatMode[] }
  /** How many people are online (across the cluster once there are several nodes); pushed every few seconds when it changed. */
  | { type: 'presence'; online: number }
  | { type: 'pong' };

export type ServerMessageType = ServerMessage['type'];
