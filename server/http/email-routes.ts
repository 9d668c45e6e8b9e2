// HTTP routes of the `email` access mode (magic links): thin adapters over EmailAccessService,
// and the signed cookie that carries a verified identity on this device to `POST /api/session`.
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { ServerConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { EmailStartRequest, EmailVerifyRequest, type EmailStartResponse, type EmailStatusResponse } from '../protocol/http.ts';
import { CONFIRM_PAGE, type EmailAccessService, type VerifiedEmail } from '../access/email.ts';
import { signedCookie, type RequestState } from './security.ts';
import { schoolSignInReader, type VerifiedIdentity } from './oidc-routes.ts';

/** The signed HttpOnly cookie holding `<identity hash>.<expiry ms>` once a magic link was opened. */
export const IDENTITY_COOKIE = 'sc_identity';
const IDENTITY_VALUE = /^([A-Za-z0-9_-]{43})\.(\d{1,15})$/;

export interface EmailRouteDeps {
  config: ServerConfig;
  /** Present only when the instance runs in the `email` access mode. */
  email: EmailAccessService | undefined;
  now: () => number;
}

export function createEmailRouter({ config, email, now }: EmailRouteDeps): Router {
  const router = new Router({ prefix: '/api/email' });
  const readIdentity = verifiedIdentityReader(config, now);

  router.post('/start', async (ctx) => {
    if (!email) throw new AppError(403, 'access_mode', 'This space does not use e-mail verification.');
    const parsed = EmailStartRequest.safeParse(ctx.request.body);
    if (!parsed.success) throw new AppError(400, 'invalid_body', 'Send {"email": "…"} with your e-mail address.');
    const { expiresInMinutes } = await email.start(parsed.data.email, (ctx.state as RequestState).clientAddress);
    ctx.status = 202;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { sent: true, expiresInMinutes } satisfies EmailStartResponse;
  });

  // Links mailed before the confirm page existed pointed here: send them on to it, spending nothing.
  router.get('/verify', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    ctx.status = 303;
    ctx.redirect(`${CONFIRM_PAGE}#${new URLSearchParams({ token })}`);
  });

  // The confirm page's button: spends the link once and leaves the identity on this device.
  router.post('/verify', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const parsed = EmailVerifyRequest.safeParse(ctx.request.body);
    if (!parsed.success) throw new AppError(400, 'invalid_body', 'Send {"token": "…"} from the link in the e-mail.');
    const verified = email ? await email.verify(parsed.data.token) : undefined;
    if (!verified) throw new AppError(400, 'link_invalid', 'This link is invalid, already used or expired. Ask for a new one.');
    writeIdentityCookie(ctx, verified, now());
    ctx.body = { verified: true, expiresAt: verified.expiresAt } satisfies EmailStatusResponse;
  });

  router.get('/status', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const identity = readIdentity(ctx);
    ctx.body = (identity ? { verified: true, expiresAt: identity.expiresAt } : { verified: false }) satisfies EmailStatusResponse;
  });

  return router;
}

function writeIdentityCookie(ctx: ParameterizedContext, identity: VerifiedEmail, now: number): void {
  ctx.cookies.set(IDENTITY_COOKIE, `${identity.identityHash}.${identity.expiresAt}`, {
    signed: true,
    httpOnly: true,
    // Lax, not Strict: the link is opened from a mail client, a cross-site top-level navigation.
    sameSite: 'lax',
    secure: (ctx.state as RequestState).secure,
    maxAge: Math.max(0, identity.expiresAt - now),
  });
}

/**
 * Reads the verified identity of this device: a school sign-in first (with its band; oidc-routes.ts),
 * else a confirmed e-mail address from the signed cookie. Undefined when the instance uses
 * neither, or the cookie is missing, tampered with or past its expiry (a browser may keep or
 * replay a cookie beyond its Max-Age; the expiry inside the signed value is what counts).
 */
export function verifiedIdentityReader(config: ServerConfig, now: () => number): (ctx: ParameterizedContext) => VerifiedIdentity | undefined {
  const schoolSignIn = schoolSignInReader(config, now);
  return (ctx) => {
    const signedIn = schoolSignIn(ctx);
    if (signedIn) return signedIn;
    if (config.settings.accessMode !== 'email') return undefined;
    const match = IDENTITY_VALUE.exec(signedCookie(ctx, IDENTITY_COOKIE) ?? '');
    if (!match) return undefined;
    const expiresAt = Number(match[2]);
    if (expiresAt <= now()) return undefined;
    return { identityHash: match[1]!, expiresAt };
  };
}
