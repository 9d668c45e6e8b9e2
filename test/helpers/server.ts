// newServer(): the real server on port 0 with a real SQLite file in a fresh folder; always torn down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type RunningServer } from '../../server/app.ts';
import { makeConfig, type Secrets, type ServerConfig } from '../../server/config.ts';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { silentLogger, type Logger } from '../../server/logger.ts';

export interface TestServer extends RunningServer {
  config: ServerConfig;
  db: Db;
  dir: string;
  /** Opens a second, independent connection to the same database file (as the CLI would). */
  openSecondDb(): Promise<Db>;
  /** Closes the server and database and removes the folder. */
  stop(): Promise<void>;
}

export function tempDir(prefix = 'strangerchat-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface NewServerOptions {
  now?: () => number;
  rules?: string;
  secrets?: Partial<Secrets>;
  /** A logger to read what the server logs (default: silent). */
  logger?: Logger;
  /** The database to use instead of a SQLite file in the folder, e.g. a test PostgreSQL's URL. */
  database?: ServerConfig['database'];
  /** How often the moderation feed is read (default 100 ms); a test of what happens between reads sets it long. */
  feedIntervalMs?: number;
  /** The rules in other languages (`rules.fr.md` and the like), by language. */
  rulesByLanguage?: Record<string, string>;
  /** How often the online count is pushed (default: the server's). */
  presenceIntervalMs?: number;
  /** The alert outbox's waits between attempts and how often it is read (default: the server's). */
  alertDelivery?: { retryFirstMs?: number; pollMs?: number };
}

export async function newServer(settings: Record<string, unknown> = {}, options: NewServerOptions = {}): Promise<TestServer> {
  const dir = tempDir();
  const base = settings as { server?: Record<string, unknown>; limits?: Record<string, unknown> };
  const made = makeConfig({
    dir,
    rules: options.rules,
    rulesByLanguage: options.rulesByLanguage,
    secrets: options.secrets,
    settings: {
      ...settings,
      server: { host: '127.0.0.1', port: 0, shutdownGraceSeconds: 1, ...base.server },
    },
  });
  const config: ServerConfig = options.database ? Object.freeze({ ...made, database: Object.freeze({ ...options.database }) }) : made;
  const db = await openDatabase(config.database);
  await migrateToLatest(db);
  const server = await createServer(config, { db, logger: options.logger ?? silentLogger(), now: options.now, feedIntervalMs: options.feedIntervalMs ?? 100, presenceIntervalMs: options.presenceIntervalMs, alertDelivery: options.alertDelivery });
  const others: Db[] = [];
  return Object.assign(Object.create(null) as object, {
    url: server.url,
    port: server.port,
    ready: server.ready,
    stats: server.stats,
    liveSessionIds: server.liveSessionIds,
    close: server.close,
    config,
    db,
    dir,
    async openSecondDb() {
      const other = await openDatabase(config.database);
      others.push(other);
      return other;
    },
    async stop() {
      await server.close();
      for (const other of others) await other.destroy();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  }) as TestServer;
}
