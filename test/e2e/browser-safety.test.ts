// The safety rules as a visitor meets them in real Chromium: a browser that started an adult
// session is refused an under-18 one on the landing page, with the reason; an under-18 who picks
// video where there is no TURN relay is told why video is not offered and can go on by text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, screenshot, unexpectedErrors, waitForState } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

// Started here rather than in a hook, so that a failure to start is reported (uvu hides hook errors).
const server: TestServer = await newServer({ name: 'Maple Chat', profile: 'community' });
const browser: Browser = await launchBrowser();

test.after(async () => {
  await browser.close();
  await server.stop();
});

/** The refused session answers with a 403 the browser logs; nothing else may go wrong. */
const REFUSED = [/Failed to load resource: the server responded with a status of 403/];

test('a browser that started an adult session cannot start an under-18 one: the landing page says why', async () => {
  const visitor = await newPerson(browser, server.url);
  await enter(visitor.page, { mode: 'text', age: 31 });
  await visitor.page.waitForURL('**/chat');
  await waitForState(visitor.page, 'searching');

  // A new tab of the same browser (its device cookie, but the rules and age asked afresh): the
  // landing page remembers an accepted entry per tab only.
  const tab = await visitor.context.newPage();
  const tabErrors: string[] = [];
  tab.on('console', (message) => {
    if (message.type() === 'error') tabErrors.push(message.text());
  });
  await enter(tab, { mode: 'text', age: 15 });
  const error = tab.locator('#entry-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /recently used with an age in another age group/);
  assert.is(new URL(tab.url()).pathname, '/', 'no way into the chat');
  assert.is(await tab.evaluate(() => document.activeElement?.id), 'age', 'the focus is on the age');
  await screenshot(tab, 'entry-age-band-locked-desktop-light');
  assert.equal(unexpectedErrors(visitor.errors), []);
  assert.equal(unexpectedErrors(tabErrors, REFUSED), []);
  await visitor.context.close();
});

test('an under-18 choosing video without a TURN relay is told why, and goes on by text', async () => {
  const kid = await newPerson(browser, server.url);
  await enter(kid.page, { mode: 'video', age: 14 });
  await kid.page.waitForURL('**/chat');
  const message = kid.page.locator('#video-message');
  await message.waitFor({ state: 'visible' });
  assert.match(await message.innerText(), /Video is not available to under-18s here/);
  const useText = kid.page.getByRole('button', { name: 'Chat by text instead' });
  assert.ok(await useText.isVisible());
  assert.is(await kid.page.evaluate(() => document.activeElement?.id), 'use-text', 'the focus is on what to do next');
  await screenshot(kid.page, 'chat-video-minors-need-relay-desktop-light');

  await useText.click();
  await waitForState(kid.page, 'searching');
  const friend = await newPerson(browser, server.url);
  await enter(friend.page, { mode: 'text', age: 15 });
  await Promise.all([waitForState(kid.page, 'paired'), waitForState(friend.page, 'paired')]);
  assert.equal(unexpectedErrors(kid.errors), []);
  assert.equal(unexpectedErrors(friend.errors), []);
  await kid.context.close();
  await friend.context.close();
});

test.run();
