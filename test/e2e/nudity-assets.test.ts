// What the on-device nudity check adds to the built site (dist/web), and how the server sends it:
// one worker script, the two WASM builds a single-threaded page can use, and the MobileNetV2
// weights — nothing else of nsfwjs (its other models are 38 MB) or of TensorFlow.js's threads —
// with the right types, cached for a year, the worker alone allowed to compile WebAssembly.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readModel } from '../../web/build/nsfw-model.mjs';
import { assertBrowserTestsCanRun, SITE_DIR } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const server: TestServer = await newServer({});
test.after(() => server.stop());

const ASSETS = join(SITE_DIR, '_astro');
const files = readdirSync(ASSETS);
const named = (pattern: RegExp) => files.filter((file) => pattern.test(file));

test('the site holds one worker, the plain and SIMD WASM builds, and the MobileNetV2 weights only', () => {
  assert.is(named(/^nudity-worker-[\w-]+\.js$/).length, 1, 'one worker script');
  assert.equal(named(/\.wasm$/).map((file) => file.replace(/-[\w-]{8}\.wasm$/, '')).sort(), ['tfjs-backend-wasm', 'tfjs-backend-wasm-simd']);
  const weights = named(/\.bin$/);
  assert.equal(weights.length, 1, 'one model');
  assert.match(weights[0]!, /^nsfw-mobilenet_v2-/);
  const model = readModel();
  assert.is(statSync(join(ASSETS, weights[0]!)).size, model.weights.length, 'the package weights, decoded from base64');
  assert.ok(readFileSync(join(ASSETS, weights[0]!)).equals(model.weights));
  const biggest = Math.max(...files.map((file) => statSync(join(ASSETS, file)).size));
  assert.is(biggest, model.weights.length, 'nothing bigger than the one model (no other model, no base64 bundle)');
  assert.not.ok(files.some((file) => /inception|mid|threaded/i.test(file)), files.join(', '));
});

test('the chat page reaches the worker; no other page does', () => {
  const worker = named(/^nudity-worker-/)[0]!;
  const scripts = files.filter((file) => file.endsWith('.js') && file !== worker);
  const referring = scripts.filter((file) => readFileSync(join(ASSETS, file), 'utf8').includes(worker));
  assert.equal(referring.map((file) => file.split(/[.-]/)[0]), ['chat'], `referred to by ${referring.join(', ')}`);
});

test('served with their types, cached for a year; the weights uncompressed, the rest compressed', async () => {
  const expect: Array<[RegExp, RegExp, string | null]> = [
    [/^nudity-worker-/, /^text\/javascript/, 'br'],
    [/\.wasm$/, /^application\/wasm$/, 'br'],
    [/\.bin$/, /^application\/octet-stream$/, null],
  ];
  for (const [pattern, type, encoding] of expect) {
    for (const file of named(pattern)) {
      const res = await fetch(`${server.url}/_astro/${file}`, { headers: { 'accept-encoding': 'br, gzip' } });
      const body = new Uint8Array(await res.arrayBuffer());
      assert.is(res.status, 200, file);
      assert.match(res.headers.get('content-type') ?? '', type, file);
      assert.is(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', file);
      assert.is(res.headers.get('content-encoding'), encoding, file);
      assert.is(body.length, statSync(join(ASSETS, file)).size, `${file} arrives whole`);
      if (file.endsWith('.wasm')) assert.equal([...body.slice(0, 4)], [0, 0x61, 0x73, 0x6d], 'a WebAssembly module');
    }
  }
});

test("only the worker's policy lets it compile WebAssembly; every page keeps workers to the site", async () => {
  const worker = named(/^nudity-worker-/)[0]!;
  const policy = async (path: string) => (await fetch(`${server.url}${path}`)).headers.get('content-security-policy') ?? '';
  const workerPolicy = await policy(`/_astro/${worker}`);
  assert.match(workerPolicy, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.not.match(workerPolicy, /'unsafe-eval'|'unsafe-inline'|blob:.*script|\*/);
  for (const path of ['/', '/chat', '/mod', '/rules', '/api/config', `/_astro/${named(/^chat\./)[0]}`, `/_astro/${named(/\.wasm$/)[0]}`]) {
    const csp = await policy(path);
    assert.match(csp, /script-src 'self';/, path);
    assert.match(csp, /worker-src 'self';/, path);
    assert.not.match(csp, /unsafe/, path);
  }
});

test.run();
