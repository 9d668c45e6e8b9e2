// Appeals over HTTP: the banned person's form (reachable through the ban gate) and the
// moderators' queue and decisions. Thin: parse, then call AppealService.
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { ModeratorService } from '../access/moderators.ts';
import type { AppealService } from '../moderation/appeals.ts';
import { AppealBody, AppealListQuery as ListQuery, DecideBody } from '../protocol/moderation.ts';
import { requestSubject } from '../moderation/ban-gate.ts';
import type { BanSubject } from '../moderation/ban-index.ts';
import { actor, moderatorAuth, parseBody } from './mod-routes.ts';
import { parseQuery } from './mod-reports-routes.ts';
import { DEVICE_COOKIE } from './routes.ts';


export interface AppealRouteDeps {
  appeals: AppealService;
  /** The e-mail identity verified on this device, if any (it may be what is banned). */
  verifiedIdentity: (ctx: ParameterizedContext) => { identityHash: string } | undefined;
}

/** POST/GET /api/appeals: the banned person, identified as the ban gate identifies them. */
export function createAppealRouter(deps: AppealRouteDeps): Router {
  const router = new Router();
  const subject = (ctx: ParameterizedContext): BanSubject => requestSubject(ctx, DEVICE_COOKIE, deps.verifiedIdentity);

  router.get('/api/appeals', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { appeal: await deps.appeals.mine(subject(ctx)) };
  });

  router.post('/api/appeals', async (ctx) => {
    const body = parseBody(AppealBody, ctx.request.body);
    const appeal = await deps.appeals.file(subject(ctx), body.message);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { appeal };
  });
  return router;
}

/** GET /api/mod/appeals, POST /api/mod/appeals/:id/decide. */
export function createModAppealRouter(deps: { moderators: ModeratorService; appeals: AppealService }): Router {
  const router = new Router({ prefix: '/api/mod' });
  router.use(moderatorAuth(deps.moderators));

  router.get('/appeals', async (ctx) => {
    const query = parseQuery(ListQuery, ctx.query);
    ctx.body = { appeals: await deps.appeals.list(actor(ctx), query) };
  });

  router.post('/appeals/:id/decide', async (ctx) => {
    const body = parseBody(DecideBody, ctx.request.body);
    ctx.body = { appeal: await deps.appeals.decide(actor(ctx), ctx.params.id!, body.decision, body.note) };
  });
  return router;
}
