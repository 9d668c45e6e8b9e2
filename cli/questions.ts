// Asking only when someone can answer: with no TTY, with CI set or with --no-input, a missing
// answer exits 2 naming the flag that would supply it. --yes takes the defaults.
import { CliError, ExitCode, type Context } from './context.ts';
import type { GlobalOptions } from './output.ts';

export function canPrompt(ctx: Context, options: GlobalOptions): boolean {
  return options.input !== false && !options.yes && ctx.stdin.isTTY === true && ctx.stderr.isTTY === true && !ctx.env.CI;
}

/**
 * A value from a flag, else the default with --yes, else a question, else exit 2.
 * `flag` names the option that supplies it, e.g. `--name`.
 */
export async function answer<T>(
  ctx: Context,
  options: GlobalOptions,
  given: T | undefined,
  spec: { flag: string; default?: T; ask: () => Promise<T> },
): Promise<T> {
  if (given !== undefined) return given;
  if (options.yes && spec.default !== undefined) return spec.default;
  if (canPrompt(ctx, options)) return spec.ask();
  if (spec.default !== undefined && options.yes) return spec.default;
  throw new CliError(`missing ${spec.flag} (no terminal to ask; pass ${spec.flag}${spec.default !== undefined ? ' or --yes for the default' : ''})`, ExitCode.Usage);
}
