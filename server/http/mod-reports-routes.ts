// The report queue of the moderators' API: list, open (evidence by role, every opening
// audited), evidence frames, resolve. Thin: parse, then call ReportReviewService.
import Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { ModeratorService } from '../access/moderators.ts';
import { ReportReason } from '../protocol/messages.ts';
import { EVIDENCE_MAX_FRAMES } from '../moderation/evidence.ts';
import { REPORT_BAN_TARGETS, RESOLUTIONS, RESOLUTION_NOTE_MAX_LENGTH, type ReportReviewService } from '../moderation/report-review.ts';
import { BAN_REASON_MAX_LENGTH } from '../moderation/bans.ts';
import { parseDuration } from '../moderation/duration.ts';
import { actor, moderatorAuth, parseBody } from './mod-routes.ts';

const ListQuery = z.object({
  status: z.enum(['open', 'resolved', 'all']).default('open'),
  reason: ReportReason.optional(),
  band: z.enum(['minor', 'adult']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const ResolveBody = z
  .strictObject({
    action: z.enum(RESOLUTIONS),
    note: z.string().max(RESOLUTION_NOTE_MAX_LENGTH).optional(),
    ban: z
      .strictObject({
        target: z.enum(REPORT_BAN_TARGETS),
        severity: z.enum(['no_access', 'no_matching']).default('no_access'),
        /** `30m`, `12h`, `7d`, `2w`, `permanent`; null or absent for no expiry. */
        duration: z.string().max(40).nullable().optional(),
        reason: z.string().trim().min(1).max(BAN_REASON_MAX_LENGTH),
      })
      .optional(),
  })
  .refine((body) => (body.action === 'ban') === (body.ban !== undefined), { path: ['ban'], message: 'is required for a ban, and only for a ban' });

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
