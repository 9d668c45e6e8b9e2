// The one place that knows node-redis (`@redis/client`): a connection from a URL, raw commands,
// and Lua scripts run by EVALSHA and loaded again when Redis answers NOSCRIPT (a restarted Redis
// has forgotten every script). The rest of the cluster code speaks only this small interface, so a
// change of the client's API (it changes fast between majors) stays in this file.
//
// Redis ≥ 7.0 without modules: plain commands, EVALSHA scripts, streams and pub/sub. No Redis
// Functions, no HEXPIRE (7.4), no Redis Cluster (every script reaches keys it computes).
import { createHash } from 'node:crypto';
import { createClient } from '@redis/client';
import type { Logger } from '../../logger.ts';

/** A raw reply: strings, integers, nulls and arrays of them; node-redis hands RESP3 maps (XREAD) over as objects. */
export type Reply = string | number | null | Reply[] | { [key: string]: Reply };

/** Oldest Redis the cluster runs on (Debian 12's). */
export const MIN_REDIS_VERSION = '7.0.0';
/** Commands waiting while Redis is unreachable; past that, new ones fail at once. */
const OFFLINE_QUEUE_MAX = 50_000;
/** Reconnect delays grow to this (a restarted Redis is found again within it). */
const MAX_RECONNECT_DELAY_MS = 500;

export interface RedisConnection {
  /** Runs one command (arguments as strings); rejects with Redis's error. */
  command(args: readonly (string | number)[]): Promise<Reply>;
  /** Runs a script by its SHA, loading it when Redis does not know it. */
  script(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<Reply>;
  /** A second connection to the same server (blocking reads and subscriptions need their own). */
  duplicate(name: string): Promise<RedisConnection>;
  /** Subscribes this connection to a channel (it can then run no other command). */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Called every time the connection is (again) ready: after a blip or a Redis restart. */
  onReady(listener: () => void): void;
  readonly isReady: boolean;
  close(): Promise<void>;
}

export interface RedisScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export function defineRedisScript(name: string, source: string): RedisScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** The client options of a URL: `redis://`, `rediss://` (TLS), or `unix:///path/to/socket[?db=N]`. */
export function redisClientOptions(url: string): { url?: string; socket?: { path: string }; database?: number; password?: string } {
  const parsed = new URL(url);
  if (parsed.protocol === 'unix:') {
    const database = parsed.searchParams.get('db');
    return {
      socket: { path: decodeURIComponent(parsed.pathname) },
      ...(database ? { database: Number(database) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    };
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`redis.url must start with redis://, rediss:// or unix:// (got ${parsed.protocol})`);
  }
  return { url };
}

/** The URL without its password, for logs and `doctor`. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Connects, and keeps reconnecting after a loss (unless `reconnect` is false: a short-lived
 * process that must not wait for Redis); rejects when the first connection fails.
 */
export async function connectRedis(url: string, options: { logger?: Logger; name?: string; connectTimeoutMs?: number; reconnect?: boolean } = {}): Promise<RedisConnection> {
  const base = redisClientOptions(url);
  // Retrying before the first success would leave the caller waiting for ever on a wrong URL
  // (`start` could never say it cannot reach Redis); the duplicates share this once it is true.
  let connected = false;
  const client = createClient({
    ...base,
    commandsQueueMaxLength: OFFLINE_QUEUE_MAX,
    socket: {
      ...(base?.socket ?? {}),
      connectTimeout: options.connectTimeoutMs ?? 5000,
      reconnectStrategy: (retries: number) => (connected && options.reconnect !== false ? Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) : false),
    },
  } as Parameters<typeof createClient>[0]);
  const connection = await wrap(client as unknown as NodeRedisClient, options.logger, options.name ?? 'main');
  connected = true;
  return connection;
}

/** What this file uses of a node-redis client. */
interface NodeRedisClient {
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): NodeRedisClient;
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  close(): Promise<void>;
  destroy(): void;
  readonly isReady: boolean;
  readonly isOpen: boolean;
}

async function wrap(client: NodeRedisClient, logger: Logger | undefined, name: string): Promise<RedisConnection> {
  const readyListeners: Array<() => void> = [];
  let lastError = '';
  // Without an error listener, node-redis's reconnect errors would be thrown as unhandled events.
  client.on('error', (error: unknown) => {
    const message = (error as Error)?.message ?? String(error);
    // One line per distinct failure, not one per reconnect attempt.
    if (message !== lastError) logger?.warn({ redis: name, err: message }, 'redis connection error');
    lastError = message;
  });
  client.on('ready', () => {
    if (lastError) logger?.info({ redis: name }, 'redis connection ready again');
    lastError = '';
    for (const listener of readyListeners) listener();
  });
  try {
    await client.connect();
  } catch (error) {
    client.destroy();
    throw error;
  }
  const command = (args: readonly (string | number)[]) => client.sendCommand(args.map(String)) as Promise<Reply>;
  const connection: RedisConnection = {
    command,
    async script(script, keys, args) {
      const tail = [String(keys.length), ...keys, ...args.map(String)];
      try {
        return await command(['EVALSHA', script.sha, ...tail]);
      } catch (error) {
        if (!(error as Error)?.message?.startsWith('NOSCRIPT')) throw error;
        // A restarted (or flushed) Redis: load the script again, once, and run it by SHA.
        await command(['SCRIPT', 'LOAD', script.source]);
        return command(['EVALSHA', script.sha, ...tail]);
      }
    },
    async duplicate(childName) {
      return wrap(client.duplicate(), logger, childName);
    },
    async subscribe(channel, listener) {
      await client.subscribe(channel, listener);
    },
    onReady(listener) {
      readyListeners.push(listener);
    },
    get isReady() {
      return client.isReady;
    },
    async close() {
      if (!client.isOpen) return;
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    },
  };
  return connection;
}

/** Redis's version from INFO server, e.g. "7.0.15". */
export async function redisVersion(connection: RedisConnection): Promise<string> {
  const info = String(await connection.command(['INFO', 'server']));
  return /redis_version:([^\r\n]+)/.exec(info)?.[1]?.trim() ?? 'unknown';
}

/** True when `version` is at least `minimum` (dotted numbers). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const b = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}
