// `strangerchat update` in-process, with npm replaced by a scripted runner (the real registry
// round trip is test/e2e/cli-update): what it refuses and why, --check and its cache, status
// reading only that cache, a failed install changing nothing, and the running server's daily
// check (updates.check).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../../cli/context.ts';
import { defaultUpdateDeps, update, type UpdateDeps, type UpdateOptions } from '../../cli/commands/update.ts';
import { readUpdateCheck, scheduleUpdateChecks, type NpmRunner } from '../../cli/updates.ts';
import { loadConfig } from '../../server/config.ts';
import { packageVersion } from '../../cli/version.ts';
import { fakeContext } from '../helpers/cli.ts';
import { newInstance, until, type TestInstance } from '../helpers/cli-instance.ts';
import { captureLogs } from '../helpers/logs.ts';

const CURRENT = packageVersion();
const [major, minor, patch] = CURRENT.split('.').map(Number) as [number, number, number];
const NEXT = `${major}.${minor}.${patch + 1}`;

let instance: TestInstance;
test.before.each(async () => {
  instance = await newInstance('strangerchat-update-');
});
test.after.each(() => instance.remove());

interface Scripted {
  npm: NpmRunner;
  calls: string[][];
}

/** npm answering `view` with these versions (or failing), and `install` with the given exit code. */
function scriptedNpm(view: { latest: string; versions: string[] } | 'offline', install: { code: number; stderr?: string } = { code: 0 }): Scripted {
  const calls: string[][] = [];
  const npm: NpmRunner = async (args) => {
    calls.push(args);
    if (args[0] === 'view') {
      if (view === 'offline') return { code: 1, stdout: JSON.stringify({ error: { code: 'ECONNREFUSED', summary: 'request to http://127.0.0.1:9/strangerchat failed, reason: connect ECONNREFUSED' } }), stderr: '' };
      return { code: 0, stdout: JSON.stringify({ 'dist-tags': { latest: view.latest }, versions: view.versions }), stderr: '' };
    }
    return { code: install.code, stdout: '', stderr: install.stderr ?? '' };
  };
  return { npm, calls };
}

async function runUpdate(options: Partial<UpdateOptions>, npm: NpmRunner, tty = false) {
  const fake = fakeContext({ cwd: instance.here, tty });
  const deps: UpdateDeps = { ...defaultUpdateDeps, npm };
  let code = 0;
  try {
    await update(fake.ctx, { dir: instance.dir, ...options }, deps);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    code = error.exitCode;
    fake.ctx.stderr.write(error.message);
  }
  return { code, stdout: fake.stdout(), stderr: fake.stderr() };
}

const config = () => loadConfig({ dir: instance.dir, env: {}, version: CURRENT });

test('update --check asks npm view in the instance folder and caches the answer; status shows it, and only reads the cache', async () => {
  const { npm, calls } = scriptedNpm({ latest: NEXT, versions: [CURRENT, NEXT] });
  const result = await runUpdate({ check: true, json: true }, npm);
  assert.is(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout), { current: CURRENT, latest: NEXT, updateAvailable: true, checkedAt: readUpdateCheck(config())!.checkedAt });
  assert.equal(calls[0]!.slice(0, 5), ['view', 'strangerchat', 'dist-tags', 'versions', '--json']);
  const status = await instance.cli(['status', '--json']);
  assert.equal({ ...status.json().updateAvailable, checkedAt: 0 }, { current: CURRENT, latest: NEXT, checkedAt: 0 });
  assert.match((await instance.cli(['status'])).stdout, new RegExp(`update\\s+${NEXT.replaceAll('.', '\\.')} is available \\(strangerchat update; checked `));
  const human = await runUpdate({ check: true }, npm);
  assert.match(human.stdout, new RegExp(`strangerchat ${NEXT.replaceAll('.', '\\.')} is available \\(this instance runs ${CURRENT.replaceAll('.', '\\.')}\\): strangerchat update`));
});

test('offline, update --check exits 1 saying so; the last answer stays cached for status', async () => {
  assert.is((await runUpdate({ check: true }, scriptedNpm({ latest: NEXT, versions: [CURRENT, NEXT] }).npm)).code, 0);
  const offline = await runUpdate({ check: true }, scriptedNpm('offline').npm);
  assert.is(offline.code, 1);
  assert.match(offline.stderr, /npm view strangerchat failed: request to .* ECONNREFUSED; check your network and npm's registry setting/);
  const cached = readUpdateCheck(config())!;
  assert.equal([cached.latest, cached.error !== null], [NEXT, true]);
  const status = await instance.cli(['status', '--json']);
  assert.is(status.code, 5, 'not running, and not failing for being offline');
  assert.is(status.json().updateAvailable.latest, NEXT);
});

test('what update refuses: combined flags and a bad --to (2), an older --to (2), an unknown one (1), no pin (1); the newest is already there (0)', async () => {
  const { npm } = scriptedNpm({ latest: NEXT, versions: [CURRENT, NEXT] });
  assert.is((await runUpdate({ check: true, rollback: true }, npm)).code, 2);
  assert.is((await runUpdate({ to: 'soon' }, npm)).code, 2);
  const older = await runUpdate({ to: '0.0.1' }, npm);
  assert.equal([older.code, /older than .*: to go back, use strangerchat update --rollback/.test(older.stderr)], [2, true]);
  const unknown = await runUpdate({ to: '9.9.9' }, npm);
  assert.equal([unknown.code, /the registry has no strangerchat 9\.9\.9 \(the newest is /.test(unknown.stderr)], [1, true]);
  const same = await runUpdate({ json: true }, scriptedNpm({ latest: CURRENT, versions: [CURRENT] }).npm);
  assert.is(same.code, 0, same.stderr);
  assert.is(JSON.parse(same.stdout).updated, false);

  const pkg = join(instance.dir, 'package.json');
  const manifest = JSON.parse(readFileSync(pkg, 'utf8'));
  delete manifest.dependencies;
  writeFileSync(pkg, JSON.stringify(manifest));
  const unpinned = await runUpdate({}, npm);
  assert.equal([unpinned.code, /does not pin strangerchat, so there is nothing to update here/.test(unpinned.stderr)], [1, true]);
});

test('a failed npm install changes nothing: the package.json, no update record, npm quoted', async () => {
  const before = readFileSync(join(instance.dir, 'package.json'), 'utf8');
  const { npm, calls } = scriptedNpm({ latest: NEXT, versions: [CURRENT, NEXT] }, { code: 1, stderr: 'npm error code E403\nnpm error 403 Forbidden - GET http://registry/strangerchat\n' });
  const result = await runUpdate({}, npm);
  assert.is(result.code, 1);
  assert.match(result.stderr, new RegExp(`npm install strangerchat@${NEXT.replaceAll('.', '\\.')} failed:\\n  npm error code E403`));
  assert.equal(calls[1]!.slice(0, 3), ['install', `strangerchat@${NEXT}`, '--save-exact']);
  assert.is(readFileSync(join(instance.dir, 'package.json'), 'utf8'), before);
  assert.equal(readdirSync(join(instance.dir, 'data', 'updates')), []);
  assert.ok(readdirSync(join(instance.dir, 'data', 'backups')).some((name) => name.endsWith('-pre-update.db')), 'the backup came first');
  const rollback = await runUpdate({ rollback: true }, npm);
  assert.equal([rollback.code, /there is no update to roll back/.test(rollback.stderr)], [1, true]);
});

test('a running server checks on its own (updates.check) and logs a newer version once; updates.check false turns it off', async () => {
  const logs = captureLogs('info');
  const { npm, calls } = scriptedNpm({ latest: NEXT, versions: [CURRENT, NEXT] });
  const schedule = scheduleUpdateChecks({ config: config(), env: {}, logger: logs.logger, npm, firstDelayMs: 0, intervalMs: 50 });
  assert.ok(schedule);
  try {
    await until('the check', () => (readUpdateCheck(config())?.latest === NEXT ? true : undefined));
    await until('the log line', () => logs.entries().find((e) => e.msg === 'a newer strangerchat is available: strangerchat update'));
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    schedule!.stop();
  }
  assert.ok(calls.length >= 2, 'it checks again once the cached answer is older than the interval');
  assert.is(logs.entries().filter((e) => e.msg === 'a newer strangerchat is available: strangerchat update').length, 1, 'said once');

  const path = join(instance.dir, 'strangerchat.json');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), updates: { check: false } }));
  assert.is(scheduleUpdateChecks({ config: config(), env: {}, logger: logs.logger, npm, firstDelayMs: 0 }), undefined);
  assert.ok(existsSync(path));
});

test('update --help has examples', async () => {
  const result = await instance.cli(['update', '--help']);
  assert.match(result.stdout, /Examples:\n\s+\$ strangerchat update --check/);
});

test.run();
