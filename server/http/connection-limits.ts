// What a TCP connection may cost before it has said who it is: timeouts for connections that send
// nothing or too slowly, and a cap on the connections one address holds open at once, applied when
// each connection opens (before any request or upgrade). Without them, a few hundred silent sockets
// from one address used up a server's file descriptors and nobody else got in.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { normaliseAddress, proxyList } from '../access/client-address.ts';
import { addressKey } from '../access/ip.ts';
import type { Logger } from '../logger.ts';

/** A connection must have sent a request's headers this soon after it opened: silent and slowloris sockets go. */
export const HEADERS_TIMEOUT_MS = 5_000;
/** A whole request, body included (an evidence upload over a slow school uplink), must arrive this soon. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection between requests is closed after this (Node's default, made explicit). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** An HTTP connection with no traffic either way (a client that stopped reading a response) is closed after this. */
export const HTTP_IDLE_TIMEOUT_MS = 60_000;
/** How often Node checks the two timeouts above; its default, 30 s, let a silent socket live 40 s. */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;
/** At most one line about refused connections per this long: an attack must not flood the log. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;
/** File descriptors the process needs besides one address's connections (database, logs, other people). */
const FILE_LIMIT_RESERVE = 64;

/** Options for node:http's createServer; the timeouts are checked this often. */
export const HTTP_SERVER_OPTIONS: ServerOptions = { connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS };

export interface ConnectionLimitsOptions {
  /** Connections one address (IPv6: one /64) may hold open at once (`rateLimits.tcpConnectionsPerAddress`). */
  perAddress: number;
  /** Proxies' connections carry many people: they are not counted (the proxy limits its clients). */
  trustedProxies: readonly string[];
  logger: Logger;
  now: () => number;
  /** The process's soft limit on open files, when known (default: read from /proc/self/limits). */
  fileLimit?: () => number | undefined;
}

export interface ConnectionLimits {
  /** Connections open now from this address's key (for tests and status). */
  openFrom(address: string): number;
}

/** Where a counted socket keeps its key, so one shared listener releases it. */
const KEY = Symbol('strangerchat.connectionKey');
type CountedSocket = Socket & { [KEY]?: string };

/** Sets the HTTP server's timeouts and caps the connections per address; call before it listens. */
export function limitConnections(server: Server, options: ConnectionLimitsOptions): ConnectionLimits {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Armed at each request rather than when a socket connects (what server.timeout does): a
  // WebSocket's socket never makes a request, so it never gets a timer, which it would otherwise
  // keep, cleared, for life (the heartbeat and the idle sweep watch those sockets). Before its
  // first request a socket is bound by headersTimeout.
  server.timeout = 0;
  server.on('request', armIdleTimeout);

  const { perAddress, logger, now } = options;
  const limit = (options.fileLimit ?? softFileLimit)();
  if (limit !== undefined && perAddress + FILE_LIMIT_RESERVE > limit) {
    logger.warn(
      { fileLimit: limit, tcpConnectionsPerAddress: perAddress },
      'the open-file limit is lower than rateLimits.tcpConnectionsPerAddress allows one address: raise it (ulimit -n, LimitNOFILE=) or lower the setting',
    );
  }
  const proxies = options.trustedProxies.length > 0 ? proxyList(options.trustedProxies) : undefined;
  const isProxy = (address: string) => {
    const family = isIP(address);
    return proxies !== undefined && family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  const open = new Map<string, number>();
  let refused = 0;
  let lastLogAt = -Infinity;

  function release(this: CountedSocket): void {
    const key = this[KEY];
    if (key === undefined) return;
    this[KEY] = undefined;
    const left = (open.get(key) ?? 1) - 1;
    if (left > 0) open.set(key, left);
    else open.delete(key);
  }

  server.on('connection', (socket: CountedSocket) => {
    const address = normaliseAddress(socket.remoteAddress);
    if (isProxy(address)) return;
    const key = addressKey(address);
    const count = open.get(key) ?? 0;
    if (count >= perAddress) {
      // Closed before a byte is read: the descriptor is free again at once.
      socket.destroy();
      refused++;
      const at = now();
      if (at - lastLogAt >= REFUSAL_LOG_INTERVAL_MS) {
        logger.warn({ address, refused, tcpConnectionsPerAddress: perAddress }, 'connections over the per-address limit closed');
        lastLogAt = at;
        refused = 0;
      }
      return;
    }
    open.set(key, count + 1);
    socket[KEY] = key;
    socket.on('close', release);
  });

  return { openFrom: (address) => open.get(addressKey(normaliseAddress(address))) ?? 0 };
}

/**
 * The HTTP idle timeout of a request's socket. Node disarms it when a keep-alive socket's next
 * request arrives (it re-arms server.timeout, now 0), just before this runs.
 */
function armIdleTimeout(req: IncomingMessage): void {
  const socket = req.socket;
  if (socket.timeout !== HTTP_IDLE_TIMEOUT_MS) socket.setTimeout(HTTP_IDLE_TIMEOUT_MS);
}

/** The soft `Max open files` of this process (Linux), or undefined where it cannot be read. */
function softFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}
