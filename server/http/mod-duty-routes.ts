// The moderators' API for being on duty and for the state of the space: whether it is open (its
// opening hours, a pause), who is on duty, and going on and off duty from the dashboard (kept
// alive by its renewal every DUTY_HEARTBEAT_MS). Thin: the services check permissions and audit.
import Router from '@koa/router';
import { z } from 'zod';
import { PAUSE_MESSAGE_MAX_LENGTH, type AvailabilityService } from '../access/availability.ts';
import type { ModeratorService } from '../access/moderators.ts';
import { assertCan } from '../access/permissions.ts';
import { DUTY_DASHBOARD_TTL_MS, DUTY_HEARTBEAT_MS, type DutyService } from '../moderation/duty.ts';
import { actor, moderatorAuth, parseBody } from './mod-routes.ts';

const DutyBody = z.strictObject({ on: z.boolean() });
const PauseBody = z.strictObject({
  /** Milliseconds since 1970; leave it out for a pause that lasts until someone resumes. */
  until: z.number().int().positive().nullable().optional(),
  message: z.string().max(PAUSE_MESSAGE_MAX_LENGTH).nullable().optional(),
});

export function createModDutyRouter(deps: { moderators: ModeratorService; duty: DutyService; availability: AvailabilityService }): Router {
  const { duty, availability } = deps;
  const router = new Router({ prefix: '/api/mod' });
  router.use(moderatorAuth(deps.moderators));

  /** Whether the space is open, who is on duty, and whether you are. */
  router.get('/availability', async (ctx) => {
    const onDuty = await duty.list(actor(ctx));
    // Read afresh, not this process's copy (which the feed updates within a second): the answer
    // must agree with the list of who is on duty read just above.
    await availability.refresh();
    ctx.body = {
      availability: availability.current(),
      onDuty,
      me: (await duty.mine(actor(ctx))) ?? null,
      renewEveryMs: DUTY_HEARTBEAT_MS,
      lapsesAfterMs: DUTY_DASHBOARD_TTL_MS,
    };
  });

  /** `{"on": true}` puts you on duty while the dashboard renews it; `{"on": false}` takes you off. */
  router.post('/duty', async (ctx) => {
    const body = parseBody(DutyBody, ctx.request.body);
    if (body.on) ctx.body = { duty: await duty.on(actor(ctx), { via: 'dashboard' }) };
    else ctx.body = { duty: null, ended: await duty.off(actor(ctx)) };
    // This process offers (or stops offering) video at once; the others hear it from the feed.
    await availability.refresh();
  });

  /** The dashboard's renewal; `duty: null` when you are no longer on duty (it lapsed, or ended elsewhere). */
  router.post('/duty/renew', async (ctx) => {
    ctx.body = { duty: (await duty.renew(actor(ctx))) ?? null };
  });

  router.post('/pause', async (ctx) => {
    assertCan(actor(ctx).role, 'site.pause');
    const body = parseBody(PauseBody, ctx.request.body ?? {});
    ctx.status = 201;
    ctx.body = { pause: await availability.pause(actor(ctx), { until: body.until ?? null, message: body.message ?? null }) };
  });

  router.post('/resume', async (ctx) => {
    assertCan(actor(ctx).role, 'site.pause');
    ctx.body = { resumed: await availability.resume(actor(ctx)) };
  });

  return router;
}
