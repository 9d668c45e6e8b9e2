// `strangerchat status`: is the instance running (pid file and /healthz), what is it doing (the
// status file the running server rewrites), whether the space is open (opening hours, a pause)
// and who is on duty, and the state of its data (reports, size, backups, migrations). Works with
// the server running or stopped; exit 5 when it is not running.
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { sql } from 'kysely';
import type { ServerConfig } from '../../server/config.ts';
import { listBackups } from '../../server/db/backup.ts';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { pendingMigrations } from '../../server/db/migrate.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { changedFiles } from '../loaded-files.ts';
import { availableUpdate, currentVersion, readUpdateCheck } from '../updates.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { backupsDirOf } from '../paths.ts';
import { readRunning, readStatusFile, type NodeStatus } from '../pidfile.ts';
import { fetchHealth } from '../preflight.ts';
import { STATUS_INTERVAL_MS } from './start.ts';
import { packageVersion } from '../version.ts';
import { minorMediaWarnings } from '../../server/chat/media-policy.ts';
import type { Availability } from '../../server/protocol/http.ts';
import { formatMoment } from '../../server/access/opening-hours.ts';
import type { OnDuty } from '../../server/protocol/moderation.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';
import { terminalSafe } from '../services.ts';

/** Live figures older than this are reported as stale (the server writes them every 2 s). */
const STALE_AFTER_MS = STATUS_INTERVAL_MS * 5;

/** The stable shape of `status --json`. */
export interface StatusReport {
  dir: string;
  running: boolean;
  /** /healthz answered 200 (null when not running). */
  healthy: boolean | null;
  pid: number | null;
  url: string | null;
  publicUrl: string | null;
  /** The version of this CLI, and the version the running server started with. */
  version: string;
  runningVersion: string | null;
  startedAt: number | null;
  /** Live figures from the running server; null when not running or stale. */
  live: { online: number; queued: number; inConversation: number; conversations: number; updatedAt: number } | null;
  /** In a cluster (redis.url): this process's node and every live node with its figures; null on one process. */
  cluster: { node: string; nodes: NodeStatus[] } | null;
  openReports: number | null;
  database: { driver: 'sqlite' | 'postgres'; path: string | null; sizeBytes: number | null };
  lastBackup: { name: string; createdAt: number; sizeBytes: number } | null;
  pendingMigrations: string[] | null;
  /** Problems with the settings worth the operator's attention (e.g. minors without video). */
  warnings: string[];
  /** Whether the space is open now (opening hours, a pause), whether video is offered, and who is on duty; null when the database cannot be read. */
  availability: (Availability & { pausedBy: string | null; onDuty: OnDuty[] }) | null;
  /** The files changed since the running server loaded them (a restart applies them); null when not running. */
  changedSinceStart: string[] | null;
  /** A newer strangerchat in the registry, from the last check (cached: status never asks the network). */
  updateAvailable: { current: string; latest: string; checkedAt: number } | null;
}

export function registerStatus(program: Command, ctx: Context): void {
  const command = program
    .command('status')
    .description('whether the instance runs, its URL and version, people online / queued / in conversation, whether it is open (opening hours, a pause) and who is on duty, open reports, database size, last backup, pending migrations (exit 5 when not running)')
    .action(async (_options: GlobalOptions, command: Command) => {
      await status(ctx, command.optsWithGlobals<GlobalOptions>());
    });
  withExamples(command, ['strangerchat status', 'strangerchat status -C my-chat --json']);
}

export async function status(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const { dir, config } = instanceConfig(ctx, options);
  const report = await collectStatus(dir, config);
  output.result(report, () => formatStatus(report, output));
  if (!report.running) throw new CliError('', ExitCode.NotRunning);
}

export async function collectStatus(dir: string, config: ServerConfig): Promise<StatusReport> {
  const running = readRunning(config);
  const health = running ? await fetchHealth(running.url) : undefined;
  const statusFile = running ? readStatusFile(config) : undefined;
  const live = statusFile && statusFile.pid === running?.pid && Date.now() - statusFile.updatedAt < STALE_AFTER_MS ? statusFile : undefined;
  const data = await readData(config);
  const backups = config.database.driver === 'sqlite' ? await listBackups(backupsDirOf(config)) : [];
  const last = backups.at(-1);
  return {
    dir,
    running: running !== undefined,
    healthy: health ? health.ok : null,
    pid: running?.pid ?? null,
    url: running?.url ?? null,
    publicUrl: config.settings.publicUrl ?? null,
    version: packageVersion(),
    runningVersion: running?.version ?? null,
    startedAt: running?.startedAt ?? null,
    live: live
      ? { online: live.online, queued: live.queued, inConversation: live.inConversation, conversations: live.conversations, updatedAt: live.updatedAt }
      : null,
    cluster: live?.node && live.nodes ? { node: live.node, nodes: live.nodes } : null,
    ...data,
    lastBackup: last ? { name: last.name, createdAt: last.createdAt, sizeBytes: last.sizeBytes } : null,
    warnings: minorMediaWarnings(config),
    changedSinceStart: running?.loaded ? changedFiles(dir, running.loaded) : null,
    updateAvailable: cachedUpdate(dir, config),
  };
}

function cachedUpdate(dir: string, config: ServerConfig): StatusReport['updateAvailable'] {
  const check = readUpdateCheck(config);
  const current = currentVersion(dir, packageVersion());
  const latest = availableUpdate(check, current);
  return latest && check ? { current, latest, checkedAt: check.checkedAt } : null;
}

/** What the database says: open reports, its size, pending migrations (nulls when it cannot be read). */
async function readData(config: ServerConfig): Promise<Pick<StatusReport, 'openReports' | 'database' | 'pendingMigrations' | 'availability'>> {
  const sqlite = config.database.driver === 'sqlite' ? config.database.path : null;
  const database: StatusReport['database'] = { driver: config.database.driver, path: sqlite, sizeBytes: null };
  // Opening a missing SQLite file would create it: report it missing instead.
  if (sqlite && !existsSync(sqlite)) return { openReports: null, database, pendingMigrations: null, availability: null };
  if (sqlite) database.sizeBytes = ['', '-wal'].reduce((sum, suffix) => sum + (existsSync(sqlite + suffix) ? statSync(sqlite + suffix).size : 0), 0);
  let db: Db | undefined;
  try {
    db = await openDatabase(config.database);
    const pending = await pendingMigrations(db);
    let openReports: number | null = null;
    try {
      const row = await db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow();
      openReports = Number(row.n);
    } catch {
      // The reports table arrives with a migration that may still be pending.
    }
    if (!sqlite) {
      const size = await sql<{ size: string }>`select pg_database_size(current_database()) as size`.execute(db);
      database.sizeBytes = Number(size.rows[0]?.size ?? 0) || null;
    }
    return { openReports, database, pendingMigrations: pending, availability: pending.length ? null : await readAvailability(db, config) };
  } catch {
    return { openReports: null, database, pendingMigrations: null, availability: null };
  } finally {
    await db?.destroy();
  }
}

/** The same answer the server gives (AvailabilityService), read from the database. */
async function readAvailability(db: Db, config: ServerConfig): Promise<StatusReport['availability']> {
  const services = createServices({ db, config, logger: silentLogger() });
  try {
    const state = await services.availability.state();
    const pause = state.state === 'paused' ? await db.selectFrom('site_pauses').select('paused_by').where('resumed_at', 'is', null).orderBy('paused_at', 'desc').executeTakeFirst() : undefined;
    return { ...state, pausedBy: pause?.paused_by ?? null, onDuty: await services.duty.onDuty() };
  } finally {
    services.close();
  }
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function formatStatus(report: StatusReport, output: Output): string {
  const c = output.out;
  const lines: Array<[string, string]> = [];
  if (report.running) {
    const health = report.healthy ? c.green('healthy') : c.red('not answering /healthz');
    lines.push(['status', `${c.green('running')} (pid ${report.pid}), ${health}`]);
    lines.push(['url', report.url ?? '-']);
  } else {
    lines.push(['status', c.yellow('not running')]);
  }
  if (report.changedSinceStart?.length) lines.push(['settings', c.yellow(`changed since start: restart to apply (${report.changedSinceStart.join(', ')}; strangerchat restart)`)]);
  if (report.publicUrl) lines.push(['public url', report.publicUrl]);
  lines.push(['version', report.runningVersion && report.runningVersion !== report.version ? `${report.version} (running: ${report.runningVersion})` : report.version]);
  if (report.updateAvailable) lines.push(['update', c.yellow(`${report.updateAvailable.latest} is available (strangerchat update; checked ${output.time(report.updateAvailable.checkedAt)})`)]);
  if (report.running) {
    lines.push([
      'people',
      report.live ? `${report.live.online} online, ${report.live.queued} queued, ${report.live.inConversation} in conversation` : 'unknown (no recent status file)',
    ]);
  }
  if (report.cluster) {
    lines.push(['cluster', `${report.cluster.nodes.length} node(s); this one is ${report.cluster.node}`]);
    for (const node of report.cluster.nodes) {
      lines.push([`  ${node.id}`, `${node.online} online, ${node.queued} queued, ${node.inConversation} in conversation (up since ${output.time(node.startedAt)})`]);
    }
  }
  const open = report.availability;
  if (open) {
    const when = (ms: number | null) => (ms === null ? '' : formatMoment(ms, open.timeZone));
    const state =
      open.state === 'open'
        ? c.green(open.closesAt === null ? 'open' : `open until ${when(open.closesAt)}`)
        : open.state === 'closed'
          ? c.yellow(`closed by the opening hours${open.opensAt === null ? '' : `; opens ${when(open.opensAt)}`}`)
          : c.yellow(`paused by ${open.pausedBy ?? '?'}${open.message ? ` ("${terminalSafe(open.message)}")` : ''}; ${open.opensAt === null ? 'until strangerchat resume' : `opens ${when(open.opensAt)}`}`);
    lines.push(['open', state]);
    lines.push(['on duty', open.onDuty.length ? open.onDuty.map((d) => `${d.name} (until ${output.time(d.until)})`).join(', ') : 'nobody']);
    if (open.videoReason === 'no_moderator') lines.push(['video', c.yellow('not offered: nobody is on duty (moderation.videoOnlyOnDuty; strangerchat mod duty on)')]);
  }
  lines.push(['open reports', report.openReports === null ? '-' : String(report.openReports)]);
  lines.push(['database', `${report.database.driver}${report.database.path ? ` ${report.database.path}` : ''}, ${formatBytes(report.database.sizeBytes)}`]);
  lines.push(['last backup', report.lastBackup ? `${report.lastBackup.name} (${output.time(report.lastBackup.createdAt)})` : report.database.driver === 'sqlite' ? 'none' : 'pg_dump (not tracked)']);
  const pending = report.pendingMigrations;
  lines.push(['migrations', pending === null ? 'unknown' : pending.length ? c.yellow(`${pending.length} pending (strangerchat migrate up)`) : 'up to date']);
  for (const warning of report.warnings) lines.push(['warning', c.yellow(warning)]);
  const width = Math.max(...lines.map(([key]) => key.length));
  return lines.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}
