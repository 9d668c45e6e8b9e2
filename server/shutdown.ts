// The order a server stops in, as one list. New upgrades are refused first; the start-up load,
// the timers and the feed stop; the node drains (its waiting people leave the queues); then every
// socket starts closing (1001) before any leaves the Hub, so a partner on this process hears that
// the server is going away rather than an "ended: disconnected" that would blame the other person
// (partners on other nodes still hear that their stranger left). After a grace period the rest
// are cut; the HTTP server, the Hub, the usage counts, the services and the cluster close last.
// The database stays open: its owner closes it.
import type { Server } from 'node:http';
import type { Hub } from './chat/hub.ts';
import type { LiveConnection } from './chat/connection.ts';
import type { WriteBatch } from './chat/write-batch.ts';
import type { Cluster } from './cluster/cluster.ts';
import type { Logger } from './logger.ts';
import { CloseCode } from './protocol/close-codes.ts';

/** How often shutdown looks whether every socket has closed. */
const CLOSED_POLL_MS = 20;

/** What the sequence stops, each by its own small interface. */
export interface ShutdownParts {
  gateway: { stopAccepting(): void; close(): void };
  /** Stopped in this order before any socket closes: the start-up load, timers, the feed, periodic jobs. */
  background: Array<{ stop(): void | Promise<void> }>;
  hub: Pick<Hub, 'drain' | 'close'>;
  http: Server;
  connections: Iterable<LiveConnection> & { readonly size: number };
  writes: WriteBatch;
  /** How long the sockets have to finish their close handshake. */
  graceMs: number;
  usage: { stop(): Promise<void> };
  services: { close(): void };
  /** The cluster's connections, when this server made them. */
  cluster?: Pick<Cluster, 'close'>;
  logger: Logger;
}

/** Stops everything, in order; resolves when the server has stopped. */
export async function shutdown(parts: ShutdownParts): Promise<void> {
  parts.gateway.stopAccepting();
  for (const part of parts.background) await part.stop();
  await parts.hub.drain().catch((error: unknown) => parts.logger.warn({ err: error }, 'draining the Hub failed'));
  const httpClosed = new Promise<void>((resolve) => parts.http.close(() => resolve()));
  for (const connection of parts.connections) connection.ws.close(CloseCode.GoingAway, 'server shutting down');
  for (const connection of [...parts.connections]) connection.close(CloseCode.GoingAway, 'server shutting down');
  parts.writes.flush();
  const deadline = Date.now() + parts.graceMs;
  while (parts.connections.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, CLOSED_POLL_MS));
  for (const connection of parts.connections) connection.ws.terminate();
  parts.http.closeAllConnections();
  parts.gateway.close();
  await httpClosed;
  await parts.hub.close();
  await parts.usage.stop();
  parts.services.close();
  await parts.cluster?.close();
  parts.logger.info('stopped');
}
