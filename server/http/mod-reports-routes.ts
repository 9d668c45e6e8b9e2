// The report queue of the moderators' API: list, open (evidence by role, every opening
// audited), evidence frames, resolve. Thin: parse, then call ReportReviewService.
import Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { ModeratorService } from '../access/moderators.ts';
import { EVIDENCE_MAX_FRAMES } from '../moderation/evidence.ts';
import type { ReportReviewService } from '../moderation/report-review.ts';
import { ReportListQuery as ListQuery, ResolveBody } from '../protocol/moderation.ts';
import { parseDuration } from '../moderation/duration.ts';
import { actor, moderatorAuth, parseBody } from './mod-routes.ts';


/** Query parameters arrive as strings, or arrays when repeated: the first of each counts. */
export function parseQuery<T>(schema: z.ZodType<T>, query: Record<string, string | string[] | undefined>): T {
  const first = Object.fromEntries(Object.entries(query).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]));
  const parsed = schema.safeParse(first);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'query';
  throw new AppError(400, 'invalid_query', `${field}: ${issue?.message ?? 'is invalid'}.`, { field });
}

const FrameIndex = z.coerce.number().int().min(0).max(EVIDENCE_MAX_FRAMES - 1);

export function createModReportsRouter(deps: { moderators: ModeratorService; reviews: ReportReviewService }): Router {
  const { reviews } = deps;
  const router = new Router({ prefix: '/api/mod' });
  router.use(moderatorAuth(deps.moderators));

  router.get('/reports', async (ctx) => {
    const query = parseQuery(ListQuery, ctx.query);
    ctx.body = await reviews.list(actor(ctx), query);
  });

  router.get('/reports/:id', async (ctx) => {
    ctx.body = await reviews.open(actor(ctx), ctx.params.id!);
  });

  router.get('/reports/:id/frames/:idx', async (ctx) => {
    const idx = FrameIndex.safeParse(ctx.params.idx);
    if (!idx.success) throw new AppError(404, 'not_found', 'No such frame.');
    const jpeg = await reviews.frame(actor(ctx), ctx.params.id!, idx.data);
    ctx.type = 'image/jpeg';
    ctx.set('Content-Disposition', 'inline');
    ctx.body = Buffer.from(jpeg);
  });

  router.post('/reports/:id/resolve', async (ctx) => {
    const body = parseBody(ResolveBody, ctx.request.body);
    const result = await reviews.resolve(actor(ctx), ctx.params.id!, {
      action: body.action,
      ...(body.note === undefined ? {} : { note: body.note }),
      ...(body.ban ? { ban: { target: body.ban.target, severity: body.ban.severity, durationMs: parseDuration(body.ban.duration, 'ban.duration'), reason: body.ban.reason } } : {}),
    });
    ctx.body = result;
  });

  return router;
}
