// HTTP routes of protocol v1: thin adapters over the services.
import Router from '@koa/router';
import { randomUUID } from 'node:crypto';
import type { ParameterizedContext } from 'koa';
import { contentLanguages, type ServerConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { SessionRequest, type Availability, type PresenceResponse } from '../protocol/http.ts';
import type { SessionService } from '../access/sessions.ts';
import type { RateLimits } from '../moderation/rate-limits.ts';
import type { AgeBand } from '../chat/hub.ts';
import { signedCookie, type RequestState } from './security.ts';
import { publicConfig } from './public-config.ts';
import { chooseLanguage, LANGUAGE_COOKIE } from './static.ts';

/** The HttpOnly cookie naming this browser; bans and "never pair again" can target it. */
export const DEVICE_COOKIE = 'sc_device';
/** A device cookie lives a year; it holds a random id, nothing personal. */
const DEVICE_COOKIE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;
const DEVICE_ID = /^[0-9a-f-]{36}$/;

export interface RouteDeps {
  config: ServerConfig;
  sessions: SessionService;
  isHealthy: () => Promise<boolean>;
  /** True once the bans and reported pairs are in memory: the server serves everyone from then on. */
  isReady: () => boolean;
  /** New sessions per address (`rateLimits.sessionsPer10Minutes`). */
  rateLimits: Pick<RateLimits, 'takeSession'>;
  /** The identity verified on this device (a confirmed e-mail or a school sign-in, in signed cookies), if any; a school sign-in also carries its band. */
  verifiedIdentity?: (ctx: ParameterizedContext) => { identityHash: string; band?: AgeBand } | undefined;
  /** How many people are online, as last read by the presence timer (never computed per request). */
  online: () => number;
  /** Whether the space is open now and video offered (opening hours, a pause, moderators on duty). */
  availability: () => Availability;
}

/** `GET /api/presence` may be cached this long: the count it gives is refreshed about as often. */
const PRESENCE_MAX_AGE_SECONDS = 5;

export function createRouter({ config, sessions, rateLimits, isHealthy, isReady, verifiedIdentity, online, availability }: RouteDeps): Router {
  const router = new Router();
  // One answer per language the instance has its own texts in, built once.
  const languages = contentLanguages(config);
  const instances = new Map(languages.map((lang) => [lang, publicConfig(config, lang)]));

  router.get('/healthz', async (ctx) => {
    const ok = await isHealthy();
    ctx.status = ok ? 200 : 503;
    ctx.body = ok ? { status: 'ok' } : { error: { code: 'unavailable', message: 'The database does not answer.' } };
  });

  // Liveness (/healthz) answers as soon as the server listens; readiness waits for the start-up
  // load, for a load balancer that should send people only to a server that will answer at once.
  router.get('/readyz', async (ctx) => {
    const ready = isReady() && (await isHealthy());
    ctx.status = ready ? 200 : 503;
    ctx.body = ready ? { status: 'ready' } : { error: { code: 'starting', message: 'The server is loading its bans; try again in a moment.' } };
  });

  router.get('/api/config', (ctx) => {
    const lang = chooseLanguage(
      languages,
      { query: typeof ctx.query.lang === 'string' ? ctx.query.lang : undefined, cookie: ctx.cookies.get(LANGUAGE_COOKIE), acceptLanguage: ctx.get('accept-language') },
      config.settings.language,
    );
    ctx.set('Cache-Control', 'no-cache');
    // Added to (not replacing) the Accept-Encoding the compression names.
    ctx.vary('Accept-Language');
    ctx.vary('Cookie');
    ctx.set('Content-Language', lang);
    ctx.body = { ...(instances.get(lang) ?? instances.get(config.settings.language)), availability: availability() };
  });

  // Public and the same for everyone: a cache (the browser's, a proxy's) may keep it a few seconds.
  router.get('/api/presence', (ctx) => {
    ctx.set('Cache-Control', `public, max-age=${PRESENCE_MAX_AGE_SECONDS}`);
    ctx.body = { online: online(), availability: availability() } satisfies PresenceResponse;
  });

  router.post('/api/session', async (ctx) => {
    // Every attempt counts, valid or not: a script trying ages or invite codes is what this stops.
    const waitMs = await rateLimits.takeSession((ctx.state as RequestState).clientAddress);
    if (waitMs > 0) {
      const retryAfter = Math.ceil(waitMs / 1000);
      ctx.set('Retry-After', String(retryAfter));
      throw new AppError(429, 'rate_limited', `Too many new sessions from your network: try again in ${formatWait(retryAfter)}.`, { retryAfter });
    }
    const parsed = SessionRequest.safeParse(ctx.request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(400, 'invalid_body', `Invalid request: ${issue?.path.join('.') || 'body'} ${issue?.message ?? 'is invalid'}.`);
    }
    const identity = verifiedIdentity?.(ctx);
    const created = await sessions.create(parsed.data, {
      address: (ctx.state as RequestState).clientAddress,
      deviceId: deviceId(ctx),
      identityHash: identity?.identityHash,
      ...(identity?.band ? { identityBand: identity.band } : {}),
    });
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ticket: created.ticket, expiresIn: created.expiresIn };
  });

  return router;
}

function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Reads the signed device cookie, or sets a new one. */
function deviceId(ctx: ParameterizedContext): string {
  const existing = signedCookie(ctx, DEVICE_COOKIE);
  if (existing && DEVICE_ID.test(existing)) return existing;
  const id = randomUUID();
  ctx.cookies.set(DEVICE_COOKIE, id, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    maxAge: DEVICE_COOKIE_MAX_AGE_MS,
    secure: (ctx.state as RequestState).secure,
  });
  return id;
}
