// What a running `strangerchat start` (the built package, bin/) keeps out of memory: serving its
// pages and JSON answers must not load undici, Node's fetch (about 13 MB of an empty server's RSS,
// docs/benchmarks.md round 3), which an ES import of node:http or Koa's `instanceof Response`
// test of every JSON body would load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnStart } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '../..');
const RECORDER = join(ROOT, 'test/helpers/record-builtins.ts');

test('an instance that served pages, JSON and a session has not loaded undici', async () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run scripts/build.sh first');
  const dir = tempDir('strangerchat-footprint-');
  const list = join(dir, 'builtins.txt');
  try {
    const started = await spawnStart(['-C', join(dir, 'chat'), '--port', '0', '--quiet'], {
      cwd: dir,
      env: { NODE_OPTIONS: `--import=${RECORDER}`, STRANGERCHAT_TEST_BUILTINS_FILE: list },
    });
    try {
      for (const path of ['/healthz', '/api/config', '/']) assert.is((await fetch(`${started.url}${path}`)).status, 200, path);
      const session = await fetch(`${started.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ acceptRules: true, age: 20 }) });
      assert.is(session.status, 201, await session.text());
    } finally {
      started.child.kill('SIGTERM');
    }
    assert.is(await started.exited, 0, started.stderr());
    const loaded = readFileSync(list, 'utf8').split('\n');
    assert.ok(loaded.includes('NativeModule http'), 'the recorder ran in the server');
    assert.not.ok(loaded.includes('NativeModule internal/deps/undici/undici'), 'undici was loaded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
