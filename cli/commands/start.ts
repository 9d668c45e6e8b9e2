// `strangerchat start`: runs the instance in the foreground until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createServer } from '../../server/app.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatest, pendingMigrations } from '../../server/db/migrate.ts';
import { createLogger } from '../../server/logger.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { DEFAULT_INSTANCE, isEmptyFolder, isInstanceFolder, loadInstanceConfig, resolveInstanceDir, writeInstance } from '../instance.ts';
import type { GlobalOptions } from '../output.ts';
import { removePidFile, writePidFile } from '../pidfile.ts';
import { backupBeforeMigrations } from '../start-hooks.ts';

export interface StartOptions extends GlobalOptions {
  port?: number;
  host?: string;
}

export function registerStart(program: Command, ctx: Context): void {
  program
    .command('start')
    .description('run the instance in the foreground (an empty folder gets a default instance)')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort)
    .option('--host <host>', 'address to listen on (e.g. 0.0.0.0 behind a proxy on another machine)')
    .addHelpText('after', '\nExamples:\n  $ strangerchat start -C my-chat\n  $ strangerchat start -C my-chat --port 8080 --host 0.0.0.0\n')
    .action(async (_options: StartOptions, command: Command) => {
      await start(ctx, command.optsWithGlobals<StartOptions>());
    });
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

export async function start(ctx: Context, options: StartOptions): Promise<void> {
  // Listen for SIGINT/SIGTERM from the first moment: a stop during start-up waits for it, then stops cleanly.
  const stopSignal = ctx.untilSignal();
  const { dir, created } = startDir(ctx, options);
  if (created) ctx.stderr.write(`Created a new instance in ${dir} (profile community, access open).\n`);

  const config = loadInstanceConfig(ctx, dir, { port: options.port, host: options.host });
  const logger = createLogger({ level: config.settings.log.level, destination: ctx.stderr });
  const db = await openDatabase(config.database);
  try {
    const pending = await pendingMigrations(db);
    if (pending.length && !created) await backupBeforeMigrations(ctx, config, db, pending, logger);
    const migrated = await migrateToLatest(db);
    for (const result of migrated.results ?? []) logger.info({ migration: result.migrationName }, 'migration applied');
    const server = await createServer(config, { db, logger });
    writePidFile(config, { pid: process.pid, url: server.url, startedAt: Date.now(), version: config.version });
    ctx.stdout.write(`${server.url}\n`);
    try {
      const signal = await stopSignal;
      logger.info({ signal }, 'shutting down');
      await server.close();
    } finally {
      removePidFile(config);
    }
  } finally {
    await db.destroy();
  }
}
