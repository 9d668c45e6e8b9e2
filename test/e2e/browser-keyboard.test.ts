// Keyboard only: a visitor goes from the landing page to a conversation and sends a message
// without the mouse, seeing where the focus is at every step; Esc pressed twice (outside the
// message box) moves on to someone new.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, screenshot, unexpectedErrors, waitForState } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

// Started here rather than in a hook, so that a failure to start is reported (uvu hides hook errors).
const server: TestServer = await newServer({ name: 'Maple Chat' });
const browser: Browser = await launchBrowser();

test.after(async () => {
  await browser.close();
  await server.stop();
});

/** What has the focus, and whether a person can see it (an outline on it or on its card). */
function focused(page: Page) {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (!element || element === document.body) return { id: '', visible: false };
    const ring = (e: Element | null) => {
      if (!e) return false;
      const style = getComputedStyle(e);
      return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    };
    return { id: element.id || `${element.tagName.toLowerCase()}[${element.getAttribute('value') ?? ''}]`, visible: ring(element) || ring(element.closest('.mode')) };
  });
}

/** Presses Tab until the focus is on `target`; every stop on the way must show its focus. */
async function tabTo(page: Page, target: string, maxTabs = 20): Promise<void> {
  const path: string[] = [];
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    path.push(now.id);
    assert.ok(now.visible, `the focus on ${now.id} is visible (path: ${path.join(' → ')})`);
    if (now.id === target) return;
  }
  assert.unreachable(`Tab never reached ${target}: ${path.join(' → ')}`);
}

test('a visitor reaches a conversation and sends a message with the keyboard alone', async () => {
  const kay = await newPerson(browser, server.url);
  const other = await newPerson(browser, server.url);
  const page = kay.page;
  await page.goto('/');

  await tabTo(page, 'interests');
  await page.keyboard.type('chess, music');
  await page.keyboard.press('Enter'); // chooses nothing by itself: the focus goes to the first start button
  assert.is((await focused(page)).id, 'start-text', 'Enter in the field leads to the buttons');
  assert.ok((await focused(page)).visible);
  await page.keyboard.press('Enter');
  await page.locator('#entry-step').waitFor();
  assert.is((await focused(page)).id, 'entry-heading', 'the focus moves to the new step');

  await tabTo(page, 'accept');
  await page.keyboard.press('Space');
  await tabTo(page, 'age');
  await page.keyboard.type('17');
  await screenshot(page, 'entry-keyboard-desktop-light');
  await tabTo(page, 'start');
  await page.keyboard.press('Enter');
  await page.waitForURL('**/chat');
  await waitForState(page, 'searching');
  assert.match(await page.locator('#status').innerText(), /shares your interests/);

  await enter(other.page, { mode: 'text', age: 16, interests: 'music' });
  await waitForState(page, 'paired');
  assert.match(await page.locator('#log').innerText(), /You both like: music/);
  assert.is((await focused(page)).id, 'message', 'the message box has the focus once paired');
  assert.ok((await focused(page)).visible);
  await page.keyboard.type('typed without a mouse');
  await page.keyboard.press('Enter');
  await other.page.locator('#log .line-stranger', { hasText: 'typed without a mouse' }).waitFor();

  // Shift+Enter is a new line, not a send.
  await page.keyboard.type('two');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('lines');
  assert.is(await page.locator('#message').inputValue(), 'two\nlines');
  await page.keyboard.press('Enter');
  await other.page.locator('#log .line-stranger', { hasText: 'lines' }).waitFor();

  // Esc: not from the message box; from elsewhere, twice: on to someone new; the other person is told.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  assert.is(await page.locator('#app').getAttribute('data-state'), 'paired', 'Esc in the message box ends nothing');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Escape');
  await page.locator('#esc-hint', { hasText: 'Press Esc again' }).waitFor();
  await page.keyboard.press('Escape');
  await waitForState(page, 'searching');
  await waitForState(other.page, 'ended');
  assert.is((await focused(other.page)).id, 'again', 'the other person can start again from the keyboard');
  await other.page.keyboard.press('Enter');
  await Promise.all([waitForState(page, 'paired'), waitForState(other.page, 'paired')]);

  // The report dialog from the keyboard: opened, then closed with Esc without moving on.
  await tabTo(page, 'report');
  await page.keyboard.press('Enter');
  await page.locator('#report-dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('#report-dialog').waitFor({ state: 'hidden' });
  assert.is(await page.locator('#app').getAttribute('data-state'), 'paired', 'Esc closed the dialog only');
  assert.equal(unexpectedErrors(kay.errors), []);
  assert.equal(unexpectedErrors(other.errors), []);
});

test.run();
