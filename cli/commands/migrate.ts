// `strangerchat migrate status|up`: the database schema. `start` migrates by itself; these are
// for checking before an upgrade (status exits 10 when migrations are pending) and for doing it
// by hand (up takes a backup first and refuses while the server runs).
import type { Command } from 'commander';
import { createMigrator, migrateToLatest } from '../../server/db/migrate.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { openInstance } from '../instance.ts';
import { Output, table, type GlobalOptions } from '../output.ts';
import { readRunning } from '../pidfile.ts';
import { backupBeforeMigrations } from '../start-hooks.ts';

export function registerMigrate(program: Command, ctx: Context): void {
  const migrate = program.command('migrate').description('show or apply database migrations (start applies them by itself)');
  withExamples(migrate, ['strangerchat migrate status', 'strangerchat migrate up']);

  const status = migrate
    .command('status')
    .description('list migrations, applied and pending (exit 10 when some are pending)')
    .action(async (_options: GlobalOptions, command: Command) => {
      await migrateStatus(ctx, command.optsWithGlobals<GlobalOptions>());
    });
  withExamples(status, ['strangerchat migrate status', 'strangerchat migrate status --json || echo "run strangerchat migrate up"']);

  const up = migrate
    .command('up')
    .description('back up the database, then apply every pending migration (the server must be stopped)')
    .action(async (_options: GlobalOptions, command: Command) => {
      await migrateUp(ctx, command.optsWithGlobals<GlobalOptions>());
    });
  withExamples(up, ['strangerchat stop && strangerchat migrate up && strangerchat start']);
}

export async function migrateStatus(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const instance = await openInstance(ctx, options, { allowPending: true });
  try {
    const migrations = await createMigrator(instance.db).getMigrations();
    const list = migrations.map((m) => ({ name: m.name, appliedAt: m.executedAt ? m.executedAt.getTime() : null }));
    const pending = list.filter((m) => m.appliedAt === null).map((m) => m.name);
    output.result({ migrations: list, pending }, () =>
      table(
        ['migration', 'applied'],
        list.map((m) => [m.name, m.appliedAt === null ? output.out.yellow('pending') : output.time(m.appliedAt)]),
      ),
    );
    if (pending.length) throw new CliError(`${pending.length} migration(s) pending: run strangerchat migrate up (or start)`, ExitCode.MigrationsPending);
  } finally {
    await instance.close();
  }
}

export async function migrateUp(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const instance = await openInstance(ctx, options, { allowPending: true });
  try {
    const running = readRunning(instance.config);
    if (running) {
      throw new CliError(`the server is running (pid ${running.pid}); stop it first (strangerchat stop) — start applies migrations by itself`);
    }
    const pending = (await createMigrator(instance.db).getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
    const logger = {
      info: (_details: object, message: string) => output.progress(message),
      warn: (_details: object, message: string) => output.warn(message),
    };
    const backup = await backupBeforeMigrations(ctx, instance.config, instance.db, pending, logger);
    const result = await migrateToLatest(instance.db);
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    output.result({ applied, backup: backup?.name ?? null }, () =>
      applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}${backup ? `\nbackup taken first: ${backup.name}` : ''}` : 'already up to date',
    );
  } finally {
    await instance.close();
  }
}
