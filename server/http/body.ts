// The JSON body parser, imported by the first request that carries a body to read:
// @koa/bodyparser and what it needs are about 90 modules, which a start does not need.
import type { Middleware } from 'koa';
import type { bodyParser } from '@koa/bodyparser';

export type JsonBodyOptions = NonNullable<Parameters<typeof bodyParser>[0]> & {
  /** The methods whose body is read; the others pass through untouched, as with bodyParser itself. */
  parsedMethods: string[];
};

/** `bodyParser(options)`, loaded on first use. */
export function jsonBody(options: JsonBodyOptions): Middleware {
  let parser: Promise<Middleware> | undefined;
  return async (ctx, next) => {
    if (!options.parsedMethods.includes(ctx.method.toUpperCase())) return next();
    parser ??= import('@koa/bodyparser').then((module) => module.bodyParser(options) as Middleware);
    return (await parser)(ctx, next);
  };
}
