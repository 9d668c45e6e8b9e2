// Every page in both themes, at 360×740 and 1366×900: screenshots for a person to look at
// (test-results/screenshots/), and what can be checked by a machine — nothing sticks out
// sideways, text contrast is WCAG AA, axe-core finds no serious or critical violation, no console
// or CSP error, no unfilled template token, no JavaScript on static pages, text answers
// compressed, the chat page's JavaScript within budget, French for French browsers, motion only
// for those who accept it, and the instance's branding applied. The chat page's states are in
// browser-screens-*.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { BUDGETS, measurePages } from '../../scripts/measure-web.ts';
import {
  SITE_DIR,
  assertBrowserTestsCanRun,
  axeViolations,
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
  assert.equal(await axeViolations(page), [], `${name}: accessibility (axe-core)`);
  assert.not.match(await page.content(), /%%SC:/, `${name}: no unfilled token`);
  await screenshot(page, name);
}

test('axe-core runs in the page and finds what it should', async () => {
  // The violation the chat page had: a list item whose list was given another role.
  const person = await newPerson(browser, server.url);
  await person.page.goto('/rules');
  assert.equal(await axeViolations(person.page), []);
  await person.page.evaluate(() => {
    const log = document.createElement('ol');
    log.setAttribute('role', 'log');
    log.append(document.createElement('li'));
    log.firstElementChild!.textContent = 'a line';
    document.querySelector('main')!.append(log);
  });
  assert.match((await axeViolations(person.page)).join('\n'), /listitem \(serious\)/);
  await person.context.close();
});

for (const theme of ['light', 'dark'] as const) {
  for (const [width, height] of [[360, 740], [1366, 900]] as const) {
    test(`every page at ${width}×${height} in the ${theme} theme`, async () => {
      const person = await newPerson(browser, server.url, { colorScheme: theme, width, height });
      const { page } = person;
      const suffix = `${width}-${theme}`;
      const scripts: string[] = [];
      const uncompressed: string[] = [];
      page.on('request', (request) => request.resourceType() === 'script' && scripts.push(new URL(request.url()).pathname));
      page.on('response', async (response) => {
        const type = response.headers()['content-type'] ?? '';
        const length = Number(response.headers()['content-length'] ?? (await response.body().catch(() => Buffer.alloc(0))).length);
        if (/^(text\/|application\/(javascript|json))/.test(type) && response.status() === 200 && length >= 1024 && response.headers()['content-encoding'] !== 'br') {
          uncompressed.push(new URL(response.url()).pathname);
        }
      });

      await page.goto('/');
      assert.is(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), theme === 'dark');
      await page.locator('#online-now').waitFor();
      await check(page, `home-${suffix}`);
      await page.locator('#start-video').click();
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
      await page.goto('/mod');
      await page.locator('#login-heading').waitFor();
      await check(page, `mod-login-${suffix}`);
      const seen = person.errors.length;
      await page.goto('/no-such-page');
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      await check(page, `not-found-${suffix}`);
      // The page's own 404 is the one console error it may cause; nothing it loads is missing.
      assert.equal(unexpectedErrors(person.errors.splice(seen), [/status of 404/]), []);
      assert.equal(uncompressed, [], 'every text answer of a kilobyte or more came compressed with brotli');
      // Not signed in on /mod: its session check answers 401.
      assert.equal(unexpectedErrors(person.errors, [/status of 401/]), []);
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
    const searching = await person.page.$eval('.searching-dots span', (element) => getComputedStyle(element).animationName);
    assert.is(searching, expected === 'none' ? 'none' : 'searching', `${reducedMotion}: the searching dots`);
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
    const button = person.page.locator('#start-text');
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
