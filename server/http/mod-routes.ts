// The moderators' HTTP API (the /mod dashboard): login, logout, CSRF, accounts and invites.
// Thin: each route checks its input, asks the permission matrix, and calls a service.
import Router from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import type { Middleware, ParameterizedContext } from 'koa';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Actor } from '../access/actor.ts';
import type { InviteService } from '../access/invites.ts';
import type { DutyService } from '../moderation/duty.ts';
import type { AuthenticatedModerator, ModeratorLogin, ModeratorService } from '../access/moderators.ts';
import { ACTIONS, can, MANAGED_ROLES, type Role } from '../access/permissions.ts';
import type { RequestState } from './security.ts';
import { AccountChangeBody, InviteBody, LoginBody, ModeratorBody, PasswordBody } from '../protocol/moderation.ts';

/** The moderator session cookie: HttpOnly, SameSite=Strict. */
export const MOD_COOKIE = 'sc_mod';
/** Marks a browser an account signed in from (see login-limits.ts); sent to the login route only. */
export const KNOWN_BROWSER_COOKIE = 'sc_mod_browser';
const LOGIN_PATH = '/api/mod/login';
/** Header carrying the CSRF token on every state-changing request. */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What an account with a one-time password may reach: who am I, change it, leave. */
const PASSWORD_CHANGE_PATHS = new Set(['/api/mod/me', '/api/mod/password', '/api/mod/logout']);
const HOUR_MS = 3600_000;

export interface ModState extends RequestState {
  moderator: AuthenticatedModerator;
  actor: Actor;
}


/** Parses a body with a schema; errors name the field, in the one error shape. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AppError(400, 'invalid_body', `Invalid request: ${issue?.path.join('.') || 'body'} ${issue?.message ?? 'is invalid'}.`);
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What a role may do, for the pages to offer only that: its permissions, and whose accounts it manages. */
function rights(role: Role) {
  return { permissions: ACTIONS.filter((a) => can(role, a)), manages: MANAGED_ROLES[role] };
}

function publicModerator(m: AuthenticatedModerator['moderator']) {
  return { id: m.id, username: m.username, role: m.role, mustChangePassword: m.mustChangePassword, disabled: m.disabledAt !== null, createdAt: m.createdAt, email: m.email };
}

/**
 * Authenticates the moderator session cookie; state-changing methods also need the CSRF token.
 * Every moderator router uses this, so no moderator route can forget it.
 */
export function moderatorAuth(moderators: ModeratorService): Middleware {
  return async (ctx, next) => {
    const authenticated = await moderators.authenticate(ctx.cookies.get(MOD_COOKIE));
    if (!authenticated) throw new AppError(401, 'unauthorised', 'Please log in.');
    if (!SAFE_METHODS.has(ctx.method)) {
      const token = ctx.get(CSRF_HEADER);
      if (!token || !sameToken(token, authenticated.csrfToken)) {
        throw new AppError(403, 'csrf_failed', 'This request is missing its security token; reload the page.');
      }
    }
    // A one-time password must be replaced before the account can do anything else.
    if (authenticated.moderator.mustChangePassword && !PASSWORD_CHANGE_PATHS.has(ctx.path)) {
      throw new AppError(403, 'password_change_required', 'Choose a new password first.');
    }
    const state = ctx.state as ModState;
    state.moderator = authenticated;
    state.actor = { role: authenticated.moderator.role, name: `moderator:${authenticated.moderator.username}`, moderatorId: authenticated.moderator.id };
    ctx.set('Cache-Control', 'no-store');
    await next();
  };
}

/** Leaves a moderator session on this browser: the session cookie, and the mark of a browser the account signed in from. */
export function setModeratorCookies(ctx: ParameterizedContext, login: ModeratorLogin): void {
  const { secure } = ctx.state as RequestState;
  ctx.cookies.set(MOD_COOKIE, login.token, { httpOnly: true, sameSite: 'strict', secure, expires: new Date(login.expiresAt), path: '/' });
  ctx.cookies.set(KNOWN_BROWSER_COOKIE, login.knownBrowser.token, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    expires: new Date(login.knownBrowser.expiresAt),
    path: LOGIN_PATH,
  });
}

/** The acting moderator of an authenticated request. */
export function actor(ctx: ParameterizedContext): Actor {
  return (ctx.state as ModState).actor;
}

export function createModRouter(deps: { moderators: ModeratorService; invites: InviteService; duty?: Pick<DutyService, 'offAtLogout'> }): Router {
  const { moderators, invites } = deps;
  const router = new Router({ prefix: '/api/mod' });

  router.post('/login', async (ctx) => {
    const body = parseBody(LoginBody, ctx.request.body);
    const state = ctx.state as RequestState;
    const knownBrowser = ctx.cookies.get(KNOWN_BROWSER_COOKIE);
    const login = await moderators.login(body.username, body.password, { address: state.clientAddress, ...(knownBrowser ? { knownBrowser } : {}) });
    setModeratorCookies(ctx, login);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { moderator: publicModerator(login.moderator), csrfToken: login.csrfToken, expiresAt: login.expiresAt, ...rights(login.moderator.role) };
  });

  // Everything below needs a moderator session, and a CSRF token for anything that changes state.
  router.use(moderatorAuth(moderators));


  router.get('/me', (ctx) => {
    const { moderator, csrfToken, expiresAt } = (ctx.state as ModState).moderator;
    ctx.body = { moderator: publicModerator(moderator), csrfToken, expiresAt, ...rights(moderator.role) };
  });

  router.post('/logout', async (ctx) => {
    // The duty the dashboard kept ends with it (moderation/duty.ts).
    await deps.duty?.offAtLogout(actor(ctx));
    await moderators.logout(ctx.cookies.get(MOD_COOKIE)!);
    ctx.cookies.set(MOD_COOKIE, '', { httpOnly: true, sameSite: 'strict', secure: (ctx.state as RequestState).secure, maxAge: 0, path: '/' });
    ctx.status = 204;
  });

  router.post('/password', async (ctx) => {
    const body = parseBody(PasswordBody, ctx.request.body);
    await moderators.changePassword((ctx.state as ModState).moderator.moderator.id, body.current, body.next);
    ctx.status = 204;
  });

  router.get('/invites', async (ctx) => {
    ctx.body = { invites: await invites.list(actor(ctx)) };
  });

  router.post('/invites', async (ctx) => {
    const body = parseBody(InviteBody, ctx.request.body);
    const created = await invites.create(
      { uses: body.uses, expiresInMs: body.expiresInHours == null ? null : body.expiresInHours * HOUR_MS, note: body.note },
      actor(ctx),
    );
    ctx.status = 201;
    ctx.body = created;
  });

  router.delete('/invites/:id', async (ctx) => {
    ctx.body = { invite: await invites.revoke(ctx.params.id!, actor(ctx)) };
  });

  router.get('/moderators', async (ctx) => {
    ctx.body = { moderators: (await moderators.list(actor(ctx))).map(publicModerator) };
  });

  // Who may change which account is the service's to decide (permissions.ts, MANAGED_ROLES).
  router.post('/moderators', async (ctx) => {
    const body = parseBody(ModeratorBody, ctx.request.body);
    const created = await moderators.create(body, actor(ctx));
    ctx.status = 201;
    ctx.body = { moderator: publicModerator(created.moderator), ...(created.password ? { password: created.password } : {}) };
  });

  router.post('/moderators/:username/disable', async (ctx) => {
    ctx.body = { moderator: publicModerator(await moderators.disable(ctx.params.username!, actor(ctx))) };
  });

  router.post('/moderators/:username/enable', async (ctx) => {
    ctx.body = { moderator: publicModerator(await moderators.enable(ctx.params.username!, actor(ctx))) };
  });

  router.post('/moderators/:username/reset-password', async (ctx) => {
    const reset = await moderators.resetPassword(ctx.params.username!, actor(ctx));
    ctx.body = { moderator: publicModerator(reset.moderator), password: reset.password };
  });

  router.patch('/moderators/:username', async (ctx) => {
    const body = parseBody(AccountChangeBody, ctx.request.body);
    const moderator = 'role' in body ? await moderators.setRole(ctx.params.username!, body.role, actor(ctx)) : await moderators.setEmail(ctx.params.username!, body.email, actor(ctx));
    ctx.body = { moderator: publicModerator(moderator) };
  });

  return router;
}
