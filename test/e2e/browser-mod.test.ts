// The moderation dashboard (/mod) in a real browser, against the real server: a video report with
// its frames reaches a moderator who reads the transcript, opens a frame (covered until clicked,
// each opening audited) and bans — the reported browser shows the ban screen within 2 seconds;
// the appeal goes to another moderator; each role sees only what it may (an auditor no action,
// only safeguarding the evidence of a `minor` report); a one-time password must be changed
// first; invites, the audit log, announcements and the live figures work; every view is
// screenshotted in both themes, at 360 px and on a desktop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { measurePages } from '../../scripts/measure-web.ts';
import {
  assertBrowserTestsCanRun,
  axeViolations,
  contrastProblems,
  enter,
  launchBrowser,
  newPerson,
  overflowsSideways,
  screenshot,
  unexpectedErrors,
  videoPlays,
  waitForState,
  type Person,
  type PersonOptions,
} from '../helpers/browser.ts';
import { createModerator, loginModerator, TEST_PASSWORD } from '../helpers/moderators.ts';
import { join, pairUp, report, type Person as Chatter } from '../helpers/people.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

// Started here rather than in hooks, so that a failure to start is reported (uvu hides hook errors).
const server: TestServer = await newServer({ name: 'Maple Chat', trustedProxies: ['127.0.0.1'] });
const browser: Browser = await launchBrowser();
await createModerator(server, 'olga', 'owner');
await createModerator(server, 'mia', 'moderator');
await createModerator(server, 'sam', 'safeguarding');
await createModerator(server, 'ada', 'auditor');
const chatters: Chatter[] = [];

test.after(async () => {
  for (const chatter of chatters) chatter.close();
  await browser.close();
  await server.stop();
});

/** The first visit asks who is signed in (401 before signing in); nothing else may fail. */
const SIGNED_OUT = [/Failed to load resource: the server responded with a status of 401/];

/** What the scenario shares between tests: the video report and the people in it. */
const scene: { reportId?: string; reporter?: Person; reported?: Person; minorReportId?: string; spamReportId?: string } = {};

async function signIn(person: Person, username: string, password = TEST_PASSWORD): Promise<void> {
  const { page } = person;
  await page.goto('/mod');
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-form button[type="submit"]').click();
  await page.locator('#dash').waitFor();
}

/** What shows that a part of the dashboard has loaded. */
const LOADED: Record<string, string> = {
  reports: '#reports-table tbody tr',
  report: '#report-body',
  bans: '#bans-table tbody tr',
  appeals: '#appeals-list > *',
  invites: '#invites-table tbody tr',
  audit: '#audit-table tbody tr',
  moderators: '#moderators-table tbody tr',
  announce: '#announce-form',
  account: '#password-form',
};

async function moderator(username: string, options: PersonOptions = {}): Promise<Person> {
  const person = await newPerson(browser, server.url, options);
  await signIn(person, username);
  return person;
}

/** Goes to a part of the dashboard and waits for its heading. */
async function open(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
  const section = hash.replace(/^#/, '').split('/')[0]!;
  await page.locator(`#panel-${section}`).waitFor();
  await page.locator(LOADED[section]!).first().waitFor();
}

async function openReport(page: Page, id: string): Promise<void> {
  await open(page, `#report/${id}`);
  await page.locator('#report-body').waitFor();
}

/** The texts of the buttons (and button-like links) a person can see and use in the dashboard. */
function visibleActions(page: Page): Promise<string[]> {
  return page.$$eval('#dash button, #dash a.button, #dash select, #dash input, #dash textarea', (elements) =>
    elements
      .filter((e) => (e as HTMLElement).checkVisibility() && !(e as HTMLButtonElement).disabled)
      .map((e) => (e instanceof HTMLButtonElement || e instanceof HTMLAnchorElement ? e.innerText.trim() : e.id)),
  );
}

async function evidenceViews(reportId: string, part: 'transcript' | 'frame'): Promise<number> {
  const rows = await server.db.selectFrom('audit_log').select(['details']).where('action', '=', 'evidence.view').where('target', '=', `report:${reportId}`).execute();
  return rows.filter((row) => (JSON.parse(String(row.details)) as { part: string }).part === part).length;
}

/** Two chatters on their own addresses, paired in text, one message each way, then a report. */
async function textReport(reason: string, lines: [string, string], age = 25, n = chatters.length): Promise<string> {
  const a = await join(server.url, { address: `198.51.100.${n + 10}`, age });
  const b = await join(server.url, { address: `203.0.113.${n + 10}`, age });
  chatters.push(a, b);
  await pairUp(a, b);
  b.send({ type: 'message', text: lines[0] });
  await a.next('message');
  a.send({ type: 'message', text: lines[1] });
  await b.next('message');
  const { reportId } = await report(a, reason);
  await b.next('ended');
  return reportId;
}

test('a video report reaches a moderator, who reads it, opens a frame and bans: the ban screen shows within 2 s', async () => {
  const reporter = await newPerson(browser, server.url);
  const reported = await newPerson(browser, server.url);
  scene.reporter = reporter;
  scene.reported = reported;
  await enter(reporter.page, { mode: 'video' });
  await waitForState(reporter.page, 'searching');
  await enter(reported.page, { mode: 'video' });
  await Promise.all([waitForState(reporter.page, 'paired'), waitForState(reported.page, 'paired')]);
  await videoPlays(reporter.page, '#remote');

  // A few words each way, so that the transcript holds both sides.
  await reported.page.locator('#message').fill('nobody likes you, loser');
  await reported.page.locator('#message').press('Enter');
  await reporter.page.locator('#log .line-stranger', { hasText: 'nobody likes you' }).waitFor();
  await reporter.page.locator('#message').fill('please stop');
  await reporter.page.locator('#message').press('Enter');
  await reported.page.locator('#log .line-stranger', { hasText: 'please stop' }).waitFor();

  await reporter.page.locator('#report').click();
  const dialog = reporter.page.locator('#report-dialog');
  await dialog.getByLabel('Harassment or bullying').check();
  await dialog.getByLabel('Anything to add? (optional)').fill('insults on camera');
  await reporter.page.waitForTimeout(2000); // frames are captured while the dialog is open
  await dialog.getByRole('button', { name: 'Send the report' }).click();
  await reporter.page.locator('#log .line-system', { hasText: /report and \d image\(s\) were sent/ }).waitFor();

  const filed = await server.db.selectFrom('reports').select(['id', 'reason', 'reported_device_id']).executeTakeFirstOrThrow();
  scene.reportId = filed.id;
  assert.is(filed.reason, 'harassment');
  const frames = await server.db.selectFrom('report_frames').select(['idx']).where('report_id', '=', filed.id).execute();
  assert.ok(frames.length >= 1 && frames.length <= 3, `the reporter's frames are stored: ${frames.length}`);

  // The moderator signs in and finds the report at the top of the open queue.
  const mia = await moderator('mia');
  const { page } = mia;
  assert.match(await page.locator('#whoami').innerText(), /mia \(Moderator\)/);
  const row = page.locator(`#reports-table tr[data-report="${filed.id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Harassment or bullying/);
  assert.match(await row.innerText(), new RegExp(`\\b${frames.length}\\b`), 'the queue says how many images');
  assert.is(await evidenceViews(filed.id, 'transcript'), 0, 'the queue opens no evidence');
  await row.getByRole('link', { name: 'Open' }).click();
  await page.locator('#report-body').waitFor();
  assert.is(await page.locator('#report-heading').innerText(), 'Report: Harassment or bullying');
  assert.is(await evidenceViews(filed.id, 'transcript'), 1, 'opening the report is audited');

  // The transcript, both sides, as the server relayed it.
  const said = await page.locator('#transcript li').allInnerTexts();
  assert.is(said.length, 2);
  assert.match(said[0]!, /Reported person[\s\S]*nobody likes you, loser/);
  assert.match(said[1]!, /Reporter[\s\S]*please stop/);
  assert.match(await page.locator('#report-facts').innerText(), /insults on camera/);

  // Frames are covered: nothing is fetched until one is clicked, and each opening is audited.
  assert.is(await page.locator('#frames .frame-cover').count(), frames.length);
  assert.is(await page.locator('#frames img').count(), 0, 'no frame is shown before a click');
  assert.is(await evidenceViews(filed.id, 'frame'), 0, 'no frame was fetched before a click');
  await page.locator('#frames .frame-cover').first().click();
  const image = page.locator('#frames img').first();
  await image.waitFor();
  await page.waitForFunction(() => ((document.querySelector('#frames img') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
  assert.is(await evidenceViews(filed.id, 'frame'), 1, 'the opening was audited');
  await screenshot(page, 'mod-report-open-desktop-light');

  // Ban the reported device; the reported browser shows the ban screen within 2 seconds.
  assert.is(await page.locator('#resolve-target').inputValue(), 'device');
  await page.locator('#resolve-duration').selectOption('1d');
  await page.locator('#resolve-reason').fill('Insulting people is not allowed here.');
  await page.locator('#resolve-note').fill('clear on the transcript');
  const clicked = Date.now();
  await page.getByRole('button', { name: 'Ban and close the report' }).click();
  await reported.page.locator('#ban').waitFor({ state: 'visible', timeout: 2000 });
  const elapsed = Date.now() - clicked;
  assert.ok(elapsed <= 2000, `ban screen after ${elapsed} ms`);
  assert.match(await reported.page.locator('#ban-reason').innerText(), /Insulting people is not allowed here/);
  await screenshot(reported.page, 'chat-banned-by-moderator-desktop-light');

  await page.locator('#resolve-status', { hasText: 'the person is banned' }).waitFor();
  assert.ok(await page.locator('#resolve-form').isHidden(), 'a resolved report offers no more actions');
  assert.match(await page.locator('#resolved-as').innerText(), /Banned, by moderator:mia/);
  const ban = await server.db.selectFrom('bans').selectAll().where('report_id', '=', filed.id).executeTakeFirstOrThrow();
  assert.is(ban.target_kind, 'device');
  assert.is(ban.target, filed.reported_device_id);
  assert.is(ban.created_by, 'moderator:mia');
  assert.ok(Math.abs(Number(ban.expires_at) - Date.now() - 86_400_000) < 60_000, 'banned for one day');

  // The bans list shows it, with a way to lift it.
  await open(page, '#bans');
  const listed = page.locator(`#bans-table tr[data-ban="${ban.id}"]`);
  await listed.waitFor();
  assert.match(await listed.innerText(), /Insulting people/);
  assert.ok(await listed.locator('.lift-ban').isVisible());

  assert.equal(unexpectedErrors(mia.errors, SIGNED_OUT), []);
  assert.equal(unexpectedErrors(reporter.errors), []);
  await mia.context.close();
});

test('an appeal is not offered to the moderator who made the ban, and another moderator lifts it', async () => {
  const { reported } = scene;
  assert.ok(reported, 'the first test ran');
  await reported.page.goto('/appeal');
  await reported.page.locator('#appeal-message').fill('I was joking with a friend, sorry.');
  await reported.page.getByRole('button', { name: 'Send the appeal' }).click();
  await reported.page.locator('#appeal-status', { hasText: 'Your appeal was sent' }).waitFor();

  const mia = await moderator('mia');
  await open(mia.page, '#appeals');
  const card = mia.page.locator('#appeals-list article');
  await card.first().waitFor();
  assert.is(await card.count(), 1);
  assert.match(await card.innerText(), /I was joking with a friend/);
  assert.match(await card.locator('.same-moderator').innerText(), /You made this ban/);
  assert.is(await card.locator('button.decide').count(), 0, 'the banning moderator cannot decide');
  await screenshot(mia.page, 'mod-appeals-own-ban-desktop-light');

  const sam = await moderator('sam');
  await open(sam.page, '#appeals');
  const theirs = sam.page.locator('#appeals-list article');
  await theirs.first().waitFor();
  await theirs.getByRole('button', { name: 'Lift the ban' }).click();
  assert.match(await theirs.locator('.form-error').innerText(), /Explain your decision/, 'a note is required');
  await theirs.getByLabel('Your decision, explained (required)').fill('First offence, apologised.');
  await theirs.getByRole('button', { name: 'Lift the ban' }).click();
  await sam.page.locator('#appeals-list article', { hasText: 'Ban lifted' }).waitFor();
  const ban = await server.db.selectFrom('bans').select(['lifted_at', 'lifted_by']).where('report_id', '=', scene.reportId!).executeTakeFirstOrThrow();
  assert.ok(ban.lifted_at !== null, 'the ban is lifted');

  assert.equal(unexpectedErrors(mia.errors, SIGNED_OUT), []);
  assert.equal(unexpectedErrors(sam.errors, SIGNED_OUT), []);
  await mia.context.close();
  await sam.context.close();
});

test('an auditor reads everything but evidence and is offered no action anywhere', async () => {
  scene.minorReportId = await textReport('minor', ['i am 11, how old are you?', 'too young for this'], 15);
  scene.spamReportId = await textReport('spam', ['buy cheap followers at my site', 'no thanks']);
  const ada = await moderator('ada');
  const { page } = ada;
  const allowed = new Set(['Log out', 'Change my password', 'Open', 'Previous', 'Next', 'Newer', 'Older', 'Apply', 'Verify the chain', 'filter-status', 'filter-reason', 'filter-band', 'bans-status', 'appeals-status', 'audit-action']);
  const offered = async (where: string) => {
    const extra = (await visibleActions(page)).filter((text) => !allowed.has(text));
    assert.equal(extra, [], `${where}: nothing but reading`);
  };

  // No link to what the role cannot do.
  assert.ok(await page.locator('.mod-nav a[href="#announce"]').isHidden());
  assert.ok(await page.locator('.mod-nav a[href="#moderators"]').isHidden());
  assert.ok(await page.locator('.mod-nav a[href="#bans"]').isVisible());
  await page.locator(`#reports-table tr[data-report="${scene.minorReportId}"]`).waitFor();
  assert.match(await page.locator(`#reports-table tr[data-report="${scene.minorReportId}"]`).innerText(), /Safeguarding only/);
  await offered('the queue');

  await openReport(page, scene.spamReportId);
  assert.match(await page.locator('#evidence-explain').innerText(), /Your role \(Auditor\) may read reports but not open their evidence/);
  assert.ok(await page.locator('#evidence').isHidden());
  assert.match(await page.locator('#resolved-as').innerText(), /may read reports but not decide them/);
  assert.ok(await page.locator('#resolve-form').isHidden());
  await offered('an open report');
  await screenshot(page, 'mod-report-auditor-desktop-light');

  for (const hash of ['#bans', '#appeals', '#invites', '#audit']) {
    await open(page, hash);
    await offered(hash);
  }
  assert.ok(await page.locator('#ban-add').isHidden());
  assert.ok(await page.locator('#invite-create').isHidden());
  // Typing the address of a part the role cannot use shows the queue instead.
  await page.evaluate(() => (location.hash = '#moderators'));
  await page.locator('#panel-reports').waitFor();
  assert.ok(await page.locator('#panel-moderators').isHidden());
  assert.is(await evidenceViews(scene.spamReportId, 'transcript'), 0, 'the auditor opened no evidence');
  assert.equal(unexpectedErrors(ada.errors, SIGNED_OUT), []);
  await ada.context.close();
});

test('only safeguarding sees the evidence of a `minor` report; the filters find it', async () => {
  const id = scene.minorReportId!;
  const mia = await moderator('mia');
  await openReport(mia.page, id);
  assert.match(await mia.page.locator('#evidence-explain').innerText(), /only the safeguarding role may open its evidence/);
  assert.ok(await mia.page.locator('#evidence').isHidden());
  assert.not.match(await mia.page.content(), /i am 11/, 'the transcript never reaches the page');
  assert.ok(await mia.page.locator('#resolve-form').isVisible(), 'a moderator may still decide it');
  await screenshot(mia.page, 'mod-report-sensitive-hidden-desktop-light');

  const sam = await moderator('sam');
  const { page } = sam;
  // Filters: age band, reason, status.
  await page.locator('#filter-band').selectOption('minor');
  await page.locator('#reports-count', { hasText: 'Reports found: 1' }).waitFor();
  assert.is(await page.locator(`#reports-table tr[data-report="${id}"]`).count(), 1);
  await page.locator('#filter-band').selectOption('');
  await page.locator('#filter-reason').selectOption('spam');
  await page.locator('#reports-count', { hasText: 'Reports found: 1' }).waitFor();
  assert.is(await page.locator(`#reports-table tr[data-report="${scene.spamReportId}"]`).count(), 1);
  await page.locator('#filter-reason').selectOption('');
  await page.locator('#filter-status').selectOption('resolved');
  await page.locator(`#reports-table tr[data-report="${scene.reportId}"]`).waitFor();
  assert.is(await page.locator('#reports-table tbody tr').count(), 1, 'only the resolved report');
  await page.locator('#filter-status').selectOption('open');

  await openReport(page, id);
  assert.ok(await page.locator('#evidence-explain').isHidden());
  assert.match(await page.locator('#transcript').innerText(), /i am 11, how old are you\?/);
  assert.match(await page.locator('#frames-hint').innerText(), /No images/);
  assert.match(await page.locator('#report-facts').innerText(), /Under 18/);
  assert.is(await evidenceViews(id, 'transcript'), 1, 'only safeguarding opened it');
  assert.equal(unexpectedErrors(mia.errors, SIGNED_OUT), []);
  assert.equal(unexpectedErrors(sam.errors, SIGNED_OUT), []);
  await mia.context.close();
  await sam.context.close();
});

test('an account with a one-time password must choose its own before anything else', async () => {
  const olga = await loginModerator(server, 'olga');
  const created = await olga.request('/api/mod/moderators', { method: 'POST', body: { username: 'newbie', role: 'moderator' } });
  assert.is(created.status, 201);
  const { password } = (await created.json()) as { password: string };

  const newbie = await newPerson(browser, server.url);
  const { page } = newbie;
  await signIn(newbie, 'newbie', password);
  await page.locator('#panel-account').waitFor();
  assert.match(await page.locator('#account-forced').innerText(), /one-time password/);
  assert.ok(await page.locator('.mod-nav').isHidden(), 'nothing else is offered');
  await page.evaluate(() => (location.hash = '#reports'));
  await page.waitForTimeout(100);
  assert.ok(await page.locator('#panel-reports').isHidden(), 'the queue stays closed');
  await screenshot(page, 'mod-password-forced-desktop-light');

  await page.locator('#password-current').fill(password);
  await page.locator('#password-next').fill('short');
  await page.locator('#password-confirm').fill('short');
  await page.getByRole('button', { name: 'Change the password' }).click();
  await page.locator('#password-error', { hasText: 'at least 12 characters' }).waitFor();
  await page.locator('#password-next').fill('a brand new passphrase');
  await page.locator('#password-confirm').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Change the password' }).click();
  await page.locator('#panel-reports').waitFor();
  assert.ok(await page.locator('.mod-nav').isVisible());
  const row = await server.db.selectFrom('moderators').select(['must_change_password']).where('username', '=', 'newbie').executeTakeFirstOrThrow();
  assert.is(Number(row.must_change_password), 0);
  // The refused short password is a 400 the browser logs.
  assert.equal(unexpectedErrors(newbie.errors, [...SIGNED_OUT, /status of 400/]), []);
  await newbie.context.close();
});

test('an owner creates and revokes an invite (its code shown once), verifies the audit log, announces, and sees live figures', async () => {
  const olga = await moderator('olga');
  const { page } = olga;

  // Live figures: filled at once, then refreshed every few seconds.
  await page.waitForFunction(() => /^\d+$/.test(document.getElementById('stat-online')?.textContent ?? ''));
  assert.is(await page.locator('#stat-openReports').innerText(), '2');
  const first = await page.locator('#stats-updated').innerText();
  await page.waitForFunction((before) => document.getElementById('stats-updated')?.textContent !== before, first, { timeout: 7000 });

  await open(page, '#invites');
  await page.locator('#invite-uses').fill('5');
  await page.locator('#invite-note').fill('Chess club, spring');
  await page.getByRole('button', { name: 'Create the code' }).click();
  await page.locator('#invite-code-box').waitFor();
  const code = await page.locator('#invite-code').innerText();
  assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  const row = page.locator('#invites-table tbody tr', { hasText: 'Chess club, spring' });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(`${code.slice(0, 4)}-…`));
  assert.match(await row.innerText(), /0 of 5/);
  await screenshot(page, 'mod-invite-created-desktop-light');
  await open(page, '#bans');
  await open(page, '#invites');
  assert.ok(await page.locator('#invite-code-box').isHidden());
  assert.not.match(await page.content(), new RegExp(code.slice(5)), 'the code is gone once the moderator leaves');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await page.locator('#confirm').getByRole('button', { name: 'Revoke' }).click();
  await page.locator('#invites-table tbody tr', { hasText: 'Revoked' }).waitFor();
  const invite = await server.db.selectFrom('invites').select(['revoked_at']).executeTakeFirstOrThrow();
  assert.ok(invite.revoked_at !== null);

  // The audit log: newest first, filtered, verified.
  await open(page, '#audit');
  await page.locator('#audit-table tbody tr[data-entry]').first().waitFor();
  assert.match(await page.locator('#audit-table tbody tr').first().innerText(), /invite\.revoke/);
  await page.locator('#audit-action').fill('report.ban');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('#audit-table tbody tr')].every((tr) => tr.textContent?.includes('report.ban')));
  assert.match(await page.locator('#audit-table tbody').innerText(), /moderator:mia/);
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await page.locator('#audit-verified', { hasText: /The log is intact: \d+ entries verified/ }).waitFor();

  // An announcement reaches a chat that is open.
  const reporter = scene.reporter!;
  await open(page, '#announce');
  await page.locator('#announce-text').fill('The site closes at 18:00 today.');
  await page.getByRole('button', { name: 'Send to everyone online' }).click();
  await page.locator('#announce-status', { hasText: 'Sent at' }).waitFor();
  await reporter.page.locator('#notice-text', { hasText: 'The site closes at 18:00 today.' }).waitFor({ timeout: 3000 });

  // Accounts: an owner sees every account and may create one.
  await open(page, '#moderators');
  await page.locator('#moderators-table tr[data-moderator="ada"]').waitFor();
  assert.match(await page.locator('#moderators-table tr[data-moderator="olga"]').innerText(), /You/);
  await page.locator('#moderator-create summary').click();
  await page.locator('#moderator-username').fill('lee');
  await page.locator('#moderator-role').selectOption('auditor');
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#moderator-secret').waitFor();
  assert.ok((await page.locator('#moderator-secret-password').innerText()).length >= 12, 'the generated password is shown once');
  const lee = page.locator('#moderators-table tr[data-moderator="lee"]');
  await lee.waitFor();
  // A role changes only when asked (choosing in the list alone changes nothing).
  await lee.getByLabel('Role of lee').selectOption('moderator');
  assert.is((await server.db.selectFrom('moderators').select('role').where('username', '=', 'lee').executeTakeFirstOrThrow()).role, 'auditor');
  await lee.getByRole('button', { name: 'Change the role' }).click();
  await page.locator('#moderators-status', { hasText: 'lee is now Moderator' }).waitFor();
  assert.is((await server.db.selectFrom('moderators').select('role').where('username', '=', 'lee').executeTakeFirstOrThrow()).role, 'moderator');

  // Signing out leaves nothing of the dashboard on the page.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('#login').waitFor();
  assert.ok(await page.locator('#dash').isHidden());
  assert.is(await page.locator('#dash tbody tr').count(), 0, 'no list stays in the page');
  assert.not.match(await page.content(), /moderator:mia|Chess club, spring/);
  assert.equal(unexpectedErrors(olga.errors, SIGNED_OUT), []);
  await olga.context.close();
});

/** Presses Tab until `selector` has the focus; every element focused on the way shows a focus ring. */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate((s) => {
      const element = document.activeElement as HTMLElement | null;
      if (!element || element === document.body) return { matches: false, ring: true, what: 'body' };
      const style = getComputedStyle(element);
      return {
        matches: element.matches(s),
        ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        what: `${element.tagName.toLowerCase()}#${element.id} ${element.textContent?.trim().slice(0, 30) ?? ''}`,
      };
    }, selector);
    assert.ok(focused.ring, `${focused.what}: the focus is visible`);
    if (focused.matches) return;
  }
  throw new Error(`${selector} was not reached with Tab`);
}

test('keyboard only: sign in, open a report and one of its frames, with the focus always visible', async () => {
  const person = await newPerson(browser, server.url);
  const { page } = person;
  await page.goto(`/mod#report/${scene.reportId}`);
  await page.locator('#login').waitFor();
  await tabTo(page, '#login-username');
  await page.keyboard.type('sam');
  await page.keyboard.press('Tab');
  await page.keyboard.type(TEST_PASSWORD);
  await page.keyboard.press('Enter');
  // Back where the address pointed, the report, with its heading focused for screen readers.
  await page.locator('#report-body').waitFor();
  assert.is(await page.evaluate(() => document.activeElement?.id), 'report-heading');
  await tabTo(page, '#frames .frame-cover');
  await page.keyboard.press('Enter');
  await page.locator('#frames img').first().waitFor();
  assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /Cover it/, 'the focus moves to the button that covers it again');
  await page.keyboard.press('Enter');
  await page.locator('#frames img').waitFor({ state: 'detached' });
  assert.ok(await page.evaluate(() => document.activeElement?.classList.contains('frame-cover')), 'and comes back to the cover');
  // Esc closes a confirmation without doing anything, and the focus returns to what opened it.
  await openReport(page, scene.spamReportId!);
  await tabTo(page, '#kill-session');
  await page.keyboard.press('Enter');
  await page.locator('#confirm').waitFor();
  assert.is(await page.evaluate(() => document.activeElement?.id), 'confirm-input');
  await page.keyboard.press('Escape');
  await page.locator('#confirm').waitFor({ state: 'hidden' });
  assert.is(await page.evaluate(() => document.activeElement?.id), 'kill-session');
  assert.is(await server.db.selectFrom('audit_log').select('id').where('action', '=', 'session.kill').executeTakeFirst(), undefined, 'nothing was ended');
  assert.equal(unexpectedErrors(person.errors, SIGNED_OUT), []);
  await person.context.close();
});

test('every view of the dashboard at 360×740 and 1366×900, in both themes, and in French', async () => {
  const views = ['reports', 'report', 'bans', 'appeals', 'invites', 'audit', 'announce', 'account'];
  for (const theme of ['light', 'dark'] as const) {
    for (const width of [360, 1366]) {
      const suffix = `${width}-${theme}`;
      const person = await newPerson(browser, server.url, { colorScheme: theme, width, height: width === 360 ? 740 : 900 });
      const { page } = person;
      const check = async (name: string) => {
        assert.not.ok(await overflowsSideways(page), `${name}: nothing sticks out sideways`);
        assert.equal(await contrastProblems(page, ['h1', 'h2', 'h3', 'p', 'label', 'legend', 'a', 'button', 'th', 'td', 'dt', 'dd', '.tag', '.hint', 'summary', 'li']), [], `${name}: contrast`);
        assert.equal(await axeViolations(page), [], `${name}: accessibility (axe-core)`);
        await screenshot(page, name);
      };
      await page.goto('/mod');
      await page.locator('#login').waitFor();
      await check(`mod-login-${suffix}`);
      await signIn(person, 'sam');
      for (const view of views) {
        await open(page, view === 'report' ? `#report/${scene.spamReportId}` : `#${view}`);
        await check(`mod-${view}-${suffix}`);
      }
      // The accounts page as an owner sees it: every account.
      await page.getByRole('button', { name: 'Log out' }).click();
      await signIn(person, 'olga');
      await open(page, '#moderators');
      await check(`mod-moderators-${suffix}`);
      assert.equal(unexpectedErrors(person.errors, SIGNED_OUT), []);
      await person.context.close();
    }
  }

  const french = await newPerson(browser, server.url, { locale: 'fr-FR' });
  await french.page.goto('/mod');
  assert.is(await french.page.locator('#login-heading').innerText(), 'Connexion des modérateurs');
  await signIn(french, 'sam');
  assert.match(await french.page.locator('#whoami').innerText(), /Connecté en tant que sam \(Protection de l’enfance\)/);
  assert.is(await french.page.locator('#reports-heading').innerText(), 'Signalements');
  await french.page.locator('#reports-table tbody tr').first().waitFor();
  await screenshot(french.page, 'mod-reports-fr-desktop-light');
  assert.equal(unexpectedErrors(french.errors, SIGNED_OUT), []);
  await french.context.close();
});

test("the dashboard's JavaScript stays small", () => {
  const mod = measurePages().find((page) => page.page === 'mod');
  assert.ok(mod, 'the site has a mod page');
  assert.ok(mod.gzipBytes < 20 * 1024, `mod page JavaScript ${mod.gzipBytes} B gzipped, under 20 KB`);
});

test.run();
