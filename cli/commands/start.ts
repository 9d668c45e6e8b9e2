// `strangerchat start`: runs an instance in the foreground until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createServer } from '../../server/app.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { createLogger } from '../../server/logger.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { DEFAULT_INSTANCE, isEmptyFolder, isInstanceFolder, writeInstance } from '../instance.ts';
import { packageVersion } from '../version.ts';

export interface StartOptions {
  dir?: string;
  port?: number;
  host?: string;
}

export function registerStart(program: Command, ctx: Context): void {
  program
    .command('start')
    .description('run the instance in the foreground (creates a default one in an empty folder)')
    .option('-C, --dir <dir>', 'instance folder', undefined)
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort)
    .option('--host <host>', 'address to listen on')
    .addHelpText('after', '\nExample:\n  $ strangerchat start --dir my-chat --port 8080\n')
    .action(async (options: StartOptions) => {
      await start(ctx, options);
    });
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be an integer from 0 to 65535, got "${value}"`, ExitCode.Usage);
  return port;
}

export async function start(ctx: Context, options: StartOptions): Promise<void> {
  // Listen for SIGINT/SIGTERM from the first moment: a stop during start-up waits for it, then stops cleanly.
  const stopSignal = ctx.untilSignal();
  const dir = resolve(ctx.cwd, options.dir ?? ctx.env.STRANGERCHAT_DIR ?? '.');
  if (!isInstanceFolder(dir)) {
    if (!isEmptyFolder(dir)) {
      throw new CliError(`${dir} is not empty and holds no strangerchat.json; pass --dir with an instance folder or an empty one`, ExitCode.Usage);
    }
    writeInstance(dir, DEFAULT_INSTANCE);
    ctx.stderr.write(`Created a new instance in ${dir} (profile community, access open).\n`);
  }

  let config;
  try {
    config = loadConfig({ dir, env: ctx.env, version: packageVersion(), overrides: { port: options.port, host: options.host } });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, ExitCode.InvalidConfig);
    throw error;
  }
  const logger = createLogger({ level: config.settings.log.level, destination: ctx.stderr });
  const db = await openDatabase(config.database);
  try {
    const migrated = await migrateToLatest(db);
    for (const result of migrated.results ?? []) logger.info({ migration: result.migrationName }, 'migration applied');
    const server = await createServer(config, { db, logger });
    ctx.stdout.write(`${server.url}\n`);
    const signal = await stopSignal;
    logger.info({ signal }, 'shutting down');
    await server.close();
  } finally {
    await db.destroy();
  }
}
