// The Koa application in front of every route: compression, the one error shape, security
// headers and the client's address, the readiness gate (nothing but /healthz and /readyz before
// the bans are known), the ban gate, raw-body routes, then the JSON body parser. Routers are
// mounted after it with `mount(app, router)`, and the web site last (it answers only its own pages
// and assets, after every API route).
import { constants as zlibConstants } from 'node:zlib';
import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import compress from 'koa-compress';
import type { ClientAddressResolver } from '../access/client-address.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { jsonBody } from './body.ts';
import { errorMiddleware } from './errors.ts';
import { securityMiddleware } from './security.ts';

/** Largest JSON body accepted over HTTP. */
const HTTP_JSON_LIMIT = '16kb';
/** Brotli quality and gzip level for text answers: most of the saving of the slowest settings, at a fraction of their time (docs/benchmarks.md). */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;
/** Answers at once, before the bans are loaded: liveness and readiness checks. */
const ALWAYS_OPEN = new Set(['/healthz', '/readyz']);

export interface KoaAppOptions {
  /** Keys for signed cookies (the session secret). */
  keys: string[];
  logger: Logger;
  clientAddress: ClientAddressResolver;
  publicUrl: string | undefined;
  /** The start-up load (moderation/ban-loader.ts): requests wait for it. */
  readiness: { readonly loaded: boolean; untilLoaded(): Promise<boolean> };
  /** The ban gate (moderation/ban-gate.ts). */
  banGate: Middleware;
  /** Routers that read their own request bodies (raw JPEG evidence): mounted before the JSON parser. */
  rawBodyRouters: Router[];
}

/** Mounts a router: its routes, and 405/501 answers for its paths' other methods. */
export function mount(app: Koa, router: Router): void {
  app.use(router.routes()).use(router.allowedMethods());
}

export function createKoaApp(options: KoaAppOptions): Koa {
  const { logger, readiness } = options;
  const app = new Koa({ keys: options.keys });
  app.silent = true;
  app.on('error', (error: unknown) => logger.debug({ err: error }, 'koa error'));
  // Text answers (pages, scripts, styles, JSON) leave compressed, brotli or gzip as the client
  // accepts (a kilobyte or more; images and evidence JPEGs are not compressible). WebSocket
  // upgrades never pass through Koa, and their frames stay uncompressed (perMessageDeflate: false).
  app.use(compress({ threshold: 1024, br: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }, gzip: { level: GZIP_LEVEL }, deflate: false, zstd: false }));
  app.use(errorMiddleware(logger));
  app.use(securityMiddleware({ clientAddress: options.clientAddress, publicUrl: options.publicUrl }));
  app.use(async (ctx, next) => {
    if (!readiness.loaded && !ALWAYS_OPEN.has(ctx.path) && !(await readiness.untilLoaded())) {
      throw new AppError(503, 'shutting_down', 'The server is restarting; try again in a moment.');
    }
    await next();
  });
  app.use(options.banGate);
  for (const router of options.rawBodyRouters) app.use(router.routes());
  app.use(
    jsonBody({
      parsedMethods: ['POST', 'PUT', 'PATCH'],
      enableTypes: ['json'],
      jsonLimit: HTTP_JSON_LIMIT,
      onError: (error) => {
        if ((error as { status?: number }).status === 413) throw new AppError(413, 'too_large', 'The request body is too large.');
        throw new AppError(400, 'invalid_body', 'The body must be valid JSON.');
      },
    }),
  );
  return app;
}
