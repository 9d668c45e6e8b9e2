// Ban enforcement over HTTP: a `no_access` ban closes the whole site except what a banned
// person needs (the ban screen's data, the appeal form, health checks).
import type { Middleware } from 'koa';
import { AppError } from '../errors.ts';
import { signedCookie, type RequestState } from '../http/security.ts';
import type { Ban, BanIndex, BanSubject } from './ban-index.ts';

/** Paths a banned person may still reach: to learn why, and to appeal. */
const OPEN_TO_BANNED = [/^\/healthz$/, /^\/readyz$/, /^\/api\/ban$/, /^\/api\/appeals$/, /^\/appeal(\/|$)/, /^\/_astro\//, /^\/branding\.css$/, /^\/favicon/, /^\/api\/config$/, /^\/api\/mod(\/|$)/];

/** Where a banned person is sent to appeal, unless the config says otherwise (`moderation.appealUrl`). */
export const DEFAULT_APPEAL_URL = '/appeal';

/** What a banned person is told (HTTP error details, `GET /api/ban`): the reason, until when, where to appeal. */
export function banNotice(ban: Ban, appealUrl = DEFAULT_APPEAL_URL) {
  return { reason: ban.reason, until: ban.expiresAt, severity: ban.severity, appealUrl };
}

/** The error a banned person receives: the reason, until when, and where to appeal. */
export function bannedError(ban: Ban, appealUrl = DEFAULT_APPEAL_URL): AppError {
  const until = ban.expiresAt === null ? 'permanently' : `until ${new Date(ban.expiresAt).toISOString()}`;
  return new AppError(403, 'banned', `You are banned ${until}: ${ban.reason}`, banNotice(ban, appealUrl));
}

/**
 * The ban check of chat, at session creation and at the WebSocket upgrade alike (SessionService):
 * any ban, `no_matching` included, since a session exists only to be paired. Throws the error the
 * banned person is shown.
 */
export function assertMayChat(index: Pick<BanIndex, 'match'>, subject: BanSubject, appealUrl?: string): void {
  const ban = index.match(subject);
  if (ban) throw bannedError(ban, appealUrl);
}

export function banGate(deps: { index: BanIndex; subject: (ctx: Parameters<Middleware>[0]) => BanSubject; appealUrl?: string }): Middleware {
  return async (ctx, next) => {
    if (!OPEN_TO_BANNED.some((pattern) => pattern.test(ctx.path))) {
      const ban = deps.index.match(deps.subject(ctx));
      if (ban?.severity === 'no_access') {
        // A page visit goes to the appeal page, which shows the ban; API calls get the error.
        const appealUrl = deps.appealUrl ?? DEFAULT_APPEAL_URL;
        if (ctx.method === 'GET' && !ctx.path.startsWith('/api/') && (ctx.get('accept') ?? '').includes('text/html') && appealUrl.startsWith('/')) {
          ctx.redirect(appealUrl);
          return;
        }
        throw bannedError(ban, deps.appealUrl);
      }
    }
    await next();
  };
}

/** The ban subject of an HTTP request: its address, its device cookie and its verified identity (email mode). */
export function requestSubject(
  ctx: Parameters<Middleware>[0],
  deviceCookie: string,
  identity?: (ctx: Parameters<Middleware>[0]) => { identityHash: string } | undefined,
): BanSubject {
  return {
    address: (ctx.state as RequestState).clientAddress,
    deviceId: signedCookie(ctx, deviceCookie) ?? null,
    identityHash: identity?.(ctx)?.identityHash ?? null,
  };
}
