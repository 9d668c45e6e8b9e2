// The `email` access mode in the browser: the entry step asks for an address, a real SMTP server
// receives the link, opening it in the same browser confirms the address, and the visitor can
// then start chatting. An address outside the allowed domains is refused with an explanation.
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { assertBrowserTestsCanRun, launchBrowser, newPerson, unexpectedErrors, waitForState, screenshot } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { startSmtpServer } from '../helpers/smtp.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

/** A free port: the public URL (needed by this mode, and checked as the WebSocket's Origin) names it. */
async function freePort(): Promise<number> {
  const probe = createTcpServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const smtp = await startSmtpServer({ user: 'mailer', password: 'smtp-secret' });
const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const server: TestServer = await newServer(
  {
    name: 'Maple High',
    profile: 'school',
    accessMode: 'email',
    publicUrl,
    server: { port },
    email: { domains: ['school.example.org'], smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: 'mailer' } },
  },
  { secrets: { smtpPassword: 'smtp-secret' } },
);
const browser: Browser = await launchBrowser();
test.after(async () => {
  await browser.close();
  await server.stop();
  await smtp.close();
});

test('a visitor confirms their school address through the mailed link, then starts chatting', async () => {
  const pupil = await newPerson(browser, publicUrl);
  const { page } = pupil;
  await page.goto('/');
  await page.getByRole('button', { name: /Start a text chat/ }).click();
  await page.getByRole('heading', { name: 'Confirm your e-mail address' }).waitFor();

  // Without a confirmed address the session is refused, with the reason.
  await page.locator('#accept').check();
  await page.locator('#age').fill('14');
  await page.locator('#start').click();
  await page.locator('#entry-error', { hasText: 'Confirm your e-mail address first' }).waitFor();

  await page.getByRole('textbox', { name: 'E-mail address' }).fill('someone@gmail.example');
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await page.locator('#email-status', { hasText: 'cannot join this space' }).waitFor();
  assert.is(smtp.inbox.length, 0);

  await page.getByRole('textbox', { name: 'E-mail address' }).fill('ada@school.example.org');
  await page.getByRole('button', { name: 'Send me a link' }).click();
  await page.locator('#email-status', { hasText: 'we sent a link to ada@school.example.org' }).waitFor();
  assert.is(smtp.inbox.length, 1);
  const link = /http:\/\/\S+\/verify#token=[\w-]+/.exec(smtp.inbox[0]!.parsed.text ?? '')?.[0];
  assert.ok(link, 'the mail holds the link');

  // The link opens a confirm page; only its button spends the link (mail scanners press none).
  await page.goto(link!);
  await page.getByRole('heading', { name: 'Confirm your e-mail address' }).waitFor();
  assert.is(new URL(page.url()).hash, '', 'the token is out of the address bar');
  await page.getByRole('button', { name: 'Confirm my address' }).click();
  await page.locator('#email-status', { hasText: 'confirmed on this device' }).waitFor();
  assert.is(new URL(page.url()).hash, '#start', 'back on the entry step');
  assert.not.match(page.url(), /verified=/, 'the address bar is clean');
  assert.match(await page.locator('#entry-mode').innerText(), /text chat/, 'the choice made before the mail is kept');
  await screenshot(page, 'entry-email-verified-desktop-light');
  await page.locator('#accept').check();
  await page.locator('#age').fill('14');
  await page.locator('#start').click();
  await page.waitForURL('**/chat');
  await waitForState(page, 'searching');
  assert.equal(unexpectedErrors(pupil.errors, [/status of 403/]), []);
});

test('an invalid or used link says so on the entry step', async () => {
  const pupil = await newPerson(browser, publicUrl);
  // The address links mailed by earlier versions: forwarded to the confirm page.
  await pupil.page.goto('/api/email/verify?token=not-a-real-token');
  await pupil.page.getByRole('button', { name: 'Confirm my address' }).click();
  await pupil.page.locator('#email-status', { hasText: 'invalid, already used or expired' }).waitFor();
  assert.ok(await pupil.page.locator('#email').isVisible(), 'a new link can be asked for');
});

test.run();
