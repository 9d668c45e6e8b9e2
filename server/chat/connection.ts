// One WebSocket connection's lifecycle: validate every frame, rate-limit, dispatch to the Hub,
// clean up on close. Transport only: the rules live in the Hub and the services.
import type { WebSocket, RawData } from 'ws';
import { CloseCode } from '../protocol/close-codes.ts';
import { ClientMessage, CLIENT_MESSAGE_TYPES, PROTOCOL_VERSION, type IceServer, type ServerMessage, type WsErrorCode } from '../protocol/messages.ts';
import type { InstanceSettings, Profile } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { MessageFilter } from '../moderation/filter.ts';
import type { ReportService } from '../moderation/reports.ts';
import type { RateLimits } from '../moderation/rate-limits.ts';
import type { Hub, Participant } from './hub.ts';
import { StrikeCounter, TokenBucket } from './rate-limit.ts';
import { filterSignalForRelayOnly } from './ice-filter.ts';

/** Window over which protocol and rate-limit strikes are counted. */
const STRIKE_WINDOW_MS = 60_000;
const KNOWN_TYPES = new Set<string>(CLIENT_MESSAGE_TYPES);
const FINDS_LIMITED = 'You are looking for new people very fast: wait a moment.';

export interface ConnectionDeps {
  hub: Hub;
  logger: Logger;
  now: () => number;
  limits: InstanceSettings['limits'];
  filter: MessageFilter;
  /** The instance's profile: with the sender's band, it decides whether contact details pass. */
  profile: Profile;
  /** Per-address limits shared by every connection, and the source of per-connection ones. */
  rateLimits: RateLimits;
  reports: ReportService;
  /** ICE servers for this person (TURN credentials are minted per person). */
  iceServers: () => IceServer[];
  relayOnly: boolean;
}

/** What the server keeps per live socket (heartbeat, idle check, moderation sweeps). */
export interface LiveConnection {
  readonly participant: Participant;
  readonly ws: WebSocket;
  alive: boolean;
  lastFrameAt: number;
  /** Sends a message (dropped when the socket is no longer open). */
  send(message: ServerMessage): void;
  /** Closes with a protocol close code. */
  close(code: number, reason: string): void;
}

export function attachConnection(ws: WebSocket, participant: Participant, deps: ConnectionDeps): LiveConnection {
  const { hub, logger, now, limits } = deps;
  const log = logger.child({ conn: participant.id, session: participant.sessionId });
  const bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now());
  const rateStrikes = new StrikeCounter(limits.rateLimitStrikes, STRIKE_WINDOW_MS);
  const protocolStrikes = new StrikeCounter(limits.protocolStrikes, STRIKE_WINDOW_MS);
  const connectionLimits = deps.rateLimits.forConnection();

  const connection: LiveConnection = {
    participant,
    ws,
    alive: true,
    lastFrameAt: now(),
    send(message) {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    },
    close(code, reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
      // Leave the Hub now, not when the close handshake ends: a peer that never answers the
      // close frame would otherwise hold its partner in a dead conversation for 30 s.
      hub.disconnect(participant.id);
    },
  };
  const fail = (code: WsErrorCode, message: string) => connection.send({ type: 'error', code, message });
  /** A per-connection limit was hit: the request is dropped, and it counts as a rate-limit strike. */
  const rateLimited = (message: string) => {
    fail('rate_limited', message);
    if (rateStrikes.hit(now())) {
      log.warn('closing a flooding connection');
      connection.close(CloseCode.RateLimited, 'rate limited');
    }
  };
  const violation = (code: WsErrorCode, message: string) => {
    fail(code, message);
    if (protocolStrikes.hit(now())) {
      log.warn('closing after repeated protocol violations');
      connection.close(CloseCode.ProtocolViolation, 'repeated protocol violations');
    }
  };

  ws.on('pong', () => (connection.alive = true));
  ws.on('close', () => hub.disconnect(participant.id));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    // Once the server has started closing (abuse, kill, idle), `ws` still emits the frames that
    // arrive until the peer answers the close, which a hostile peer can delay for 30 s: drop them,
    // so a condemned socket can neither relay nor queue up for a new match.
    if (ws.readyState !== ws.OPEN) return;
    const at = now();
    connection.lastFrameAt = at;
    if (!bucket.take(at)) {
      fail('rate_limited', 'Slow down: too many messages.');
      if (rateStrikes.hit(at)) {
        log.warn('closing a flooding connection');
        connection.close(CloseCode.RateLimited, 'rate limited');
      }
      return;
    }
    if (isBinary) return violation('bad_message', 'Frames must be JSON text.');
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return violation('bad_message', 'Frames must be JSON objects.');
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || typeof (frame as { type?: unknown }).type !== 'string') {
      return violation('bad_message', 'Frames must be JSON objects with a "type".');
    }
    const type = (frame as { type: string }).type;
    if (!KNOWN_TYPES.has(type)) return violation('unknown_type', `Unknown message type "${type.slice(0, 32)}".`);
    const parsed = ClientMessage.safeParse(frame);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'message';
      const code: WsErrorCode = issue && isTooBig(issue) ? 'too_large' : 'bad_message';
      return violation(code, `Invalid ${type}: ${field} ${issue?.message ?? 'is invalid'}.`);
    }
    dispatch(parsed.data);
  });

  function dispatch(message: ClientMessage): void {
    switch (message.type) {
      case 'find':
        if (!connectionLimits.finds.take(now())) return rateLimited(FINDS_LIMITED);
        return hub.enqueue(participant.id, { mode: message.mode, interests: message.interests ?? [] });
      case 'next':
        if (!connectionLimits.finds.take(now())) return rateLimited(FINDS_LIMITED);
        return hub.next(participant.id);
      case 'leave':
        return hub.leave(participant.id);
      case 'signal': {
        // Relay-only: the partner never sees a non-relay candidate or address (see ice-filter.ts).
        const data = deps.relayOnly ? filterSignalForRelayOnly(message.data) : message.data;
        if (data === undefined) return; // silently: a client without the relay policy gathers such candidates
        return hub.sendToPartner(participant.id, { type: 'signal', data });
      }
      case 'typing':
        return hub.sendToPartner(participant.id, { type: 'typing', on: message.on });
      case 'message': {
        // Across all of this address's connections (a script opens many).
        if (!deps.rateLimits.takeMessage(participant.address ?? 'unknown')) {
          return fail('rate_limited', 'Too many messages from your network right now: wait a moment.');
        }
        const verdict = deps.filter.check(message.text, { band: participant.band, profile: deps.profile });
        if (verdict.action === 'block') return connection.send({ type: 'error', code: 'filtered', message: verdict.message, reason: verdict.reason });
        return hub.sendToPartner(participant.id, { type: 'message', text: verdict.text });
      }
      case 'report': {
        if (!connectionLimits.reports.take(now())) return rateLimited('You have sent many reports in a short time: wait a few minutes.');
        const record = hub.endForReport(participant.id);
        if (!record) return fail('nothing_to_report', 'There is no recent conversation to report.');
        deps.reports.file(record, message.reason, message.note).then(
          (filed) => {
            log.info({ reportId: filed.reportId, reason: message.reason }, 'report filed');
            connection.send({ type: 'reported', reportId: filed.reportId, evidenceToken: filed.evidenceToken });
          },
          (error: unknown) => {
            log.error({ err: error }, 'filing a report failed');
            fail('internal', 'The report could not be saved; please try again.');
          },
        );
        return;
      }
      case 'ping':
        return connection.send({ type: 'pong' });
    }
  }

  // The Hub stays transport-agnostic; TURN credentials minted at welcome may be near expiry by the
  // time of a match, so a video match carries fresh ones.
  hub.connect(participant, {
    send: (message) =>
      connection.send(message.type === 'matched' && message.mode === 'video' ? { ...message, iceServers: deps.iceServers() } : message),
  });
  connection.send({
    type: 'welcome',
    v: PROTOCOL_VERSION,
    id: participant.id,
    online: hub.stats().online,
    iceServers: deps.iceServers(),
    relayOnly: deps.relayOnly,
  });
  return connection;
}

/** True when an issue (or, for a union such as `signal.data`, every branch's issue) is a size limit. */
function isTooBig(issue: { code: string; errors?: Array<Array<{ code: string }>> }): boolean {
  if (issue.code === 'too_big') return true;
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return false;
  return issue.errors.some((branch) => branch.some((inner) => isTooBig(inner)));
}
