// When video cannot work, the page says why and what to do: a camera the visitor refused (then
// text instead), and a relay-only space with no TURN server (video cannot connect; text still does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, screenshot, unexpectedErrors, waitForState } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const browser: Browser = await launchBrowser();
const servers: TestServer[] = [];
test.after(async () => {
  await browser.close();
  for (const server of servers) await server.stop();
});

test('a refused camera is explained, can be retried, and the visitor can chat by text instead', async () => {
  const server = await newServer({ name: 'Maple Chat' });
  servers.push(server);
  const shy = await newPerson(browser, server.url);
  // As when the visitor clicks "Block" on the browser's camera prompt.
  await shy.context.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await enter(shy.page, { mode: 'video' });
  await shy.page.waitForURL('**/chat');
  const message = shy.page.locator('#video-message');
  await message.waitFor({ state: 'visible' });
  assert.match(await message.innerText(), /camera or microphone is blocked/);
  assert.ok(await shy.page.getByRole('button', { name: 'Try again' }).isVisible());
  assert.is(await shy.page.evaluate(() => document.activeElement?.id), 'camera-retry', 'the focus is on what to do next');
  assert.is((await server.stats()).online, 0, 'no connection is opened without a camera');
  await screenshot(shy.page, 'chat-camera-refused-desktop-light');

  await shy.page.getByRole('button', { name: 'Chat by text instead' }).click();
  await waitForState(shy.page, 'searching');
  assert.ok(await shy.page.locator('#video').isHidden(), 'no video area in text mode');
  const other = await newPerson(browser, server.url);
  await enter(other.page, { mode: 'text' });
  await Promise.all([waitForState(shy.page, 'paired'), waitForState(other.page, 'paired')]);
  assert.equal(unexpectedErrors(shy.errors), []);
});

test('in a relay-only space without a TURN server, video says why it cannot connect and text still works', async () => {
  const server = await newServer({ name: 'Maple High', relayOnly: true });
  servers.push(server);
  const ana = await newPerson(browser, server.url, { colorScheme: 'dark', width: 360, height: 740 });
  const ben = await newPerson(browser, server.url);
  await enter(ana.page, { mode: 'video' });
  await waitForState(ana.page, 'searching');
  await enter(ben.page, { mode: 'video' });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  for (const person of [ana, ben]) {
    const message = person.page.locator('#video-message');
    await message.waitFor({ state: 'visible' });
    assert.match(await message.innerText(), /relay \(TURN\) server, and none is set up/);
  }
  await screenshot(ana.page, 'chat-video-no-turn-360-dark');
  await ana.page.locator('#message').fill('can you read me?');
  await ana.page.locator('#message').press('Enter');
  await ben.page.locator('#log .line-stranger', { hasText: 'can you read me?' }).waitFor();
  assert.equal(unexpectedErrors(ana.errors), []);
  assert.equal(unexpectedErrors(ben.errors), []);
});

test.run();
