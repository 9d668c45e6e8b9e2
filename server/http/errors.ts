// The one HTTP error shape: {"error":{"code","message"}}. Only AppErrors and errors Koa marks
// as exposed reach the client with their message; anything else is a plain 500.
import type { Middleware } from 'koa';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorised',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'invalid_body',
  429: 'rate_limited',
};

export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { code: 'not_found', message: 'Not found.' } };
      }
    } catch (error) {
      if (error instanceof AppError) {
        ctx.status = error.status;
        ctx.body = { error: { code: error.code, message: error.message, ...error.details } };
        return;
      }
      const status = (error as { status?: number }).status ?? 500;
      const exposed = (error as { expose?: boolean }).expose === true && status < 500;
      if (!exposed) logger.error({ err: error, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = status;
      ctx.body = {
        error: {
          code: STATUS_CODES[status] ?? 'internal',
          message: exposed ? (error as Error).message : 'Something went wrong on our side.',
        },
      };
    }
  };
}
