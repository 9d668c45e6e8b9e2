// Who may talk, as a visitor sees it in the browser: too young (in English and in French), an
// invite code that does not work, a message with a phone number in the school profile, and a
// ban typed by the operator that reaches the open page and leads to the appeal form.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { cliActor } from '../../server/access/actor.ts';
import { auditOf } from '../helpers/audit.ts';
import { BanService } from '../../server/moderation/bans.ts';
import { assertBrowserTestsCanRun, contrastProblems, enter, overflowsSideways, launchBrowser, newPerson, screenshot, unexpectedErrors, waitForState } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

// Started here rather than in a hook, so that a failure to start is reported (uvu hides hook errors).
const browser: Browser = await launchBrowser();
const servers: TestServer[] = [];

test.after(async () => {
  await browser.close();
  for (const server of servers) await server.stop();
});

async function server(settings: Record<string, unknown>): Promise<TestServer> {
  const started = await newServer(settings);
  servers.push(started);
  return started;
}

/** The refused session answers with a 403 the browser logs; nothing else may go wrong. */
const REFUSED = [/Failed to load resource: the server responded with a status of 403/];

test('a visitor under the minimum age is refused with an explanation, in their language', async () => {
  const community = await server({ name: 'Maple Chat', profile: 'community' });
  for (const [locale, expected] of [
    ['en-GB', /at least 13 to use Maple Chat/],
    ['fr-FR', /au moins 13 ans pour utiliser Maple Chat/],
  ] as const) {
    const kid = await newPerson(browser, community.url, { locale });
    await enter(kid.page, { mode: 'text', age: 12 });
    const error = kid.page.locator('#entry-error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.innerText(), expected);
    assert.is(new URL(kid.page.url()).pathname, '/', 'no way into the chat');
    assert.is(await kid.page.evaluate(() => document.activeElement?.id), 'age', 'focus goes to the field to fix');
    await screenshot(kid.page, `entry-too-young-${locale}-desktop-light`);
    assert.equal(unexpectedErrors(kid.errors, REFUSED), []);
    await kid.context.close();
  }
  const sessions = await community.db.selectFrom('sessions').select('id').execute();
  assert.is(sessions.length, 0, 'no session was created');
});

test('an invite-only space asks for a code and explains a wrong one', async () => {
  const invited = await server({ name: 'Chess Club', accessMode: 'invite' });
  const visitor = await newPerson(browser, invited.url);
  await visitor.page.goto('/');
  await visitor.page.locator('#start-text').click();
  assert.ok(await visitor.page.locator('#invite').isVisible(), 'the invite code field is shown');
  await visitor.page.locator('#accept').check();
  await visitor.page.locator('#age').fill('30');
  await visitor.page.locator('#start').click();
  await visitor.page.locator('#entry-error', { hasText: 'enter your invite code' }).waitFor();
  await visitor.page.locator('#invite').fill('ABCD-EFGH-JKLM');
  await visitor.page.locator('#start').click();
  await visitor.page.locator('#entry-error', { hasText: 'not valid' }).waitFor();
  assert.is(await visitor.page.evaluate(() => document.activeElement?.id), 'invite');
  assert.equal(unexpectedErrors(visitor.errors, REFUSED), []);
  await visitor.context.close();
});

test('in the school profile a message with a phone number is refused with a visible explanation', async () => {
  const school = await server({ name: 'Maple High', profile: 'school' });
  const ana = await newPerson(browser, school.url);
  const ben = await newPerson(browser, school.url, { colorScheme: 'dark', width: 360, height: 740 });
  await enter(ana.page, { mode: 'text', age: 14 });
  await waitForState(ana.page, 'searching');
  await enter(ben.page, { mode: 'text', age: 15 });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);

  await ana.page.locator('#message').fill('text me on 07700 900 123');
  await ana.page.locator('#message').press('Enter');
  const error = ana.page.locator('#send-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.innerText(), /phone numbers can(no|')t be shared here/i);
  await ana.page.locator('#log .line-you.not-sent', { hasText: '07700' }).waitFor();
  assert.match(await ana.page.locator('#log .line-you').last().innerText(), /Not sent/);
  assert.equal(await contrastProblems(ana.page, ['.line', '.not-sent-mark', '.form-error']), [], 'the explanation is readable');
  await screenshot(ana.page, 'chat-filtered-desktop-light');

  // The conversation goes on, and the other side never saw the number.
  await ana.page.locator('#message').fill('what is your favourite subject?');
  await ana.page.locator('#message').press('Enter');
  await ben.page.locator('#log .line-stranger', { hasText: 'favourite subject' }).waitFor();
  assert.ok(await error.isHidden(), 'the explanation goes once a message is sent');
  assert.is(await ben.page.locator('#log', { hasText: '07700' }).count(), 0);
  assert.equal(await contrastProblems(ben.page, ['.line', '.line .who', '.status', 'button']), [], 'readable in the dark theme');
  assert.not.ok(await overflowsSideways(ben.page), 'nothing sticks out at 360 px');
  await screenshot(ben.page, 'chat-text-paired-360-dark');
  assert.equal(unexpectedErrors(ana.errors), []);
  assert.equal(unexpectedErrors(ben.errors), []);
  await ana.context.close();
  await ben.context.close();
});

test('a ban typed by the operator shows the ban screen within 2 s, and the appeal form takes an appeal', async () => {
  const community = await server({ name: 'Maple Chat' });
  const ana = await newPerson(browser, community.url);
  const ben = await newPerson(browser, community.url);
  await enter(ana.page, { mode: 'text' });
  await waitForState(ana.page, 'searching');
  await enter(ben.page, { mode: 'text' });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);

  // The operator bans Ben's device from the terminal: another connection to the database.
  const device = (await ben.context.cookies()).find((cookie) => cookie.name === 'sc_device')?.value;
  assert.ok(device, 'the browser holds a device cookie');
  const cli = await community.openSecondDb();
  const bans = new BanService({ db: cli, audit: auditOf(community, cli), now: Date.now });
  const bannedAt = Date.now();
  await bans.add({ target: `device:${device}`, reason: 'Insulting people', durationMs: 7 * 24 * 3600_000 }, cliActor('test'));

  await ben.page.locator('#ban').waitFor({ state: 'visible', timeout: 5000 });
  assert.ok(Date.now() - bannedAt < 2500, `the ban screen showed after ${Date.now() - bannedAt} ms`);
  assert.match(await ben.page.locator('#ban-reason').innerText(), /Insulting people/);
  assert.match(await ben.page.locator('#ban-until').innerText(), /ends on/);
  assert.ok(await ben.page.locator('#app').isHidden(), 'the chat is gone');
  await waitForState(ana.page, 'ended');
  await screenshot(ben.page, 'chat-banned-desktop-light');

  await ben.page.locator('#ban-appeal').click();
  await ben.page.waitForURL('**/appeal');
  await ben.page.locator('#appeal-form').waitFor({ state: 'visible' });
  assert.match(await ben.page.locator('#ban-reason').innerText(), /Insulting people/);
  await ben.page.locator('#appeal-message').fill('I was quoting a film, not insulting anyone.');
  await ben.page.getByRole('button', { name: 'Send the appeal' }).click();
  await ben.page.locator('#appeal-status', { hasText: 'Your appeal was sent' }).waitFor();
  assert.ok(await ben.page.locator('#appeal-form').isHidden());
  const appeals = await community.db.selectFrom('appeals').selectAll().execute();
  assert.is(appeals.length, 1);
  await screenshot(ben.page, 'appeal-sent-desktop-light');

  // Coming back later shows where the appeal stands.
  await ben.page.reload();
  await ben.page.locator('#appeal-status', { hasText: 'waiting for a moderator' }).waitFor();
  assert.equal(unexpectedErrors(ana.errors), []);
  assert.equal(unexpectedErrors(ben.errors, REFUSED), []);
});

test.run();
