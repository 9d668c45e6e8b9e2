// Phone-first video, measured in the page: at 360×740 the stranger's video fills the width and at
// least 60 % of the height, your own picture is a small overlay on it, Next, Leave and Report stay
// on screen wherever the page is scrolled, and the report dialog's buttons stay visible even on a
// short screen. On a desktop the conversation stays beside the video.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, screenshot, unexpectedErrors, videoPlays, waitForState } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const server: TestServer = await newServer({ name: 'Maple Chat' });
const browser: Browser = await launchBrowser();
test.after(async () => {
  await browser.close();
  await server.stop();
});

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

function box(page: Page, selector: string): Promise<Box> {
  return page.$eval(selector, (element) => {
    const { left, top, right, bottom, width, height } = element.getBoundingClientRect();
    return { left, top, right, bottom, width, height };
  });
}

/** The element is inside the viewport and nothing covers its centre. */
function inView(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (element) => {
    const r = element.getBoundingClientRect();
    if (r.width === 0 || r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === element || element.contains(hit));
  });
}

async function pairInVideo(phone: Page, other: Page): Promise<void> {
  await enter(phone, { mode: 'video' });
  await waitForState(phone, 'searching');
  await enter(other, { mode: 'video' });
  await Promise.all([waitForState(phone, 'paired'), waitForState(other, 'paired')]);
  await videoPlays(phone, '#remote');
}

test('on a phone in portrait: the stranger full width and most of the height, a small own picture, the bar always on screen', async () => {
  const phone = await newPerson(browser, server.url, { width: 360, height: 740, touch: true });
  const other = await newPerson(browser, server.url);
  await pairInVideo(phone.page, other.page);
  const { page } = phone;
  const viewport = { width: 360, height: 740 };

  const remote = await box(page, '#remote');
  assert.ok(remote.width >= viewport.width - 1, `the stranger's video fills the width (${remote.width} px)`);
  assert.ok(remote.height >= 0.6 * viewport.height, `and ${Math.round((100 * remote.height) / viewport.height)} % of the height (at least 60 %)`);
  assert.ok(await inView(page, '#remote-hint') || remote.top < viewport.height / 3, 'the video starts near the top');

  const own = await box(page, '#local');
  assert.ok(own.left >= remote.left && own.right <= remote.right && own.top >= remote.top && own.bottom <= remote.bottom, 'your own picture lies on the video');
  assert.ok(own.width * own.height <= 0.15 * remote.width * remote.height, 'and is small');

  for (const where of ['top', 'middle', 'bottom'] as const) {
    await page.evaluate((to) => scrollTo(0, to === 'top' ? 0 : to === 'middle' ? document.documentElement.scrollHeight / 2 : document.documentElement.scrollHeight), where);
    for (const button of ['#next', '#leave', '#report']) assert.ok(await inView(page, button), `${button} is on screen, scrolled to the ${where}`);
  }
  assert.is(await page.$eval('#actions', (bar) => getComputedStyle(bar).position), 'fixed');
  await page.evaluate(() => scrollTo(0, 0));
  await screenshot(page, 'layout-video-phone-360-light');

  // The report dialog: its buttons in view, on this screen and on a shorter one (a keyboard open).
  await page.locator('#report').click();
  await page.locator('#report-dialog').waitFor();
  assert.ok(await inView(page, '#report-submit'), 'Send the report is visible');
  assert.ok(await inView(page, '#report-cancel'), 'Cancel is visible');
  await page.setViewportSize({ width: 360, height: 420 });
  assert.ok(await inView(page, '#report-submit'), 'Send the report is visible on a short screen');
  assert.ok(await page.$eval('.dialog-body', (body) => body.scrollHeight > body.clientHeight), 'the reasons scroll instead');
  await screenshot(page, 'layout-report-dialog-360x420-light');
  await page.locator('#report-cancel').click();

  assert.equal(unexpectedErrors(phone.errors), []);
  await phone.context.close();
  await other.context.close();
});

test('on a desktop the conversation stays beside the video, and the buttons in the page', async () => {
  const desk = await newPerson(browser, server.url, { width: 1366, height: 900, colorScheme: 'dark' });
  const other = await newPerson(browser, server.url);
  await pairInVideo(desk.page, other.page);
  const video = await box(desk.page, '#remote');
  const conversation = await box(desk.page, '.conversation');
  assert.ok(conversation.left >= video.right, 'the conversation is to the right of the video');
  assert.ok(conversation.top < video.bottom && conversation.bottom > video.top, 'side by side');
  assert.ok(await desk.page.locator('#message').isVisible());
  assert.is(await desk.page.$eval('#actions', (bar) => getComputedStyle(bar).position), 'static');
  assert.ok(video.height <= 900, 'the video fits the screen');
  await screenshot(desk.page, 'layout-video-desktop-1366-dark');
  assert.equal(unexpectedErrors(desk.errors), []);
  await desk.context.close();
  await other.context.close();
});

test('in text on a phone the bar is fixed too and the message box is on screen', async () => {
  const phone = await newPerson(browser, server.url, { width: 360, height: 740, touch: true, colorScheme: 'dark' });
  const other = await newPerson(browser, server.url);
  await enter(phone.page, { mode: 'text' });
  await waitForState(phone.page, 'searching');
  await enter(other.page, { mode: 'text' });
  await Promise.all([waitForState(phone.page, 'paired'), waitForState(other.page, 'paired')]);
  for (const selector of ['#message', '#send', '#next', '#leave', '#report']) assert.ok(await inView(phone.page, selector), `${selector} on screen`);
  assert.equal(unexpectedErrors(phone.errors), []);
  await phone.context.close();
  await other.context.close();
});

test.run();
