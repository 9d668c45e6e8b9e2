// Reporting from the browser: in a video conversation the reporter picks a reason and writes a
// note; the server files the report, the reporter's browser uploads up to 3 downscaled JPEG
// frames of the other person's video, and the two are never paired again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser } from 'playwright-core';
import { assertBrowserTestsCanRun, enter, launchBrowser, newPerson, screenshot, unexpectedErrors, videoPlays, waitForState, type Person } from '../helpers/browser.ts';
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

/** Width and height from a JPEG's start-of-frame marker. */
function jpegSize(bytes: Uint8Array): { width: number; height: number } {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) throw new Error(`not a JPEG marker at ${i}`);
    const marker = bytes[i + 1]!;
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! };
    }
    i += 2 + length;
  }
  throw new Error('no start-of-frame marker');
}

test('a report from the browser files the reason and note and uploads downscaled frames of the remote video', async () => {
  const reporter: Person = await newPerson(browser, server.url);
  const reported: Person = await newPerson(browser, server.url);
  await enter(reporter.page, { mode: 'video' });
  await waitForState(reporter.page, 'searching');
  await enter(reported.page, { mode: 'video' });
  await Promise.all([waitForState(reporter.page, 'paired'), waitForState(reported.page, 'paired')]);
  await videoPlays(reporter.page, '#remote');
  const remoteWidth = await reporter.page.$eval('#remote', (v) => (v as HTMLVideoElement).videoWidth);

  await reporter.page.locator('#report').click();
  const dialog = reporter.page.locator('#report-dialog');
  await dialog.waitFor();
  assert.ok(await reporter.page.locator('#report-frames').isVisible(), 'the reporter is told frames are attached');
  // Sending without a reason is refused in the dialog, with an explanation.
  await dialog.getByRole('button', { name: 'Send the report' }).click();
  assert.match(await reporter.page.locator('#report-error').innerText(), /Choose what happened/);
  await dialog.getByLabel('Harassment or bullying').check();
  await dialog.getByLabel('Anything to add? (optional)').fill('kept insulting me');
  await screenshot(reporter.page, 'chat-report-dialog-desktop-light');
  await reporter.page.waitForTimeout(2000); // a few frames are captured while the dialog is open
  await dialog.getByRole('button', { name: 'Send the report' }).click();

  await reporter.page.locator('#log .line-system', { hasText: /report and \d image\(s\) were sent/ }).waitFor();
  await waitForState(reporter.page, 'ended');
  await waitForState(reported.page, 'ended');
  assert.match(await reported.page.locator('#status').innerText(), /left/, 'the reported person is not told who reported');

  const report = await server.db.selectFrom('reports').select(['id', 'reason', 'note']).executeTakeFirstOrThrow();
  assert.is(report.reason, 'harassment');
  assert.is(report.note, 'kept insulting me');
  const frames = await server.db.selectFrom('report_frames').select(['idx', 'jpeg', 'size']).where('report_id', '=', report.id).orderBy('idx').execute();
  assert.ok(frames.length >= 1 && frames.length <= 3, `1 to 3 frames stored, got ${frames.length}`);
  const shown = Number(/(\d) image/.exec(await reporter.page.locator('#log .line-system').last().innerText())?.[1]);
  assert.is(shown, frames.length, 'the reporter is told how many frames were attached');
  for (const frame of frames) {
    const bytes = new Uint8Array(frame.jpeg);
    assert.is(bytes[0], 0xff);
    assert.is(bytes[1], 0xd8);
    const { width, height } = jpegSize(bytes);
    assert.ok(width > 0 && width <= 480, `frame width ${width} ≤ 480`);
    assert.ok(width <= remoteWidth && height > 0);
    assert.ok(frame.size < 100 * 1024, 'a downscaled frame is small');
  }

  // The two are never paired again: both look for someone new and stay searching.
  await reporter.page.locator('#again').click();
  await reported.page.locator('#again').click();
  await waitForState(reporter.page, 'searching');
  await waitForState(reported.page, 'searching');
  await reporter.page.waitForTimeout(1500);
  assert.is(await reporter.page.locator('#app').getAttribute('data-state'), 'searching');
  assert.is(await reported.page.locator('#app').getAttribute('data-state'), 'searching');

  assert.equal(unexpectedErrors(reporter.errors), []);
  assert.equal(unexpectedErrors(reported.errors), []);
});

test.run();
