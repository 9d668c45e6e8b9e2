// The composition root: createServer(config, deps) builds the parts of one server process and
// wires them, in the order they depend on each other; each part owns its lifecycle concern in its
// own module. No side effect at import; clock, logger, database and the cluster's shared state
// come in as arguments.
//
//   shared state     cluster/cluster.ts          the Hub, feed wake-ups, limits, locks (memory or Redis)
//   services         services.ts                 every rule (bans, reports, sessions, moderators, …)
//   bans in memory   moderation/ban-loader.ts    loaded at start, behind the readiness gate
//   enforcement      moderation/enforcement.ts   bans and killed sessions on live connections
//   feed             moderation/events.ts        changes from every process, acted on by feed-actions.ts
//   HTTP             http/koa-app.ts             middleware, then one `mount` per router, the site last
//   WebSocket        chat/gateway.ts             admission and the upgrade → chat/connection.ts
//   connections      chat/registry.ts            this node's live sockets
//   heartbeat        chat/heartbeat.ts           dead and idle sockets
//   presence         chat/presence.ts            the online count, pushed when it changed
//   availability     chat/availability-watch.ts  opening hours, pauses and duty: told, searches stopped, closing
//   usage            chat/usage.ts               daily counts for `stats`
//   shutdown         shutdown.ts                 the order everything stops in
import { createServer as createHttpServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ServerConfig } from './config.ts';
import type { Db } from './db/database.ts';
import { pingDatabase } from './db/database.ts';
import type { Logger } from './logger.ts';
import type { HubStats } from './chat/hub.ts';
import { HUB_DEFAULTS } from './chat/hub.ts';
import type { ConnectionDeps } from './chat/connection.ts';
import { Gateway } from './chat/gateway.ts';
import { Heartbeat } from './chat/heartbeat.ts';
import { Presence } from './chat/presence.ts';
import { AvailabilityWatch } from './chat/availability-watch.ts';
import { ConnectionRegistry } from './chat/registry.ts';
import { WriteBatch } from './chat/write-batch.ts';
import { mediaPolicy, minorMediaWarnings } from './chat/media-policy.ts';
import { UsageCounters, UsageRecorder } from './chat/usage.ts';
import { memoryCluster, type Cluster } from './cluster/cluster.ts';
import { createIceServers } from './access/turn.ts';
import { createClientAddressResolver } from './access/client-address.ts';
import { ConfiguredFilter } from './moderation/filter.ts';
import { RateLimits } from './moderation/rate-limits.ts';
import { ModerationFeed } from './moderation/events.ts';
import { feedActions } from './moderation/feed-actions.ts';
import { BanIndex } from './moderation/ban-index.ts';
import { BanLoader } from './moderation/ban-loader.ts';
import { banGate, requestSubject } from './moderation/ban-gate.ts';
import { Enforcement } from './moderation/enforcement.ts';
import { PairingGate } from './moderation/pairing-gate.ts';
import { DAY_MS } from './moderation/retention.ts';
import { createKoaApp, mount } from './http/koa-app.ts';
import { createEvidenceRouter } from './http/evidence-routes.ts';
import { createModReportsRouter } from './http/mod-reports-routes.ts';
import { createAppealRouter, createModAppealRouter } from './http/appeal-routes.ts';
import { createBanStatusRouter } from './http/ban-routes.ts';
import { createModBansRouter } from './http/mod-bans-routes.ts';
import { createRouter, DEVICE_COOKIE } from './http/routes.ts';
import { createEmailRouter, verifiedIdentityReader } from './http/email-routes.ts';
import { createModRouter } from './http/mod-routes.ts';
import { createOidcRouter } from './http/oidc-routes.ts';
import { createModAdminRouter } from './http/mod-admin-routes.ts';
import { createModDutyRouter } from './http/mod-duty-routes.ts';
import { createModAlertsRouter } from './http/mod-alerts-routes.ts';
import { staticSite } from './http/static.ts';
import { HTTP_SERVER_OPTIONS, limitConnections } from './http/connection-limits.ts';
import { transparencyPage } from './http/transparency.ts';
import { createServices } from './services.ts';
import { shutdown } from './shutdown.ts';

export { WS_MAX_PAYLOAD } from './chat/gateway.ts';

export interface ServerDeps {
  db: Db;
  logger: Logger;
  /** Milliseconds since the epoch; injected so tests control time. */
  now?: () => number;
  random?: () => number;
  /** The state shared with the instance's other processes (default: this process alone, in memory). */
  cluster?: Cluster;
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
  /** Live figures (the Hub's: the cluster's): online, queued, in conversation. */
  stats(): Promise<HubStats>;
  /** The chat sessions with a live connection to this process (what `sessions list` marks live). */
  liveSessionIds(): string[];
  /** Graceful shutdown: 1001 to every client, then the HTTP server closes. The database stays open. */
  close(): Promise<void>;
}

export async function createServer(config: ServerConfig, deps: ServerDeps): Promise<RunningServer> {
  const { db, logger } = deps;
  const now = deps.now ?? Date.now;
  const { settings } = config;
  const appealUrl = settings.moderation.appealUrl;
  const verifiedIdentity = verifiedIdentityReader(config, now);
  if (config.relayOnly && settings.turn.urls.length === 0 && settings.modes.includes('video')) {
    logger.warn('relayOnly is on but turn.urls is empty: video conversations cannot connect until a TURN server is configured');
  }
  for (const warning of minorMediaWarnings(config)) logger.warn(warning);

  // --- Shared state and the rules ---
  const cluster = deps.cluster ?? memoryCluster({ now });
  const banIndex = new BanIndex(now);
  const hub = cluster.createHub({
    interestWaitMs: settings.pairing.interestWaitMs,
    reportGraceMs: settings.pairing.reportGraceMs,
    transcriptLinesPerSide: HUB_DEFAULTS.transcriptLinesPerSide,
    reportedAddressAvoidMs: settings.safety.reportedAddressAvoidDays * DAY_MS,
    sharedAddressDevices: settings.safety.sharedAddressDevices,
    // The last look before two people are paired: bans this process already knows, including a
    // quarantine it just wrote, however the pairing came about (a find, or an interest wait ending).
    // A participant is its own ban subject (address, device, identity): nothing is built per look.
    mayPair: (p) => !banIndex.match(p),
    onError: (error, context) => logger.error({ err: error, conn: context.participantId, during: context.during }, 'the Hub reported a failure'),
    now,
    random: deps.random ?? Math.random,
    newId: randomUUID,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  });
  const services = createServices({ db, config, now, logger, banIndex, cluster, alertDelivery: deps.alertDelivery });
  const rateLimits = new RateLimits(settings.rateLimits, { now, limiters: cluster.limiters });
  const clientAddress = createClientAddressResolver(settings.trustedProxies);
  // Video may depend on a moderator being on duty: the policy asks the live availability.
  const media = mediaPolicy(config, services.availability);

  // --- This node's connections, and what acts on them ---
  const connections = new ConnectionRegistry();
  const enforcement = new Enforcement({ hub, connections, index: banIndex, logger });
  const loader = new BanLoader({ bans: services.bans, avoids: services.avoids, index: banIndex, hub, logger });
  const availabilityWatch = new AvailabilityWatch({
    availability: services.availability,
    hub,
    media,
    connections: () => connections,
    now,
    logger,
    graceSeconds: settings.openingHours.closingGraceSeconds,
    intervalMs: deps.availabilityIntervalMs,
  });
  const feed = new ModerationFeed({
    db,
    logger,
    intervalMs: deps.feedIntervalMs,
    bus: cluster.events,
    handler: feedActions({
      bans: services.bans,
      index: banIndex,
      enforcement,
      broadcast: (message) => connections.broadcast(message),
      availabilityChanged: () => availabilityWatch.changed(),
      logger,
    }),
  });
  const pairingGate = new PairingGate({ feed, index: banIndex });
  const presence = new Presence({
    count: async () => (await hub.stats()).online,
    recipients: () => connections,
    local: () => connections.size,
    intervalMs: deps.presenceIntervalMs,
    onError: (error) => logger.warn({ err: error }, 'reading the online count failed'),
  });
  const heartbeat = new Heartbeat({ connections, intervalMs: settings.limits.heartbeatIntervalMs, idleTimeoutMs: settings.limits.idleTimeoutMs, now });
  // Numbers per day for `strangerchat stats` and the transparency page (no personal data).
  const usage = new UsageCounters(now);
  const usageRecorder = new UsageRecorder({ db, counters: usage, now, logger, locks: cluster.locks });
  const writes = new WriteBatch();
  // One set of dependencies and listeners for every connection: nothing per socket that can be shared.
  const connectionDeps: ConnectionDeps = {
    hub,
    logger,
    now,
    limits: settings.limits,
    filter: new ConfiguredFilter(settings.filters),
    profile: settings.profile,
    rateLimits,
    reports: services.reports,
    iceServers: createIceServers({ turn: settings.turn, secret: config.secrets.turnSecret, now }),
    media,
    availability: services.availability,
    pairingGate,
    expel: (connection, ban, at) => enforcement.expel(connection, ban, at),
    writes,
    connections,
    online: () => presence.live(),
    usage,
  };

  // --- HTTP: the middleware, then one mount per router, the site last ---
  const banSubject = (ctx: Parameters<typeof requestSubject>[0]) => requestSubject(ctx, DEVICE_COOKIE, verifiedIdentity);
  const { audit, bans, invites, sessions, email, moderators, announcements, retention, reviews, appeals } = services;
  const app = createKoaApp({
    keys: [config.secrets.sessionSecret],
    logger,
    clientAddress,
    publicUrl: settings.publicUrl,
    readiness: loader,
    banGate: banGate({ index: banIndex, subject: banSubject, appealUrl }),
    rawBodyRouters: [createEvidenceRouter({ evidence: services.evidence, logger })],
  });
  mount(
    app,
    createRouter({
      config,
      sessions,
      rateLimits,
      isHealthy: () => pingDatabase(db),
      isReady: () => loader.loaded,
      verifiedIdentity,
      online: () => presence.online(),
      availability: () => services.availability.current(),
    }),
  );
  mount(app, createModRouter({ moderators, invites, duty: services.duty }));
  mount(app, createModAdminRouter({ db, now, moderators, audit, sessions, announcements, retention, hubStats: () => hub.stats() }));
  mount(app, createModDutyRouter({ moderators, duty: services.duty, availability: services.availability }));
  mount(app, createModAlertsRouter({ moderators, alerts: services.alerts }));
  mount(app, createModBansRouter({ moderators, bans, now }));
  mount(app, createBanStatusRouter({ index: banIndex, subject: banSubject, appealUrl }));
  mount(app, createModReportsRouter({ moderators, reviews }));
  mount(app, createAppealRouter({ appeals, verifiedIdentity }));
  mount(app, createModAppealRouter({ moderators, appeals }));
  mount(app, createEmailRouter({ config, email, now }));
  app.use(createOidcRouter({ config, oidc: services.oidc, sso: services.moderatorSso, now, logger }).routes());
  const transparency = settings.transparency.publish ? transparencyPage({ stats: services.stats, now }) : undefined;
  app.use(staticSite({ config, logger, livePages: { transparency: async () => transparency?.() } }));

  const server = createHttpServer(HTTP_SERVER_OPTIONS, app.callback());
  // Timeouts for silent and slow sockets, and the per-address cap on open connections; WebSocket
  // upgrades are bounded by the gateway.
  limitConnections(server, { perAddress: settings.rateLimits.tcpConnectionsPerAddress, trustedProxies: settings.trustedProxies, logger, now });
  const gateway = new Gateway({
    readiness: loader,
    sessions,
    rateLimits,
    clientAddress,
    expectedOrigin: settings.publicUrl ? new URL(settings.publicUrl).origin : undefined,
    media,
    connection: connectionDeps,
    logger,
  });
  gateway.attach(server);

  // --- Start: whether the space is open (so the first session and welcome are right) and the
  // feed's starting point first, then the timers, listening, and the load ---
  await availabilityWatch.start();
  await feed.start();
  retention.start(deps.retentionIntervalMs);
  services.alertDelivery.start();
  presence.start();
  heartbeat.start();
  usageRecorder.start();
  const { url, port } = await listen(server, settings.server.host, settings.server.port);
  logger.info({ url }, 'listening');
  loader.start();

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    ready: loader.ready,
    stats: () => hub.stats(),
    liveSessionIds: () => connections.sessionIds(),
    close: () =>
      (closed ??= shutdown({
        gateway,
        background: [loader, heartbeat, presence, feed, availabilityWatch, retention, services.alertDelivery],
        hub,
        http: server,
        connections,
        writes,
        graceMs: settings.server.shutdownGraceSeconds * 1000,
        usage: usageRecorder,
        services,
        // A cluster handed in belongs to the caller; one made here is closed here.
        ...(deps.cluster ? {} : { cluster }),
        logger,
      })),
  };
}

/** Listens, and resolves with the server's URL (a wildcard host is reached on loopback) and port. */
async function listen(server: ReturnType<typeof createHttpServer>, hostSetting: string, portSetting: number): Promise<{ url: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(portSetting, hostSetting, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : portSetting;
  const host = hostSetting.includes(':') ? `[${hostSetting}]` : hostSetting;
  return { url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`, port };
}
