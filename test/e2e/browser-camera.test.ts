// The camera is on only while someone may see it: at every dead end — a conversation over, the
// search stopped, leaving the page, a session ended by a moderator, the server gone, the ban
// screen — the page stops its camera and microphone tracks (readyState "ended": the browser's
// camera light goes off), and a new search turns them on again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { cliActor } from '../../server/access/actor.ts';
import { auditOf } from '../helpers/audit.ts';
import { BanService } from '../../server/moderation/bans.ts';
import { publishEvent } from '../../server/moderation/events.ts';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, unexpectedErrors, waitForState, type Person } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const server: TestServer = await newServer({ name: 'Maple Chat' });
const browser: Browser = await launchBrowser();
const others: TestServer[] = [];
test.after(async () => {
  await browser.close();
  await server.stop();
  for (const other of others) await other.stop().catch(() => {});
});

/** A visitor whose page keeps every stream getUserMedia gave it, so the test can see their tracks. */
async function watched(url: string): Promise<Person> {
  const person = await newPerson(browser, url);
  await person.context.addInitScript(() => {
    const streams: MediaStream[] = [];
    (window as unknown as { streams: MediaStream[] }).streams = streams;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await original(constraints);
      streams.push(stream);
      return stream;
    };
  });
  return person;
}

/** Every camera and microphone track the page was ever given, by state. */
function tracks(page: Page): Promise<{ live: number; ended: number }> {
  return page.evaluate(() => {
    const all = (window as unknown as { streams: MediaStream[] }).streams.flatMap((stream) => stream.getTracks());
    return { live: all.filter((t) => t.readyState === 'live').length, ended: all.filter((t) => t.readyState === 'ended').length };
  });
}

async function cameraOn(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { streams: MediaStream[] }).streams.some((s) => s.getVideoTracks().some((t) => t.readyState === 'live')));
  const { live } = await tracks(page);
  assert.is(live, 2, 'one camera and one microphone track are on');
}

async function cameraOff(page: Page, when: string): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { streams: MediaStream[] }).streams.flatMap((s) => s.getTracks()).every((t) => t.readyState === 'ended'), undefined, { timeout: 5000 }).catch(() => {});
  const { live, ended } = await tracks(page);
  assert.is(live, 0, `${when}: no track is left on`);
  assert.ok(ended >= 2, `${when}: the tracks were stopped (${ended})`);
  assert.ok(await page.locator('#local').isHidden(), `${when}: the own preview is gone`);
}

test('when the conversation is over, the search stopped or the page left, the camera goes off; a new search turns it on', async () => {
  const ana = await watched(server.url);
  const ben = await newPerson(browser, server.url);
  await enter(ana.page, { mode: 'video' });
  await waitForState(ana.page, 'searching');
  await cameraOn(ana.page);
  await enter(ben.page, { mode: 'video' });
  await Promise.all([waitForState(ana.page, 'paired'), waitForState(ben.page, 'paired')]);
  assert.is((await tracks(ana.page)).live, 2, 'on while talking');

  await ben.page.locator('#leave').click();
  await waitForState(ana.page, 'ended');
  await cameraOff(ana.page, 'the stranger left');

  await ana.page.locator('#again').click();
  await waitForState(ana.page, 'searching');
  await cameraOn(ana.page);
  await ana.page.locator('#cancel').click();
  await waitForState(ana.page, 'idle');
  await cameraOff(ana.page, 'the search was stopped');

  await ana.page.locator('#again').click();
  await waitForState(ana.page, 'searching');
  await cameraOn(ana.page);
  // What the browser fires when the visitor goes to another page or closes the tab.
  await ana.page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false })));
  await cameraOff(ana.page, 'the page was left');
  assert.equal(unexpectedErrors(ana.errors), []);
  await ana.context.close();
  await ben.context.close();
});

test('a session ended by a moderator turns the camera off', async () => {
  const ana = await watched(server.url);
  await enter(ana.page, { mode: 'video' });
  await waitForState(ana.page, 'searching');
  await cameraOn(ana.page);
  const [session] = server.liveSessionIds();
  await publishEvent(await server.openSecondDb(), { kind: 'session_killed', payload: { sessionId: session! } }, Date.now());
  await waitForState(ana.page, 'stopped');
  await cameraOff(ana.page, 'the session was ended');
  await ana.context.close();
});

test('the server gone turns the camera off while the page tries to reconnect', async () => {
  const doomed = await newServer({ name: 'Maple Chat' });
  others.push(doomed);
  const ana = await watched(doomed.url);
  await enter(ana.page, { mode: 'video' });
  await waitForState(ana.page, 'searching');
  await cameraOn(ana.page);
  await doomed.stop();
  await ana.page.waitForFunction(() => document.getElementById('app')?.dataset.state === 'reconnecting');
  await cameraOff(ana.page, 'the server went away');
  await ana.context.close();
});

test('the ban screen turns the camera off', async () => {
  const ana = await watched(server.url);
  await enter(ana.page, { mode: 'video' });
  await waitForState(ana.page, 'searching');
  await cameraOn(ana.page);
  const device = (await ana.context.cookies()).find((cookie) => cookie.name === 'sc_device')!.value;
  const cli = await server.openSecondDb();
  await new BanService({ db: cli, audit: auditOf(server, cli), now: Date.now }).add({ target: `device:${device}`, reason: 'Spam', durationMs: 3600_000 }, cliActor('test'));
  await ana.page.locator('#ban').waitFor({ state: 'visible', timeout: 5000 });
  await cameraOff(ana.page, 'banned');
  await ana.context.close();
});

test.run();
