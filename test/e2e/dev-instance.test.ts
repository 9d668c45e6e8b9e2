// `npm start` on a clone (scripts/dev.sh): the development instance gets a development owner
// account whose password is kept in the instance (mode 0600) and shown at every start with how to
// sign in at /mod; `npm stop` (dev.sh stop) stops it from the clone. Runs the built CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { verifyPassword } from '../../server/access/passwords.ts';
import { tempDir } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '../..');
let here = '';
test.before.each(() => {
  here = tempDir('strangerchat-dev-');
});
test.after.each(() => rmSync(here, { recursive: true, force: true }));

function devSh(command: string, dir: string) {
  return spawnSync('bash', [join(ROOT, 'scripts/dev.sh'), command], { env: { ...process.env, STRANGERCHAT_DIR: dir, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
}

test('the development instance has an owner whose password is shown at each start, with /mod', async () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run scripts/build.sh first');
  const dir = join(here, 'dev');
  const first = devSh('instance', dir);
  assert.is(first.status, 0, first.stderr);
  assert.match(first.stderr, /created the development instance .* with the owner account dev/);
  const password = readFileSync(join(dir, 'dev-owner-password'), 'utf8').trim();
  assert.is(statSync(join(dir, 'dev-owner-password')).mode & 0o777, 0o600);
  assert.ok(first.stderr.includes(`<the URL below>/mod, as dev with the password ${password}`), first.stderr);
  const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'), { readOnly: true });
  const owner = db.prepare('SELECT role, password_hash, must_change_password FROM moderators WHERE username = ?').get('dev') as { role: string; password_hash: string; must_change_password: number };
  db.close();
  assert.equal([owner.role, owner.must_change_password], ['owner', 0]);
  assert.ok(await verifyPassword(password, owner.password_hash), 'the shown password signs in');

  const again = devSh('instance', dir);
  assert.is(again.status, 0, again.stderr);
  assert.not.match(again.stderr, /created/, 'made once');
  assert.ok(again.stderr.includes(password), 'and shown again');

  const stop = devSh('stop', dir);
  assert.is(stop.status, 5, 'npm stop from the clone reaches the instance (not running here)');
  assert.match(stop.stderr, /not running/);
});

test.run();
