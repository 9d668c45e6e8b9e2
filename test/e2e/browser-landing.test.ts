// The landing page, as a newcomer judges it: one click starts a text or a video chat (after the
// rules and age the first time in the tab), the count of people online is live there and in the
// chat, and what the page promises about moderation follows the instance's real settings; the
// privacy page gives the operator's contact when there is one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
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

async function server(settings: Record<string, unknown>): Promise<TestServer> {
  const started = await newServer(settings, { presenceIntervalMs: 300 });
  servers.push(started);
  return started;
}

/** The promises the landing page shows, by id. */
function promises(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-promise]:not([hidden])', (items) => Object.fromEntries(items.map((item) => [(item as HTMLElement).dataset.promise!, item.textContent ?? ''])));
}

test('one click starts a chat once the rules were accepted in the tab; the count is live on both pages', async () => {
  const maple = await server({ name: 'Maple Chat' });
  const ana = await newPerson(browser, maple.url);
  const visitor = await newPerson(browser, maple.url, { width: 360, height: 740 });
  await visitor.page.goto('/');
  await visitor.page.locator('#online-now', { hasText: 'Online now: 0' }).waitFor();

  // The first time: the rules and the age come between the click and the chat.
  await ana.page.goto('/');
  assert.ok(await ana.page.locator('#first-time').isVisible(), 'the first time is announced');
  await ana.page.locator('#start-video').click();
  await ana.page.locator('#entry-step').waitFor();
  assert.match(await ana.page.locator('#entry-mode').innerText(), /video chat/);
  await ana.page.locator('#accept').check();
  // An adult: video needs a TURN relay for under-18s, and this instance has none.
  await ana.page.locator('#age').fill('19');
  await ana.page.locator('#start').click();
  await ana.page.waitForURL('**/chat');
  await waitForState(ana.page, 'searching');
  await ana.page.locator('#online', { hasText: '1 online' }).waitFor();

  // The visitor's landing page counts Ana (read again when the page is shown).
  await visitor.page.reload();
  await visitor.page.locator('#online-now', { hasText: 'Online now: 1' }).waitFor();
  await screenshot(visitor.page, 'landing-online-360-light');

  // Others arrive and go: Ana's count follows without a reload.
  const ben = await newPerson(browser, maple.url);
  await enter(ben.page, { mode: 'text' });
  await ana.page.locator('#online', { hasText: '2 online' }).waitFor({ timeout: 3000 });
  await ben.context.close();
  await ana.page.locator('#online', { hasText: '1 online' }).waitFor({ timeout: 3000 });

  // Back on the landing page in the same tab: one click, straight into a text chat.
  await ana.page.goto('/');
  assert.ok(await ana.page.locator('#first-time').isHidden());
  await ana.page.locator('#interests').fill('chess');
  const entryShown = ana.page.locator('#entry-step').waitFor({ timeout: 3000 }).then(() => true, () => false);
  await ana.page.locator('#start-text').click();
  await ana.page.waitForURL('**/chat');
  assert.not.ok(await entryShown, 'no entry step the second time');
  await waitForState(ana.page, 'searching');
  assert.match(await ana.page.locator('#status').innerText(), /shares your interests/, 'with the interests typed');
  assert.ok(await ana.page.locator('#video').isHidden(), 'in text');
  assert.equal(unexpectedErrors(ana.errors), []);
  assert.equal(unexpectedErrors(visitor.errors), []);
  await ana.context.close();
  await visitor.context.close();
});

test("the moderation promises are the instance's settings", async () => {
  const community = await server({ name: 'Maple Chat' });
  const school = await server({ name: 'Maple High', profile: 'school', accessMode: 'invite', modes: ['text', 'video'], moderation: { quarantineReporters: 4, quarantineWindowMinutes: 30 } });
  const adults = await server({ name: 'Night Owls', profile: 'adult', filters: { contactDetails: 'never' }, retention: { evidenceDays: 14 } });
  const visitor = await newPerson(browser, community.url);

  await visitor.page.goto(`${community.url}/`);
  let shown = await promises(visitor.page);
  assert.equal(Object.keys(shown).sort(), ['bands', 'contactMinors', 'notRecorded', 'quarantine', 'reports']);
  assert.match(shown.quarantine!, /When 3 different people report someone within 60 minutes/);
  assert.match(shown.notRecorded!, /deleted 90 days after/);

  await visitor.page.goto(`${school.url}/`);
  shown = await promises(visitor.page);
  assert.equal(Object.keys(shown).sort(), ['bands', 'contactEveryone', 'invite', 'notRecorded', 'quarantine', 'relay', 'reports']);
  assert.match(shown.quarantine!, /When 4 different people report someone within 30 minutes/);
  await screenshot(visitor.page, 'landing-school-desktop-light');

  await visitor.page.goto(`${adults.url}/`);
  shown = await promises(visitor.page);
  assert.equal(Object.keys(shown).sort(), ['adults', 'notRecorded', 'quarantine', 'reports']);
  assert.match(shown.adults!, /18 or over/);
  assert.match(shown.notRecorded!, /deleted 14 days after/);
  assert.equal(unexpectedErrors(visitor.errors), []);
  await visitor.context.close();
});

test("the privacy page gives the operator's contact, as a link, or says there is none", async () => {
  const withMail = await server({ name: 'Maple High', contact: 'safeguarding@maple.example.org' });
  const withPage = await server({ name: 'Chess Club', contact: 'https://chess.example.org/contact' });
  const without = await server({ name: 'Quiet Club' });
  const visitor = await newPerson(browser, withMail.url, { colorScheme: 'dark' });

  await visitor.page.goto(`${withMail.url}/privacy`);
  const mail = visitor.page.getByRole('link', { name: 'safeguarding@maple.example.org' });
  assert.is(await mail.getAttribute('href'), 'mailto:safeguarding@maple.example.org');
  assert.ok(await visitor.page.getByText('have not published a contact').isHidden());
  await screenshot(visitor.page, 'privacy-contact-desktop-dark');
  assert.is((await (await fetch(`${withMail.url}/api/config`)).json()).contact, 'safeguarding@maple.example.org');

  await visitor.page.goto(`${withPage.url}/privacy`);
  assert.is(await visitor.page.getByRole('link', { name: 'https://chess.example.org/contact' }).getAttribute('href'), 'https://chess.example.org/contact');

  await visitor.page.goto(`${without.url}/privacy`);
  assert.ok(await visitor.page.getByText('have not published a contact').isVisible());
  assert.is(await visitor.page.locator('.contact a').count(), 0);
  assert.is((await (await fetch(`${without.url}/api/config`)).json()).contact, null);
  assert.equal(unexpectedErrors(visitor.errors), []);
  await visitor.context.close();
});

test.run();
