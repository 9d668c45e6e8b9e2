// The composition root: createServer(config, deps) wires Koa, ws, the Hub and the services on
// one HTTP server. No side effect at import; clock, logger and database come in as arguments.
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { constants as zlibConstants } from 'node:zlib';
import Koa from 'koa';
import compress from 'koa-compress';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerConfig } from './config.ts';
import type { Db } from './db/database.ts';
import { pingDatabase } from './db/database.ts';
import type { Logger } from './logger.ts';
import { AppError } from './errors.ts';
import { CloseCode } from './protocol/close-codes.ts';
import type { HubStats, Hub, AgeBand } from './chat/hub.ts';
import { HUB_DEFAULTS } from './chat/hub.ts';
import { InMemoryHub } from './chat/memory-hub.ts';
import { attachConnection, type ConnectionDeps, type LiveConnection } from './chat/connection.ts';
import { Presence } from './chat/presence.ts';
import { AvailabilityWatch } from './chat/availability-watch.ts';
import { WriteBatch } from './chat/write-batch.ts';
import { mediaPolicy, minorMediaWarnings } from './chat/media-policy.ts';
import { bandOf } from './access/sessions.ts';
import { PairingGate } from './moderation/pairing-gate.ts';
import { UsageCounters, UsageRecorder } from './chat/usage.ts';
import { createIceServers } from './access/turn.ts';
import { createClientAddressResolver } from './access/client-address.ts';
import { createEvidenceRouter } from './http/evidence-routes.ts';
import { createModReportsRouter } from './http/mod-reports-routes.ts';
import { createAppealRouter, createModAppealRouter } from './http/appeal-routes.ts';
import { ConfiguredFilter } from './moderation/filter.ts';
import { RateLimits } from './moderation/rate-limits.ts';
import { ModerationFeed, type ModerationEvent } from './moderation/events.ts';
import { errorMiddleware } from './http/errors.ts';
import { jsonBody } from './http/body.ts';
import { BanIndex } from './moderation/ban-index.ts';
import { banGate, bannedError, requestSubject } from './moderation/ban-gate.ts';
import { createBanStatusRouter } from './http/ban-routes.ts';
import { createModBansRouter } from './http/mod-bans-routes.ts';
import { createRouter, DEVICE_COOKIE } from './http/routes.ts';
import { createEmailRouter, verifiedIdentityReader } from './http/email-routes.ts';
import { createModRouter } from './http/mod-routes.ts';
import { createModAdminRouter } from './http/mod-admin-routes.ts';
import { createModDutyRouter } from './http/mod-duty-routes.ts';
import { createModAlertsRouter } from './http/mod-alerts-routes.ts';
import { securityMiddleware } from './http/security.ts';
import { staticSite } from './http/static.ts';
import { HTTP_SERVER_OPTIONS, limitConnections } from './http/connection-limits.ts';
import { transparencyPage } from './http/transparency.ts';
import { createServices } from './services.ts';
import { DAY_MS } from './moderation/retention.ts';

/** Largest WebSocket frame accepted (DESIGN.md); larger frames close the socket with 1009. */
export const WS_MAX_PAYLOAD = 64 * 1024;
/** Largest JSON body accepted over HTTP. */
const HTTP_JSON_LIMIT = '16kb';
/** Sockets pinged per event-loop turn by the heartbeat sweep. */
const HEARTBEAT_SLICE = 25;
/** How often the heartbeat pings its share of the connections (see the sweep). */
const HEARTBEAT_TICK_MS = 50;
/** Brotli quality and gzip level for text answers: most of the saving of the slowest settings, at a fraction of their time (docs/benchmarks.md). */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;
/** Upgrades awaiting ticket redemption are dropped after this long. */
const UPGRADE_TIMEOUT_MS = 10_000;
/** Bans or avoided pairs read per query at start: a page holds the event loop for some 20 ms. */
const LOAD_PAGE_ROWS = 1000;

export interface ServerDeps {
  db: Db;
  logger: Logger;
  /** Milliseconds since the epoch; injected so tests control time. */
  now?: () => number;
  random?: () => number;
  /** A Hub shared by this process (default: a new in-memory Hub). */
  hub?: Hub;
  /** How often the moderation feed is read (tests speed it up). */
  feedIntervalMs?: number;
  /** How often the retention purge runs (default hourly). */
  retentionIntervalMs?: number;
  /** How often the online count is read and pushed when it changed (default 5 s). */
  presenceIntervalMs?: number;
  /** How often opening hours and duty expiries are checked (default 1 s). */
  availabilityIntervalMs?: number;
  /** Tests shorten the alert outbox's waits between attempts, and how often it is read. */
  alertDelivery?: { retryFirstMs?: number; pollMs?: number };
}

export interface RunningServer {
  /** http://host:port of the listening server. */
  readonly url: string;
  readonly port: number;
  /**
   * Settles once the bans and the reported pairs are in memory; until then every request but
   * /healthz, and every WebSocket upgrade, waits. Rejects when they cannot be loaded.
   */
  readonly ready: Promise<void>;
  /** Live figures: online, queued, in conversation. */
  stats(): HubStats;
  /** The chat sessions with a live connection to this process (what `sessions list` marks live). */
  liveSessionIds(): string[];
  /** Graceful shutdown: 1001 to every client, then the HTTP server closes. The database stays open. */
  close(): Promise<void>;
}

export async function createServer(config: ServerConfig, deps: ServerDeps): Promise<RunningServer> {
  const { db, logger } = deps;
  const now = deps.now ?? Date.now;
  const { settings } = config;
  const banIndex = new BanIndex(now);
  const hub =
    deps.hub ??
    new InMemoryHub({
      interestWaitMs: settings.pairing.interestWaitMs,
      reportGraceMs: settings.pairing.reportGraceMs,
      transcriptLinesPerSide: HUB_DEFAULTS.transcriptLinesPerSide,
      reportedAddressAvoidMs: settings.safety.reportedAddressAvoidDays * DAY_MS,
      sharedAddressDevices: settings.safety.sharedAddressDevices,
      // The last look before two people are paired: bans this process already knows, including a
      // quarantine it just wrote, however the pairing came about (a find, or an interest wait ending).
      mayPair: (p) => !banIndex.match({ address: p.address, deviceId: p.deviceId, identityHash: p.identityHash }),
      now,
      random: deps.random ?? Math.random,
      newId: randomUUID,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
    });
  const services = createServices({ db, config, now, logger, banIndex, alertDelivery: deps.alertDelivery });
  const { audit, bans, tickets, invites, sessions, email, moderators, announcements, retention, reports, evidence, reviews, appeals, avoids } = services;
  const filter = new ConfiguredFilter(settings.filters);
  const rateLimits = new RateLimits(settings.rateLimits, now);
  const iceServersFor = createIceServers({ turn: settings.turn, secret: config.secrets.turnSecret, now });
  const media = mediaPolicy(config, services.availability);
  if (config.relayOnly && settings.turn.urls.length === 0 && settings.modes.includes('video')) {
    logger.warn('relayOnly is on but turn.urls is empty: video conversations cannot connect until a TURN server is configured');
  }
  for (const warning of minorMediaWarnings(config)) logger.warn(warning);
  const connections = new Set<LiveConnection>();
  // Numbers per day for `strangerchat stats` and the transparency page (no personal data).
  const usage = new UsageCounters(now);
  const usageRecorder = new UsageRecorder({ db, counters: usage, now, logger });
  const clientAddress = createClientAddressResolver(settings.trustedProxies);
  const presence = new Presence({ count: () => hub.stats().online, recipients: () => connections, intervalMs: deps.presenceIntervalMs });

  // --- HTTP ---
  const app = new Koa({ keys: [config.secrets.sessionSecret] });
  app.silent = true;
  app.on('error', (error: unknown) => logger.debug({ err: error }, 'koa error'));
  // Text answers (pages, scripts, styles, JSON) leave compressed, brotli or gzip as the client
  // accepts (a kilobyte or more; images and evidence JPEGs are not compressible). WebSocket
  // upgrades never pass through Koa, and their frames stay uncompressed (perMessageDeflate: false).
  app.use(compress({ threshold: 1024, br: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }, gzip: { level: GZIP_LEVEL }, deflate: false, zstd: false }));
  app.use(errorMiddleware(logger));
  app.use(securityMiddleware({ clientAddress, publicUrl: settings.publicUrl }));
  // Nothing is served before the bans are known (see `loading` below); health and readiness
  // checks answer at once.
  app.use(async (ctx, next) => {
    if (!loaded && ctx.path !== '/healthz' && ctx.path !== '/readyz' && !(await untilLoaded())) {
      throw new AppError(503, 'shutting_down', 'The server is restarting; try again in a moment.');
    }
    await next();
  });
  const appealUrl = settings.moderation.appealUrl;
  const banSubject = (ctx: Koa.Context) => requestSubject(ctx, DEVICE_COOKIE, verifiedIdentityReader(config, now));
  app.use(banGate({ index: banIndex, subject: banSubject, appealUrl }));
  // Evidence frames are raw JPEG bodies, read as a capped stream: routed before the JSON parser.
  const evidenceRouter = createEvidenceRouter({ evidence, logger });
  app.use(evidenceRouter.routes());
  app.use(
    jsonBody({
      parsedMethods: ['POST', 'PUT', 'PATCH'],
      enableTypes: ['json'],
      jsonLimit: HTTP_JSON_LIMIT,
      onError: (error) => {
        if ((error as { status?: number }).status === 413) throw new AppError(413, 'too_large', 'The request body is too large.');
        throw new AppError(400, 'invalid_body', 'The body must be valid JSON.');
      },
    }),
  );
  const router = createRouter({
    config,
    sessions,
    rateLimits,
    isHealthy: () => pingDatabase(db),
    isReady: () => loaded,
    verifiedIdentity: verifiedIdentityReader(config, now),
    online: () => presence.online(),
    availability: () => services.availability.current(),
  });
  app.use(router.routes()).use(router.allowedMethods());
  const modRouter = createModRouter({ moderators, invites, duty: services.duty });
  app.use(modRouter.routes()).use(modRouter.allowedMethods());
  const modAdminRouter = createModAdminRouter({ db, now, moderators, audit, sessions, announcements, retention, hubStats: () => hub.stats() });
  app.use(modAdminRouter.routes()).use(modAdminRouter.allowedMethods());
  const modDutyRouter = createModDutyRouter({ moderators, duty: services.duty, availability: services.availability });
  app.use(modDutyRouter.routes()).use(modDutyRouter.allowedMethods());
  const modAlertsRouter = createModAlertsRouter({ moderators, alerts: services.alerts });
  app.use(modAlertsRouter.routes()).use(modAlertsRouter.allowedMethods());
  const modBansRouter = createModBansRouter({ moderators, bans, now });
  app.use(modBansRouter.routes()).use(modBansRouter.allowedMethods());
  const banStatusRouter = createBanStatusRouter({ index: banIndex, subject: banSubject, appealUrl });
  app.use(banStatusRouter.routes()).use(banStatusRouter.allowedMethods());
  const modReportsRouter = createModReportsRouter({ moderators, reviews });
  app.use(modReportsRouter.routes()).use(modReportsRouter.allowedMethods());
  const appealRouter = createAppealRouter({ appeals, verifiedIdentity: verifiedIdentityReader(config, now) });
  app.use(appealRouter.routes()).use(appealRouter.allowedMethods());
  const modAppealRouter = createModAppealRouter({ moderators, appeals });
  app.use(modAppealRouter.routes()).use(modAppealRouter.allowedMethods());
  const emailRouter = createEmailRouter({ config, email, now });
  app.use(emailRouter.routes()).use(emailRouter.allowedMethods());
  // The web site last: it answers only its own pages and assets, after every API route.
  const transparency = settings.transparency.publish ? transparencyPage({ stats: services.stats, now }) : undefined;
  app.use(staticSite({ config, logger, livePages: { transparency: async () => transparency?.() } }));

  const server = createHttpServer(HTTP_SERVER_OPTIONS, app.callback());
  // Timeouts for silent and slow sockets, and the per-address cap on open connections; WebSocket
  // upgrades are bounded separately (UPGRADE_TIMEOUT_MS).
  limitConnections(server, { perAddress: settings.rateLimits.tcpConnectionsPerAddress, trustedProxies: settings.trustedProxies, logger, now });

  // --- WebSocket ---
  // No client tracking: `connections` is the one list (ws's own costs a closure and a set entry per socket).
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });
  const expectedOrigin = settings.publicUrl ? new URL(settings.publicUrl).origin : undefined;

  // One set of dependencies and listeners for every connection: nothing per socket that can be shared.
  const writes = new WriteBatch();
  const connectionDeps: ConnectionDeps = {
    hub,
    logger,
    now,
    limits: settings.limits,
    filter,
    profile: settings.profile,
    rateLimits,
    reports,
    iceServers: iceServersFor,
    media,
    availability: services.availability,
    pairingBan: (p) => pairingGate.check({ address: p.address, deviceId: p.deviceId, identityHash: p.identityHash }),
    writes,
    onClosed: (connection) => connections.delete(connection),
    usage,
  };
  const logSocketError = (error: Error) => logger.debug({ err: error }, 'socket error');

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', logSocketError);
    // A plain timer, not socket.setTimeout: a socket keeps its cleared timeout object for life.
    const timer = setTimeout(destroySocket, UPGRADE_TIMEOUT_MS, socket);
    void handleUpgrade(req, socket, head)
      .catch((error: unknown) => {
        logger.error({ err: error }, 'upgrade failed');
        refuse(socket, 500, 'internal', 'Something went wrong on our side.');
      })
      .finally(() => clearTimeout(timer));
  });

  async function handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') return refuse(socket, 404, 'not_found', 'Not found.');
    if ((!loaded && !(await untilLoaded())) || closing) return refuse(socket, 503, 'shutting_down', 'The server is restarting; try again in a moment.');
    if (expectedOrigin && req.headers.origin !== expectedOrigin) {
      return refuse(socket, 403, 'forbidden_origin', 'Connections from this site are not allowed.');
    }
    // Taken before the ticket is redeemed (so a refused ticket stays usable) and given back when
    // the socket closes, however the upgrade ends.
    const address = clientAddress(req);
    if (!rateLimits.holdConnection(address, socket)) {
      return refuse(socket, 429, 'rate_limited', 'Too many open connections from your network: close a tab or try again later.');
    }
    const session = await tickets.redeem(url.searchParams.get('ticket'));
    if (!session) return refuse(socket, 401, 'invalid_ticket', 'The ticket is missing, unknown, used or expired.');
    const ban = banIndex.match({ address, deviceId: session.device_id, identityHash: session.identity_hash });
    if (ban) {
      const refusal = bannedError(ban, appealUrl);
      return refuse(socket, 403, 'banned', refusal.message, refusal.details);
    }
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('error', logSocketError);
      // A band that cannot be read is minor: the stricter side of every rule.
      const band: AgeBand = bandOf(session.age_band);
      const participant = {
        id: randomUUID(),
        sessionId: session.id,
        deviceId: session.device_id,
        band,
        address,
        identityHash: session.identity_hash,
        deviceSince: session.device_since,
        relayOnly: media.relayOnlyFor(band),
      };
      connections.add(attachConnection(ws, socket, participant, connectionDeps));
      logger.debug({ conn: participant.id, address }, 'connected');
    });
  }

  /** Disconnects every live connection an active ban now matches. */
  function enforceBans(): void {
    for (const connection of connections) {
      const { participant } = connection;
      const ban = banIndex.match({ address: participant.address, deviceId: participant.deviceId, identityHash: participant.identityHash });
      if (!ban) continue;
      hub.kick(participant.id, 'ban');
      connection.send({ type: 'banned', reason: ban.reason, until: ban.expiresAt });
      connection.close(CloseCode.Banned, 'banned');
      logger.info({ conn: participant.id, banId: ban.id }, 'banned connection closed');
    }
  }

  // --- Heartbeat and idle sweep (the `ws` README pattern), spread over the interval ---
  // A ping is a system call per socket (20-50 µs on a small VM), and its pong a frame to read:
  // pinging 10,000 sockets at once held the event loop (and every client's, answering) long
  // enough to show as a 75 ms p99 in every interval, and 500 at a time every 500 ms still showed
  // as 10-30 ms delays twice a second. Each tick (every HEARTBEAT_TICK_MS) visits the next share
  // of the connections, so each is pinged once per interval and the load is even; within a tick
  // it yields every HEARTBEAT_SLICE sockets, so a frame waits for at most one slice.
  const ticksPerRound = Math.max(1, Math.round(settings.limits.heartbeatIntervalMs / HEARTBEAT_TICK_MS));
  let round: LiveConnection[] = [];
  let visited = 0;
  let tick = 0;
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      if (tick++ % ticksPerRound === 0) {
        round = [...connections];
        visited = 0;
      }
      const until = Math.min(round.length, visited + Math.ceil(round.length / ticksPerRound));
      const at = now();
      for (let done = 1; visited < until; visited++, done++) {
        if (done % HEARTBEAT_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
        if (closing) return;
        const connection = round[visited]!;
        // Closed since the round began, or while the sweep yielded.
        if (connection.ws.readyState !== connection.ws.OPEN) continue;
        if (!connection.alive) {
          connection.ws.terminate();
          continue;
        }
        if (at - connection.lastFrameAt > settings.limits.idleTimeoutMs && hub.isIdle(connection.participant.id)) {
          connection.close(CloseCode.Idle, 'idle');
          continue;
        }
        connection.alive = false;
        connection.ws.ping();
      }
    } finally {
      sweeping = false;
    }
  };
  const heartbeat = setInterval(() => void sweep(), settings.limits.heartbeatIntervalMs / ticksPerRound);
  heartbeat.unref();

  // --- Changes from other processes ---
  const feed = new ModerationFeed({
    db,
    logger,
    intervalMs: deps.feedIntervalMs,
    handler: (event: ModerationEvent) => {
      switch (event.kind) {
        case 'session_killed':
          for (const connection of connections) {
            if (connection.participant.sessionId !== event.payload.sessionId) continue;
            hub.kick(connection.participant.id, 'moderator');
            connection.close(CloseCode.Unauthorised, 'session ended');
          }
          return;
        case 'announcement':
          hub.broadcast({ type: 'notice', text: event.payload.text });
          return;
        case 'ban_added':
          // The row, not the event, is the truth: a ban lifted since then is read as lifted.
          // Returned, so a catch-up (the ban check at find) waits until the ban is enforced.
          return bans.get(event.payload.banId).then(
            (ban) => {
              if (!ban) return;
              banIndex.put(ban);
              enforceBans();
            },
            (error: unknown) => logger.error({ err: error, banId: event.payload.banId }, 'loading a new ban failed'),
          );
          return;
        case 'ban_lifted':
          banIndex.remove(event.payload.banId);
          return;
        case 'availability_changed':
          return availabilityWatch.changed();
      }
    },
  });
  const availabilityWatch = new AvailabilityWatch({ availability: services.availability, hub, media, connections: () => connections, now, logger, graceSeconds: settings.openingHours.closingGraceSeconds, intervalMs: deps.availabilityIntervalMs });
  await availabilityWatch.start();
  await feed.start();
  const pairingGate = new PairingGate({ feed, index: banIndex });
  retention.start(deps.retentionIntervalMs);
  services.alertDelivery.start();
  presence.start();
  usageRecorder.start();

  // Read by the request handlers above, so declared before the server listens.
  let closing = false;
  let closed: Promise<void> | undefined;
  let loaded = false;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.server.port, settings.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.server.port;
  const host = settings.server.host.includes(':') ? `[${settings.server.host}]` : settings.server.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  logger.info({ url }, 'listening');

  // --- Bans and reported pairs, loaded while listening ---
  // 100,000 of each took a populated instance over a second to read. They load a page at a time,
  // with the event loop free in between, while the gate above and in handleUpgrade holds every
  // request but /healthz: nobody is served before their bans are known, or paired with someone
  // they reported. Loaded after the feed's starting point is fixed: a ban written in between
  // arrives as an event (put and remove are idempotent) instead of being missed until the next restart.
  const loading = (async () => {
    for await (const page of bans.activeInPages(LOAD_PAGE_ROWS)) {
      if (closing) return;
      for (const ban of page) banIndex.put(ban);
      await nextTurn();
    }
    // Reporter and reported are never paired again (by device, identity, and address for a
    // window), across restarts too.
    let avoided = 0;
    for await (const page of avoids.liveInPages(LOAD_PAGE_ROWS)) {
      if (closing) return;
      for (const avoid of page) hub.avoid(avoid);
      avoided += page.length;
      await nextTurn();
    }
    loaded = true;
    logger.info({ bans: banIndex.size, avoids: avoided }, 'bans and reported pairs loaded');
  })();
  loading.catch((error: unknown) => logger.error({ err: error }, 'loading the bans and reported pairs failed'));
  /** Waits for the load; false when the server began to stop first (then nothing may be served). */
  async function untilLoaded(): Promise<boolean> {
    if (!loaded) await loading;
    return loaded;
  }

  return {
    url,
    port,
    ready: loading,
    stats: () => hub.stats(),
    liveSessionIds: () => [...new Set([...connections].map((connection) => connection.participant.sessionId))],
    close() {
      closed ??= (async () => {
        closing = true;
        await loading.catch(() => {});
        clearInterval(heartbeat);
        presence.stop();
        await feed.stop();
        await availabilityWatch.stop();
        await retention.stop();
        await services.alertDelivery.stop();
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Every socket starts closing before any leaves the Hub: a partner on this process then hears
        // 1001 (the server is going away) rather than an "ended: disconnected" that would blame the
        // other person; partners on other nodes still hear that their stranger left.
        for (const connection of connections) connection.ws.close(CloseCode.GoingAway, 'server shutting down');
        for (const connection of connections) connection.close(CloseCode.GoingAway, 'server shutting down');
        writes.flush();
        const graceMs = settings.server.shutdownGraceSeconds * 1000;
        const deadline = Date.now() + graceMs;
        while (connections.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        for (const connection of connections) connection.ws.terminate();
        server.closeAllConnections();
        wss.close();
        await httpClosed;
        hub.close();
        await usageRecorder.stop();
        services.close();
        logger.info('stopped');
      })();
      return closed;
    },
  };
}

/** Drops an upgrade still waiting when its time is up. */
function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** Lets pending I/O (requests, timers) run before the next page of a long load. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Answers a refused upgrade with an HTTP status and the one error shape, then closes. */
function refuse(socket: Socket, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message, ...extra } });
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
