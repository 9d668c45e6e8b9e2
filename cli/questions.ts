// Asking only when someone can answer: with no TTY, with CI set or with --no-input, a missing
// answer exits 2 naming the flag that would supply it. --yes takes the defaults.
import { CliError, ExitCode, type Context } from './context.ts';
import type { GlobalOptions } from './output.ts';

export function canPrompt(ctx: Context, options: GlobalOptions): boolean {
  return options.input !== false && !options.yes && ctx.stdin.isTTY === true && ctx.stderr.isTTY === true && !ctx.env.CI;
}

/** Why no question can be asked now, for the message of a missing answer. */
export function noQuestionReason(ctx: Context, options: GlobalOptions): string {
  if (options.input === false) return 'with --no-input nothing is asked';
  if (options.yes) return 'with --yes nothing is asked, and this has no default';
  if (ctx.env.CI) return 'with CI set nothing is asked';
  return 'no terminal to ask';
}

/**
 * A value from a flag, else the default with --yes, else a question, else exit 2.
 * `flag` names the option that supplies it, e.g. `--name`.
 */
export async function answer<T>(
  ctx: Context,
  options: GlobalOptions,
  given: T | undefined,
  spec: { flag: string; default?: T; ask: () => Promise<T>; /** What to pass instead, when more than the flag (e.g. "--duration 7d or --permanent"). */ pass?: string },
): Promise<T> {
  if (given !== undefined) return given;
  if (options.yes && spec.default !== undefined) return spec.default;
  if (canPrompt(ctx, options)) return spec.ask();
  if (spec.default !== undefined && options.yes) return spec.default;
  const pass = spec.pass ?? `${spec.flag}${spec.default !== undefined ? ' or --yes for the default' : ''}`;
  throw new CliError(`missing ${spec.flag} (${noQuestionReason(ctx, options)}; pass ${pass})`, ExitCode.Usage);
}
