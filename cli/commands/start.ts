// `strangerchat start`: preflight checks, a backup and the pending migrations, then the instance
// in the foreground until SIGINT/SIGTERM. Its URL is printed once /healthz answers; a pid file
// and a status file (live figures, rewritten every few seconds) serve `status` and `stop`.
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { createServer, type RunningServer } from '../../server/app.ts';
import { ENV_FILE, type ServerConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import type { RedisCluster } from '../../server/cluster/redis/redis-cluster.ts';
import { migrateToLatest, pendingMigrations } from '../../server/db/migrate.ts';
import { createInstanceLogger, type InstanceLogger, type Logger } from '../../server/logger.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { looseFiles, usePrivateUmask } from '../file-modes.ts';
import { withExamples } from '../help.ts';
import { DEFAULT_INSTANCE, isEmptyFolder, isInstanceFolder, loadInstanceConfig, resolveInstanceDir, writeInstance } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { fingerprints } from '../loaded-files.ts';
import { dataDirOf, logFileBase } from '../paths.ts';
import { readRunning, removePidFile, writePidFile, writeStatusFile, writeStatusFileAsync } from '../pidfile.ts';
import { dataDirProblem, fetchHealth, portProblem } from '../preflight.ts';
import { backupBeforeMigrations } from '../start-hooks.ts';
import { stopCommand } from '../stop-hint.ts';
import { startMemoryTrimmer, type MemoryTrimmer } from '../start-memory.ts';
import { detectSupervisor } from '../supervisor.ts';
import { scheduleUpdateChecks, type UpdateSchedule } from '../updates.ts';
import { BENCH_STATS_ENV, BENCH_STATS_LINE, startBenchStats, type BenchStatsListener } from '../bench-stats.ts';

/** How often the running server rewrites its status file (what `status` shows as live figures). */
export const STATUS_INTERVAL_MS = 2000;

export interface StartOptions extends GlobalOptions {
  port?: number;
  host?: string;
  /** The log goes to its file only, not to the terminal (how `restart` starts an instance in the background). */
  quiet?: boolean;
}

export function registerStart(program: Command, ctx: Context): void {
  const command = program
    .command('start')
    .description('run the instance in the foreground: preflight checks, a backup before pending migrations, then serve (an empty folder gets a default instance)')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort)
    .option('--host <host>', 'address to listen on (e.g. 0.0.0.0 behind a proxy on another machine)')
    .option('--quiet', 'write the log only to its file in data/logs (strangerchat logs reads it), not to the terminal')
    .action(async (_options: StartOptions, command: Command) => {
      await start(ctx, command.optsWithGlobals<StartOptions>());
    });
  withExamples(command, ['strangerchat start -C my-chat', 'strangerchat start -C my-chat --port 8080 --host 0.0.0.0', 'strangerchat start --quiet & strangerchat logs -f']);
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new CliError(`--port must be an integer from 0 to 65535, got "${value}"`, ExitCode.Usage);
  return port;
}

/** The folder to start: an instance folder, or an empty one that gets a default instance. */
function startDir(ctx: Context, options: StartOptions): { dir: string; created: boolean } {
  const explicit = options.dir ?? ctx.env.STRANGERCHAT_DIR;
  const candidate = explicit ? resolve(ctx.cwd, explicit) : undefined;
  if (candidate && isInstanceFolder(candidate)) return { dir: candidate, created: false };
  if (!candidate) {
    try {
      return { dir: resolveInstanceDir(ctx, options), created: false };
    } catch (error) {
      if (!isEmptyFolder(ctx.cwd)) throw error;
    }
  }
  const dir = candidate ?? resolve(ctx.cwd);
  if (!isEmptyFolder(dir)) {
    throw new CliError(`${dir} is not empty and holds no strangerchat.json; pass -C with an instance folder or an empty one`, ExitCode.Usage);
  }
  writeInstance(dir, DEFAULT_INSTANCE);
  return { dir, created: true };
}

/** Fails fast, before any migration or backup, with what to do about it. */
async function preflight(config: ServerConfig): Promise<void> {
  const running = readRunning(config);
  if (running) throw new CliError(`this instance is already running (pid ${running.pid}) at ${running.url}; stop it first with strangerchat stop`);
  const dataProblem = dataDirProblem(dataDirOf(config));
  if (dataProblem) throw new CliError(`${dataProblem}; fix the folder's owner or permissions`);
  const { host, port } = config.settings.server;
  const busy = await portProblem(host, port);
  if (busy) throw new CliError(`${busy}; choose another with --port or strangerchat config set server.port <port>`);
}

export async function start(ctx: Context, options: StartOptions): Promise<void> {
  // Listen for SIGINT/SIGTERM from the first moment: a stop during start-up waits for it, then stops cleanly.
  const stopSignal = ctx.untilSignal();
  // Whoever starts it (the CLI, an embedding script): the database, WAL, SHM and backups are born private.
  usePrivateUmask();
  const output = new Output(ctx, options);
  const { dir, created } = startDir(ctx, options);
  if (created) output.say(`Created a new instance in ${dir} (profile community, access open).`);

  const config = loadInstanceConfig(ctx, dir, { port: options.port, host: options.host });
  const loaded = fingerprints(dir, config.settings.rulesFile);
  await preflight(config);
  const loose = looseFiles({ dataDir: dataDirOf(config), envFile: join(dir, ENV_FILE) });
  if (loose.length) output.warn(`${loose.length} file(s) of this instance can be read by other users of this machine (${loose[0]!.path}, …): run strangerchat doctor --fix`);
  const log = instanceLogger(ctx, config, options, output);
  const { logger } = log;
  const db = await openDatabase(config.database).catch(async (error: unknown) => {
    await log.close();
    throw error;
  });
  try {
    const pending = await pendingMigrations(db);
    if (pending.length && !created) await backupBeforeMigrations(ctx, config, db, pending, logger);
    const migrated = await migrateToLatest(db);
    for (const result of migrated.results ?? []) logger.info({ migration: result.migrationName }, 'migration applied');
    // A Redis URL makes this process one node of a cluster (docs/scaling.md); closed after the server.
    const cluster = await joinCluster(ctx, config, logger);
    const server = await listen(config, () => createServer(config, { db, logger, ...(cluster ? { cluster } : {}) })).catch(async (error: unknown) => {
      await cluster?.close();
      throw error;
    });
    let statusTimer: NodeJS.Timeout | undefined;
    let statusWrite: Promise<void> | undefined;
    let benchStats: BenchStatsListener | undefined;
    let updates: UpdateSchedule | undefined;
    let trimmer: MemoryTrimmer | undefined;
    let stopping = false;
    try {
      // The server is in-process, so /healthz answers at once; asking it proves the HTTP stack and the database.
      const health = await fetchHealth(server.url);
      if (!health.ok) throw new CliError(`the server started but ${server.url}/healthz answered ${health.status ?? health.error}: the database does not answer`);
      const supervisor = detectSupervisor(ctx.env);
      writePidFile(config, {
        pid: process.pid,
        url: server.url,
        startedAt: Date.now(),
        version: config.version,
        loaded,
        startOptions: { ...(options.port !== undefined ? { port: options.port } : {}), ...(options.host !== undefined ? { host: options.host } : {}) },
        ...(supervisor ? { supervisor } : {}),
      });
      const liveStatus = async () => {
        const nodes = cluster ? (await cluster.liveNodes()).map((node) => ({ id: node.id, startedAt: node.startedAt, seenAt: node.seenAt, ...node.stats })) : undefined;
        return { pid: process.pid, updatedAt: Date.now(), ...(await server.stats()), sessions: server.liveSessionIds(), ...(nodes ? { node: cluster!.nodeId, nodes } : {}) };
      };
      try {
        writeStatusFile(config, await liveStatus());
      } catch (error) {
        logger.warn({ err: error }, 'could not write the status file');
      }
      // Later refreshes are written off the event loop, one at a time (a slow disk skips a beat).
      const refreshStatus = () => {
        if (statusWrite) return;
        statusWrite = liveStatus()
          .then((status) => writeStatusFileAsync(config, status))
          .catch((error: unknown) => logger.warn({ err: error }, 'could not write the status file'))
          .finally(() => (statusWrite = undefined));
      };
      statusTimer = setInterval(refreshStatus, STATUS_INTERVAL_MS);
      statusTimer.unref();
      updates = scheduleUpdateChecks({ config, env: ctx.env, logger });
      output.result({ url: server.url, pid: process.pid, version: config.version, publicUrl: config.settings.publicUrl ?? null }, () => server.url);
      output.say(`strangerchat ${config.version} is running at ${server.url}${config.settings.publicUrl ? ` (public: ${config.settings.publicUrl})` : ''}; stop it with Ctrl-C or ${stopCommand(ctx, dir)}.`);
      // The load harness's instrument (cli/bench-stats.ts); off unless the bench asks for it.
      if (ctx.env[BENCH_STATS_ENV] === '1') {
        benchStats = await startBenchStats(server);
        ctx.stderr.write(`${BENCH_STATS_LINE}${benchStats.url}\n`);
      }
      // Bans load after the URL is out (requests wait for them); a server that cannot load them stops.
      const unloadable = server.ready.then(
        () => {
          // What start-up left in V8's young generation is handed back now, and after each busy spell.
          if (!stopping) trimmer = startMemoryTrimmer();
          return new Promise<never>(() => {});
        },
        (error: unknown) => {
          throw new CliError(`could not load the bans from the database: ${(error as Error).message}`);
        },
      );
      const signal = await Promise.race([stopSignal, unloadable]);
      logger.info({ signal }, 'shutting down');
    } finally {
      stopping = true;
      clearInterval(statusTimer);
      trimmer?.stop();
      // A refresh still being written must not recreate the status file after it is removed.
      await statusWrite;
      updates?.stop();
      await benchStats?.close();
      await server.close();
      await cluster?.close();
      removePidFile(config);
    }
  } finally {
    await db.destroy();
    await log.close();
  }
}

/** Joins the cluster when a Redis URL is set; the node id is STRANGERCHAT_NODE_ID or a new one. */
async function joinCluster(ctx: Context, config: ServerConfig, logger: Logger): Promise<RedisCluster | undefined> {
  const url = config.settings.redis.url;
  if (!url) return undefined;
  const nodeId = ctx.env.STRANGERCHAT_NODE_ID?.trim() || `${hostname()}-${randomBytes(4).toString('hex')}`;
  // Loaded only for a cluster: the Redis client is most of what a start would otherwise load.
  const [{ connectRedisCluster }, { redactRedisUrl }] = await Promise.all([import('../../server/cluster/redis/redis-cluster.ts'), import('../../server/cluster/redis/client.ts')]);
  try {
    const cluster = await connectRedisCluster({ url, nodeId, logger, version: config.version, nodeTtlMs: config.settings.redis.nodeTtlSeconds * 1000 });
    logger.info({ node: nodeId, redis: redactRedisUrl(url) }, 'joined the cluster');
    return cluster;
  } catch (error) {
    throw new CliError(`could not reach Redis at ${redactRedisUrl(url)} (redis.url / STRANGERCHAT_REDIS_URL): ${(error as Error).message}`);
  }
}

/**
 * The log: to the terminal (readable lines on a TTY, JSON lines otherwise; none with --quiet)
 * and to the size-rotated file in data/logs (log.file), both written asynchronously.
 */
function instanceLogger(ctx: Context, config: ServerConfig, options: StartOptions, output: Output): InstanceLogger {
  const { log } = config.settings;
  return createInstanceLogger({
    level: log.level,
    ...(options.quiet ? {} : { console: { stream: ctx.stderr, pretty: ctx.stderr.isTTY === true && !options.json, colour: output.err.level > 0 } }),
    ...(log.file ? { file: { path: logFileBase(config), maxMegabytes: log.fileMaxMegabytes, keep: log.filesKept } } : {}),
  });
}

/** Starts the server; a port taken between preflight and listen still gets a clear message. */
async function listen(config: ServerConfig, create: () => Promise<RunningServer>): Promise<RunningServer> {
  try {
    return await create();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const { host, port } = config.settings.server;
    if (code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is already in use; choose another with --port`);
    if (code === 'EACCES') throw new CliError(`port ${port} needs privileges: use a port of 1024 or more behind a reverse proxy`);
    throw error;
  }
}
