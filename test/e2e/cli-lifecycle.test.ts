// An operator's day with the built CLI as real child processes (no terminal, as in CI): init from
// flags with the password on stdin, start, status while people are online, a restore refused while
// running, stop, and the exit codes scripts rely on (2 for a missing answer, 5 when not running).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBin, spawnStart } from '../helpers/cli.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { tempDir } from '../helpers/server.ts';

let here = '';
test.before.each(() => {
  here = tempDir('strangerchat-lifecycle-');
});
test.after.each(() => rmSync(here, { recursive: true, force: true }));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('init, start, status with people online, restore refused while running, stop, then exit 5', async () => {
  const init = await runBin(['init', 'demo', '--yes', '--owner', 'alice', '--password-stdin', '--port', '0', '--json'], { cwd: here, stdin: 'correct horse battery staple\n' });
  assert.is(init.code, 0, init.stderr);
  assert.is(init.json().owner.username, 'alice');
  const dir = join(here, 'demo');

  const started = await spawnStart([], { cwd: dir });
  const clients: TestClient[] = [];
  try {
    const backup = await runBin(['backup', 'create', '--json'], { cwd: dir });
    assert.is(backup.code, 0, backup.stderr);
    const refused = await runBin(['backup', 'restore', backup.json().name], { cwd: dir });
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /the server is running \(pid \d+\): stop it first/);

    clients.push(await connect(started.url), await connect(started.url));
    const status = await until('two people online in status', async () => {
      const result = await runBin(['status', '--json'], { cwd: dir });
      assert.is(result.code, 0, result.stderr);
      const report = result.json();
      return report.live?.online === 2 ? report : undefined;
    });
    assert.is(status.running, true);
    assert.is(status.healthy, true);
    assert.is(status.url, started.url);
    assert.is(status.pid, started.child.pid);
    assert.is(status.lastBackup.name, backup.json().name);

    const stop = await runBin(['stop', '--json'], { cwd: dir });
    assert.is(stop.code, 0, stop.stderr);
    assert.equal(stop.json(), { stopped: true, running: false, pid: started.child.pid });
    assert.is(await started.exited, 0, 'start exited cleanly');
    assert.is(await clients[0]!.waitClose(), 1001, 'people were told the server is going away');
  } finally {
    for (const client of clients) client.close();
    started.child.kill('SIGKILL');
  }
  assert.not.ok(existsSync(join(dir, 'data', 'strangerchat.pid')));
  const stopped = await runBin(['status', '--json'], { cwd: dir });
  assert.is(stopped.code, 5);
  assert.is(stopped.json().running, false);
  const again = await runBin(['stop'], { cwd: dir });
  assert.is(again.code, 5);
  assert.match(again.stderr, /not running/);
});

test('backup create then restore round-trips: what was written after the backup is gone', async () => {
  assert.is((await runBin(['init', 'demo', '--yes', '--port', '0'], { cwd: here })).code, 0);
  const dir = join(here, 'demo');
  const backup = await runBin(['backup', 'create', '--json'], { cwd: dir });
  assert.is(backup.code, 0, backup.stderr);
  // A second owner account, written after the backup (through mod add, a real writer).
  const password = 'correct horse battery staple';
  assert.is((await runBin(['mod', 'add', 'later', '--role', 'owner', '--password-stdin'], { cwd: dir, stdin: password })).code, 0);
  const login = (url: string) =>
    fetch(`${url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'later', password }) });
  const before = await spawnStart([], { cwd: dir });
  try {
    assert.is((await login(before.url)).status, 200, 'the later account works before the restore');
  } finally {
    before.child.kill('SIGTERM');
    assert.is(await before.exited, 0);
  }
  const restored = await runBin(['backup', 'restore', backup.json().name, '--json'], { cwd: dir });
  assert.is(restored.code, 0, restored.stderr);
  assert.match(restored.json().previous.name, /-pre-restore\.db$/);
  const started = await spawnStart([], { cwd: dir });
  try {
    // The account created after the backup no longer exists.
    assert.is((await login(started.url)).status, 401);
  } finally {
    started.child.kill('SIGTERM');
    assert.is(await started.exited, 0);
  }
  assert.equal(readdirSync(join(dir, 'data', 'backups')).filter((n) => n.endsWith('.db')).length, 2);
});

test('init without a terminal and without --yes exits 2 naming the flag, and creates nothing', async () => {
  const result = await runBin(['init', 'demo'], { cwd: here });
  assert.is(result.code, 2);
  // Under CI (CI=true) the reason names CI instead of the missing terminal.
  assert.match(result.stderr, /missing --name \((no terminal to ask|with CI set nothing is asked); pass --name or --yes/);
  assert.equal(readdirSync(here), []);
});

test('stop waits, then gives up with advice when the process ignores SIGTERM; a stale pid file is cleared', async () => {
  assert.is((await runBin(['init', 'demo', '--yes'], { cwd: here })).code, 0);
  const dir = join(here, 'demo');
  const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')"], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve) => stubborn.stdout!.once('data', resolve));
  try {
    const pidFile = join(dir, 'data', 'strangerchat.pid');
    writeFileSync(pidFile, JSON.stringify({ pid: stubborn.pid, url: 'http://127.0.0.1:1', startedAt: Date.now(), version: '0.0.0' }));
    const result = await runBin(['stop', '--timeout', '0.5'], { cwd: dir });
    assert.is(result.code, 1);
    assert.match(result.stderr, new RegExp(`pid ${stubborn.pid} is still running 0.5 s after SIGTERM.*kill -9 ${stubborn.pid}`));
    assert.is(stubborn.exitCode, null, 'it was not killed');
  } finally {
    stubborn.kill('SIGKILL');
  }
  await new Promise((resolve) => stubborn.once('exit', resolve));
  const stale = await runBin(['stop'], { cwd: dir });
  assert.is(stale.code, 5);
  assert.match(stale.stderr, /removed a stale pid file/);
  assert.not.ok(existsSync(join(dir, 'data', 'strangerchat.pid')));
});

test.run();
