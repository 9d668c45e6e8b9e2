// One WebSocket connection's lifecycle: validate every frame, rate-limit, dispatch to the Hub,
// clean up on close. Transport only: the rules live in the Hub and the services.
//
// A server holds ten thousand of these, so a connection is one small object: its handlers live on
// the prototype and are registered as shared functions (no closures per socket), the
// dependencies are one object shared by all, and what only some connections need (strike
// counters, the report allowance, a logger bound to the connection) is created on first use.
// Sends go through a WriteBatch (write-batch.ts): one system call per socket per event-loop turn.
// A connection knows its own state from what the Hub told it (queued, matched, ended), so nothing
// asks the Hub about one person; and the one command that waits for a shared store (a report's
// per-address limit) holds the frames after it until it has been decided, so frames keep their order.
import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { CloseCode } from '../protocol/close-codes.ts';
import {
  ClientMessage,
  CLIENT_MESSAGE_TYPES,
  plainClientMessage,
  PROTOCOL_VERSION,
  type ChatMode,
  type ReportReason,
  type ServerMessage,
  type WsErrorCode,
} from '../protocol/messages.ts';
import type { Ban } from '../moderation/ban-index.ts';
import type { PairingWaiter } from '../moderation/pairing-gate.ts';
import type { InstanceSettings, Profile } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { MessageFilter } from '../moderation/filter.ts';
import { RecentMessages } from '../moderation/message-window.ts';
import type { ReportService } from '../moderation/reports.ts';
import type { WindowLimiter } from '../moderation/rate-limits.ts';
import { addressKey } from '../access/ip.ts';
import type { FindRequest, Hub, Participant, ParticipantSink, ReportOutcome } from './hub.ts';
import type { MediaPolicy } from './media-policy.ts';
import { ALWAYS_OPEN, type AvailabilityService } from '../access/availability.ts';
import { StrikeCounter, TokenBucket } from './rate-limit.ts';
import { filterSignalForRelayOnly, isCanonicalDescriptionFrame } from './ice-filter.ts';
import { textFrame, writeTextFrame, type BatchedWriter, type WriteBatch } from './write-batch.ts';
import type { UsageCounters } from './usage.ts';
import type { IceServerSource } from '../access/turn.ts';

/** Window over which protocol and rate-limit strikes are counted. */
const STRIKE_WINDOW_MS = 60_000;
const KNOWN_TYPES = new Set<string>(CLIENT_MESSAGE_TYPES);
const FINDS_LIMITED = 'You are looking for new people very fast: wait a moment.';
/**
 * `queued` and each `ended` (three sides, seven reasons) are the same bytes for everyone: framed
 * once, on first use, and written as they are (a frame is only read once built).
 */
const QUEUED_FRAME = textFrame(JSON.stringify({ type: 'queued' } satisfies ServerMessage));
const endedFrames = new Map<string, Buffer>();
function endedFrame(message: Extract<ServerMessage, { type: 'ended' }>): Buffer {
  const key = `${message.by}:${message.reason}`;
  let frame = endedFrames.get(key);
  if (frame) return frame;
  frame = textFrame(JSON.stringify({ type: 'ended', by: message.by, reason: message.reason }));
  // Bounded whatever a node of the cluster sends: the known kinds number 21.
  if (endedFrames.size < 64) endedFrames.set(key, frame);
  return frame;
}
/** Frames kept while a report's shared limit is asked: more is a flood, and is dropped as one. */
const HELD_FRAMES_MAX = 64;
/** Where a connection stands, as the Hub last told it (small integers: one field per socket). */
const IDLE = 0;
const QUEUED = 1;
const MATCHED = 2;

/** The limits a connection asks: per address (messages here, reports in the cluster's store) and its own allowances. */
export interface ConnectionRateLimits {
  /** The per-address message limit, for a key from `addressKey`; false when over. */
  takeMessageFor(addressKey: string): boolean;
  /** The per-address and per-device report limits; false when either is over. */
  takeReportFor(addressKey: string, deviceId: string): Promise<boolean>;
  findLimiter(): WindowLimiter;
  reportLimiter(): WindowLimiter;
}

/** This node's live connections, as the registry keeps them (registry.ts). */
export interface ConnectionSet {
  add(connection: LiveConnection): void;
  delete(connection: LiveConnection): void;
}

export interface ConnectionDeps {
  hub: Hub;
  logger: Logger;
  now: () => number;
  limits: InstanceSettings['limits'];
  filter: MessageFilter;
  /** The instance's profile: with the sender's band, it decides whether contact details pass. */
  profile: Profile;
  /** Per-address limits shared by every connection, and the source of per-connection ones. */
  rateLimits: ConnectionRateLimits;
  reports: ReportService;
  /** ICE servers for one person (TURN credentials are minted per person; no STUN when relay-only), also serialised. */
  iceServers: IceServerSource;
  /** Which modes a person may use and whose media is relayed (minors' always is). */
  media: MediaPolicy;
  /** Whether the space is open now (opening hours, a pause): `find` and `next` are refused while it is not. */
  availability?: Pick<AvailabilityService, 'current' | 'refusal'>;
  /**
   * Answers, after a fresh read of the moderation feed, whether a ban forbids pairing this person
   * (pairing-gate.ts); asked before every `find` and `next`. Refuses when it cannot tell.
   */
  pairingGate: { ask(waiter: PairingWaiter, turn: number): void };
  /**
   * Ends a banned person's connection: out of the Hub, told why, closed with 4403
   * (moderation/enforcement.ts, the same for a ban found at find and one arriving by the feed).
   */
  expel: (connection: LiveConnection, ban: Ban, at: 'find' | 'feed') => void;
  /** Holds each socket's writes to the end of the event-loop turn. */
  writes: WriteBatch;
  /** This node's live connections: a connection is in it from its welcome until its socket has closed. */
  connections: ConnectionSet;
  /** How many people are online now (the welcome says it). */
  online: () => number;
  /** Counts conversations and filtered messages per day (server/chat/usage.ts). */
  usage?: UsageCounters;
}

/** What the server keeps per live socket (heartbeat, idle check, moderation sweeps). */
export interface LiveConnection {
  readonly participant: Participant;
  readonly ws: WebSocket;
  alive: boolean;
  lastFrameAt: number;
  /** Neither queued nor in a conversation, as the Hub last told this connection. */
  readonly idle: boolean;
  /** In a conversation, as the Hub last told this connection. */
  readonly inConversation: boolean;
  /**
   * Takes this person's search out of the queue (only a search in `mode`, when given), as a
   * `leave` would; true when there was one. Nothing is sent: the caller says why.
   */
  withdrawSearch(mode?: ChatMode): boolean;
  /** Sends a message (dropped when the socket is no longer open); `encoded`: the message already serialised. */
  send(message: ServerMessage, encoded?: Uint8Array): void;
  /** Closes with a protocol close code. */
  close(code: number, reason: string): void;
}

/** Where a socket's connection is kept, so the shared listeners below find it from `this`. */
const CONNECTION = Symbol('strangerchat.connection');
type ConnectedSocket = WebSocket & { [CONNECTION]: Connection };
type ConnectedTransport = Duplex & { [CONNECTION]: Connection };

/**
 * Attaches protocol v1 to an accepted socket: welcome, then every frame through `Connection`.
 * `socket` is the connection `ws` writes to (the one given to `handleUpgrade`).
 */
export function attachConnection(ws: WebSocket, socket: Duplex, participant: Participant, deps: ConnectionDeps): LiveConnection {
  const connection = new Connection(ws, socket, participant, deps);
  (ws as ConnectedSocket)[CONNECTION] = connection;
  (socket as ConnectedTransport)[CONNECTION] = connection;
  ws.on('message', onSocketMessage);
  ws.on('pong', onSocketPong);
  // The end is heard from the TCP socket (after ws's own listener, which stops the WebSocket
  // first): a fourth event name on the WebSocket doubles its listener table, per connection.
  socket.on('close', onTransportClose);
  deps.connections.add(connection);
  deps.hub.connect(participant, connection);
  const relayOnly = participant.relayOnly === true;
  connection.send({
    type: 'welcome',
    v: PROTOCOL_VERSION,
    id: participant.id,
    online: deps.online(),
    iceServers: deps.iceServers(participant.id, relayOnly),
    relayOnly,
    modes: deps.media.modesFor(participant.band),
    band: participant.band,
    availability: deps.availability?.current() ?? ALWAYS_OPEN,
  });
  return connection;
}

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as ConnectedSocket)[CONNECTION].receive(data, isBinary);
}

function onSocketPong(this: WebSocket): void {
  (this as ConnectedSocket)[CONNECTION].alive = true;
}

function onTransportClose(this: Duplex): void {
  const connection = (this as ConnectedTransport)[CONNECTION];
  connection.deps.hub.disconnect(connection.participant.id);
  connection.deps.connections.delete(connection);
}

class Connection implements LiveConnection, ParticipantSink, BatchedWriter, PairingWaiter {
  readonly ws: WebSocket;
  readonly socket: Duplex;
  readonly participant: Participant;
  readonly deps: ConnectionDeps;
  alive = true;
  /** Held by the WriteBatch until the end of this event-loop turn. */
  corked = false;
  lastFrameAt: number;
  /** The per-address message limit's key, computed once rather than per message. */
  readonly #addressKey: string;
  readonly #bucket: TokenBucket;
  #finds: WindowLimiter | undefined;
  #reports: WindowLimiter | undefined;
  /** The mode of the last `find`, which `next` searches in again. */
  #mode: ChatMode | undefined;
  /** Bumped by every find, next and leave: a find still waiting for its ban check is dropped when superseded. */
  #findTurn = 0;
  /** What the newest find asks for once the ban check has passed (undefined for a `next`). */
  #gateRequest: FindRequest | undefined;
  /** The current (or last) conversation is relay-only, as the Hub said in `matched`. */
  #conversationRelayOnly = false;
  /** IDLE, QUEUED or MATCHED: what the Hub last said (`leave` makes it IDLE at once). */
  #phase = IDLE;
  /** Frames that arrived while a report's limit was asked, replayed in order once it is decided. */
  #held: Array<[RawData, boolean]> | undefined;
  #rateStrikes: StrikeCounter | undefined;
  #protocolStrikes: StrikeCounter | undefined;
  #log: Logger | undefined;
  /** This conversation's last messages from this side, for contact details split across them. */
  #recent: RecentMessages | undefined;

  constructor(ws: WebSocket, socket: Duplex, participant: Participant, deps: ConnectionDeps) {
    this.ws = ws;
    this.socket = socket;
    this.participant = participant;
    this.deps = deps;
    const at = deps.now();
    this.lastFrameAt = at;
    this.#addressKey = addressKey(participant.address ?? 'unknown');
    this.#bucket = new TokenBucket(deps.limits.messagesPerSecond, deps.limits.messageBurst, at);
  }

  get idle(): boolean {
    return this.#phase === IDLE;
  }

  get inConversation(): boolean {
    return this.#phase === MATCHED;
  }

  withdrawSearch(mode?: ChatMode): boolean {
    if (this.#phase !== QUEUED || (mode !== undefined && this.#mode !== mode)) return false;
    this.#findTurn++;
    this.#phase = IDLE;
    this.deps.hub.leave(this.participant.id);
    return true;
  }

  get #logger(): Logger {
    return (this.#log ??= this.deps.logger.child({ conn: this.participant.id, session: this.participant.sessionId }));
  }

  /**
   * Sends a message; `encoded` is the message already serialised (a relayed frame forwarded as it
   * came). The Hub stays transport-agnostic, and TURN credentials minted at welcome may be near
   * expiry by the time of a match, so a video match gets fresh ones here.
   */
  send(message: ServerMessage, encoded?: Uint8Array): void {
    const { ws } = this;
    const { type } = message;
    if (type === 'matched') {
      this.#phase = MATCHED;
      // Exactly one side of a pair is the initiator: each conversation is counted once, on any node.
      if (message.initiator) this.deps.usage?.conversationStarted(message.mode);
    } else if (type === 'queued') this.#phase = QUEUED;
    else if (type === 'ended') this.#phase = IDLE;
    if (ws.readyState !== ws.OPEN) return;
    this.deps.writes.hold(this);
    if (encoded) return writeTextFrame(this.socket, encoded);
    if (type === 'queued') return void this.socket.write(QUEUED_FRAME);
    if (message.type === 'ended') return void this.socket.write(endedFrame(message));
    if (message.type === 'matched') {
      // A new conversation: the filter's window of earlier messages starts afresh.
      this.#recent?.clear();
      this.#conversationRelayOnly = message.relayOnly;
      if (message.mode === 'video' && !message.iceServers) {
        // The list as serialised once per person and second, spliced in as its last field.
        const ice = this.deps.iceServers.json(this.participant.id, message.relayOnly || this.participant.relayOnly === true);
        const head = JSON.stringify(message);
        return writeTextFrame(this.socket, `${head.slice(0, -1)},"iceServers":${ice}}`);
      }
    }
    writeTextFrame(this.socket, JSON.stringify(message));
  }

  close(code: number, reason: string): void {
    const { ws } = this;
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    // Leave the Hub now, not when the close handshake ends: a peer that never answers the
    // close frame would otherwise hold its partner in a dead conversation for 30 s.
    this.deps.hub.disconnect(this.participant.id);
  }

  receive(data: RawData, isBinary: boolean): void {
    // Once the server has started closing (abuse, kill, idle), `ws` still emits the frames that
    // arrive until the peer answers the close, which a hostile peer can delay for 30 s: drop them,
    // so a condemned socket can neither relay nor queue up for a new match.
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.#held) return this.#hold(data, isBinary);
    const at = this.deps.now();
    this.lastFrameAt = at;
    if (!this.#bucket.take(at)) return this.#rateLimited('Slow down: too many messages.');
    if (isBinary) return this.#violation('bad_message', 'Frames must be JSON text.');
    // The default binaryType: one Buffer per message, fragments already joined.
    const bytes = data as Buffer;
    let frame: unknown;
    try {
      frame = JSON.parse(bytes.toString());
    } catch {
      return this.#violation('bad_message', 'Frames must be JSON objects.');
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || typeof (frame as { type?: unknown }).type !== 'string') {
      return this.#violation('bad_message', 'Frames must be JSON objects with a "type".');
    }
    const type = (frame as { type: string }).type;
    if (!KNOWN_TYPES.has(type)) return this.#violation('unknown_type', `Unknown message type "${type.slice(0, 32)}".`);
    const plain = plainClientMessage(frame);
    if (plain) return this.#dispatch(plain, bytes);
    const parsed = ClientMessage.safeParse(frame);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'message';
      const code: WsErrorCode = issue && isTooBig(issue) ? 'too_large' : 'bad_message';
      return this.#violation(code, `Invalid ${type}: ${field} ${issue?.message ?? 'is invalid'}.`);
    }
    this.#dispatch(parsed.data, bytes);
  }

  #dispatch(message: ClientMessage, bytes: Buffer): void {
    const { hub, now } = this.deps;
    const id = this.participant.id;
    switch (message.type) {
      case 'find': {
        if (!(this.#finds ??= this.deps.rateLimits.findLimiter()).take(now())) return this.#rateLimited(FINDS_LIMITED);
        if (this.#refusedWhileClosed()) return;
        const refusal = this.deps.media.refusal(this.participant.band, message.mode);
        if (refusal) return this.send({ type: 'error', code: 'mode_unavailable', message: refusal.message, reason: refusal.reason });
        this.#mode = message.mode;
        return this.#findWhenAllowed({ mode: message.mode, interests: message.interests ?? [] });
      }
      case 'next': {
        if (!(this.#finds ??= this.deps.rateLimits.findLimiter()).take(now())) return this.#rateLimited(FINDS_LIMITED);
        // Closed: the conversation goes on until the closing grace ends it; no new one starts.
        if (this.#refusedWhileClosed()) return;
        // The mode may have gone since the last find (video, when the last moderator went off duty).
        const refusal = this.#mode && this.deps.media.refusal(this.participant.band, this.#mode);
        if (refusal) {
          this.#findTurn++;
          this.#phase = IDLE;
          hub.leave(id);
          return this.send({ type: 'error', code: 'mode_unavailable', message: refusal.message, reason: refusal.reason });
        }
        return this.#findWhenAllowed(undefined);
      }
      case 'leave':
        this.#findTurn++;
        this.#phase = IDLE;
        return hub.leave(id);
      case 'signal': {
        // Relay-only for this person or this conversation (a minor's, in every profile): the partner
        // never sees a non-relay candidate or address, and never the sender's bytes (a repeated key,
        // a hidden line): only what the filter rebuilt (ice-filter.ts), or bytes proven identical to
        // its serialisation (isCanonicalDescriptionFrame).
        const relayOnly = this.participant.relayOnly === true || this.#conversationRelayOnly;
        // A valid frame is {type:"signal", data} (strict schemas; a repeated key is read as its last
        // value, here and by the browser's JSON.parse alike), so without relay-only the partner can
        // receive the sender's bytes rather than a re-serialised copy.
        if (!relayOnly) return hub.sendToPartner(id, { type: 'signal', data: message.data, encoded: bytes });
        const data = filterSignalForRelayOnly(message.data);
        if (data !== undefined) {
          // A description the filter left as it was, in a frame that is exactly its serialisation, goes as it came.
          const same = 'type' in data && 'type' in message.data && data.sdp === message.data.sdp && isCanonicalDescriptionFrame(bytes, data);
          return hub.sendToPartner(id, same ? { type: 'signal', data, encoded: bytes } : { type: 'signal', data });
        }
        // Silently: a client without the relay policy gathers non-relay candidates. A refused
        // description means no video, so it is worth a line (its kind only, never its content).
        if ('type' in message.data) this.#logger.debug({ kind: message.data.type }, 'relay-only filter refused a session description');
        return;
      }
      case 'typing':
        return hub.sendToPartner(id, { type: 'typing', on: message.on });
      case 'message': {
        // Across all of this address's connections (a script opens many).
        if (!this.deps.rateLimits.takeMessageFor(this.#addressKey)) {
          return this.#fail('rate_limited', 'Too many messages from your network right now: wait a moment.');
        }
        const recent = (this.#recent ??= new RecentMessages());
        const verdict = this.deps.filter.check(message.text, { band: this.participant.band, profile: this.deps.profile, recent, at: now() });
        if (verdict.action === 'block') {
          this.deps.usage?.messageFiltered(verdict.reason);
          return this.send({ type: 'error', code: 'filtered', message: verdict.message, reason: verdict.reason });
        }
        return hub.sendToPartner(id, { type: 'message', text: verdict.text });
      }
      case 'report': {
        if (!(this.#reports ??= this.deps.rateLimits.reportLimiter()).take(now())) {
          return this.#rateLimited('You have sent many reports in a short time: wait a few minutes.');
        }
        // Across every connection of this network and of this browser (a flood opens many), in the
        // cluster's store: the frames after this one wait until it is decided.
        return void this.#report(message.reason, message.note);
      }
      case 'ping':
        return this.send({ type: 'pong' });
    }
  }

  async #report(reason: ReportReason, note: string | undefined): Promise<void> {
    const hold: Array<[RawData, boolean]> = (this.#held = []);
    let found: Promise<ReportOutcome>;
    try {
      let allowed: boolean;
      try {
        allowed = await this.deps.rateLimits.takeReportFor(this.#addressKey, this.participant.deviceId);
      } catch (error) {
        this.#logger.error({ err: error }, 'the report limits could not be read');
        return this.#fail('internal', 'The report could not be saved; please try again.');
      }
      if (this.ws.readyState !== this.ws.OPEN) return;
      if (!allowed) return this.#rateLimited('Many reports came from your network or browser in a short time: wait a few minutes.');
      // Ends the conversation now, before the frames held behind this one.
      found = this.deps.hub.endForReport(this.participant.id);
    } finally {
      this.#release(hold);
    }
    const outcome = await found;
    if (outcome.kind === 'nothing') return this.#fail('nothing_to_report', 'There is no recent conversation to report.');
    if (outcome.kind === 'failed') return this.#fail('internal', 'The report could not be saved; please try again.');
    try {
      const filed = await this.deps.reports.file(outcome.record, reason, note);
      this.#logger.info({ reportId: filed.reportId, reason }, 'report filed');
      this.send({ type: 'reported', reportId: filed.reportId, evidenceToken: filed.evidenceToken });
    } catch (error) {
      this.#logger.error({ err: error }, 'filing a report failed');
      this.#fail('internal', 'The report could not be saved; please try again.');
    }
  }

  /** Keeps a frame that arrived while a report's limit is asked (past HELD_FRAMES_MAX, a flood: dropped as rate-limited). */
  #hold(data: RawData, isBinary: boolean): void {
    const held = this.#held!;
    if (held.length < HELD_FRAMES_MAX) held.push([data, isBinary]);
    else this.#rateLimited('Slow down: too many messages.');
  }

  /** Replays the frames held during a report's limit check, in order. */
  #release(held: Array<[RawData, boolean]>): void {
    if (this.#held !== held) return;
    this.#held = undefined;
    for (let i = 0; i < held.length; i++) {
      // A frame replayed may start another report, which holds the rest again.
      const again = this.#held as Array<[RawData, boolean]> | undefined;
      if (again) {
        again.push(...held.slice(i));
        return;
      }
      this.receive(held[i]![0], held[i]![1]);
    }
  }

  /**
   * Asks for a partner (`request`, or the last one for `next`) once the ban check has passed: a
   * ban or quarantine written anywhere before this moment keeps the person out. A leave, or a
   * newer find, while the check runs supersedes it.
   */
  #findWhenAllowed(request: FindRequest | undefined): void {
    this.#gateRequest = request;
    this.deps.pairingGate.ask(this, ++this.#findTurn);
  }

  /** The pairing gate's answer to find or next number `turn` (PairingWaiter). */
  admitted(turn: number, ban: Ban | undefined): void {
    if (turn !== this.#findTurn || this.ws.readyState !== this.ws.OPEN) return;
    if (ban) return this.deps.expel(this, ban, 'find');
    const request = this.#gateRequest;
    if (request) this.deps.hub.enqueue(this.participant.id, request);
    else this.deps.hub.next(this.participant.id);
  }

  /** The ban check could not be made (PairingWaiter): nobody is paired on a guess. */
  refused(turn: number, error: Error): void {
    this.#logger.error({ err: error }, 'the ban check before pairing failed');
    if (turn === this.#findTurn) this.#fail('internal', 'Looking for someone failed on our side; please try again.');
  }

  /** Outside the opening hours or while paused: says so (with when it opens) and returns true. */
  #refusedWhileClosed(): boolean {
    const closed = this.deps.availability?.refusal();
    if (!closed) return false;
    this.send({ type: 'error', code: closed.code, message: closed.message, opensAt: closed.opensAt });
    return true;
  }

  #fail(code: WsErrorCode, message: string): void {
    this.send({ type: 'error', code, message });
  }

  /** A per-connection limit was hit: the request is dropped, and it counts as a rate-limit strike. */
  #rateLimited(message: string): void {
    this.#fail('rate_limited', message);
    const strikes = (this.#rateStrikes ??= new StrikeCounter(this.deps.limits.rateLimitStrikes, STRIKE_WINDOW_MS));
    if (strikes.hit(this.deps.now())) {
      this.#logger.warn('closing a flooding connection');
      this.close(CloseCode.RateLimited, 'rate limited');
    }
  }

  #violation(code: WsErrorCode, message: string): void {
    this.#fail(code, message);
    const strikes = (this.#protocolStrikes ??= new StrikeCounter(this.deps.limits.protocolStrikes, STRIKE_WINDOW_MS));
    if (strikes.hit(this.deps.now())) {
      this.#logger.warn('closing after repeated protocol violations');
      this.close(CloseCode.ProtocolViolation, 'repeated protocol violations');
    }
  }
}

/** True when an issue (or, for a union such as `signal.data`, every branch's issue) is a size limit. */
function isTooBig(issue: { code: string; errors?: Array<Array<{ code: string }>> }): boolean {
  if (issue.code === 'too_big') return true;
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return false;
  return issue.errors.some((branch) => branch.some((inner) => isTooBig(inner)));
}
