// The moderators' admin API: live figures, the audit log and its verification, announcements,
// ending chat sessions, and the on-demand retention purge. Thin: each route checks its input and
// calls a service; the services check permissions and write the audit log.
import Router from '@koa/router';
import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import type { HubStats } from '../chat/hub.ts';
import type { ModeratorService } from '../access/moderators.ts';
import { assertCan } from '../access/permissions.ts';
import type { SessionService } from '../access/sessions.ts';
import type { AuditLog } from '../moderation/audit.ts';
import type { AnnouncementService } from '../moderation/announcements.ts';
import { AnnounceBody, AuditQuery, KillBody, PurgeBody, VerifyQuery } from '../protocol/moderation.ts';
import type { RetentionService } from '../moderation/retention.ts';
import { moderationCounts } from '../moderation/stats.ts';
import { actor, moderatorAuth, parseBody } from './mod-routes.ts';
import { parseQuery } from './mod-reports-routes.ts';

export { AUDIT_PAGE_MAX } from '../protocol/moderation.ts';
const AUDIT_PAGE_DEFAULT = 100;
/** Session ids are UUIDs; anything else cannot name one. */
const SessionId = z.uuid();

export interface ModAdminDeps {
  db: Db;
  now: () => number;
  moderators: ModeratorService;
  audit: AuditLog;
  sessions: SessionService;
  announcements: AnnouncementService;
  retention: RetentionService;
  /** The live figures (the Hub's: the cluster's). */
  hubStats: () => Promise<HubStats>;
}

export function createModAdminRouter(deps: ModAdminDeps): Router {
  const router = new Router({ prefix: '/api/mod' });
  router.use(moderatorAuth(deps.moderators));

  router.get('/stats', async (ctx) => {
    assertCan(actor(ctx).role, 'stats.read');
    const live = await deps.hubStats();
    const counts = await moderationCounts(deps.db, deps.now());
    ctx.body = {
      online: live.online,
      queued: live.queued,
      inConversation: live.inConversation,
      conversations: live.conversations,
      ...counts,
    };
  });

  router.post('/announce', async (ctx) => {
    assertCan(actor(ctx).role, 'announce');
    const body = parseBody(AnnounceBody, ctx.request.body);
    ctx.status = 201;
    ctx.body = { announcement: await deps.announcements.announce(body.text, actor(ctx)) };
  });

  router.get('/audit', async (ctx) => {
    const query = parseQuery(AuditQuery, ctx.query);
    const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
    const entries = await deps.audit.list(actor(ctx), { ...query, limit });
    // The next page: entries older than the last one returned.
    ctx.body = { entries, nextBeforeId: entries.length === limit ? entries[entries.length - 1]!.id : null };
  });

  router.get('/audit/verify', async (ctx) => {
    assertCan(actor(ctx).role, 'audit.read');
    const query = parseQuery(VerifyQuery, ctx.query);
    ctx.body = await deps.audit.verify(query.expect ? { expect: query.expect } : {});
  });

  router.post('/sessions/:id/kill', async (ctx) => {
    assertCan(actor(ctx).role, 'sessions.kill');
    const body = parseBody(KillBody, ctx.request.body ?? {});
    const id = SessionId.safeParse(ctx.params.id);
    if (!id.success) throw new AppError(404, 'not_found', 'No such session.');
    ctx.body = await deps.sessions.end(id.data, actor(ctx), body.reason);
  });

  router.post('/purge', async (ctx) => {
    assertCan(actor(ctx).role, 'config.manage');
    const body = parseBody(PurgeBody, ctx.request.body ?? {});
    ctx.body = await deps.retention.purge({ dryRun: body.dryRun === true, actor: actor(ctx) });
  });

  return router;
}
