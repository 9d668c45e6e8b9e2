// Every state of the chat page, at 360×740 and 1366×900, in one theme: searching, talking, the
// report dialog, a conversation the other ended, the Esc hint, the character counter, a message
// the dead connection never delivered, a session ended by a moderator, the ban screen — each
// screenshotted (test-results/screenshots/) and checked: nothing sticks out sideways, text
// contrast is WCAG AA, axe-core finds no serious or critical violation, no console or CSP error.
// browser-screens-light.test.ts and browser-screens-dark.test.ts run it (one theme per file keeps
// each file within the runner's time limit).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { cliActor } from '../../server/access/actor.ts';
import { auditOf } from '../helpers/audit.ts';
import { BanService } from '../../server/moderation/bans.ts';
import { publishEvent } from '../../server/moderation/events.ts';
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
} from '../helpers/browser.ts';
import { newProxy } from '../helpers/proxy.ts';
import { newServer } from '../helpers/server.ts';

const TEXT = ['h1', 'h2', 'p', 'label', 'legend', 'a', 'button', '.status', '.online', '.line', '.line .who', '.mark', '.counter', '.form-error', '.esc-hint', '.searching-time'];

async function check(page: Page, name: string): Promise<void> {
  assert.not.ok(await overflowsSideways(page), `${name}: nothing sticks out sideways`);
  assert.equal(await contrastProblems(page, TEXT), [], `${name}: contrast`);
  assert.equal(await axeViolations(page), [], `${name}: accessibility (axe-core)`);
  await screenshot(page, name);
}

export async function chatScreens(theme: 'light' | 'dark'): Promise<void> {
  assertBrowserTestsCanRun();
  const server = await newServer({ name: 'Maple Chat' }, { presenceIntervalMs: 500 });
  // This side's connections go through a relay that can go silent.
  const proxy = await newProxy(new URL(server.url));
  const browser: Browser = await launchBrowser();
  test.after(async () => {
    await browser.close();
    await proxy.close();
    await server.stop();
  });

  for (const [width, height] of [[360, 740], [1366, 900]] as const) {
    test(`every state of the chat at ${width}×${height} in the ${theme} theme`, async () => {
      const suffix = `${width}-${theme}`;
      const me = await newPerson(browser, proxy.url, { colorScheme: theme, width, height });
      const other = await newPerson(browser, server.url);
      const { page } = me;

      await enter(page, { mode: 'video' });
      await waitForState(page, 'searching');
      await page.waitForFunction(() => (document.getElementById('local') as HTMLVideoElement).videoWidth > 0);
      await check(page, `chat-video-searching-${suffix}`);

      await enter(other.page, { mode: 'video' });
      await Promise.all([waitForState(page, 'paired'), waitForState(other.page, 'paired')]);
      await videoPlays(page, '#remote');
      await other.page.locator('#message').fill('hello from the other side');
      await other.page.locator('#message').press('Enter');
      await page.locator('#log .line-stranger').waitFor();
      await check(page, `chat-video-paired-${suffix}`);

      await page.locator('#report').click();
      await page.locator('#report-dialog').waitFor();
      await check(page, `chat-report-dialog-${suffix}`);
      await page.locator('#report-cancel').click();

      // The other moves on: here the conversation ended, the stranger still reportable.
      await other.page.locator('#next').click();
      await waitForState(page, 'ended');
      await page.locator('#report', { hasText: 'Report the last stranger' }).waitFor();
      await check(page, `chat-video-ended-${suffix}`);
      await other.page.locator('#cancel').click();
      await waitForState(other.page, 'idle');

      // Text, in one click: the rules were accepted in this tab.
      await enter(page, { mode: 'text' });
      await waitForState(page, 'searching');
      await page.locator('#searching-time', { hasText: '0:01' }).waitFor();
      await check(page, `chat-text-searching-${suffix}`);
      await enter(other.page, { mode: 'text' });
      await Promise.all([waitForState(page, 'paired'), waitForState(other.page, 'paired')]);
      await other.page.locator('#message').fill('مرحبا! كيف حالك؟');
      await other.page.locator('#message').press('Enter');
      await page.locator('#log .line-stranger').waitFor();
      await page.locator('#message').fill('I have a lot to say. '.repeat(46));
      await page.locator('#message-count').waitFor();
      await check(page, `chat-text-paired-${suffix}`);
      await page.locator('#message').fill('');

      await page.locator('#log').focus();
      await page.keyboard.press('Escape');
      await page.locator('#esc-hint', { hasText: 'Press Esc again' }).waitFor();
      await check(page, `chat-text-esc-${suffix}`);
      await page.locator('#esc-hint', { hasText: 'Press Esc again' }).waitFor({ state: 'hidden' });

      // The relay goes silent: the message is never confirmed, and says so.
      proxy.freeze('websockets');
      await page.locator('#message').fill('are you still there?');
      await page.locator('#message').press('Enter');
      await page.locator('#log .line-you .not-sent-mark', { hasText: 'Not delivered' }).waitFor({ timeout: 15_000 });
      await check(page, `chat-text-not-delivered-${suffix}`);

      // Back (a new session through new connections); then a moderator ends that session.
      await waitForState(page, 'searching', 20_000);
      const session = await server.db.selectFrom('sessions').select('id').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      const cli = await server.openSecondDb();
      await publishEvent(cli, { kind: 'session_killed', payload: { sessionId: session.id } }, Date.now());
      await waitForState(page, 'stopped');
      await check(page, `chat-stopped-${suffix}`);

      // Banned: the ban screen.
      await page.locator('#reconnect').click();
      await waitForState(page, 'searching');
      const device = (await me.context.cookies()).find((cookie) => cookie.name === 'sc_device')!.value;
      const bans = new BanService({ db: cli, audit: auditOf(server, cli), now: Date.now });
      await bans.add({ target: `device:${device}`, reason: 'Spam', durationMs: 3600_000 }, cliActor('test'));
      await page.locator('#ban').waitFor({ state: 'visible', timeout: 5000 });
      await check(page, `chat-banned-${suffix}`);

      // The drop is logged by the browser (the socket failed); nothing else may go wrong.
      assert.equal(unexpectedErrors(me.errors, [/WebSocket/, /net::ERR_/]), []);
      assert.equal(unexpectedErrors(other.errors), []);
      await me.context.close();
      await other.context.close();
    });
  }
  test.run();
}
