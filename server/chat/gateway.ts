// The way in for WebSockets: `/ws?ticket=…` upgrades pass the readiness gate (nothing is served
// before the bans are known), the instance's Origin, the per-address connection cap and the
// session's admission (its single-use ticket and the ban check: SessionService.admit), then become
// a connection of this node. A refusal is an HTTP answer in the one error shape, never a socket
// that opens and closes.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SessionService } from '../access/sessions.ts';
import { bandOf } from '../access/sessions.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RateLimits } from '../moderation/rate-limits.ts';
import type { AgeBand, Participant } from './hub.ts';
import { attachConnection, type ConnectionDeps } from './connection.ts';
import type { MediaPolicy } from './media-policy.ts';

/** Largest WebSocket frame accepted (DESIGN.md); larger frames close the socket with 1009. */
export const WS_MAX_PAYLOAD = 64 * 1024;
/** Upgrades awaiting ticket redemption are dropped after this long. */
const UPGRADE_TIMEOUT_MS = 10_000;
const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface GatewayDeps {
  /** The start-up load: nothing is admitted before it (moderation/ban-loader.ts). */
  readiness: { readonly loaded: boolean; untilLoaded(): Promise<boolean> };
  sessions: Pick<SessionService, 'admit'>;
  rateLimits: Pick<RateLimits, 'holdConnection'>;
  /** The client's address, after the trusted-proxy rule. */
  clientAddress: (req: IncomingMessage) => string;
  /** The instance's public origin: upgrades from any other are refused. */
  expectedOrigin: string | undefined;
  media: Pick<MediaPolicy, 'relayOnlyFor'>;
  /** Shared by every connection (connection.ts). */
  connection: ConnectionDeps;
  logger: Logger;
}

export class Gateway {
  readonly #deps: GatewayDeps;
  // No client tracking: the registry is the one list (ws's own costs a closure and a set entry per socket).
  readonly #wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });
  readonly #logSocketError: (error: Error) => void;
  #closing = false;

  constructor(deps: GatewayDeps) {
    this.#deps = deps;
    this.#logSocketError = (error) => deps.logger.debug({ err: error }, 'socket error');
  }

  /** Listens for upgrades on the HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', this.#logSocketError);
      // A plain timer, not socket.setTimeout: a socket keeps its cleared timeout object for life.
      const timer = setTimeout(destroySocket, UPGRADE_TIMEOUT_MS, socket);
      void this.#upgrade(req, socket, head)
        .catch((error: unknown) => {
          this.#deps.logger.error({ err: error }, 'upgrade failed');
          refuse(socket, 500, 'internal', 'Something went wrong on our side.');
        })
        .finally(() => clearTimeout(timer));
    });
  }

  /** Refuses every upgrade from now on (the server is stopping). */
  stopAccepting(): void {
    this.#closing = true;
  }

  /** Closes the WebSocket server (its sockets are the registry's to close). */
  close(): void {
    this.#wss.close();
  }

  async #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const deps = this.#deps;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') return refuse(socket, 404, 'not_found', 'Not found.');
    if ((!deps.readiness.loaded && !(await deps.readiness.untilLoaded())) || this.#closing) {
      return refuse(socket, 503, 'shutting_down', 'The server is restarting; try again in a moment.');
    }
    if (deps.expectedOrigin && req.headers.origin !== deps.expectedOrigin) {
      return refuse(socket, 403, 'forbidden_origin', 'Connections from this site are not allowed.');
    }
    // Taken before the ticket is redeemed (so a refused ticket stays usable) and given back when
    // the socket closes, however the upgrade ends.
    const address = deps.clientAddress(req);
    if (!(await deps.rateLimits.holdConnection(address, socket))) {
      return refuse(socket, 429, 'rate_limited', 'Too many open connections from your network: close a tab or try again later.');
    }
    let session;
    try {
      session = await deps.sessions.admit(url.searchParams.get('ticket'), address);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return refuse(socket, error.status, error.code, error.message, error.details);
    }
    if (socket.destroyed) return;
    this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('error', this.#logSocketError);
      // A band that cannot be read is minor: the stricter side of every rule.
      const band: AgeBand = bandOf(session.age_band);
      const participant: Participant = {
        id: randomUUID(),
        sessionId: session.id,
        deviceId: session.device_id,
        band,
        address,
        identityHash: session.identity_hash,
        deviceSince: session.device_since,
        relayOnly: deps.media.relayOnlyFor(band),
      };
      attachConnection(ws, socket, participant, deps.connection);
      deps.logger.debug({ conn: participant.id, address }, 'connected');
    });
  }
}

/** Drops an upgrade still waiting when its time is up. */
function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** Answers a refused upgrade with an HTTP status and the one error shape, then closes. */
function refuse(socket: Socket, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message, ...extra } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
