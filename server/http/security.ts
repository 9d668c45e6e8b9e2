// Security headers and the per-request client context (address, HTTPS) that every route uses.
import type { Middleware, ParameterizedContext } from 'koa';
import type { ClientAddressResolver } from '../access/client-address.ts';

/** One year, the HSTS preload minimum. */
const HSTS_MAX_AGE_SECONDS = 31_536_000;

/** Signed cookies already verified in this request, by name (see `signedCookie`). */
const VERIFIED_COOKIES = Symbol('verifiedCookies');

/**
 * A signed cookie's value, verified once per request: the ban gate, the routes and the identity
 * reader all ask for the same cookies, and each check is two HMACs (keygrip compares signatures
 * in constant time by hashing both). Undefined when missing or tampered with.
 */
export function signedCookie(ctx: ParameterizedContext, name: string): string | undefined {
  const state = ctx.state as { [VERIFIED_COOKIES]?: Map<string, string | undefined> };
  const verified = (state[VERIFIED_COOKIES] ??= new Map());
  if (!verified.has(name)) verified.set(name, ctx.cookies.get(name, { signed: true }));
  return verified.get(name);
}

/** What every route may rely on in ctx.state. */
export interface RequestState {
  /** The client address after the trusted-proxy rule. */
  clientAddress: string;
  /** Served over HTTPS (directly, or through a trusted proxy that says so). */
  secure: boolean;
}

/**
 * The site's Content-Security-Policy: only its own scripts, styles, images and media; WebSocket
 * to itself; never framed. The site ships no inline script, so no 'unsafe-inline' is needed.
 * Workers only from the site itself (`worker-src 'self'`: the nudity classifier).
 *
 * `wasm`: the policy of the nudity classifier's worker script, the one place where WebAssembly
 * runs ('wasm-unsafe-eval' lets a script already allowed compile WebAssembly, and nothing else:
 * no eval, no inline script). A worker runs under the policy of its own response, so the pages —
 * the moderators' dashboard among them — keep a policy under which no WebAssembly compiles.
 */
export function contentSecurityPolicy(publicUrl: string | undefined, options: { wasm?: boolean } = {}): string {
  const wsOrigin = publicUrl ? ` ${new URL(publicUrl).origin.replace(/^http/, 'ws')}` : '';
  return [
    "default-src 'self'",
    options.wasm ? "script-src 'self' 'wasm-unsafe-eval'" : "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src 'self'${wsOrigin}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityMiddleware(deps: { clientAddress: ClientAddressResolver; publicUrl: string | undefined }): Middleware {
  const csp = contentSecurityPolicy(deps.publicUrl);
  return async (ctx, next) => {
    const secure = deps.clientAddress.isSecure(ctx.req);
    const state = ctx.state as RequestState;
    state.clientAddress = deps.clientAddress(ctx.req);
    state.secure = secure;
    // Koa decides cookie security from its own proxy setting; ours is the trusted-proxy rule.
    (ctx.cookies as unknown as { secure: boolean }).secure = secure;
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Cross-Origin-Resource-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=(), payment=(), usb=()');
    if (secure) ctx.set('Strict-Transport-Security', `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`);
    await next();
  };
}
