// The blur path of the on-device nudity check, in a real Chromium whose camera is a decent picture
// (test/helpers/nudity.ts), proved with the test setting that counts "Neutral" as nudity: the same
// real model and picture, only the rule changes. Blurred again after K frames and told why; an
// adult may show it, and the same scene does not blur it again; a minor may not, and "Report with
// a still" files a report with a frame. Nothing is reported or banned by the classifier. Needs
// Debian's `chromium` and `coturn`; fails without them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertBrowserTestsCanRun, axeViolations, contrastProblems, screenshot, unexpectedErrors, videoPlays, waitForState } from '../helpers/browser.ts';
import { CHECK_TIMEOUT_MS, guardIs, observed, resultsReach, resultsSoFar, startNudityRig } from '../helpers/nudity.ts';
import type { TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

/** Frames in a row that blur the video. */
const K = 3;
const rig = await startNudityRig();
/** Neutral counted as nudity; adults see the video at once. */
const positive: TestServer = await rig.server({
  nudityFilter: { adults: true, adultsBlurUntilChecked: false, consecutiveFrames: K, testTreatNeutralAsPositive: true },
});
test.after.each(() => rig.closePeople());
test.after(() => rig.stop());
const { videoPair } = rig;

test('an adult: blurred after K positive frames and told why, may show it, and the same scene does not blur it again', async () => {
  const [ana, ben] = await videoPair(positive, [30, 34]);
  await videoPlays(ana.page, '#remote', 30_000);
  await guardIs(ana.page, 'blurred');
  const { samples } = await observed(ana.page);
  const shown = samples.find((s) => s.frames);
  assert.is(shown?.guard, 'clear', 'adults here see the video at once (adultsBlurUntilChecked: false)');
  const blurred = samples.find((s) => s.guard === 'blurred')!;
  assert.ok(blurred.results >= K, `blurred after ${K} positive frames, not before (${blurred.results} results)`);
  assert.match(await ana.page.locator('#guard-text').innerText(), /blurred because it may show nudity\. You can show it anyway/);
  // The page announces it 100 ms after emptying the live region (so that the same words are said again): wait for it.
  await ana.page.locator('#guard-live', { hasText: /blurred: it may show nudity/ }).waitFor({ state: 'attached', timeout: 5000 });
  assert.is(await ana.page.locator('#remote').getAttribute('aria-label'), "The stranger's video, blurred");
  // Nothing was reported or banned by the classifier.
  assert.is((await positive.db.selectFrom('reports').select('id').execute()).length, 0);
  assert.is((await positive.db.selectFrom('bans').select('id').execute()).length, 0);

  await ana.page.getByRole('button', { name: 'Show anyway' }).click();
  await guardIs(ana.page, 'clear', 5000);
  const after = await resultsSoFar(ana.page);
  await resultsReach(ana.page, after + K + 1);
  assert.is(await ana.page.locator('.remote-wrap').getAttribute('data-guard'), 'clear', 'shown by choice: still shown');
  assert.equal(unexpectedErrors(ana.errors), []);
});

test('a minor: blurred until checked, blurred for nudity, cannot show it; "Report with a still" files a report with the frame', async () => {
  const [mia, max] = await videoPair(positive, [15, 16]);
  await videoPlays(mia.page, '#remote', 30_000);
  await mia.page.locator('#guard-text', { hasText: 'may show nudity' }).waitFor({ timeout: CHECK_TIMEOUT_MS });
  const { samples } = await observed(mia.page);
  assert.ok(samples.filter((s) => s.frames).every((s) => s.guard === 'blurred'), 'never shown sharp');
  assert.ok(samples.some((s) => /Checking the video/.test(s.text)), 'first: blurred until checked');
  assert.match(await mia.page.locator('#guard-text').innerText(), /stays blurred for this conversation/);
  assert.is(await mia.page.getByRole('button', { name: /Show/ }).count(), 0, 'no way to show it');
  assert.ok(await mia.page.locator('#guard-show').isHidden());
  const report = mia.page.getByRole('button', { name: 'Report with a still' });
  assert.ok(await report.isVisible());
  assert.equal(await axeViolations(mia.page), [], 'the blurred video and its reason are accessible');
  assert.equal(await contrastProblems(mia.page, ['#guard-text', '#guard-report']), []);
  await screenshot(mia.page, 'chat-nudity-blurred-minor');
  // More clean-or-not frames change nothing for a minor: it stays blurred.
  const now = await resultsSoFar(mia.page);
  await resultsReach(mia.page, now + 2);
  assert.is(await mia.page.locator('.remote-wrap').getAttribute('data-guard'), 'blurred');

  await report.click();
  const dialog = mia.page.locator('#report-dialog');
  await dialog.waitFor();
  assert.ok(await dialog.getByLabel('Nudity or sexual content').isChecked(), 'the reason is chosen');
  assert.ok(await mia.page.locator('#report-frames').isVisible(), 'told that stills are attached');
  await dialog.getByRole('button', { name: 'Send the report' }).click();
  await mia.page.locator('#log .line-system', { hasText: /report and \d image\(s\) were sent/ }).waitFor();
  await waitForState(max.page, 'ended');
  const filed = await positive.db.selectFrom('reports').select(['id', 'reason']).executeTakeFirstOrThrow();
  assert.is(filed.reason, 'nudity');
  const frames = await positive.db.selectFrom('report_frames').select(['idx', 'jpeg']).where('report_id', '=', filed.id).orderBy('idx').execute();
  assert.ok(frames.length >= 1, 'the still is attached');
  assert.equal([...new Uint8Array(frames[0]!.jpeg).slice(0, 2)], [0xff, 0xd8], 'a JPEG');
  assert.equal(unexpectedErrors(mia.errors), []);
});

test.run();
