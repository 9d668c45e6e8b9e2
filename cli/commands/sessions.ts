// `strangerchat sessions list|kill`: chat sessions from the database, marked live when the running
// server's status file lists them; kill ends one through SessionService, and the running server
// closes its connections with 4401 within 2 s (the moderation feed). Works with the server stopped.
import type { Command } from 'commander';
import type { ServerConfig } from '../../server/config.ts';
import type { Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { table, type GlobalOptions } from '../output.ts';
import { readRunning, readStatusFile } from '../pidfile.ts';
import { countFlag, liveNote, resolveId, runningServer, shortId, sinceFlag, withServices } from '../services.ts';
import { STATUS_INTERVAL_MS } from './start.ts';

/** Live figures older than this are not trusted (the server rewrites them every 2 s). */
const STALE_AFTER_MS = STATUS_INTERVAL_MS * 5;

interface ListOptions extends GlobalOptions {
  all?: boolean;
  live?: boolean;
  since?: number;
  limit?: number;
}

interface KillOptions extends GlobalOptions {
  reason?: string;
}

export function registerSessions(program: Command, ctx: Context): void {
  const sessions = program.command('sessions').description('chat sessions: list (live ones marked), kill');
  withExamples(sessions, ['strangerchat sessions list --live', 'strangerchat sessions kill 1a2b3c4d']);

  const list = sessions
    .command('list')
    .description('recent chat sessions, newest first: id, device, age band, created, ended, and whether the running server has them connected now')
    .option('--live', 'only sessions connected to the running server now')
    .option('--all', 'include sessions a moderator ended')
    .option('--since <when>', 'created since: a duration back from now (24h, 7d) or a date (2026-11-28)', sinceFlag)
    .option('--limit <count>', 'at most this many (default 50)', countFlag('--limit', 1, 1000))
    .action(async (_o: ListOptions, command: Command) => sessionsList(ctx, command.optsWithGlobals<ListOptions>()));
  withExamples(list, ['strangerchat sessions list', 'strangerchat sessions list --live --json', 'strangerchat sessions list --since 1h --limit 200']);

  const kill = sessions
    .command('kill')
    .argument('<id>', 'a session id, or a unique prefix of one (as sessions list shows it)')
    .description('end a session: the running server disconnects it (close code 4401) within 2 s, and its ticket no longer works')
    .option('--reason <text>', 'why (for the audit log)')
    .action(async (id: string, _o: KillOptions, command: Command) => sessionsKill(ctx, command.optsWithGlobals<KillOptions>(), id));
  withExamples(kill, ['strangerchat sessions kill 1a2b3c4d --reason "flooding"']);
}

/**
 * The session ids the running server has connected, from its status file; undefined when that
 * cannot be known (not running, a stale file, or a server that does not list them).
 */
export function liveSessionIds(config: ServerConfig, now: number): Set<string> | undefined {
  const running = readRunning(config);
  if (!running) return new Set();
  const status = readStatusFile(config);
  if (!status || status.pid !== running.pid || now - status.updatedAt > STALE_AFTER_MS || !Array.isArray(status.sessions)) return undefined;
  return new Set(status.sessions.filter((id) => typeof id === 'string'));
}

export async function sessionsList(ctx: Context, options: ListOptions): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output, now }) => {
    const live = liveSessionIds(instance.config, now());
    if (options.live && !live) output.warn('cannot tell which sessions are live: the running server has not written a recent status file');
    const limit = options.limit ?? 50;
    let sessions = await services.sessions.list(actor, {
      includeEnded: options.all === true,
      ...(options.since !== undefined ? { since: options.since } : {}),
      // Live sessions are among the newest; ask for more so the filter below still fills a page.
      limit: options.live ? 1000 : limit,
    });
    if (options.live) sessions = sessions.filter((session) => live?.has(session.id)).slice(0, limit);
    const shaped = sessions.map((session) => ({ ...session, live: live ? live.has(session.id) : null }));
    output.result({ running: readRunning(instance.config) !== undefined, sessions: shaped }, () =>
      shaped.length === 0
        ? options.live
          ? 'no live sessions'
          : 'no sessions'
        : table(
            ['id', 'device', 'band', 'created', 'ended', 'live'],
            shaped.map((s) => [shortId(s.id), shortId(s.deviceId), s.band, output.time(s.createdAt), output.time(s.endedAt), s.live === null ? '?' : s.live ? output.out.green('live') : '-']),
          ),
    );
  });
}

export async function sessionsKill(ctx: Context, options: KillOptions, idText: string): Promise<void> {
  await withServices(ctx, options, async ({ instance, services, actor, output }) => {
    const id = await resolveId(instance.db, 'sessions', idText, 'session');
    const result = await services.sessions.end(id, actor, options.reason);
    const running = runningServer(instance.config);
    output.result({ ...result, running: running !== undefined }, () => `${result.ended ? 'ended' : 'already ended; closed again'} session ${shortId(id)}`);
    output.say(
      running || instance.config.database.driver === 'postgres'
        ? `Its connections are closed: ${liveNote(instance.config, running)}.`
        : 'The server is not running, so nothing was connected; the session cannot open a new connection.',
    );
  });
}
