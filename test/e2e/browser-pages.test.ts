// Every page in both themes, at 360 px and on a desktop: screenshots for a person to look at
// (test-results/screenshots/), and what can be checked by a machine — nothing sticks out
// sideways, text contrast is WCAG AA, no console or CSP error, no unfilled template token, no
// JavaScript on static pages, the chat page's JavaScript within budget, French for French
// browsers, motion only for those who accept it, and the instance's branding applied.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { BUDGETS, measurePages } from '../../scripts/measure-web.ts';
import {
  SITE_DIR,
  assertBrowserTestsCanRun,
  contrastProblems,
  enter,
  launchBrowser,
  newPerson,
  overflowsSideways,
  screenshot,
  unexpectedErrors,
  waitForState,
} from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const RULES = `# The rules of Maple Chat

You are about to talk with a stranger. These rules keep it good for both of you.

1. **Be kind.** No insults, threats, harassment or hate.
2. **Keep your clothes on.** No nudity or sexual content, ever.
3. **Keep private things private.** Do not share your address or phone number.
4. **Report, then move on.** If someone breaks these rules, press *Report*.
`;
const server: TestServer = await newServer({ name: 'Maple Chat', description: 'The chat of Maple High School: meet someone new, safely.' }, { rules: RULES });
const browser: Browser = await launchBrowser();
test.after(async () => {
  await browser.close();
  await server.stop();
});

/** Text that must read well wherever it appears. */
const TEXT = ['body', 'h1', 'h2', 'p', 'li', 'label', 'legend', '.hint', '.lead', '.mode-hint', 'a', 'button', '.status', '.online', '.form-error', '.site-footer p'];

async function check(page: Page, name: string): Promise<void> {
  assert.not.ok(await overflowsSideways(page), `${name}: nothing sticks out sideways`);
  assert.equal(await contrastProblems(page, TEXT), [], `${name}: contrast`);
  assert.not.match(await page.content(), /%%SC:/, `${name}: no unfilled token`);
  await screenshot(page, name);
}

for (const theme of ['light', 'dark'] as const) {
  for (const width of [360, 1280]) {
    test(`every page at ${width} px in the ${theme} theme`, async () => {
      const person = await newPerson(browser, server.url, { colorScheme: theme, width, height: width === 360 ? 740 : 800 });
      const { page } = person;
      const suffix = `${width === 360 ? '360' : 'desktop'}-${theme}`;
      const scripts: string[] = [];
      page.on('request', (request) => request.resourceType() === 'script' && scripts.push(new URL(request.url()).pathname));

      await page.goto('/');
      assert.is(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), theme === 'dark');
      await check(page, `home-${suffix}`);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.locator('#choose-error').waitFor();
      await page.locator('input[value="video"]').check();
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.locator('#entry-step').waitFor();
      await page.locator('#start').click(); // without accepting: an explanation
      await page.locator('#entry-error', { hasText: 'tick the box' }).waitFor();
      await check(page, `entry-${suffix}`);

      for (const path of ['rules', 'privacy']) {
        scripts.length = 0;
        await page.goto(`/${path}`);
        assert.equal(scripts, [], `/${path} loads no JavaScript`);
        assert.is(await page.locator('script').count(), 0, `/${path} has no script element`);
        await check(page, `${path}-${suffix}`);
      }
      await page.goto('/appeal');
      await page.locator('#appeal-status', { hasText: 'nothing to appeal' }).waitFor();
      await check(page, `appeal-${suffix}`);
      await page.goto('/verify#token=not-spent-by-looking');
      await page.getByRole('button', { name: 'Confirm my address' }).waitFor();
      await check(page, `verify-${suffix}`);
      const seen = person.errors.length;
      await page.goto('/no-such-page');
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      await check(page, `not-found-${suffix}`);
      // The page's own 404 is the one console error it may cause; nothing it loads is missing.
      assert.equal(unexpectedErrors(person.errors.splice(seen), [/status of 404/]), []);

      await enter(page, { mode: 'video' });
      await waitForState(page, 'searching');
      await page.waitForFunction(() => (document.getElementById('local') as HTMLVideoElement).videoWidth > 0);
      await check(page, `chat-video-searching-${suffix}`);
      await enter(page, { mode: 'text' });
      await waitForState(page, 'searching');
      await check(page, `chat-text-searching-${suffix}`);
      assert.equal(unexpectedErrors(person.errors), []);
      await person.context.close();
    });
  }
}

test("a French browser gets the French site, and a visitor's choice of language sticks", async () => {
  const person = await newPerson(browser, server.url, { locale: 'fr-FR' });
  const { page } = person;
  await page.goto('/');
  assert.is(await page.locator('html').getAttribute('lang'), 'fr');
  assert.ok(await page.getByRole('heading', { name: 'Comment voulez-vous discuter ?' }).isVisible());
  await check(page, 'home-fr-desktop-light');
  await page.getByRole('link', { name: 'English' }).click();
  await page.waitForURL('**/?lang=en');
  await page.getByRole('link', { name: 'Rules', exact: true }).click();
  assert.is(await page.locator('html').getAttribute('lang'), 'en', 'the choice holds on the next page');
  await page.goto('/?lang=fr');
  await page.goto('/privacy');
  assert.ok(await page.getByRole('heading', { name: 'Confidentialité', level: 1 }).isVisible());
  assert.match(await page.locator('main').innerText(), /après 30 jours/, "the instance's retention periods");
  assert.equal(unexpectedErrors(person.errors), []);
  await person.context.close();
});

test('motion only for those who accept it', async () => {
  for (const [reducedMotion, expected] of [['reduce', 'none'], ['no-preference', 'dots']] as const) {
    const person = await newPerson(browser, server.url, { reducedMotion });
    await enter(person.page, { mode: 'text' });
    await waitForState(person.page, 'searching');
    const animation = await person.page.$eval('#typing', (element) => getComputedStyle(element, '::after').animationName);
    assert.is(animation, expected, reducedMotion);
    await person.context.close();
  }
});

test('the JavaScript weight: none on static pages, the chat page within its budget', () => {
  const pages = Object.fromEntries(measurePages(SITE_DIR).map((page) => [page.page, page]));
  assert.equal(pages.rules?.files, []);
  assert.equal(pages.privacy?.files, []);
  assert.ok(pages.chat && pages.chat.files.length > 0);
  assert.ok(pages.chat!.gzipBytes <= BUDGETS.chat!, `chat: ${pages.chat!.gzipBytes} bytes gzipped > ${BUDGETS.chat}`);
});

test("the instance's accent colour and logo, with a readable text colour on the accent", async () => {
  const logo = `data:image/svg+xml;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#c60"/></svg>').toString('base64')}`;
  const branded = await newServer({ name: 'Sunny Club', branding: { accentColor: '#ffcc00', logoUrl: logo } });
  try {
    const person = await newPerson(browser, branded.url);
    await person.page.goto('/');
    const button = person.page.getByRole('button', { name: 'Continue' });
    assert.is(await button.evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(255, 204, 0)');
    assert.is(await button.evaluate((b) => getComputedStyle(b).color), 'rgb(0, 0, 0)');
    assert.ok(await person.page.locator('.brand img.logo').evaluate((img) => (img as HTMLImageElement).naturalWidth > 0), 'the logo loads');
    await check(person.page, 'home-branded-desktop-light');
    assert.equal(unexpectedErrors(person.errors), []);
    await person.context.close();
  } finally {
    await branded.stop();
  }
});

test.run();
