// Times the on-device nudity check in Chromium: the site's own classifier worker (nsfwjs
// MobileNetV2 on TensorFlow.js's WASM backend, from the built dist/web, served by a real server)
// classifying 224×224 frames of the neutral test portrait, as the chat page sends them. Prints, for
// the SIMD build (what current browsers run) and the plain build (what a browser without WASM SIMD
// runs): the time from `new Worker` to the model's first answer, cold (nothing cached) and warm
// (cached by the browser), and the per-frame inference time inside the worker and the round trip
// seen by the page. Build the site first (scripts/build.sh). Usage: node bench/nudity.ts [--frames N]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { launchBrowser, SITE_DIR } from '../test/helpers/browser.ts';
import { newServer } from '../test/helpers/server.ts';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '60' } } });
const FRAMES = Number(values.frames);
if (!Number.isInteger(FRAMES) || FRAMES < 1) throw new TypeError(`--frames must be a positive integer, not ${values.frames}`);
/** Frames classified and thrown away first: the first few after load are slower (JIT, caches). */
const WARM_UP = 5;
/** Model loads timed per build (the best is printed). */
const LOAD_REPETITIONS = 3;
const PORTRAIT = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'neutral-portrait.jpg')).toString('base64');
const worker = readdirSync(join(SITE_DIR, '_astro')).find((file) => /^nudity-worker-[\w-]+\.js$/.test(file));
if (!worker) throw new Error(`no nudity worker in ${SITE_DIR}/_astro: run scripts/build.sh first`);

interface Run {
  loadMs: number;
  simd: boolean;
  /** Inference inside the worker, per frame (what model.classify took). */
  inferMs: number[];
  /** postMessage → answer, seen by the page (inference, the transfer, the worker's queue). */
  roundTripMs: number[];
}

/** In a page of the site: starts the worker, waits for the model, classifies `frames` frames. */
async function run(context: BrowserContext, url: string, frames: number): Promise<Run> {
  const page = await context.newPage();
  await page.goto(`${url}/rules`);
  const result = await page.evaluate(
    async ({ script, jpeg, frames, warmUp }) => {
      const bytes = Uint8Array.from(atob(jpeg), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
      const canvas = Object.assign(document.createElement('canvas'), { width: 224, height: 224 });
      const context = canvas.getContext('2d', { willReadFrequently: true })!;
      // As the chat page does (lib/nudity-guard.ts): squashed to the model's square.
      context.drawImage(bitmap, 0, 0, 224, 224);
      const started = performance.now();
      const w = new Worker(script);
      const answers: Array<(data: any) => void> = [];
      w.onmessage = (event) => answers.shift()?.(event.data);
      const next = () => new Promise<any>((resolve) => answers.push(resolve));
      const ready = await next();
      if (ready.type !== 'ready') throw new Error(`the worker answered ${JSON.stringify(ready)}`);
      const loadMs = performance.now() - started;
      const inferMs: number[] = [];
      const roundTripMs: number[] = [];
      for (let id = 1; id <= warmUp + frames; id++) {
        const pixels = context.getImageData(0, 0, 224, 224).data.buffer;
        const sent = performance.now();
        const answer = next();
        w.postMessage({ type: 'frame', id, width: 224, height: 224, pixels }, [pixels]);
        const { type, ms, scores } = await answer;
        if (type !== 'result') throw new Error(`frame ${id}: ${type}`);
        if (!(scores.Neutral > 0.5)) throw new Error(`the portrait was not neutral: ${JSON.stringify(scores)}`);
        if (id > warmUp) {
          inferMs.push(ms);
          roundTripMs.push(performance.now() - sent);
        }
      }
      w.terminate();
      return { loadMs, simd: ready.simd as boolean, inferMs, roundTripMs };
    },
    { script: `/_astro/${worker}`, jpeg: PORTRAIT, frames, warmUp: WARM_UP },
  );
  await page.close();
  return result;
}

/**
 * A browser without WASM SIMD: the worker's feature test (WebAssembly.validate of a SIMD module)
 * answers no, so TensorFlow.js picks the plain build. Only this benchmark does this.
 */
async function withoutSimd(context: BrowserContext): Promise<void> {
  await context.route(`**/_astro/${worker}`, async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    // route.fetch() decoded it; the body handed back is plain text.
    delete headers['content-encoding'];
    delete headers['content-length'];
    await route.fulfill({ status: response.status(), headers, body: `WebAssembly.validate = () => false;\n${await response.text()}` });
  });
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const ms = (n: number) => `${n.toFixed(0)} ms`.padStart(8);

const server = await newServer({});
const browser = await launchBrowser();
try {
  console.log(`Chromium ${browser.version()}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg()[0]!.toFixed(2)}; ${FRAMES} frames after ${WARM_UP} warm-up frames`);
  console.log('build   cold load  warm load   infer p50   p95   max   round trip p50   p95');
  for (const build of ['simd', 'plain'] as const) {
    // Loads are few and the machine is shared: each is the best of a few, each cold one in a
    // fresh context (its own empty HTTP cache).
    const cold: Run[] = [];
    const warm: Run[] = [];
    for (let repetition = 0; repetition < LOAD_REPETITIONS; repetition++) {
      const context = await browser.newContext();
      if (build === 'plain') await withoutSimd(context);
      cold.push(await run(context, server.url, repetition === 0 ? FRAMES : 1));
      // Routing (the plain build's rewrite) turns Playwright's HTTP cache off: no warm load then.
      if (build === 'simd') warm.push(await run(context, server.url, 1));
      await context.close();
    }
    if (cold.some((r) => r.simd !== (build === 'simd'))) throw new Error(`the ${build} runs did not all use the ${build} build`);
    const { inferMs: infer, roundTripMs: trip } = cold[0]!;
    const best = (runs: Run[]) => (runs.length ? ms(Math.min(...runs.map((r) => r.loadMs))) : '       —');
    console.log(
      `${build.padEnd(6)} ${best(cold)}   ${best(warm)}   ${ms(quantile(infer, 0.5))} ${ms(quantile(infer, 0.95))} ${ms(Math.max(...infer))}   ${ms(quantile(trip, 0.5))} ${ms(quantile(trip, 0.95))}`,
    );
  }
} finally {
  await browser.close();
  await server.stop();
}
