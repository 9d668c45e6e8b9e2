// The on-device nudity check's browser tests share this: a Chromium whose camera is a picture
// (test/fixtures/neutral-portrait.jpg, a public-domain NASA portrait, fed with
// --use-file-for-fake-video-capture), coturn (minors' video is relayed), and a page observer that
// records what the stranger's video looks like and every answer of the page's classifier worker.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { enter, launchBrowser, newPerson, waitForState, type Person } from './browser.ts';
import { startCoturn } from './coturn.ts';
import { newServer, type TestServer } from './server.ts';

/** Loading the model and WASM on a shared 2-core machine with two video calls takes a few seconds; allow for a slow one. */
export const CHECK_TIMEOUT_MS = 90_000;

export interface Sample {
  guard: string | undefined;
  /** The stranger's video has a frame to show. */
  frames: boolean;
  filter: string;
  text: string;
  /** Classifier results received so far. */
  results: number;
}

export interface Observed {
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

export const observed = (page: Page) => page.evaluate(() => (window as unknown as { __nudity: Observed }).__nudity);
export const guardIs = (page: Page, state: 'blurred' | 'clear', timeout = CHECK_TIMEOUT_MS) =>
  page.waitForFunction((wanted) => document.querySelector<HTMLElement>('.remote-wrap')?.dataset.guard === wanted, state, { timeout });
export const resultsReach = (page: Page, count: number) =>
  page.waitForFunction((n) => (window as unknown as { __nudity: Observed }).__nudity.answers.filter((a) => a.type === 'result').length >= n, count, { timeout: CHECK_TIMEOUT_MS });
export const resultsSoFar = async (page: Page) => (await observed(page)).answers.filter((a) => a.type === 'result').length;

export type Observer = Person & { requests: string[] };

export interface NudityRig {
  browser: Browser;
  /** A server with TURN (this coturn) and these settings. */
  server(settings: Record<string, unknown>): Promise<TestServer>;
  /** A new visitor, observed; `noWasm`: an old browser without WebAssembly. */
  person(server: TestServer, options?: { noWasm?: boolean }): Promise<Observer>;
  /** Two visitors of these ages in a video conversation. */
  videoPair(server: TestServer, ages: [number, number], options?: { firstNoWasm?: boolean }): Promise<readonly [Observer, Observer]>;
  /** Closes everyone opened since the last call (after each test, so their calls do not slow the next). */
  closePeople(): Promise<void>;
  stop(): Promise<void>;
}

export async function startNudityRig(): Promise<NudityRig> {
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-camera-'));
  // One JPEG is a one-frame Motion JPEG file: Chromium's fake camera shows it, looped.
  const camera = join(dir, 'portrait.mjpeg');
  copyFileSync(join(import.meta.dirname, '..', 'fixtures', 'neutral-portrait.jpg'), camera);
  const coturn = await startCoturn();
  const browser = await launchBrowser({ fakeVideo: camera });
  const servers: TestServer[] = [];
  const opened: Person[] = [];
  const rig: NudityRig = {
    browser,
    async server(settings) {
      const server = await newServer({ turn: { urls: [coturn.url], credentialTtlSeconds: 600 }, ...settings }, { secrets: { turnSecret: coturn.secret } });
      servers.push(server);
      return server;
    },
    async person(server, options = {}) {
      const someone = await newPerson(browser, server.url);
      opened.push(someone);
      await someone.context.addInitScript(observe);
      if (options.noWasm) await someone.context.addInitScript(() => Reflect.deleteProperty(window, 'WebAssembly'));
      const requests: string[] = [];
      someone.page.on('request', (request) => requests.push(request.url()));
      return Object.assign(someone, { requests });
    },
    async videoPair(server, ages, options = {}) {
      const first = await rig.person(server, { noWasm: options.firstNoWasm });
      const second = await rig.person(server);
      await enter(first.page, { mode: 'video', age: ages[0] });
      await waitForState(first.page, 'searching');
      await enter(second.page, { mode: 'video', age: ages[1] });
      await Promise.all([waitForState(first.page, 'paired'), waitForState(second.page, 'paired')]);
      return [first, second] as const;
    },
    async closePeople() {
      for (const someone of opened.splice(0)) await someone.context.close().catch(() => {});
    },
    async stop() {
      await rig.closePeople();
      await browser.close();
      for (const server of servers) await server.stop();
      await coturn.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
