// The safeguarding alerts in the moderators' API: the list (unacknowledged first), with the state
// of their deliveries (failed e-mails and webhooks show here and in `doctor`), and acknowledging
// one (audited). Thin: parse, then call AlertService, which checks the permissions.
import Router from '@koa/router';
import { z } from 'zod';
import type { ModeratorService } from '../access/moderators.ts';
import { ACKNOWLEDGE_NOTE_MAX_LENGTH, ALERTS_PAGE_MAX, type AlertService } from '../moderation/alerts.ts';
import { actor, moderatorAuth, parseBody } from './mod-routes.ts';
import { parseQuery } from './mod-reports-routes.ts';

const ListQuery = z.object({
  status: z.enum(['open', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(ALERTS_PAGE_MAX).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const AcknowledgeBody = z.strictObject({ note: z.string().max(ACKNOWLEDGE_NOTE_MAX_LENGTH).optional() });

export function createModAlertsRouter(deps: { moderators: ModeratorService; alerts: AlertService }): Router {
  const { alerts } = deps;
  const router = new Router({ prefix: '/api/mod' });
  router.use(moderatorAuth(deps.moderators));

  router.get('/alerts', async (ctx) => {
    const query = parseQuery(ListQuery, ctx.query);
    const listed = await alerts.list(actor(ctx), query);
    ctx.body = { ...listed, deliveries: await alerts.deliveryHealth() };
  });

  router.post('/alerts/:id/acknowledge', async (ctx) => {
    const body = parseBody(AcknowledgeBody, ctx.request.body ?? {});
    ctx.body = { alert: await alerts.acknowledge(ctx.params.id!, actor(ctx), body.note) };
  });

  return router;
}
