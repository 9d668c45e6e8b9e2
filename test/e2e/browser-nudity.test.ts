// The on-device nudity check in a real Chromium whose camera is a picture (a public-domain NASA
// portrait, test/fixtures/neutral-portrait.jpg, fed with --use-file-for-fake-video-capture): the
// real nsfwjs model runs in the page's worker on the WASM backend, served by the instance. The
// stranger's video starts blurred and is shown once the model calls the picture neutral. The
// blur path is proved with the test setting that counts "Neutral" as nudity (the same model, the
// same picture, only the rule changes): blurred again after K frames and told why, an adult may
// show it, a minor may not, and "Report with a still" files a report with a frame. Without
// WebAssembly a minor's video stays blurred. Needs Debian's `chromium` and `coturn` (minors'
// video is relayed); fails without them.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import {
  assertBrowserTestsCanRun,
  axeViolations,
  contrastProblems,
  enter,
  launchBrowser,
  newPerson,
  screenshot,
  unexpectedErrors,
  videoPlays,
  waitForState,
  type Person,
} from '../helpers/browser.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'neutral-portrait.jpg');
const dir = mkdtempSync(join(tmpdir(), 'strangerchat-camera-'));
// One JPEG is a one-frame Motion JPEG file: Chromium's fake camera shows it, looped.
const camera = join(dir, 'portrait.mjpeg');
copyFileSync(FIXTURE, camera);

/** The positive path: frames in a row that blur the video. */
const K = 3;
/** Loading the model and WASM on a shared 2-core machine with two video calls takes a few seconds; allow for a slow one. */
const CHECK_TIMEOUT_MS = 90_000;

const coturn: Coturn = await startCoturn();
const turn = { turn: { urls: [coturn.url], credentialTtlSeconds: 600 } };
const secrets = { secrets: { turnSecret: coturn.secret } };
/** Adults checked too; the real rule. */
const checked: TestServer = await newServer({ ...turn, nudityFilter: { adults: true } }, secrets);
/** The same model and picture, with Neutral counted as nudity; adults see the video at once. */
const positive: TestServer = await newServer(
  { ...turn, nudityFilter: { adults: true, adultsBlurUntilChecked: false, consecutiveFrames: K, testTreatNeutralAsPositive: true } },
  secrets,
);
const browser: Browser = await launchBrowser({ fakeVideo: camera });
/** Everyone a test opened: closed after it even when it failed, so their calls do not slow the next. */
const opened: Person[] = [];
test.after.each(async () => {
  for (const someone of opened.splice(0)) await someone.context.close().catch(() => {});
});
test.after(async () => {
  await browser.close();
  await checked.stop();
  await positive.stop();
  await coturn.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Sample {
  guard: string | undefined;
  /** The stranger's video has a frame to show. */
  frames: boolean;
  filter: string;
  text: string;
  /** Classifier results received so far. */
  results: number;
}

interface Observed {
  samples: Sample[];
  answers: Array<{ type: string; scores?: Record<string, number>; ms?: number }>;
}

/**
 * Records, from the page's start: every change of what the stranger's video looks like, and every
 * answer of the classifier worker (the page's own worker, observed through its messages).
 */
function observe(): void {
  const seen: Observed = { samples: [], answers: [] };
  (window as unknown as { __nudity: Observed }).__nudity = seen;
  const Original = window.Worker;
  window.Worker = class extends Original {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      this.addEventListener('message', (event: MessageEvent) => seen.answers.push(event.data));
    }
  } as typeof Worker;
  let last = '';
  setInterval(() => {
    const video = document.getElementById('remote') as HTMLVideoElement | null;
    if (!video?.parentElement) return;
    const sample: Sample = {
      guard: video.parentElement.dataset.guard,
      frames: video.videoWidth > 0,
      filter: getComputedStyle(video).filter,
      text: document.getElementById('guard')?.hidden ? '' : (document.getElementById('guard-text')?.textContent ?? ''),
      results: seen.answers.filter((a) => a.type === 'result').length,
    };
    const key = JSON.stringify({ ...sample, results: 0 });
    if (key !== last) seen.samples.push(sample);
    last = key;
  }, 25);
}

async function person(server: TestServer, options: { noWasm?: boolean } = {}): Promise<Person & { requests: string[] }> {
  const someone = await newPerson(browser, server.url);
  opened.push(someone);
  await someone.context.addInitScript(observe);
  // An old browser: no WebAssembly at all.
  if (options.noWasm) await someone.context.addInitScript(() => Reflect.deleteProperty(window, 'WebAssembly'));
  const requests: string[] = [];
  someone.page.on('request', (request) => requests.push(request.url()));
  return Object.assign(someone, { requests });
}

const observed = (page: Page) => page.evaluate(() => (window as unknown as { __nudity: Observed }).__nudity);
const guardIs = (page: Page, state: 'blurred' | 'clear', timeout = CHECK_TIMEOUT_MS) =>
  page.waitForFunction((wanted) => document.querySelector<HTMLElement>('.remote-wrap')?.dataset.guard === wanted, state, { timeout });
const resultsReach = (page: Page, count: number) =>
  page.waitForFunction((n) => (window as unknown as { __nudity: Observed }).__nudity.answers.filter((a) => a.type === 'result').length >= n, count, { timeout: CHECK_TIMEOUT_MS });
const resultsSoFar = async (page: Page) => (await observed(page)).answers.filter((a) => a.type === 'result').length;

async function videoPair(server: TestServer, ages: [number, number], options: { firstNoWasm?: boolean } = {}) {
  const first = await person(server, { noWasm: options.firstNoWasm });
  const second = await person(server);
  await enter(first.page, { mode: 'video', age: ages[0] });
  await waitForState(first.page, 'searching');
  await enter(second.page, { mode: 'video', age: ages[1] });
  await Promise.all([waitForState(first.page, 'paired'), waitForState(second.page, 'paired')]);
  return [first, second] as const;
}

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
  assert.match(await ana.page.locator('#guard-live').innerText(), /checked and is now shown/);
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
  assert.match(await ana.page.locator('#guard-live').innerText(), /blurred: it may show nudity/);
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

test("no WebAssembly: a minor's video stays blurred, with the reason; an adult's is blurred and may be shown", async () => {
  const [mia, max] = await videoPair(checked, [15, 16], { firstNoWasm: true });
  await videoPlays(mia.page, '#remote', 30_000);
  await mia.page.locator('#guard-text', { hasText: 'cannot check the video' }).waitFor();
  assert.match(await mia.page.locator('#guard-text').innerText(), /so it stays blurred/);
  assert.is(await mia.page.locator('.remote-wrap').getAttribute('data-guard'), 'blurred');
  assert.ok(await mia.page.locator('#guard-show').isHidden(), 'a minor cannot show it');
  assert.not.ok(mia.requests.some((url) => /nudity-worker|\.bin$/.test(url)), 'nothing loaded that cannot run');
  await mia.page.waitForTimeout(1500);
  assert.is(await mia.page.locator('.remote-wrap').getAttribute('data-guard'), 'blurred', 'still blurred');

  const [ana, ben] = await videoPair(checked, [30, 34], { firstNoWasm: true });
  await ana.page.locator('#guard-text', { hasText: 'cannot check the video' }).waitFor();
  await ana.page.getByRole('button', { name: 'Show the video now' }).click();
  await guardIs(ana.page, 'clear', 5000);
});

test.run();
