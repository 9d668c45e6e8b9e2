// Who the terminal acts as. Without --as (or STRANGERCHAT_AS), the operator: an owner, audited as
// cli:<os user>. With it, a moderator account whose password is proved at the terminal (asked,
// or STRANGERCHAT_AS_PASSWORD where no one can be asked): that account's role is enforced and the
// audit log says cli:<os user> as <account>. The operator holds the instance's files, so this is
// an identity for accountability and role enforcement, not a security boundary (docs/security.md).
import { cliActor, cliActorAs, type Actor } from '../server/access/actor.ts';
import { AppError } from '../server/errors.ts';
import type { Services } from '../server/services.ts';
import { CliError, ExitCode, type Context } from './context.ts';
import type { GlobalOptions } from './output.ts';
import { canPrompt, noQuestionReason } from './questions.ts';
import { check } from './validate.ts';

/** The account to act as: --as, else STRANGERCHAT_AS. */
export const AS_ENV = 'STRANGERCHAT_AS';
/** Its password where no terminal can ask (scripts): prefer the question. */
export const AS_PASSWORD_ENV = 'STRANGERCHAT_AS_PASSWORD';

/** The account named by --as or STRANGERCHAT_AS, if any (exit 2 for a malformed name). */
export function requestedAccount(ctx: Context, options: GlobalOptions): string | undefined {
  const name = options.as ?? (ctx.env[AS_ENV] || undefined);
  if (name === undefined) return undefined;
  const problem = check.username(name);
  if (problem) throw new CliError(`--as: ${problem}; got "${name.slice(0, 40)}"`, ExitCode.Usage);
  return name.trim().toLowerCase();
}

/** The actor of a moderation command: the operator (owner), or the proved --as account. */
export async function terminalActor(ctx: Context, options: GlobalOptions, services: Services): Promise<Actor> {
  const account = requestedAccount(ctx, options);
  if (account === undefined) return cliActor(ctx.osUser);
  let password = ctx.env[AS_PASSWORD_ENV];
  if (password === undefined) {
    if (!canPrompt(ctx, { ...options, yes: false })) {
      throw new CliError(`--as ${account} needs the account's password (${noQuestionReason(ctx, { ...options, yes: false })}; set ${AS_PASSWORD_ENV})`, ExitCode.Usage, 'password_required');
    }
    password = await ctx.prompt.password({ message: `Password of ${account} (acting as them: --as)` });
  }
  try {
    return cliActorAs(ctx.osUser, await services.moderators.authenticateTerminal(account, password, ctx.osUser));
  } catch (error) {
    if (error instanceof AppError) throw new CliError(`--as ${account}: ${error.message}`, ExitCode.Error, error.code);
    throw error;
  }
}
