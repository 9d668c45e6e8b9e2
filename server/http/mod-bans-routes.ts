// The moderators' bans API (the /mod dashboard): list, add, lift, and check who a ban matches.
// Thin: each route checks its input, asks the permission matrix, and calls BanService.
import Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { ModeratorService } from '../access/moderators.ts';
import { assertCan } from '../access/permissions.ts';
import type { Ban, BanMatch } from '../moderation/ban-index.ts';
import { banView, parseBanSubject, type BanService } from '../moderation/bans.ts';
import { AddBanBody, BanListQuery as ListQuery, LiftBanBody } from '../protocol/moderation.ts';
import { parseDuration } from '../moderation/duration.ts';
import { jsonBody } from './body.ts';
import { actor, moderatorAuth, parseBody } from './mod-routes.ts';

export { BANS_PAGE_DEFAULT, BANS_PAGE_MAX } from '../protocol/moderation.ts';


function matchView(match: BanMatch, now: number) {
  return { ban: banView(match.ban, now), why: match.why };
}

/** Query parameters arrive as strings (or repeated, as arrays): the first of each is the value. */
function firstOfEach(query: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(query).map(([key, value]) => [key, Array.isArray(value) ? value[0] : value]));
}

function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'query';
  throw new AppError(400, 'invalid_query', `${field}: ${issue?.message ?? 'is invalid'}.`, { field });
}

export function createModBansRouter(deps: { moderators: ModeratorService; bans: BanService; now: () => number }): Router {
  const { bans, now } = deps;
  const router = new Router({ prefix: '/api/mod/bans' });
  router.use(moderatorAuth(deps.moderators));

  router.get('/', async (ctx) => {
    assertCan(actor(ctx).role, 'bans.list');
    const query = parseQuery(ListQuery, firstOfEach(ctx.query));
    // One more than asked tells whether another page follows, without counting the table.
    const found = await bans.list(actor(ctx), { status: query.status, limit: query.limit + 1, offset: query.offset });
    const at = now();
    ctx.body = {
      bans: found.slice(0, query.limit).map((ban) => banView(ban, at)),
      status: query.status,
      limit: query.limit,
      offset: query.offset,
      hasMore: found.length > query.limit,
    };
  });

  router.post('/', async (ctx) => {
    assertCan(actor(ctx).role, 'bans.add');
    const body = parseBody(AddBanBody, ctx.request.body);
    const ban = await bans.add(
      { target: body.target, reason: body.reason, severity: body.severity, durationMs: parseDuration(body.duration), note: body.note ?? null },
      actor(ctx),
    );
    ctx.status = 201;
    // The terminal refuses these without --force; here the ban is made and the risks are named.
    ctx.body = { ban: banView(ban, now()), warnings: bans.lockoutRisks({ kind: ban.targetKind, target: ban.target }) };
  });

  // Before `/:id`, which would otherwise take "check" for an id.
  router.get('/check', async (ctx) => {
    assertCan(actor(ctx).role, 'bans.list');
    const subject = firstOfEach(ctx.query).subject;
    if (!subject) throw new AppError(400, 'invalid_subject', 'subject: required (an IP address, device:<id> or identity:<hash>).', { field: 'subject' });
    const matches = await bans.check(parseBanSubject(subject), actor(ctx));
    const at = now();
    ctx.body = { subject, banned: matches.length > 0, matches: matches.map((match) => matchView(match, at)) };
  });

  router.get('/:id', async (ctx) => {
    assertCan(actor(ctx).role, 'bans.list');
    const ban = await bans.get(ctx.params.id!);
    if (!ban) throw new AppError(404, 'not_found', 'No such ban.');
    ctx.body = { ban: banView(ban, now()) };
  });

  // The app's body parser reads POST, PUT and PATCH only; a lift may carry a reason.
  const deleteBody = jsonBody({
    parsedMethods: ['DELETE'],
    enableTypes: ['json'],
    jsonLimit: '16kb',
    onError: () => {
      throw new AppError(400, 'invalid_body', 'The body must be valid JSON.');
    },
  });
  router.delete('/:id', deleteBody, async (ctx) => {
    assertCan(actor(ctx).role, 'bans.remove');
    const body = parseBody(LiftBanBody, ctx.request.body ?? {});
    const ban = await bans.lift(ctx.params.id!, actor(ctx), body.reason?.trim() || undefined);
    ctx.body = { ban: banView(ban, now()) };
  });

  return router;
}
