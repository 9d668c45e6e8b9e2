// The stop command start's banner names works where it was started: npm stop after npm start (a
// clone's or an instance's package.json with a stop script), npx after npx, -C from elsewhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopCommand } from '../../cli/stop-hint.ts';
import { tempDir } from '../helpers/server.ts';

let root = '';
test.before.each(() => {
  root = tempDir('strangerchat-stop-');
  mkdirSync(join(root, 'chat', 'deploy'), { recursive: true });
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

test('in or below the instance folder: strangerchat stop; elsewhere: with -C', () => {
  const dir = join(root, 'chat');
  assert.is(stopCommand({ env: {}, cwd: dir }, dir), 'strangerchat stop');
  assert.is(stopCommand({ env: {}, cwd: join(dir, 'deploy') }, dir), 'strangerchat stop');
  assert.is(stopCommand({ env: {}, cwd: root }, dir), 'strangerchat stop -C chat');
  assert.is(stopCommand({ env: { npm_command: 'exec' }, cwd: root }, dir), 'npx strangerchat stop -C chat');
});

test('after npm start, npm stop when the package has a stop script (the clone has, so has an instance)', () => {
  const dir = join(root, 'chat');
  const pkg = join(root, 'package.json');
  writeFileSync(pkg, JSON.stringify({ scripts: { start: 'scripts/dev.sh start', stop: 'scripts/dev.sh stop' } }));
  const env = { npm_lifecycle_event: 'start', npm_package_json: pkg };
  assert.is(stopCommand({ env, cwd: root }, join(dir, '.dev-instance')), 'npm stop');
  writeFileSync(pkg, JSON.stringify({ scripts: { start: 'x' } }));
  assert.is(stopCommand({ env, cwd: root }, dir), 'strangerchat stop -C chat', 'no stop script: the CLI itself');
});

test.run();
