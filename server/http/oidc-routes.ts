// HTTP routes of the school sign-in (OpenID Connect): thin adapters over OidcService and
// ModeratorSsoService, and the signed cookies that carry a sign-in in flight and a verified school
// identity (with its band) on this device to `POST /api/session`, as `sc_identity` does for e-mail.
// The callback is a page navigation back from the provider: it answers with redirects, to the
// landing page's entry step or to /mod, and a refusal travels as `?signin=<code>` for the page to explain.
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { AgeBand } from '../chat/hub.ts';
import { oidcForMembers, type ServerConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ModeratorSsoService } from '../access/moderator-sso.ts';
import { SIGN_IN_TTL_MS, type OidcService, type SignInPurpose } from '../access/oidc.ts';
import type { OidcStatusResponse } from '../protocol/http.ts';
import { setModeratorCookies } from './mod-routes.ts';
import { signedCookie, type RequestState } from './security.ts';

/** The signed HttpOnly cookie of a sign-in in flight: `<m|s>.<transaction id>`, sent only to /api/oidc. */
export const SIGN_IN_COOKIE = 'sc_oidc';
/** The signed HttpOnly cookie of a verified school sign-in: `<identity hash>.<band>.<expiry ms>`. */
export const SCHOOL_IDENTITY_COOKIE = 'sc_school';
const SIGN_IN_VALUE = /^([ms])\.([A-Za-z0-9_-]{43})$/;
const SCHOOL_IDENTITY_VALUE = /^([A-Za-z0-9_-]{43})\.(minor|adult)\.(\d{1,15})$/;
/** Where a completed or refused sign-in lands. */
const LANDING: Record<SignInPurpose, { done: string; refused: (code: string, extra?: Record<string, string>) => string }> = {
  member: { done: '/#start', refused: (code) => `/?${new URLSearchParams({ signin: code })}#start` },
  moderator: { done: '/mod', refused: (code, extra = {}) => `/mod?${new URLSearchParams({ signin: code, ...extra })}` },
};

/** A verified identity on this device: a confirmed e-mail, or a school sign-in with the band it gave. */
export interface VerifiedIdentity {
  identityHash: string;
  expiresAt: number;
  /** Only for a school sign-in: the band its claims decided (oidc.bands). */
  band?: AgeBand;
}

/**
 * Reads the school sign-in from its signed cookie: undefined when members do not sign in with
 * the school (oidcForMembers), or the cookie is missing, tampered with or past the expiry inside it.
 */
export function schoolSignInReader(config: ServerConfig, now: () => number): (ctx: ParameterizedContext) => VerifiedIdentity | undefined {
  return (ctx) => {
    if (!oidcForMembers(config.settings)) return undefined;
    const match = SCHOOL_IDENTITY_VALUE.exec(signedCookie(ctx, SCHOOL_IDENTITY_COOKIE) ?? '');
    if (!match) return undefined;
    const expiresAt = Number(match[3]);
    if (expiresAt <= now()) return undefined;
    return { identityHash: match[1]!, band: match[2] as AgeBand, expiresAt };
  };
}

export interface OidcRouteDeps {
  config: ServerConfig;
  /** Present only when the instance talks to an OpenID provider (oidcInUse). */
  oidc: OidcService | undefined;
  sso: ModeratorSsoService;
  now: () => number;
  logger: Logger;
}

export function createOidcRouter({ config, oidc, sso, now, logger }: OidcRouteDeps): Router {
  const router = new Router({ prefix: '/api/oidc' });
  const readSignIn = schoolSignInReader(config, now);
  const cookie = (ctx: ParameterizedContext) => ({ signed: true, httpOnly: true, secure: (ctx.state as RequestState).secure });

  const start = (purpose: SignInPurpose) => async (ctx: ParameterizedContext) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      if (!oidc) throw new AppError(404, 'oidc_not_offered', 'This space does not offer that sign-in.');
      const begun = await oidc.begin(purpose, (ctx.state as RequestState).clientAddress);
      // Lax: the provider sends the browser back with a top-level navigation from its own site.
      ctx.cookies.set(SIGN_IN_COOKIE, `${purpose === 'member' ? 'm' : 's'}.${begun.transaction}`, { ...cookie(ctx), sameSite: 'lax', maxAge: SIGN_IN_TTL_MS, path: '/api/oidc' });
      ctx.status = 303;
      ctx.redirect(begun.url.href);
    } catch (error) {
      refused(ctx, purpose, error);
    }
  };
  router.get('/start', start('member'));
  router.get('/moderator/start', start('moderator'));

  router.get('/callback', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const held = SIGN_IN_VALUE.exec(signedCookie(ctx, SIGN_IN_COOKIE) ?? '');
    // Spent or not, the sign-in in flight is over: its cookie goes.
    ctx.cookies.set(SIGN_IN_COOKIE, '', { ...cookie(ctx), sameSite: 'lax', maxAge: 0, path: '/api/oidc' });
    let purpose: SignInPurpose = held?.[1] === 's' ? 'moderator' : 'member';
    try {
      if (!oidc) throw new AppError(404, 'oidc_not_offered', 'This space does not offer that sign-in.');
      const signIn = await oidc.finish(held?.[2], ctx.querystring);
      purpose = signIn.purpose;
      if (signIn.purpose === 'member') {
        const { identityHash, band, expiresAt } = signIn;
        ctx.cookies.set(SCHOOL_IDENTITY_COOKIE, `${identityHash}.${band}.${expiresAt}`, { ...cookie(ctx), sameSite: 'lax', maxAge: Math.max(0, expiresAt - now()), path: '/' });
        logger.info({ band }, 'school sign-in');
      } else {
        const login = await sso.signIn(signIn.identityHash, signIn.claims, { address: (ctx.state as RequestState).clientAddress });
        setModeratorCookies(ctx, login);
        logger.info({ moderator: login.moderator.id, role: login.moderator.role }, 'moderator school sign-in');
      }
      ctx.status = 303;
      ctx.redirect(LANDING[signIn.purpose].done);
    } catch (error) {
      refused(ctx, purpose, error);
    }
  });

  router.get('/status', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const signedIn = readSignIn(ctx);
    ctx.body = (signedIn ? { signedIn: true, band: signedIn.band!, expiresAt: signedIn.expiresAt } : { signedIn: false }) satisfies OidcStatusResponse;
  });

  // A shared computer: the next pupil must not chat as this one.
  router.post('/sign-out', (ctx) => {
    ctx.cookies.set(SCHOOL_IDENTITY_COOKIE, '', { ...cookie(ctx), sameSite: 'lax', maxAge: 0, path: '/' });
    ctx.status = 204;
  });

  /** A refused start or callback, as a redirect the page explains; only the code travels. */
  function refused(ctx: ParameterizedContext, purpose: SignInPurpose, error: unknown): void {
    let code = 'generic';
    const extra: Record<string, string> = {};
    if (error instanceof AppError) {
      code = error.code;
      if (typeof error.details.username === 'string') extra.user = error.details.username;
      if (typeof error.details.role === 'string') extra.role = error.details.role;
    } else {
      logger.error({ err: error }, 'school sign-in failed');
    }
    ctx.status = 303;
    ctx.redirect(LANDING[purpose].refused(code, extra));
  }

  return router;
}
