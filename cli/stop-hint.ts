// The command that stops a running instance, as the person who started it can type it where they
// are: `npm stop` after `npm start` (a clone's package.json, or an instance's, has a stop script),
// `npx strangerchat stop` after npx, else `strangerchat stop`, with -C when they are elsewhere.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import type { Context } from './context.ts';

export function stopCommand(ctx: Pick<Context, 'env' | 'cwd'>, dir: string): string {
  if (ctx.env.npm_lifecycle_event === 'start' && ctx.env.npm_package_json) {
    try {
      const pkg = JSON.parse(readFileSync(ctx.env.npm_package_json, 'utf8')) as { scripts?: Record<string, string> };
      if (pkg.scripts?.stop) return 'npm stop';
    } catch {
      // no readable package.json: fall through to the CLI's own command
    }
  }
  const command = ctx.env.npm_command === 'exec' ? 'npx strangerchat stop' : 'strangerchat stop';
  // From the instance folder or below it, the command finds the instance upward by itself.
  const below = relative(dir, ctx.cwd);
  if (below === '' || (!below.startsWith('..') && !isAbsolute(below))) return command;
  const where = relative(ctx.cwd, dir);
  return `${command} -C ${where.includes(' ') ? JSON.stringify(where) : where}`;
}
