// What start records and restart refuses, in-process: status compares what the running server
// loaded with the files now ("settings changed since start: restart to apply"); restart exits 5
// when nothing runs, refuses to stop an instance whose settings would not start again (exit 3),
// and sends an instance systemd runs to systemctl. (The restart itself: test/e2e/cli-restart.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { newInstance, type TestInstance } from '../helpers/cli-instance.ts';

let instance: TestInstance;
const idle: ChildProcess[] = [];
test.before.each(async () => {
  instance = await newInstance('strangerchat-restart-');
});
test.after.each(() => {
  for (const child of idle.splice(0)) child.kill('SIGKILL');
  instance.remove();
});

/** A Node process that stays up (and ignores nothing): what a pid file may point at. */
async function idleNode(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', "setInterval(() => {}, 1000); console.log('ready')"], { stdio: ['ignore', 'pipe', 'ignore'] });
  idle.push(child);
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  return child;
}

function writePid(info: Record<string, unknown>): void {
  writeFileSync(join(instance.dir, 'data', 'strangerchat.pid'), JSON.stringify({ url: 'http://127.0.0.1:1', startedAt: Date.now(), version: '0.0.0', ...info }));
}

test('status says which files changed since start: a config set, an edited rules file; not a reformatted file', async () => {
  const started = await instance.start();
  try {
    const first = await instance.cli(['status', '--json']);
    assert.equal(first.json().changedSinceStart, []);
    assert.not.match((await instance.cli(['status'])).stdout, /changed since start/);

    const path = join(instance.dir, 'strangerchat.json');
    writeFileSync(path, JSON.stringify(JSON.parse(readFileSync(path, 'utf8')), null, 4));
    assert.equal((await instance.cli(['status', '--json'])).json().changedSinceStart, [], 'the same settings, indented otherwise');

    assert.is((await instance.cli(['config', 'set', 'limits.ticketTtlSeconds', '120'])).code, 0);
    const changed = await instance.cli(['status', '--json']);
    assert.equal(changed.json().changedSinceStart, ['strangerchat.json']);
    appendFileSync(join(instance.dir, 'rules.md'), '\n- Be patient.\n');
    assert.equal((await instance.cli(['status', '--json'])).json().changedSinceStart, ['strangerchat.json', 'rules.md']);
    const human = await instance.cli(['status']);
    assert.match(human.stdout, /settings\s+changed since start: restart to apply \(strangerchat\.json, rules\.md; strangerchat restart\)/);
  } finally {
    await started.stop();
  }
  const stopped = await instance.cli(['status', '--json']);
  assert.is(stopped.json().changedSinceStart, null, 'nothing to compare with when nothing runs');
});

test('restart of a stopped instance exits 5 and starts nothing', async () => {
  const result = await instance.cli(['restart']);
  assert.is(result.code, 5);
  assert.match(result.stderr, /not running; start it with strangerchat start/);
});

test('restart refuses, before stopping anything, when the settings on disk would not start (exit 3)', async () => {
  const running = await idleNode();
  writePid({ pid: running.pid });
  const path = join(instance.dir, 'strangerchat.json');
  const settings = JSON.parse(readFileSync(path, 'utf8'));
  settings.server.port = 'eighty';
  writeFileSync(path, JSON.stringify(settings));
  const result = await instance.cli(['restart']);
  assert.is(result.code, 3);
  assert.match(result.stderr, /server\.port/);
  assert.is(running.exitCode, null, 'the running process was not signalled');
  assert.is(running.signalCode, null);
});

test('restart of an instance systemd runs says to use systemctl, and signals nothing', async () => {
  const running = await idleNode();
  writePid({ pid: running.pid, supervisor: { kind: 'systemd', unit: 'chat.service' } });
  const result = await instance.cli(['restart']);
  assert.is(result.code, 1);
  assert.match(result.stderr, /runs under systemd \(chat\.service\): restart it with sudo systemctl restart chat\.service/);
  assert.is(running.signalCode, null);
});

test('a start under systemd records it, so restart and update know', async () => {
  const { detectSupervisor } = await import('../../cli/supervisor.ts');
  const cgroup = join(instance.here, 'cgroup');
  writeFileSync(cgroup, '0::/system.slice/my-chat.service\n');
  assert.equal(detectSupervisor({ INVOCATION_ID: 'abc' }, cgroup), { kind: 'systemd', unit: 'my-chat.service' });
  assert.is(detectSupervisor({}, cgroup), undefined);
});

test.run();
