// `strangerchat email test <address>`: sends a real message through the SMTP server the magic
// links use (email.smtp, STRANGERCHAT_SMTP_PASSWORD), so an operator knows before the first pupil
// asks for a link that the mail arrives.
import type { Command } from 'commander';
import { z } from 'zod';
import { createMailTransport } from '../../server/access/email.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { terminalSafe } from '../services.ts';

const Address = z.email().max(254);

export function registerEmail(program: Command, ctx: Context): void {
  const email = program.command('email').description('the e-mail that carries the magic links of the email access mode');
  withExamples(email, ['strangerchat email test you@school.example.org', 'strangerchat doctor email']);
  const testCommand = email
    .command('test')
    .argument('<address>', 'where to send the test message')
    .description('send a test message through the SMTP server the magic links use (email.smtp, STRANGERCHAT_SMTP_PASSWORD in .env)')
    .action(async (address: string, _o: GlobalOptions, command: Command) => emailTest(ctx, command.optsWithGlobals<GlobalOptions>(), address));
  withExamples(testCommand, ['strangerchat email test you@school.example.org', 'strangerchat email test you@school.example.org --json']);
}

interface SentInfo {
  messageId?: string;
  accepted?: unknown[];
  rejected?: unknown[];
  response?: string;
}

export async function emailTest(ctx: Context, options: GlobalOptions, address: string): Promise<void> {
  const output = new Output(ctx, options);
  const parsed = Address.safeParse(address.trim());
  if (!parsed.success) throw new CliError(`"${terminalSafe(address.slice(0, 80))}" is not an e-mail address (e.g. you@school.example.org)`, ExitCode.Usage);
  const to = parsed.data;
  const { config } = instanceConfig(ctx, options);
  const { settings } = config;
  if (settings.accessMode !== 'email') output.warn(`the access mode is ${settings.accessMode}, so no magic link is sent; testing the e-mail settings anyway`);
  const { smtp, from } = settings.email;
  if (smtp.user !== undefined && !config.secrets.smtpPassword) throw new CliError('email.smtp.user is set but STRANGERCHAT_SMTP_PASSWORD is not: add it to .env');
  const transport = createMailTransport(smtp, config.secrets.smtpPassword);
  output.progress(`Sending a test message to ${to} through ${smtp.host}:${smtp.port}…`);
  let info: SentInfo;
  try {
    info = (await transport.sendMail({
      from,
      to,
      subject: `Test message from ${settings.name}`,
      text: [
        'Hello,',
        '',
        `This is a test message from ${settings.name}, sent with strangerchat email test.`,
        'It arrived, so the magic links that let people join will arrive too (for addresses at the allowed domains).',
        '',
      ].join('\n'),
      headers: { 'Auto-Submitted': 'auto-generated' },
    })) as SentInfo;
  } catch (error) {
    const { code, responseCode, message } = error as { code?: string; responseCode?: number; message?: string };
    throw new CliError(
      `the message was not sent through ${smtp.host}:${smtp.port}: ${message ?? String(error)}${code ? ` (${code}${responseCode ? ` ${responseCode}` : ''})` : ''}; strangerchat doctor email says more`,
    );
  } finally {
    transport.close();
  }
  const accepted = (info.accepted ?? []).map(String);
  const rejected = (info.rejected ?? []).map(String);
  output.result({ sent: accepted.length > 0, to, from, messageId: info.messageId ?? null, accepted, rejected, response: info.response ?? null }, () =>
    `sent to ${to} through ${smtp.host}:${smtp.port}${info.response ? ` (${terminalSafe(info.response)})` : ''}`,
  );
  if (accepted.length === 0) throw new CliError(`the server did not accept ${to}: ${rejected.join(', ')}`);
  output.say('Check the inbox (and the spam folder). If it is not there, the sender address (email.from) may need to be allowed by the mail server.');
}
