// Ban enforcement over HTTP: a `no_access` ban closes the whole site except what a banned
// person needs (the ban screen's data, the appeal form, health checks).
import type { Middleware } from 'koa';
import { AppError } from '../errors.ts';
import type { RequestState } from '../http/security.ts';
import type { Ban, BanIndex, BanSubject } from './ban-index.ts';

/** Paths a banned person may still reach: to learn why, and to appeal. */
const OPEN_TO_BANNED = [/^\/healthz$/, /^\/api\/ban$/, /^\/api\/appeals$/, /^\/appeal(\/|$)/, /^\/_astro\//, /^\/favicon/, /^\/api\/config$/, /^\/api\/mod(\/|$)/];

/** The error a banned person receives: the reason, until when, and where to appeal. */
export function bannedError(ban: Ban): AppError {
  const until = ban.expiresAt === null ? 'permanently' : `until ${new Date(ban.expiresAt).toISOString()}`;
  return new AppError(403, 'banned', `You are banned ${until}: ${ban.reason}`, {
    reason: ban.reason,
    until: ban.expiresAt,
    severity: ban.severity,
    appealUrl: '/appeal',
  });
}

export function banGate(deps: { index: BanIndex; subject: (ctx: Parameters<Middleware>[0]) => BanSubject }): Middleware {
  return async (ctx, next) => {
    if (!OPEN_TO_BANNED.some((pattern) => pattern.test(ctx.path))) {
      const ban = deps.index.match(deps.subject(ctx));
      if (ban?.severity === 'no_access') throw bannedError(ban);
    }
    await next();
  };
}

/** The ban subject of an HTTP request: its address and its device cookie. */
export function requestSubject(ctx: Parameters<Middleware>[0], deviceCookie: string): BanSubject {
  return { address: (ctx.state as RequestState).clientAddress, deviceId: ctx.cookies.get(deviceCookie, { signed: true }) ?? null };
}
