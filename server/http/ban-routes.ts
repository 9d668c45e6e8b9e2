// `GET /api/ban`: whether the visitor is banned, for the ban screen. Open to banned people
// (the ban gate lets it through), so they learn the reason, until when, and where to appeal.
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { BanIndex, BanSubject } from '../moderation/ban-index.ts';
import { banNotice } from '../moderation/ban-gate.ts';

import type { BanStatusResponse } from '../protocol/moderation.ts';

export type { BanStatusResponse } from '../protocol/moderation.ts';

export function createBanStatusRouter(deps: {
  index: BanIndex;
  /** The visitor as bans see them: address, device cookie, verified identity. */
  subject: (ctx: Parameters<Middleware>[0]) => BanSubject;
  appealUrl: string;
}): Router {
  const router = new Router();
  router.get('/api/ban', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const ban = deps.index.match(deps.subject(ctx));
    ctx.body = (ban ? { banned: true, ...banNotice(ban, deps.appealUrl) } : { banned: false }) satisfies BanStatusResponse;
  });
  return router;
}
