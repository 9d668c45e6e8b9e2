// The on-device nudity check in a real Chromium whose camera is a picture (a public-domain NASA
// portrait, test/helpers/nudity.ts): the real nsfwjs model runs in the page's worker on the WASM
// backend, served by the instance. The stranger's video starts blurred and is shown once the
// model calls the picture neutral; nothing comes from anywhere but the instance. Text chats, and
// adults whose video is not checked, load nothing of the classifier. The blur path:
// browser-nudity-blur.test.ts; without WebAssembly: browser-nudity-unavailable.test.ts. Needs
// Debian's `chromium` and `coturn` (minors' video is relayed); fails without them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertBrowserTestsCanRun, enter, unexpectedErrors, videoPlays, waitForState } from '../helpers/browser.ts';
import { CHECK_TIMEOUT_MS, guardIs, observed, startNudityRig, type Observed } from '../helpers/nudity.ts';
import type { TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const rig = await startNudityRig();
/** Adults checked too; the real rule. */
const checked: TestServer = await rig.server({ nudityFilter: { adults: true } });
/** The defaults outside schools: minors' video checked, adults' not. */
const adultsUnchecked: TestServer = await rig.server({});
test.after.each(() => rig.closePeople());
test.after(() => rig.stop());
const { person, videoPair } = rig;

test('the real model runs in the page: the video starts blurred and is shown once the picture is checked neutral', async () => {
  const [ana, ben] = await videoPair(checked, [30, 34]);
  await videoPlays(ana.page, '#remote', 30_000);
  await guardIs(ana.page, 'clear');
  const { samples, answers } = await observed(ana.page);

  const firstFrame = samples.find((s) => s.frames);
  assert.ok(firstFrame, 'the video showed frames');
  assert.is(firstFrame!.guard, 'blurred', 'the first frame shown was blurred');
  assert.match(firstFrame!.filter, /blur\(/, 'drawn blurred');
  assert.match(firstFrame!.text, /Checking the video on your device/);
  const ready = answers.find((a) => a.type === 'ready');
  assert.ok(ready, 'the model loaded in the worker');
  const result = answers.find((a) => a.type === 'result');
  assert.ok(result?.scores, 'the model classified a frame');
  assert.ok(result!.scores!.Neutral! > 0.9, `the portrait is neutral to the model: ${JSON.stringify(result!.scores)}`);
  assert.ok(Object.values(result!.scores!).every((p) => p >= 0 && p <= 1));
  await ana.page.waitForFunction(() => getComputedStyle(document.getElementById('remote')!).filter === 'none', undefined, { timeout: 5000 });
  // Announced 100 ms after the live region is emptied: wait for it rather than read it at once.
  await ana.page.locator('#guard-live', { hasText: /checked and is now shown/ }).waitFor({ state: 'attached', timeout: 5000 });
  assert.ok(await ana.page.locator('#guard').isHidden());

  // Everything came from the instance: the worker, one WASM build, the weights.
  const origin = new URL(checked.url).origin;
  const loaded = ana.requests.filter((url) => /nudity-worker|\.wasm|\.bin/.test(url));
  assert.ok(loaded.some((url) => /nudity-worker-.*\.js$/.test(url)), loaded.join(' '));
  assert.ok(loaded.some((url) => /tfjs-backend-wasm-simd-.*\.wasm$/.test(url)), 'the SIMD build (Chromium has SIMD)');
  assert.ok(loaded.some((url) => /nsfw-mobilenet_v2-.*\.bin$/.test(url)));
  const elsewhere = [...ana.requests, ...ben.requests].filter((url) => !url.startsWith(origin) && !/^(data|blob):/.test(url));
  assert.equal(elsewhere, [], 'nothing from anywhere else');
  assert.equal(unexpectedErrors(ana.errors), []);
  assert.equal(unexpectedErrors(ben.errors), []);
});

test('loaded only for a video that is checked: not by text chats, not for adults where adults are not checked', async () => {
  const classifier = (requests: string[]) => requests.filter((url) => /nudity-worker|\.wasm$|\.bin$/.test(url));
  // A text conversation of two under-18s, whose video would be checked.
  const mia = await person(checked);
  const max = await person(checked);
  await enter(mia.page, { mode: 'text', age: 15 });
  await waitForState(mia.page, 'searching');
  await enter(max.page, { mode: 'text', age: 16 });
  await Promise.all([waitForState(mia.page, 'paired'), waitForState(max.page, 'paired')]);
  await mia.page.waitForTimeout(1500);
  assert.equal(classifier([...mia.requests, ...max.requests]), [], 'text mode loads nothing of the classifier');
  assert.is((await observed(mia.page)).answers.length, 0, 'no worker started');
  await rig.closePeople();

  // Video between adults where only minors are checked (the default outside schools).
  const [cleo, dan] = await videoPair(adultsUnchecked, [30, 34]);
  await videoPlays(cleo.page, '#remote', 30_000);
  const { samples } = await observed(cleo.page);
  assert.ok(samples.filter((s) => s.frames).every((s) => s.guard === 'clear'), 'shown at once, never blurred');
  assert.equal(classifier([...cleo.requests, ...dan.requests]), []);
  await rig.closePeople();
  // The control: an under-18 on the same instance does load it.
  const [lea] = await videoPair(adultsUnchecked, [15, 16]);
  await lea.page.waitForFunction(() => (window as unknown as { __nudity: Observed }).__nudity.answers.length > 0, undefined, { timeout: CHECK_TIMEOUT_MS });
  assert.ok(classifier(lea.requests).some((url) => /nudity-worker-.*\.js$/.test(url)), 'the worker is loaded for a minor');
});

test.run();
