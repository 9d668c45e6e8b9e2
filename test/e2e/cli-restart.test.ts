// `strangerchat restart` with real processes: a `start` in its own terminal, a setting changed
// with `config set`, `status` saying a restart would apply it, `restart` stopping it (people are
// told "going away") and starting it again in the background, healthy, with the new setting and
// its log in data/logs; and a restart whose new process cannot start says why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { runBin, spawnStart } from '../helpers/cli.ts';
import { connect } from '../helpers/client.ts';
import { tempDir } from '../helpers/server.ts';

let here = '';
const pids: number[] = [];
test.before.each(() => {
  here = tempDir('strangerchat-restart-e2e-');
});
test.after.each(() => {
  // The background processes restart started (their ids, never a name).
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(here, { recursive: true, force: true });
});

async function init(): Promise<string> {
  const made = await runBin(['init', 'demo', '--yes', '--port', '0'], { cwd: here });
  assert.is(made.code, 0, made.stderr);
  return join(here, 'demo');
}

test('config set, status says restart to apply, restart: stopped gracefully, started again healthy with the setting', async () => {
  const dir = await init();
  const first = await spawnStart([], { cwd: dir });
  let firstExit: number | null | undefined;
  void first.exited.then((code) => (firstExit = code));
  const client = await connect(first.url);
  try {
    assert.is((await runBin(['config', 'set', 'limits.ticketTtlSeconds', '123'], { cwd: dir })).code, 0);
    const before = await runBin(['status'], { cwd: dir });
    assert.match(before.stdout, /changed since start: restart to apply \(strangerchat\.json/);

    const restarted = await runBin(['restart', '--json'], { cwd: dir });
    assert.is(restarted.code, 0, restarted.stderr);
    const result = restarted.json();
    pids.push(result.pid);
    assert.is(result.previousPid, first.child.pid);
    assert.is.not(result.pid, first.child.pid);
    assert.is(firstExit, 0, 'the old process exited cleanly');
    assert.is(await client.waitClose(), 1001, 'people were told the server is going away');

    const status = await runBin(['status', '--json'], { cwd: dir });
    assert.is(status.code, 0, status.stderr);
    assert.equal([status.json().running, status.json().healthy, status.json().pid, status.json().url], [true, true, result.pid, result.url]);
    assert.equal(status.json().changedSinceStart, [], 'the new process loaded the new settings');
    const session = await fetch(`${result.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ acceptRules: true, age: 20 }) });
    assert.is((await session.json()).expiresIn, 123, 'the changed setting is in force');

    const logs = await runBin(['logs', '--json', '-n', '1000'], { cwd: dir });
    const listening = logs.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.msg === 'listening');
    assert.equal(listening.map((e) => e.pid), [first.child.pid, result.pid], 'both processes wrote to the one log');

    const stopped = await runBin(['stop', '--json'], { cwd: dir });
    assert.is(stopped.code, 0, stopped.stderr);
    assert.is(stopped.json().pid, result.pid);
  } finally {
    client.close();
    first.child.kill('SIGKILL');
  }
});

test('a new process that cannot start: restart exits 1 quoting why', async () => {
  const dir = await init();
  const first = await spawnStart([], { cwd: dir });
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (busy.address() as { port: number }).port;
    assert.is((await runBin(['config', 'set', 'server.port', String(port)], { cwd: dir })).code, 0);
    const result = await runBin(['restart'], { cwd: dir });
    assert.is(result.code, 1);
    assert.match(result.stderr, /the new process exited with 1 before it answered; it said:\n.*port \d+ on 127\.0\.0\.1 is already in use/);
    assert.is(await first.exited, 0, 'the old one was stopped first');
    assert.is((await runBin(['status'], { cwd: dir })).code, 5);
  } finally {
    busy.close();
    first.child.kill('SIGKILL');
  }
});

test.run();
