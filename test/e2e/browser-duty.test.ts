// Moderators on duty, opening hours, pauses and safeguarding alerts in a real browser, against
// the real server (its clock set by the test: next Monday at 10:00 UTC, then running):
// without a moderator on duty the landing page says "text only for now" and offers no video; the
// dashboard's toggle puts a moderator on duty and the landing page offers video again; a pause
// says when the space opens and the operator's message, and a conversation under way hears the
// closing notice and ends after the grace; when the hours end, someone searching is told it closed
// and when it opens, and the landing page says when it
// opens; the dashboard shows the unacknowledged alerts first, acknowledging one (by a safeguarding
// account for a minor report) is audited, and a failing webhook is said above the alerts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { cliActor } from '../../server/access/actor.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, screenshot, unexpectedErrors, waitForState, type Person } from '../helpers/browser.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { createModerator, TEST_PASSWORD } from '../helpers/moderators.ts';
import { join, pairUp, report, type Person as Chatter } from '../helpers/people.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { startWebhook, verifySignature, type TestWebhook } from '../helpers/webhook.ts';

assertBrowserTestsCanRun();

const SECRET = 'webhook-secret-for-the-browser-duty-test-0123';
const DAY_MS = 86_400_000;
/** The next Monday at 10:00 UTC, a day ahead at least (cookies dated in the past would be dropped): inside the opening hours. */
const MONDAY_10 = (() => {
  const today = new Date();
  const midnight = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const daysToMonday = ((8 - today.getUTCDay()) % 7) || 7;
  return midnight + daysToMonday * DAY_MS + 10 * 3_600_000;
})();
/** The same day at 17:00: after the hours; they open again on Tuesday at 08:30. */
const MONDAY_17 = MONDAY_10 + 7 * 3_600_000;
const TUESDAY_0830 = MONDAY_10 + DAY_MS - 90 * 60_000;
/** A moment as the landing page says it (web/src/scripts/home.ts, in the page's language). */
const said = (ms: number) => new Intl.DateTimeFormat('en', { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(ms);
const started = Date.now();
let base = MONDAY_10;
/** The server's clock: the test's moment, running as real time does (tickets and sessions age normally). */
const now = () => base + (Date.now() - started);

const hook: TestWebhook = await startWebhook();
const server: TestServer = await newServer(
  {
    name: 'Maple Chat',
    trustedProxies: ['127.0.0.1'],
    moderation: { videoOnlyOnDuty: true },
    openingHours: { timeZone: 'UTC', week: { monday: ['08:30-16:00'], tuesday: ['08:30-16:00'] }, closingGraceSeconds: 5 },
    alerts: { webhooks: [hook.url], deliveryAttempts: 2 },
  },
  { now, secrets: { webhookSecret: SECRET }, alertDelivery: { retryFirstMs: 100, pollMs: 100 } },
);
const browser: Browser = await launchBrowser();
await createModerator(server, 'mia', 'moderator');
await createModerator(server, 'sam', 'safeguarding');
const chatters: Array<Chatter | TestClient> = [];
const people: Person[] = [];

test.after(async () => {
  for (const chatter of chatters) chatter.close();
  for (const person of people) await person.context.close();
  await browser.close();
  await server.stop();
  await hook.close();
});

/** The first visit to /mod asks who is signed in (401 before signing in). */
const SIGNED_OUT = [/Failed to load resource: the server responded with a status of 401/];

async function visitor(): Promise<Person> {
  const person = await newPerson(browser, server.url);
  people.push(person);
  return person;
}

async function moderator(username: string): Promise<Person> {
  const person = await visitor();
  const { page } = person;
  await page.goto('/mod');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(TEST_PASSWORD);
  await page.locator('#login-form button[type="submit"]').click();
  await page.locator('#dash').waitFor();
  return person;
}

/** What another process (the terminal) does, on the same database: the server hears it through the feed. */
async function asOperator<T>(act: (services: ReturnType<typeof createServices>) => Promise<T>): Promise<T> {
  const services = createServices({ db: await server.openSecondDb(), config: server.config, logger: silentLogger(), now });
  try {
    return await act(services);
  } finally {
    services.close();
  }
}

async function landing(page: Page): Promise<{ availability: string | null; videoNote: string | null; textDisabled: boolean; videoDisabled: boolean }> {
  await page.goto('/');
  // The page asks /api/presence as it loads: the state is said once that answer is in.
  await page.waitForFunction(() => document.getElementById('online-now')?.hidden === false);
  return page.evaluate(() => {
    const shown = (id: string) => {
      const element = document.getElementById(id)!;
      return element.hidden ? null : element.textContent;
    };
    return {
      availability: shown('availability'),
      videoNote: shown('video-note'),
      textDisabled: (document.getElementById('start-text') as HTMLButtonElement).disabled,
      videoDisabled: (document.getElementById('start-video') as HTMLButtonElement).disabled,
    };
  });
}

/** Waits for something the server does in the background (the alert outbox). */
async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function auditCount(action: string): Promise<number> {
  const rows = await server.db.selectFrom('audit_log').select(['id']).where('action', '=', action).execute();
  return rows.length;
}

test('without a moderator on duty the landing page says text only for now; the dashboard toggle brings video, and takes it away', async () => {
  const chatter = await visitor();
  const before = await landing(chatter.page);
  assert.is(before.availability, null, 'open: nothing said about the hours');
  assert.match(before.videoNote ?? '', /Text only for now/);
  assert.is(before.videoDisabled, true, 'no video start');
  assert.is(before.textDisabled, false, 'text is offered');
  await screenshot(chatter.page, 'duty-landing-text-only');

  const mia = await moderator('mia');
  const toggle = mia.page.locator('#duty');
  const line = mia.page.locator('#availability-line');
  await line.filter({ hasText: 'Nobody is on duty' }).waitFor();
  assert.match((await line.textContent()) ?? '', /video is not offered/);
  assert.is(await toggle.getAttribute('aria-pressed'), 'false');

  await toggle.click();
  await mia.page.waitForFunction(() => document.getElementById('duty')?.getAttribute('aria-pressed') === 'true');
  await line.filter({ hasText: 'On duty: mia' }).waitFor();
  assert.not.match((await line.textContent()) ?? '', /video is not offered/);
  assert.is(await auditCount('duty.on'), 1, 'going on duty is audited');
  await screenshot(mia.page, 'duty-dashboard-on');

  const during = await landing(chatter.page);
  assert.is(during.videoNote, null, 'nothing said: video is offered');
  assert.is(during.videoDisabled, false);

  await toggle.click();
  await mia.page.waitForFunction(() => document.getElementById('duty')?.getAttribute('aria-pressed') === 'false');
  await line.filter({ hasText: 'Nobody is on duty' }).waitFor();
  assert.is(await auditCount('duty.off'), 1);
  const after = await landing(chatter.page);
  assert.match(after.videoNote ?? '', /Text only for now/);
  assert.is(after.videoDisabled, true);

  assert.equal(unexpectedErrors(chatter.errors), []);
  assert.equal(unexpectedErrors(mia.errors, SIGNED_OUT), []);
});

test('the dashboard shows unacknowledged alerts first; a safeguarding account acknowledges a minor report, audited; a failing webhook is said', async () => {
  // A report about a minor, filed over the WebSocket; then a refused age-group switch, raised by another process.
  const a = await join(server.url, { address: '198.51.100.21', age: 15 });
  const b = await join(server.url, { address: '203.0.113.21', age: 16 });
  chatters.push(a, b);
  await pairUp(a, b);
  const { reportId } = await report(a, 'minor');
  const older = await server.db.selectFrom('alerts').select(['id']).where('report_id', '=', reportId).executeTakeFirstOrThrow();
  await until('the minor report\'s webhook delivered', () => hook.received.find((r) => r.body.includes(older.id)));
  hook.status = 500;
  const newer = await asOperator((services) => services.alerts.raise({ kind: 'band_switch', subject: 'device:00000000-0000-4000-8000-000000000002', details: { from: 'adult', to: 'minor' } }));

  // A moderator (not safeguarding) sees the minor report's alert but leaves it to a safeguarding account.
  const mia = await moderator('mia');
  await mia.page.evaluate(() => (location.hash = '#alerts'));
  await mia.page.locator(`[data-alert="${older.id}"]`).waitFor();
  assert.match((await mia.page.locator(`[data-alert="${older.id}"]`).textContent()) ?? '', 'acknowledged by a safeguarding account');
  assert.is(await mia.page.locator(`[data-alert="${older.id}"] button`).count(), 0);
  assert.is(await mia.page.locator(`[data-alert="${newer}"]`).getByRole('button', { name: 'Acknowledge' }).count(), 1);

  const sam = await moderator('sam');
  // Above every other part of the dashboard: how many alerts wait, with a link to them.
  await sam.page.evaluate(() => (location.hash = '#reports'));
  await sam.page.locator('#alerts-waiting-link').filter({ hasText: 'Safeguarding alerts waiting: 2' }).waitFor();
  assert.is(await sam.page.locator('#badge-alerts').textContent(), '2');

  await sam.page.locator('#alerts-waiting-link').click();
  await sam.page.locator('#panel-alerts .alert-item').first().waitFor();
  assert.equal(await sam.page.$$eval('#alerts-list .alert-item', (cards) => cards.map((c) => (c as HTMLElement).dataset.alert)), [newer, older.id], 'newest first');
  assert.is(await sam.page.locator('#alerts-waiting').isHidden(), true, 'not said on the alerts themselves');

  // The minor report's alert: acknowledged by the safeguarding account, with a note.
  const card = sam.page.locator(`[data-alert="${older.id}"]`);
  assert.is(await card.getByRole('link', { name: 'Open the report' }).getAttribute('href'), `#report/${reportId}`);
  await card.locator('textarea').fill('Called the family liaison');
  await card.getByRole('button', { name: 'Acknowledge' }).click();
  await sam.page.locator(`[data-alert="${older.id}"]`).filter({ hasText: 'Acknowledged by moderator:sam' }).waitFor();
  const audited = await server.db.selectFrom('audit_log').selectAll().where('action', '=', 'alert.acknowledge').execute();
  assert.is(audited.length, 1, 'acknowledging is audited once');
  assert.equal([audited[0]!.target, audited[0]!.reason], [`alert:${older.id}`, 'Called the family liaison']);
  await sam.page.locator('#badge-alerts').filter({ hasText: /^1$/ }).waitFor({ timeout: 3000 });

  // All alerts: the one still open comes first, the acknowledged one after it.
  await sam.page.locator('#alerts-status').selectOption('all');
  await sam.page.locator('#alerts-count').filter({ hasText: 'not acknowledged: 1' }).waitFor();
  assert.equal(await sam.page.$$eval('#alerts-list .alert-item', (cards) => cards.map((c) => [(c as HTMLElement).dataset.alert, c.classList.contains('alert-open')])), [
    [newer, true],
    [older.id, false],
  ]);

  // The receiver answers 500: after its attempts the webhook delivery is failed, and the dashboard says so.
  await until('the failing webhook delivery marked failed', () =>
    server.db.selectFrom('alert_deliveries').select(['id']).where('alert_id', '=', newer).where('channel', '=', 'webhook').where('status', '=', 'failed').executeTakeFirst(),
  );
  const tries = hook.received.filter((r) => r.body.includes(newer));
  assert.is(tries.length, 2, 'retried (alerts.deliveryAttempts)');
  assert.ok(tries.every((r) => verifySignature(r, SECRET, 300, Math.floor(now() / 1000))), 'each attempt signed (at the server clock)');
  await sam.page.locator('#alerts-status').selectOption('open');
  const deliveries = sam.page.locator('#alerts-deliveries');
  await deliveries.filter({ hasText: 'failed' }).waitFor();
  const failure = (await deliveries.textContent()) ?? '';
  assert.match(failure, 'Alert deliveries that failed in the last 7 days: 1');
  assert.match(failure, hook.url);
  assert.match(failure, 'http_500');
  await screenshot(sam.page, 'duty-dashboard-alerts');
  hook.status = 200;
  assert.equal(unexpectedErrors(sam.errors, SIGNED_OUT), []);
  assert.equal(unexpectedErrors(mia.errors, SIGNED_OUT), []);
});

test('a pause: the landing page says when it opens with the message; a conversation hears the closing notice and ends after the grace', async () => {
  const chatter = await visitor();
  await enter(chatter.page, { mode: 'text', age: 30 });
  await waitForState(chatter.page, 'searching');
  const other = await connect(server.url, { acceptRules: true, age: 30 });
  chatters.push(other);
  other.send({ type: 'find', mode: 'text' });
  await other.next('matched');
  await waitForState(chatter.page, 'paired');

  // A whole minute: the page says hours and minutes.
  const until = Math.ceil((now() + 2 * 3_600_000) / 60_000) * 60_000;
  await asOperator((services) => services.availability.pause(cliActor('test'), { until, message: 'Back after the assembly' }));
  await chatter.page.locator('#notice-text').filter({ hasText: 'This space is closing: your conversation ends at' }).waitFor();
  assert.is(await chatter.page.locator('#notice').isVisible(), true);
  await screenshot(chatter.page, 'duty-chat-closing');
  assert.is(await chatter.page.locator('#app').getAttribute('data-state'), 'paired', 'the grace: the conversation goes on for now');
  await waitForState(chatter.page, 'ended', 10_000);
  assert.is(await chatter.page.locator('#status').textContent(), 'The space has closed, so the conversation ended.');

  const visiting = await visitor();
  const paused = await landing(visiting.page);
  assert.is(paused.availability, `Paused for now. It opens again on ${said(until)}. From the people who run it: “Back after the assembly”`);
  assert.equal([paused.textDisabled, paused.videoDisabled], [true, true], 'nothing starts while paused');
  await screenshot(visiting.page, 'duty-landing-paused');

  await asOperator((services) => services.availability.resume(cliActor('test')));
  const resumed = await landing(visiting.page);
  assert.is(resumed.availability, null);
  assert.is(resumed.textDisabled, false);
  assert.equal(unexpectedErrors(chatter.errors), []);
  assert.equal(unexpectedErrors(visiting.errors), []);
});

test('outside the opening hours the landing page says when the space opens, and the chat page too', async () => {
  // Someone is looking for a partner when the hours end: the chat page says it closed, and when it opens.
  const searching = await visitor();
  await enter(searching.page, { mode: 'text', age: 30 });
  await waitForState(searching.page, 'searching');
  base = MONDAY_17 - (Date.now() - started);
  // The server's watch reads the clock every second.
  await waitForState(searching.page, 'stopped');
  assert.is(await searching.page.locator('#status').textContent(), `This space is closed now. It opens again on ${said(TUESDAY_0830)}.`);
  await screenshot(searching.page, 'duty-chat-closed');
  assert.equal(unexpectedErrors(searching.errors), []);

  const visiting = await visitor();
  const closed = await landing(visiting.page);
  assert.is(closed.availability, `Closed at this time. It opens again on ${said(TUESDAY_0830)}.`);
  assert.match(closed.availability ?? '', /Tuesday.*08:30/);
  assert.equal([closed.textDisabled, closed.videoDisabled], [true, true]);
  await screenshot(visiting.page, 'duty-landing-closed');
  assert.equal(unexpectedErrors(visiting.errors), []);
});

test.run();
