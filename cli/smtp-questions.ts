// The SMTP settings `init` asks for in the email access mode (the mail server that sends the
// magic links): host, port, implicit TLS, user, and the password, which goes to .env only and is
// never shown. Every answer is checked against the settings schema, like init's other answers.
import type { Context } from './context.ts';
import { CliError, ExitCode } from './context.ts';
import type { GlobalOptions } from './output.ts';
import { answer, canPrompt } from './questions.ts';
import { promptCheck, settingProblem } from './validate.ts';

/** The SMTP password's variable, in .env and (for init without a terminal) in the environment. */
export const SMTP_PASSWORD_ENV = 'STRANGERCHAT_SMTP_PASSWORD';
const DEFAULT_SMTP_PORT = 587;
const IMPLICIT_TLS_PORT = 465;

export interface SmtpFlags {
  smtpHost?: string;
  smtpPort?: number;
  smtpSecure?: boolean;
  smtpUser?: string;
  emailFrom?: string;
}

export interface SmtpAnswers {
  smtp: { host: string; port: number; secure: boolean; user?: string };
  from: string;
  /** Only when a user is set. */
  password?: string;
}

export const smtpCheck = {
  host: (value: string) => settingProblem({ email: { smtp: { host: value.trim() } } }),
  port: (value: string) => (/^\d+$/.test(value.trim()) ? settingProblem({ email: { smtp: { port: Number(value) } } }) : 'a port is a whole number from 1 to 65535, e.g. 587'),
  user: (value: string) => settingProblem({ email: { smtp: { user: value.trim() } } }),
  from: (value: string) => settingProblem({ email: { from: value.trim() } }),
};

/** The sender a new instance suggests: its name at no-reply@ its public host. */
function defaultFrom(name: string, publicUrl: string | undefined): string {
  const host = publicUrl ? new URL(publicUrl).hostname : 'localhost';
  return `${name.replace(/[<>"]/g, '')} <no-reply@${host}>`;
}

export async function askSmtp(ctx: Context, options: GlobalOptions & SmtpFlags, instance: { name: string; publicUrl?: string }): Promise<SmtpAnswers> {
  const host = (
    await answer(ctx, options, options.smtpHost, {
      flag: '--smtp-host',
      default: 'localhost',
      ask: () => ctx.prompt.input({ message: 'SMTP server that sends the magic links (host name)', default: 'localhost', validate: promptCheck(smtpCheck.host) }),
    })
  ).trim();
  const port = await answer(ctx, options, options.smtpPort, {
    flag: '--smtp-port',
    default: DEFAULT_SMTP_PORT,
    ask: async () => Number(await ctx.prompt.input({ message: 'SMTP port (587 for STARTTLS, 465 for TLS)', default: String(DEFAULT_SMTP_PORT), validate: promptCheck(smtpCheck.port) })),
  });
  const secure = await answer(ctx, options, options.smtpSecure, {
    flag: '--smtp-secure',
    default: port === IMPLICIT_TLS_PORT,
    ask: () => ctx.prompt.confirm({ message: 'Does it use TLS from the first byte (usually port 465)? No: STARTTLS', default: port === IMPLICIT_TLS_PORT }),
  });
  const user = (
    await answer(ctx, options, options.smtpUser, {
      flag: '--smtp-user',
      default: '',
      ask: () => ctx.prompt.input({ message: 'SMTP username (leave empty if it needs none)', default: '', validate: (v) => (v.trim() === '' ? true : promptCheck(smtpCheck.user)(v)) }),
    })
  ).trim();
  let password: string | undefined;
  if (user) {
    password = ctx.env[SMTP_PASSWORD_ENV] || undefined;
    if (password === undefined) {
      if (!canPrompt(ctx, options)) throw new CliError(`missing the SMTP password of ${user} (no terminal to ask): set ${SMTP_PASSWORD_ENV} in the environment`, ExitCode.Usage);
      password = await ctx.prompt.password({ message: `SMTP password of ${user} (kept in .env, never shown)`, validate: (v) => (v ? true : 'the server needs a password for this user') });
    }
  }
  const suggested = defaultFrom(instance.name, instance.publicUrl);
  const from = (
    await answer(ctx, options, options.emailFrom, {
      flag: '--email-from',
      default: suggested,
      ask: () => ctx.prompt.input({ message: 'Sender of the magic links', default: suggested, validate: promptCheck(smtpCheck.from) }),
    })
  ).trim();
  return { smtp: { host, port, secure, ...(user ? { user } : {}) }, from, ...(password !== undefined ? { password } : {}) };
}
