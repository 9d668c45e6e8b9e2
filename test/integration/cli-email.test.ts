// E-mail readiness in the email access mode, against a real SMTP server (smtp-server): init asks
// for the SMTP settings and keeps the password in .env only; `doctor email` connects and reports
// TLS and the login (an unreachable server, a refused login and a certificate it cannot trust
// each fail with what to do); `email test <address>` sends a real message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { CheckResult } from '../../cli/commands/doctor.ts';
import { runCli, DEFAULT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const USER = 'chat-mailer';
const PASSWORD = 'mail p@ss "with" quotes #1';
let here = '';
let smtp: TestSmtpServer | undefined;
test.before.each(() => {
  here = tempDir('strangerchat-email-');
});
test.after.each(async () => {
  await smtp?.close();
  smtp = undefined;
  rmSync(here, { recursive: true, force: true });
});

const dir = () => join(here, 'chat');
const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, '-C', dir()], { cwd: here, env });
const EMAIL_FLAGS = ['--access', 'email', '--email-domain', 'school.example.org', '--public-url', 'https://chat.example.org'];

async function initWith(port: number, ...extra: string[]): Promise<void> {
  const made = await runCli(['init', 'chat', '--yes', '--port', '0', ...EMAIL_FLAGS, '--smtp-host', '127.0.0.1', '--smtp-port', String(port), '--smtp-user', USER, ...extra], {
    cwd: here,
    env: { STRANGERCHAT_SMTP_PASSWORD: PASSWORD },
  });
  assert.is(made.code, 0, made.stderr);
}

async function doctorEmail(): Promise<{ code: number; check: CheckResult }> {
  const result = await cli(['doctor', 'email', '--json']);
  return { code: result.code, check: result.json<{ checks: CheckResult[] }>().checks[0]! };
}

function settings(): Record<string, any> {
  return JSON.parse(readFileSync(join(dir(), 'strangerchat.json'), 'utf8'));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('init on a terminal asks for the SMTP settings; the password goes to .env only and is never printed', async () => {
  const made = await runCli(['init', 'chat'], {
    cwd: here,
    tty: true,
    answers: {
      'Where should': './chat',
      'Name of the space': 'Maple Chat',
      'How can people reach': DEFAULT,
      Profile: 'school',
      'Who may join': 'email',
      'Allowed e-mail domains': 'school.example.org',
      'Should staff sign in': false,
      'Public URL': 'https://chat.example.org',
      'SMTP server': 'smtp.school.example.org',
      'SMTP port': '465',
      'TLS from the first byte': DEFAULT,
      'SMTP username': USER,
      'SMTP password': PASSWORD,
      'Sender of the magic links': DEFAULT,
      'Port to listen on': DEFAULT,
      'TURN server': 'none',
      'Username of the first owner': DEFAULT,
      'Password for owner': DEFAULT,
    },
  });
  assert.is(made.code, 0, made.stderr);
  assert.ok(made.asked.some((q) => q.startsWith('SMTP password of chat-mailer (kept in .env, never shown)')));
  assert.equal(settings().email, {
    domains: ['school.example.org'],
    from: 'Maple Chat <no-reply@chat.example.org>',
    smtp: { host: 'smtp.school.example.org', port: 465, secure: true, user: USER },
  });
  const env = readFileSync(join(dir(), '.env'), 'utf8');
  assert.match(env, /^STRANGERCHAT_SMTP_PASSWORD='mail p@ss "with" quotes #1'$/m);
  assert.is(statSync(join(dir(), '.env')).mode & 0o777, 0o600);
  assert.not.ok(made.stdout.includes(PASSWORD) || made.stderr.includes(PASSWORD), 'the password is never printed');
  assert.match(made.stderr, /strangerchat doctor email, then send yourself a message: strangerchat email test you@school\.example\.org/);
  const loaded = await cli(['config', 'validate']);
  assert.is(loaded.code, 0, loaded.stderr);
});

test('init without a terminal: the SMTP flags, the password from the environment; without it, exit 2 naming the variable', async () => {
  const missing = await runCli(['init', 'chat', '--yes', ...EMAIL_FLAGS, '--smtp-host', 'smtp.example.org', '--smtp-user', USER], { cwd: here });
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /missing the SMTP password of chat-mailer \(no terminal to ask\): set STRANGERCHAT_SMTP_PASSWORD in the environment/);
  const notEmail = await runCli(['init', 'chat', '--yes', '--smtp-host', 'smtp.example.org'], { cwd: here });
  assert.is(notEmail.code, 2);
  assert.match(notEmail.stderr, /--smtp-host only apply with --access email/);

  await initWith(2525, '--json');
  assert.equal(settings().email.smtp, { host: '127.0.0.1', port: 2525, secure: false, user: USER });
  assert.match(readFileSync(join(dir(), '.env'), 'utf8'), /STRANGERCHAT_SMTP_PASSWORD=/);
});

test('doctor email: STARTTLS-less loopback server, login accepted; then a refused login, and an unreachable server', async () => {
  smtp = await startSmtpServer({ user: USER, password: PASSWORD });
  await initWith(smtp.port);
  const good = await doctorEmail();
  assert.is(good.code, 0, good.check.message);
  assert.equal([good.check.status, good.check.message], ['ok', `127.0.0.1:${smtp.port}: no TLS, logged in as ${USER} (on this machine)`]);
  assert.is(smtp.inbox.length, 0, 'nothing was sent');

  const envPath = join(dir(), '.env');
  writeFileSync(envPath, readFileSync(envPath, 'utf8').replace(/STRANGERCHAT_SMTP_PASSWORD=.*/, 'STRANGERCHAT_SMTP_PASSWORD=wrong'), { mode: 0o600 });
  const refused = await doctorEmail();
  assert.is(refused.code, 4);
  assert.is(refused.check.status, 'fail');
  assert.match(refused.check.message, new RegExp(`127\\.0\\.0\\.1:${smtp.port} \\(no TLS\\) refused the login of ${USER}: .*535`));
  assert.match(refused.check.fix!, /check email\.smtp\.user and STRANGERCHAT_SMTP_PASSWORD in \.env/);
  assert.not.ok(JSON.stringify(refused.check).includes('wrong'), 'the password is not shown');

  const port = await closedPort();
  assert.is((await cli(['config', 'set', 'email.smtp.port', String(port)])).code, 0);
  const unreachable = await doctorEmail();
  assert.equal([unreachable.code, unreachable.check.status], [4, 'fail']);
  assert.match(unreachable.check.message, new RegExp(`cannot reach the SMTP server 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
});

test('doctor email: a certificate that cannot be trusted fails as TLS, with STARTTLS and with implicit TLS', async () => {
  smtp = await startSmtpServer({ user: USER, password: PASSWORD }, { tls: 'starttls' });
  await initWith(smtp.port);
  const starttls = await doctorEmail();
  assert.equal([starttls.code, starttls.check.status], [4, 'fail']);
  assert.match(starttls.check.message, new RegExp(`^TLS with 127\\.0\\.0\\.1:${smtp.port} failed: .*(certificate|self.signed)`, 'i'));
  assert.match(starttls.check.fix!, /certificate must be valid for 127\.0\.0\.1/);
  await smtp.close();

  smtp = await startSmtpServer({ user: USER, password: PASSWORD }, { tls: 'implicit' });
  assert.is((await cli(['config', 'set', 'email.smtp.port', String(smtp.port)])).code, 0);
  assert.is((await cli(['config', 'set', 'email.smtp.secure', 'true'])).code, 0);
  const implicit = await doctorEmail();
  assert.equal([implicit.code, implicit.check.status], [4, 'fail']);
  assert.match(implicit.check.message, /^TLS with .* failed: .*(certificate|self.signed)/i);
});

test('email test sends a real message through the configured server; a refused login exits 1 saying so', async () => {
  smtp = await startSmtpServer({ user: USER, password: PASSWORD });
  await initWith(smtp.port);
  const sent = await cli(['email', 'test', 'head@school.example.org', '--json']);
  assert.is(sent.code, 0, sent.stderr);
  assert.equal([sent.json().sent, sent.json().to, sent.json().accepted], [true, 'head@school.example.org', ['head@school.example.org']]);
  assert.is(smtp.inbox.length, 1);
  const mail = smtp.inbox[0]!;
  assert.equal([mail.user, mail.envelope.to, mail.parsed.subject], [USER, ['head@school.example.org'], 'Test message from chat']);
  assert.match(mail.parsed.text ?? '', /sent with strangerchat email test/);
  assert.is(mail.envelope.from, 'no-reply@chat.example.org');

  const bad = await cli(['email', 'test', 'not-an-address']);
  assert.is(bad.code, 2);
  const envPath = join(dir(), '.env');
  writeFileSync(envPath, readFileSync(envPath, 'utf8').replace(/STRANGERCHAT_SMTP_PASSWORD=.*/, 'STRANGERCHAT_SMTP_PASSWORD=wrong'), { mode: 0o600 });
  const refused = await cli(['email', 'test', 'head@school.example.org']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`the message was not sent through 127\\.0\\.0\\.1:${smtp.port}: .*535.*\\(EAUTH 535\\); strangerchat doctor email says more`));
  assert.is(smtp.inbox.length, 1);
});

test('outside the email access mode, doctor skips the check and email test warns', async () => {
  assert.is((await runCli(['init', 'chat', '--yes', '--port', '0'], { cwd: here })).code, 0);
  const skipped = await doctorEmail();
  assert.equal([skipped.check.status, skipped.check.message], ['skip', 'the access mode is open: no e-mail is sent']);
  assert.match((await cli(['email', 'test', '--help'])).stdout, /Examples:\n\s+\$ strangerchat email test/);
});

test.run();
