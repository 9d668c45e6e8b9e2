// Nothing of an instance readable by other users of the machine: the built CLI run as real child
// processes from a shell whose umask lets everyone read (000), as a careless one might. After
// `init`, `start` (with the database's WAL and SHM present) and `backup create`, the data folder
// is 0700 and every file in it 0600, and so is .env; `doctor` flags a loosened file and
// `doctor --fix` tightens it again. Needs the build (bin/ runs dist/).
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../helpers/client.ts';
import { runBin, spawnStart } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';
import { GITIGNORE } from '../../cli/instance.ts';

// Every child inherits this: without the CLI's own umask, its files would be 0666 and folders 0777.
process.umask(0o000);

const here = tempDir('strangerchat-modes-');
const dir = join(here, 'chat');
const data = join(dir, 'data');
test.after(() => rmSync(here, { recursive: true, force: true }));

const modeOf = (path: string) => lstatSync(path).mode & 0o777;

/** Every path under the data folder with its mode, for the failure message. */
function walk(path: string, out: Array<[string, number]> = []): Array<[string, number]> {
  out.push([path, modeOf(path)]);
  if (lstatSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name), out);
  return out;
}

/** The data folder 0700, everything in it 0600 (folders 0700), .env 0600: exactly, or (`exact` false) at most. */
function assertPrivate(when: string, exact = true): void {
  for (const [path, mode] of [...walk(data), [join(dir, '.env'), modeOf(join(dir, '.env'))] as [string, number]]) {
    const wanted = lstatSync(path).isDirectory() ? 0o700 : 0o600;
    if (exact) assert.is(mode.toString(8), wanted.toString(8), `${when}: ${path}`);
    else assert.is(mode & 0o077, 0, `${when}: ${path} is ${mode.toString(8)}`);
  }
}

test('init writes a private data folder and .env, and a .gitignore that covers the secret-bearing deploy files', async () => {
  const made = await runBin(['init', 'chat', '--yes', '--port', '0'], { cwd: here });
  assert.is(made.code, 0, made.stderr);
  assert.ok(existsSync(join(data, 'strangerchat.db')), 'init made the database (the owner account is in it)');
  assertPrivate('after init');
  const ignored = readFileSync(join(dir, '.gitignore'), 'utf8').split('\n');
  assert.equal(readFileSync(join(dir, '.gitignore'), 'utf8'), GITIGNORE);
  for (const entry of ['.env', 'data/', 'deploy/turnserver.conf', 'deploy/turn-certs/']) assert.ok(ignored.includes(entry), `.gitignore lists ${entry}`);
});

test('start keeps the database, its WAL and SHM, the pid and status files private while it runs', async () => {
  const started = await spawnStart(['-C', dir, '--port', '0']);
  try {
    // A conversation's worth of writes, so the WAL holds something.
    const client = await connect(started.url);
    client.send({ type: 'find', mode: 'text' });
    await client.next('queued');
    client.close();
    for (const suffix of ['', '-wal', '-shm']) assert.ok(existsSync(join(data, `strangerchat.db${suffix}`)), `strangerchat.db${suffix} is there`);
    assert.ok(existsSync(join(data, 'strangerchat.pid')), 'the pid file is there');
    assertPrivate('while start runs');

    const backup = await runBin(['backup', 'create', '-C', dir, '--json']);
    assert.is(backup.code, 0, backup.stderr);
    const { name } = backup.json<{ name: string }>();
    assert.ok(existsSync(join(data, 'backups', name)) && existsSync(join(data, 'backups', `${name}.sha256`)));
    assertPrivate('after backup create');
  } finally {
    started.child.kill('SIGTERM');
    await started.exited;
  }
  assertPrivate('after start stopped');
});

test('doctor flags each loosened path, --fix tightens them, and a symbolic link is left alone', async () => {
  const backups = join(data, 'backups');
  const backup = readdirSync(backups).find((name) => name.endsWith('.db'))!;
  const outside = join(here, 'outside.txt');
  writeFileSync(outside, 'not the instance’s', { mode: 0o644 });
  chmodSync(outside, 0o644);
  symlinkSync(outside, join(data, 'link-to-outside'));
  const loosened: Array<[string, number]> = [
    [data, 0o755],
    [join(data, 'strangerchat.db'), 0o644],
    [join(backups, `${backup}.sha256`), 0o664],
    [backups, 0o750],
    [join(backups, backup), 0o444],
    [join(dir, '.env'), 0o640],
  ];
  for (const [path, mode] of loosened) chmodSync(path, mode);

  const flagged = await runBin(['doctor', 'files', '-C', dir, '--json']);
  assert.is(flagged.code, 4, 'a failed check exits 4');
  const [check] = flagged.json<{ checks: Array<{ name: string; status: string; message: string; fix: string }> }>().checks;
  assert.is(check?.name, 'files');
  assert.is(check?.status, 'fail');
  assert.match(check!.fix, /doctor --fix/);
  for (const [path] of loosened) assert.ok(check!.message.includes(path.slice(dir.length + 1)), `${path} is named: ${check!.message}`);

  const fixed = await runBin(['doctor', 'files', '--fix', '-C', dir]);
  assert.is(fixed.code, 0, fixed.stderr + fixed.stdout);
  assert.match(fixed.stdout, /tightened 6 path/);
  rmSync(join(data, 'link-to-outside'));
  assertPrivate('after doctor --fix', false);
  assert.is(modeOf(outside).toString(8), '644', 'the link was not followed');
  // Only the group's and others' bits go: a read-only backup stays read-only.
  assert.is(modeOf(join(backups, backup)).toString(8), '400');
  assert.is(modeOf(data).toString(8), '700');
  assert.is(modeOf(join(data, 'strangerchat.db')).toString(8), '600');

  const again = await runBin(['doctor', 'files', '-C', dir]);
  assert.is(again.code, 0);
  assert.match(again.stdout, /readable by their owner only/);
});

test('start warns about an instance left readable by others', async () => {
  chmodSync(join(data, 'strangerchat.db'), 0o644);
  const started = await spawnStart(['-C', dir, '--port', '0']);
  try {
    assert.match(started.stderr(), /can be read by other users of this machine .*doctor --fix/);
  } finally {
    started.child.kill('SIGTERM');
    await started.exited;
  }
  chmodSync(join(data, 'strangerchat.db'), 0o600);
});

test.run();
