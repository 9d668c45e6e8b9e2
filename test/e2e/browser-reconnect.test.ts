// Honest recovery. The network drops under a chatter (every TCP connection cut, as when Wi-Fi goes):
// the page says so, opens a new session by itself and looks for someone again. A connection that
// goes silent without closing (a NAT or load balancer that forgot it) is noticed within seconds by
// the page's own pings, and a message sent into it is marked "not delivered", never silently lost.
// After a real server restart both sides learn the conversation ended and find each other again.
// And a moderators' announcement reaches open pages as a notice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { createServer, type RunningServer } from '../../server/app.ts';
import { makeConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { silentLogger } from '../../server/logger.ts';
import { publishEvent } from '../../server/moderation/events.ts';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, screenshot, unexpectedErrors, waitForState } from '../helpers/browser.ts';
import { newProxy } from '../helpers/proxy.ts';
import { newServer, tempDir, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

// A short heartbeat, so that the server too drops a silent connection soon (its partner is told).
const server: TestServer = await newServer({ name: 'Maple Chat', limits: { heartbeatIntervalMs: 2000 } });
const proxy = await newProxy(new URL(server.url));
const browser: Browser = await launchBrowser();
test.after(async () => {
  await browser.close();
  await proxy.close();
  await server.stop();
});

test('after a network drop the page reconnects with a new session and finds someone again', async () => {
  const ana = await newPerson(browser, proxy.url);
  const ben = await newPerson(browser, server.url);
  await enter(ana.page, { mode: 'text' });
  await waitForState(ana.page, 'searching');
  await enter(ben.page, { mode: 'text' });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  const sessionsBefore = (await server.db.selectFrom('sessions').select('id').execute()).length;

  proxy.cut();
  await ana.page.locator('#log .line-system', { hasText: 'Your connection dropped' }).waitFor();
  await waitForState(ben.page, 'ended');
  assert.match(await ben.page.locator('#status').innerText(), /lost their connection/);

  // By itself: a new session and ticket, then back in the queue.
  await waitForState(ana.page, 'searching', 15_000);
  const sessionsAfter = (await server.db.selectFrom('sessions').select('id').execute()).length;
  assert.is(sessionsAfter, sessionsBefore + 1, 'a new session was opened');
  await ben.page.locator('#again').click();
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  await ben.page.locator('#message').fill('welcome back');
  await ben.page.locator('#message').press('Enter');
  await ana.page.locator('#log .line-stranger', { hasText: 'welcome back' }).waitFor();

  // The drop itself is logged by the browser (the socket failed); nothing else may go wrong.
  assert.equal(unexpectedErrors(ana.errors, [/WebSocket/, /net::ERR_/]), []);
  assert.equal(unexpectedErrors(ben.errors), []);
  await ana.context.close();
  await ben.context.close();
});

test('a connection that goes silent is noticed within seconds, and what was sent into it is marked not delivered', async () => {
  const ana = await newPerson(browser, proxy.url);
  const ben = await newPerson(browser, server.url);
  await enter(ana.page, { mode: 'text' });
  await waitForState(ana.page, 'searching');
  await enter(ben.page, { mode: 'text' });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  await ana.page.locator('#message').fill('this one arrives');
  await ana.page.locator('#message').press('Enter');
  await ben.page.locator('#log .line-stranger', { hasText: 'this one arrives' }).waitFor();
  await ana.page.waitForFunction(() => !document.querySelector('#log .line-you .mark'), undefined, { timeout: 3000 });

  // Nothing arrives any more, and nothing says so: no close, no reset.
  proxy.freeze('websockets');
  await ana.page.locator('#message').fill('are you still there?');
  await ana.page.locator('#message').press('Enter');
  const lost = ana.page.locator('#log .line-you', { hasText: 'are you still there?' });
  await lost.locator('.not-sent-mark', { hasText: 'Not delivered' }).waitFor({ timeout: 15_000 });
  assert.is(await ana.page.locator('#log .line-you', { hasText: 'this one arrives' }).locator('.mark').count(), 0, 'the confirmed message stays as it was');
  await ana.page.locator('#log .line-system', { hasText: 'Your connection dropped' }).waitFor();
  await screenshot(ana.page, 'chat-not-delivered-desktop-light');
  assert.is(await ben.page.locator('#log .line-stranger', { hasText: 'are you still there?' }).count(), 0, 'it was indeed never delivered');

  // Ana is back through new connections; Ben hears the conversation is over; they meet again.
  await waitForState(ana.page, 'searching', 20_000);
  await waitForState(ben.page, 'ended', 10_000);
  assert.match(await ben.page.locator('#status').innerText(), /lost their connection/);
  await ben.page.locator('#again').click();
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  assert.equal(unexpectedErrors(ana.errors, [/WebSocket/, /net::ERR_/]), []);
  assert.equal(unexpectedErrors(ben.errors), []);
  await ana.context.close();
  await ben.context.close();
});

test('after a real server restart both sides learn the conversation ended, and search again by themselves', async () => {
  // One instance folder and database; the second process listens on the first one's port.
  const dir = tempDir();
  const settings = (port: number) => ({ name: 'Maple Chat', server: { host: '127.0.0.1', port, shutdownGraceSeconds: 1 } });
  const db = await openDatabase(makeConfig({ dir, settings: settings(0) }).database);
  await migrateToLatest(db);
  let running: RunningServer = await createServer(makeConfig({ dir, settings: settings(0) }), { db, logger: silentLogger(), feedIntervalMs: 100 });
  const url = running.url;
  try {
    const ana = await newPerson(browser, url);
    const ben = await newPerson(browser, url, { colorScheme: 'dark', width: 360, height: 740 });
    await enter(ana.page, { mode: 'text' });
    await waitForState(ana.page, 'searching');
    await enter(ben.page, { mode: 'text' });
    await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);

    await running.close();
    running = await createServer(makeConfig({ dir, settings: settings(running.port) }), { db, logger: silentLogger(), feedIntervalMs: 100 });
    // A new session each (the old ones are gone with the old process), the search again, each
    // other; and each is told the last conversation ended with the connection, however fast it went.
    await Promise.all([waitForState(ana.page, 'paired', 20_000), waitForState(ben.page, 'paired', 20_000)]);
    for (const person of [ana, ben]) {
      assert.match(await person.page.locator('#log').innerText(), /Your last conversation ended when the connection dropped/);
    }
    await screenshot(ben.page, 'chat-after-restart-360-dark');
    await ben.page.locator('#message').fill('we are back');
    await ben.page.locator('#message').press('Enter');
    await ana.page.locator('#log .line-stranger', { hasText: 'we are back' }).waitFor();
    assert.ok((await db.selectFrom('sessions').select('id').execute()).length >= 4, 'both opened a new session');
    assert.equal(unexpectedErrors(ana.errors, [/WebSocket/, /net::ERR_/, /status of 503/]), []);
    assert.equal(unexpectedErrors(ben.errors, [/WebSocket/, /net::ERR_/, /status of 503/]), []);
    await ana.context.close();
    await ben.context.close();
  } finally {
    await running.close();
    await db.destroy();
  }
});

test("a moderators' announcement shows as a notice that can be dismissed", async () => {
  const ana = await newPerson(browser, server.url);
  await enter(ana.page, { mode: 'text' });
  await waitForState(ana.page, 'searching');
  const cli = await server.openSecondDb();
  await publishEvent(cli, { kind: 'announcement', payload: { text: 'The chat closes at 6 pm today.' } }, Date.now());
  const notice = ana.page.locator('#notice');
  await notice.waitFor({ state: 'visible', timeout: 3000 });
  assert.match(await notice.innerText(), /From the moderators:\s*The chat closes at 6 pm today\./);
  await ana.page.getByRole('button', { name: 'Dismiss' }).click();
  await notice.waitFor({ state: 'hidden' });
  assert.equal(unexpectedErrors(ana.errors), []);
  await ana.context.close();
});

test.run();
