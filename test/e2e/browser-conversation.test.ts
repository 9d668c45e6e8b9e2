// A text conversation as people live it, in real Chromium on the real server: the last stranger
// stays reportable after Next, Esc or Leave for exactly the server's grace period; Esc never ends
// a conversation by accident; a new search clears the old conversation and shows the time waited
// with a way out; and text keeps its direction, its emoji and its length (a counter, not a cut).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, unexpectedErrors, waitForState, type Person } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

/** Shorter than the default (2 minutes) so that its end can be watched; the page must read it from the server. */
const GRACE_MS = 5000;
const server: TestServer = await newServer({ name: 'Maple Chat', pairing: { reportGraceMs: GRACE_MS } });
const browser: Browser = await launchBrowser();
const people: Person[] = [];
test.after(async () => {
  await browser.close();
  await server.stop();
});

async function person(options: Parameters<typeof newPerson>[2] = {}): Promise<Person> {
  const made = await newPerson(browser, server.url, options);
  people.push(made);
  return made;
}

/** Two new people in a text conversation. */
async function pair(a: Person, b: Person): Promise<void> {
  await enter(a.page, { mode: 'text' });
  await waitForState(a.page, 'searching');
  await enter(b.page, { mode: 'text' });
  await Promise.all([waitForState(a.page, 'paired'), waitForState(b.page, 'paired')]);
}

async function say(from: Page, to: Page, text: string): Promise<void> {
  await from.locator('#message').fill(text);
  await from.locator('#message').press('Enter');
  await to.locator('#log .line-stranger .text', { hasText: text.slice(0, 20) }).last().waitFor();
}

/** Reports the last stranger from the page's Report button; resolves once the report is filed. */
async function reportLast(page: Page): Promise<void> {
  const report = page.locator('#report');
  assert.is(await report.innerText(), 'Report the last stranger');
  assert.ok(await report.isEnabled());
  await report.click();
  await page.locator('#report-heading', { hasText: 'Report the last stranger' }).waitFor();
  await page.getByLabel('Spam or advertising').check();
  await page.locator('#report-submit').click();
  await page.locator('#log .line-system', { hasText: 'Your report was sent' }).waitFor();
}

const sessionOf = async (page: Page) => {
  const rows = await server.db.selectFrom('sessions').select(['id', 'device_id']).execute();
  const device = (await page.context().cookies()).find((c) => c.name === 'sc_device')!.value;
  return rows.find((row) => row.device_id === device)!.id;
};

test('after Next, the last stranger can be reported while the search goes on', async () => {
  const ana = await person();
  const ben = await person();
  await pair(ana, ben);
  await say(ben.page, ana.page, 'buy my stuff at example dot com');
  await ana.page.locator('#next').click();
  await waitForState(ana.page, 'searching');
  await reportLast(ana.page);
  assert.is(await ana.page.locator('#app').getAttribute('data-state'), 'searching', 'still searching');
  const report = await server.db.selectFrom('reports').selectAll().executeTakeFirstOrThrow();
  assert.is(report.reported_session_id, await sessionOf(ben.page), 'the report is on the stranger who was skipped');
  assert.is(report.reason, 'spam');
  assert.ok(await ana.page.locator('#report').isDisabled(), 'one report per conversation');
  await ana.page.locator('#cancel').click();
});

test('after Leave the last stranger is reportable for the grace period the server gives, then no longer', async () => {
  const cleo = await person();
  const dan = await person();
  await pair(cleo, dan);
  await cleo.page.locator('#leave').click();
  await waitForState(cleo.page, 'ended');
  const endedAt = Date.now();
  assert.is(await cleo.page.locator('#report').innerText(), 'Report the last stranger');
  assert.ok(await cleo.page.locator('#report').isEnabled());
  // The other side (left by Cleo) may report too.
  assert.ok(await dan.page.locator('#report').isEnabled());
  await cleo.page.waitForFunction(() => (document.getElementById('report') as HTMLButtonElement).disabled, undefined, { timeout: GRACE_MS + 3000 });
  assert.ok(Date.now() - endedAt < GRACE_MS + 1000, 'closed with the server’s grace, not a copy of its default');
  assert.is(await cleo.page.locator('#report').innerText(), 'Report');
});

test('Esc is ignored in the message box, and otherwise needs a second press within a second, said on screen', async () => {
  const eve = await person();
  const finn = await person();
  await pair(eve, finn);
  // In the message box (where it has the focus once paired): nothing happens, however often.
  assert.is(await eve.page.evaluate(() => document.activeElement?.id), 'message');
  await eve.page.keyboard.press('Escape');
  await eve.page.keyboard.press('Escape');
  await eve.page.waitForTimeout(300);
  assert.is(await eve.page.locator('#app').getAttribute('data-state'), 'paired', 'Esc in the message box ends nothing');

  // Elsewhere: one press asks for another.
  await eve.page.locator('#log').focus();
  await eve.page.keyboard.press('Escape');
  const hint = eve.page.locator('#esc-hint');
  assert.match(await hint.innerText(), /Press Esc again/);
  assert.is(await hint.getAttribute('role'), 'status', 'screen readers hear it');
  // Too late: the hint goes and nothing happened.
  await hint.filter({ hasText: /\S/ }).waitFor({ state: 'hidden', timeout: 2000 });
  await eve.page.keyboard.press('Escape');
  await eve.page.waitForTimeout(1200);
  assert.is(await eve.page.locator('#app').getAttribute('data-state'), 'paired', 'two presses more than a second apart end nothing');
  // Twice within a second: on to someone new; the last stranger stays reportable.
  await eve.page.keyboard.press('Escape');
  await eve.page.keyboard.press('Escape');
  await waitForState(eve.page, 'searching');
  await waitForState(finn.page, 'ended');
  assert.is(await eve.page.locator('#report').innerText(), 'Report the last stranger');
  assert.ok(await eve.page.locator('#next kbd').isVisible(), 'a keyboard hint on a desktop');
  await eve.page.locator('#cancel').click();

  const phone = await person({ touch: true, width: 360, height: 740 });
  await enter(phone.page, { mode: 'text' });
  await waitForState(phone.page, 'searching');
  assert.ok(await phone.page.locator('#next kbd').isHidden(), 'no Esc hint on a touch screen');
  await phone.page.locator('#cancel').click();
});

test('a new search clears the old conversation and shows the time waited, with a cancel', async () => {
  const gus = await person();
  const hana = await person();
  await pair(gus, hana);
  await say(hana.page, gus.page, 'a line from the old conversation');
  await gus.page.locator('#next').click();
  await waitForState(gus.page, 'searching');
  assert.is(await gus.page.locator('#log .line').count(), 0, 'the old conversation is gone');
  const box = gus.page.locator('#searching');
  assert.ok(await box.isVisible());
  assert.match(await box.innerText(), /Looking for someone/);
  const first = await gus.page.locator('#searching-time').innerText();
  assert.match(first, /Waiting for 0:0\d/);
  await gus.page.locator('#searching-time', { hasText: /0:0[2-9]/ }).waitFor({ timeout: 4000 });
  assert.ok(await gus.page.getByRole('button', { name: 'Stop looking' }).isVisible());
  await gus.page.getByRole('button', { name: 'Stop looking' }).click();
  await waitForState(gus.page, 'idle');
  assert.ok(await box.isHidden(), 'no longer searching');
  assert.ok(await gus.page.locator('#again').isVisible(), 'and a way to start again');
});

test('text keeps its direction and its emoji; near the limit a counter, over it nothing is cut or sent', async () => {
  const ines = await person();
  const jon = await person({ width: 360, height: 740, touch: true });
  await pair(ines, jon);
  assert.match(await ines.page.locator('#message').getAttribute('placeholder') ?? '', /Enter sends/, 'the full placeholder on a desktop');
  assert.is(await jon.page.locator('#message').getAttribute('placeholder'), 'Message…', 'a short one on a phone');
  assert.is(await ines.page.locator('#message').getAttribute('dir'), 'auto');

  await say(jon.page, ines.page, 'שלום, מה שלומך?');
  await say(jon.page, ines.page, 'hello in English');
  const directions = await ines.page.$$eval('#log .line-stranger .text', (lines) => lines.map((line) => (line.matches(':dir(rtl)') ? 'rtl' : 'ltr')));
  assert.equal(directions, ['rtl', 'ltr'], 'each message reads in its own direction');
  await ines.page.locator('#message').fill('مرحبا');
  assert.ok(await ines.page.locator('#message').evaluate((box) => box.matches(':dir(rtl)')), 'the box follows what is typed');

  // 1000 characters as the server counts them (code points), emoji included: sent whole.
  const emoji = ' 👩‍👩‍👧 🇫🇷';
  const full = 'a'.repeat(1000 - [...emoji].length) + emoji;
  assert.ok(full.length > 1000, 'more than 1000 UTF-16 units');
  await ines.page.locator('#message').fill(full);
  const counter = ines.page.locator('#message-count');
  assert.is(await counter.innerText(), '0 characters left', 'a counter at the limit, counting an emoji as the server does');
  await ines.page.locator('#message').press('Enter');
  await jon.page.locator('#log .line-stranger').last().filter({ hasText: '🇫🇷' }).waitFor();
  assert.is(await jon.page.locator('#log .line-stranger .text').last().innerText(), full, 'the emoji arrive intact');

  await ines.page.locator('#message').fill('b'.repeat(950));
  assert.is(await counter.innerText(), '50 characters left');
  await ines.page.locator('#message').fill('c'.repeat(1010));
  assert.match(await counter.innerText(), /10 characters too many/);
  await ines.page.locator('#message').press('Enter');
  await ines.page.locator('#send-error', { hasText: '1000 characters at most' }).waitFor();
  assert.is((await ines.page.locator('#message').inputValue()).length, 1010, 'nothing was cut');
  await ines.page.waitForTimeout(300);
  assert.is(await jon.page.locator('#log .line-stranger', { hasText: 'ccc' }).count(), 0, 'nothing was sent');
  await ines.page.locator('#message').fill('d'.repeat(850));
  assert.ok(await counter.isHidden(), 'no counter far from the limit');

  for (const someone of people) assert.equal(unexpectedErrors(someone.errors), []);
});

test.run();
