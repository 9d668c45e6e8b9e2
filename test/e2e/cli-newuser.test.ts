// A new user's first hour, with the package as npm would deliver it: `npm pack` the repository
// (after scripts/build.sh), `npm install` the tarball into an empty folder, `npx strangerchat init`
// (pinning that tarball), `init --reset` (backed up, secrets kept), `strangerchat start` as a child
// process, a report exported by the safeguarding account with a manifest `sha256sum -c` accepts,
// a loopback ban refused without --force, two real `ws` clients paired and a forced ban from a
// second terminal disconnecting them within 2 s (banned, then 4403), `audit verify`, `logs -n`,
// `restart` (the instance comes back in the background), `stats --json`, a backup taken while
// running and restored after `stop`, and `ban remove <address>`. Slow (pack and install): one
// test, in one file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { userInfo } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { connect, type TestClient } from '../helpers/client.ts';
import { pairUp, report } from '../helpers/people.ts';
import { tempDir } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '../..');
const PASSWORD = 'correct horse battery staple';
/** Every child gets the Node running this test first on PATH (npx and the bin's shebang use it). */
const ENV: Record<string, string | undefined> = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
  CI: 'true',
};
// The instance is found from the working folder (or -C), as a new user's would be.
delete ENV.STRANGERCHAT_DIR;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

const children = new Set<ChildProcess>();

/** Runs a command to its end; fails with what it was doing and its output when it takes too long. */
function run(what: string, command: string, args: string[], options: { cwd: string; stdin?: string; timeoutMs: number; env?: Record<string, string> }): Promise<Ran> {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...ENV, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const startedAt = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin!.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} (${command} ${args.join(' ')}) did not finish within ${options.timeoutMs / 1000} s\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${what}: cannot run ${command}: ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      // Where the time goes, for when this slow test nears its limit (shown with TEST_VERBOSE or on failure).
      console.log(`  ${what}: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      resolve({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`${what}: stdout is not JSON (exit ${code})\nstdout:\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}

/** Asserts a command exited 0, showing its output when it did not. */
function ok(result: Ran, what: string): Ran {
  assert.is(result.code, 0, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

test('a new user: pack, install, init, init --reset, start, export a report, a refused loopback ban, pair, ban, audit verify, logs, restart, stats, backup round trip, ban remove', async () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run scripts/build.sh first (the package ships the compiled CLI)');
  const work = tempDir('strangerchat-newuser-');
  const clients: TestClient[] = [];
  let restartedPid: number | undefined;
  try {
    // The package as npm delivers it.
    const packed = ok(await run('npm pack', 'npm', ['pack', '--pack-destination', work, '--ignore-scripts', '--json', '--offline'], { cwd: ROOT, timeoutMs: 120_000 }), 'npm pack');
    const tarball = join(work, packed.json()[0].filename as string);
    assert.ok(existsSync(tarball), `npm pack wrote no ${tarball}`);
    const app = join(work, 'app');
    mkdirSync(app);
    // --prefix: the folder itself, never an ancestor that happens to hold a node_modules.
    ok(
      await run('npm install', 'npm', ['install', '--prefix', app, tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, timeoutMs: 240_000 }),
      'npm install of the tarball',
    );
    const bin = join(app, 'node_modules', '.bin', 'strangerchat');
    assert.ok(existsSync(bin), 'the install put no strangerchat in node_modules/.bin');
    const npx = (what: string, args: string[], stdin?: string) => run(what, 'npx', ['--no', 'strangerchat', ...args], { cwd: app, stdin, timeoutMs: 60_000 });
    const demo = join(app, 'demo');
    // `strangerchat …` typed in the instance folder, as `npm install` there would provide it.
    const sc = (what: string, args: string[], env?: Record<string, string>, stdin?: string) => run(what, process.execPath, [bin, ...args], { cwd: demo, timeoutMs: 60_000, env, stdin });

    const init = ok(await npx('npx strangerchat init', ['init', 'demo', '--yes', '--owner', 'admin', '--password-stdin', '--port', '0', '--json'], `${PASSWORD}\n`), 'init');
    assert.is(init.json().owner.username, 'admin');
    assert.is(init.json().owner.password, null, 'the password came from stdin: none is generated');
    assert.ok(existsSync(join(demo, 'strangerchat.json')));
    // Installed from a tarball, the instance pins that tarball: `npm install` in it fetches the same package.
    assert.is(JSON.parse(readFileSync(join(demo, 'package.json'), 'utf8')).dependencies.strangerchat, `file:${tarball}`);

    // init never writes over the instance; --reset backs it up first and keeps its secrets and owner.
    const again = await npx('npx strangerchat init (again)', ['init', 'demo', '--yes', '--port', '0']);
    assert.is(again.code, 2, again.stderr);
    assert.match(again.stderr, /already holds an instance/);
    const secrets = readFileSync(join(demo, '.env'), 'utf8');
    const reset = ok(await npx('npx strangerchat init --reset', ['init', 'demo', '--reset', '--yes', '--name', 'Demo', '--port', '0', '--json']), 'init --reset').json();
    assert.is(reset.reset, true);
    assert.ok(reset.changes.some((change: { key: string; to: string }) => change.key === 'name' && change.to === 'Demo'), JSON.stringify(reset.changes));
    assert.match(reset.backup.database, /-pre-reset\.db$/);
    assert.is(reset.owner, null, 'the owner admin is kept, no second one added');
    assert.ok(readFileSync(join(demo, '.env'), 'utf8').startsWith(secrets), 'every secret is kept');
    assert.equal(parseEnv(readFileSync(join(reset.backup.dir, '.env'), 'utf8')), parseEnv(secrets));
    // The safeguarding lead's own account, for the export below.
    ok(await sc('mod add sam', ['mod', 'add', 'sam', '--role', 'safeguarding', '--password-stdin'], undefined, `${PASSWORD}\n`), 'mod add sam');

    // strangerchat start, in its own terminal.
    const started = spawn(process.execPath, [bin, 'start'], { cwd: demo, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(started);
    let serverErr = '';
    started.stderr!.on('data', (c: Buffer) => (serverErr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`strangerchat start printed no URL within 20 s; stderr:\n${serverErr}`)), 20_000);
      started.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const found = /^(http:\/\/\S+)$/m.exec(out)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`strangerchat start exited with ${code} before printing a URL; stderr:\n${serverErr}`));
      });
    });

    // A child reports an adult; the safeguarding lead exports the case for a referral.
    const child = await connect(url);
    const stranger = await connect(url);
    clients.push(child, stranger);
    await pairUp(child, stranger);
    stranger.send({ type: 'message', text: 'how old are you' });
    await child.next('message');
    const { reportId } = await report(child, 'minor', 'he asked my age');
    await stranger.next('ended');
    const asSam = { STRANGERCHAT_AS: 'sam', STRANGERCHAT_AS_PASSWORD: PASSWORD };
    const notTheOwner = await sc('reports export (no --as)', ['reports', 'export', reportId, '--out', 'referral', '--json']);
    assert.is(notTheOwner.code, 1, 'safeguarding only');
    const exported = ok(await sc('reports export', ['reports', 'export', reportId.slice(0, 8), '--out', 'referral', '--tar', '--json'], asSam), 'reports export').json();
    assert.ok(exported.files.some((file: { path: string }) => file.path === 'transcript.txt'));
    const checked = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(demo, 'referral'), encoding: 'utf8' });
    assert.equal(checked.trim().split('\n').map((line) => line.replace(/^.*: /, '')), exported.files.map(() => 'OK'), checked);
    assert.ok(existsSync(join(demo, 'referral.tar.gz')));
    const exportEntry = ok(await sc('audit (export)', ['audit', '--action', 'evidence.export', '--json']), 'audit').json().entries[0];
    assert.equal([exportEntry.actor, exportEntry.target], [`cli:${userInfo().username} as sam`, `report:${reportId}`]);
    for (const client of [child, stranger]) client.close();

    // Two people meet.
    const a = await connect(url);
    const b = await connect(url);
    clients.push(a, b);
    await pairUp(a, b);

    // A ban on loopback would shut out everyone behind a local proxy: refused without --force.
    const refused = await npx('npx strangerchat ban add (loopback)', ['ban', 'add', '127.0.0.1', '--reason', 'test', '--permanent', '-C', 'demo', '--json']);
    assert.is(refused.code, 2, refused.stderr);
    assert.equal([refused.json().error.code, /covers loopback/.test(refused.json().error.message)], ['lockout_risk', true]);
    assert.equal(ok(await sc('ban list (none)', ['ban', 'list', '--json']), 'ban list').json().bans, [], 'nothing was banned');

    // A second terminal bans their address (both are on 127.0.0.1), meaning it: --force.
    const ban = ok(await npx('npx strangerchat ban add', ['ban', 'add', '127.0.0.1', '--reason', 'test', '--permanent', '--force', '-C', 'demo', '--json']), 'ban add');
    const bannedAt = Date.now();
    assert.equal([ban.json().added, ban.json().failed], [1, 0]);
    for (const client of [a, b]) {
      const message = await client.next('banned', 2000).catch((error: Error) => {
        throw new Error(`no banned message within 2 s of the ban command (${Date.now() - bannedAt} ms): ${error.message}\nserver stderr:\n${serverErr}`);
      });
      assert.equal([message.reason, message.until], ['test', null]);
      assert.is(await client.waitClose(2000), 4403, 'the socket closes with 4403 (banned)');
    }
    assert.ok(Date.now() - bannedAt < 2000, `both were disconnected ${Date.now() - bannedAt} ms after the ban`);

    const verify = ok(await sc('audit verify', ['audit', 'verify', '--json']), 'audit verify');
    assert.is(verify.json().ok, true);
    const entries = ok(await sc('audit', ['audit', '--action', 'ban.add', '--json']), 'audit').json().entries;
    assert.equal(entries.map((e: { actor: string; target: string }) => [e.actor, e.target]), [[`cli:${userInfo().username}`, 'ip:127.0.0.1']]);

    // The log from another terminal, a restart, and the figures for the governors.
    const logged = ok(await sc('logs -n', ['logs', '-n', '20', '--json']), 'logs -n').stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; level: number });
    assert.ok(logged.length > 0 && logged.length <= 20, `logs -n 20 printed ${logged.length} lines`);
    assert.ok(logged.some((entry) => entry.msg === 'banned connection closed'), 'the ban is in the log');
    const human = ok(await sc('logs', ['logs', '-n', '5']), 'logs').stdout;
    assert.match(human, /INFO|WARN/, 'readable lines');
    const restarted = ok(await sc('restart', ['restart', '--json']), 'restart').json();
    restartedPid = restarted.pid;
    assert.is(restarted.previousPid, started.pid);
    assert.is(started.exitCode, 0, `the first process stopped cleanly; stderr:\n${serverErr}`);
    const afterRestart = ok(await sc('status after restart', ['status', '--json']), 'status').json();
    assert.equal([afterRestart.running, afterRestart.healthy, afterRestart.pid], [true, true, restarted.pid]);
    const stats = ok(await sc('stats --json', ['stats', '--json']), 'stats').json();
    assert.equal([stats.usage.conversations, stats.bans.total, stats.reports.total], [2, 1, 1], 'both conversations (the reported one and the banned pair) were counted when the first process stopped');

    // A backup while running, a change after it, then stop and restore.
    const backup = ok(await sc('backup create', ['backup', 'create', '--json']), 'backup create').json();
    ok(await sc('stop', ['stop']), 'stop');
    assert.is(started.exitCode, 0, `start exited ${started.exitCode}; stderr:\n${serverErr}`);
    restartedPid = undefined;
    ok(await sc('ban add after the backup', ['ban', 'add', '203.0.113.99', '--reason', 'after the backup', '--permanent']), 'ban add (stopped)');
    const targets = async () => ok(await sc('ban list', ['ban', 'list', '--json']), 'ban list').json().bans.map((b: { target: string }) => b.target).sort();
    assert.equal(await targets(), ['127.0.0.1', '203.0.113.99']);
    const restored = ok(await sc('backup restore', ['backup', 'restore', backup.name, '--json']), 'backup restore').json();
    assert.is(restored.restored.name, backup.name);
    assert.equal(await targets(), ['127.0.0.1'], 'the database is as it was at the backup');
    assert.is(ok(await sc('audit verify after restore', ['audit', 'verify', '--json']), 'audit verify').json().ok, true);
    assert.ok(readdirSync(join(demo, 'data', 'backups')).some((name) => name.endsWith('-pre-restore.db')), 'the replaced database is kept');

    // The ban is lifted by what was banned, as tootctl ip_blocks remove takes it.
    const removed = ok(await sc('ban remove <address>', ['ban', 'remove', '127.0.0.1', '--reason', 'testing over', '--json']), 'ban remove').json();
    assert.equal([removed.removed, removed.results[0].ban.target], [1, '127.0.0.1']);
    assert.equal(await targets(), [], 'no active ban is left');
  } finally {
    for (const client of clients) client.close();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // The process restart started in the background (by its id).
    if (restartedPid !== undefined) {
      try {
        process.kill(restartedPid, 'SIGKILL');
      } catch {
        // already stopped
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
