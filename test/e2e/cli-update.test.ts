// `strangerchat update`, offline, against a real (tiny) npm registry on loopback: this repository
// packed by `npm pack` as the current version, and again as the next version with one more
// migration. An instance made by init installs the current one from the registry, runs it,
// learns of the next one (update --check, then status), updates while running (backup, npm
// install, the new migration, restart), and rolls back (the database returns to the backup,
// after a confirmation, and the instance runs the previous version again). npm itself does every
// install: npm_config_registry points at the test registry, as an operator's .npmrc would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import semver from 'semver';
import { startRegistry, REPO_LOCKFILE, type TestRegistry } from '../helpers/registry.ts';
import { tempDir } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '../..');
const CURRENT = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NEXT = semver.inc(CURRENT, 'patch')!;
/** The migration only the next version has. */
const NEXT_MIGRATION = '2099-01-01T0000_update_test';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

const children = new Set<ChildProcess>();
const pids: number[] = [];
let env: Record<string, string | undefined> = {};

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Ran> {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      // Where the time goes, for when this slow test nears its limit (shown with TEST_VERBOSE or on failure).
      console.log(`  ${args.filter((a) => !a.startsWith('/')).join(' ')}: ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      resolve({
        code,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`stdout is not JSON (exit ${code})\nstdout:\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      });
    });
  });
}

function ok(result: Ran, what: string): Ran {
  assert.is(result.code, 0, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

/** This repository as `npm pack` makes it, and the same with NEXT's version and one more migration. */
function packBoth(work: string): { current: string; next: string; manifest: Record<string, unknown> } {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--pack-destination', work, '--ignore-scripts', '--json', '--offline'], { cwd: ROOT, env: env as NodeJS.ProcessEnv, encoding: 'utf8' })) as Array<{ filename: string }>;
  const current = join(work, packed[0]!.filename);
  const unpacked = join(work, 'next');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', current, '-C', unpacked]);
  const manifestPath = join(unpacked, 'package', 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, version: NEXT }, null, 2)}\n`);
  writeFileSync(
    join(unpacked, 'package', 'dist', 'migrations', `${NEXT_MIGRATION}.js`),
    "export async function up(db) { await db.schema.createTable('update_test').addColumn('id', 'text').execute(); }\n" +
      "export async function down(db) { await db.schema.dropTable('update_test').execute(); }\n",
  );
  const repacked = JSON.parse(execFileSync('npm', ['pack', '--pack-destination', work, '--ignore-scripts', '--json', '--offline'], { cwd: join(unpacked, 'package'), env: env as NodeJS.ProcessEnv, encoding: 'utf8' })) as Array<{ filename: string }>;
  return { current, next: join(work, repacked[0]!.filename), manifest };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function tables(dir: string): string[] {
  const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'), { readOnly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => String(row.name));
  } finally {
    db.close();
  }
}

/** A ban row written straight into the database: data to find (or not) after the update and the rollback. */
function addBan(dir: string, target: string): void {
  const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'));
  try {
    db.prepare("INSERT INTO bans (id, target_kind, target, reason, severity, created_by, created_at, quarantine) VALUES (?, 'ip', ?, 'test', 'no_access', 'cli:test', ?, 0)").run(randomUUID(), target, Date.now());
  } finally {
    db.close();
  }
}

function banTargets(dir: string): string[] {
  const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'), { readOnly: true });
  try {
    return db.prepare('SELECT target FROM bans ORDER BY target').all().map((row) => String(row.target));
  } finally {
    db.close();
  }
}

test('update --check, status, update while running (backup, install, migration, restart), rollback', async () => {
  assert.ok(existsSync(join(ROOT, 'dist/cli/main.js')), 'dist/ is missing: run scripts/build.sh first (the package ships the compiled CLI)');
  const work = tempDir('strangerchat-update-');
  let registry: TestRegistry | undefined;
  env = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    NO_COLOR: '1',
    CI: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  delete env.STRANGERCHAT_DIR;
  try {
    const { current, next, manifest } = packBoth(work);
    registry = await startRegistry({
      lockfile: REPO_LOCKFILE,
      published: [
        { manifest: { ...(manifest as { name: string }), version: CURRENT }, tarball: current },
        { manifest: { ...(manifest as { name: string }), version: NEXT }, tarball: next },
      ],
    });
    env.npm_config_registry = registry.url;

    // An instance as init makes it, pinning CURRENT, installed from the registry.
    const init = await run(process.execPath, [join(ROOT, 'bin/strangerchat.js'), 'init', 'demo', '--yes', '--port', '0', '--json'], work);
    ok(init, 'init');
    const dir = join(work, 'demo');
    assert.is(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.strangerchat, CURRENT);
    ok(await run('npm', ['install'], dir, 240_000), 'npm install in the instance');
    // The tarball itself may come from npm's cache (by its integrity) once an earlier run fetched it.
    assert.ok(registry.requests.includes('GET /strangerchat'), `npm asked the test registry:\n${registry.requests.join('\n')}`);
    assert.is(JSON.parse(readFileSync(join(dir, 'node_modules', 'strangerchat', 'package.json'), 'utf8')).version, CURRENT);
    const bin = join(dir, 'node_modules', 'strangerchat', 'bin', 'strangerchat.js');
    const sc = (args: string[], timeoutMs?: number) => run(process.execPath, [bin, ...args], dir, timeoutMs);

    // Running, with some data.
    const started = spawn(process.execPath, [bin, 'start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(started);
    let startErr = '';
    started.stderr!.on('data', (c: Buffer) => (startErr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      started.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (/^http:\/\/\S+$/m.test(out)) resolve();
      });
      started.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${startErr}`)));
    });
    addBan(dir, '203.0.113.5');

    const check = ok(await sc(['update', '--check', '--json']), 'update --check').json();
    assert.equal([check.current, check.latest, check.updateAvailable], [CURRENT, NEXT, true]);
    const status = ok(await sc(['status', '--json']), 'status').json();
    assert.equal([status.updateAvailable?.current, status.updateAvailable?.latest], [CURRENT, NEXT]);

    // The update, while running.
    const updated = ok(await sc(['update', '--json'], 300_000), 'update').json();
    assert.equal([updated.updated, updated.from, updated.to], [true, CURRENT, NEXT]);
    assert.match(updated.backup, /-pre-update\.db$/);
    assert.ok(existsSync(join(dir, 'data', 'backups', updated.backup)));
    assert.equal(updated.migrations, [NEXT_MIGRATION]);
    pids.push(updated.restarted.pid);
    assert.is(updated.restarted.previousPid, started.pid);
    assert.is(started.exitCode, 0, 'the old version stopped cleanly');
    assert.is(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.strangerchat, NEXT, 'package.json pins the new version');
    const after = ok(await sc(['status', '--json']), 'status after the update').json();
    assert.equal([after.running, after.healthy, after.runningVersion, after.updateAvailable], [true, true, NEXT, null]);
    assert.ok(tables(dir).includes('update_test'), 'the new version migrated the database');
    assert.equal(banTargets(dir), ['203.0.113.5'], 'the data survived the update');
    addBan(dir, '203.0.113.6');

    // The rollback needs a confirmation: it returns the database to the backup.
    const unconfirmed = await sc(['update', '--rollback']);
    assert.is(unconfirmed.code, 2, unconfirmed.stderr);
    assert.match(unconfirmed.stderr, /the database returns to the backup .*-pre-update\.db.*Pass --yes to confirm/);
    assert.is(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.strangerchat, NEXT, 'nothing changed');

    const rolled = ok(await sc(['update', '--rollback', '--yes', '--json'], 300_000), 'update --rollback').json();
    assert.equal([rolled.rolledBack, rolled.from, rolled.to, rolled.databaseRestored], [true, NEXT, CURRENT, updated.backup]);
    assert.match(rolled.keptAs, /-pre-restore\.db$/);
    pids.push(rolled.restarted.pid);
    const back = ok(await sc(['status', '--json']), 'status after the rollback').json();
    assert.equal([back.running, back.healthy, back.runningVersion], [true, true, CURRENT]);
    assert.is(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies.strangerchat, CURRENT);
    assert.not.ok(tables(dir).includes('update_test'), 'the database is the backup from before the update');
    assert.equal(banTargets(dir), ['203.0.113.5']);

    // Offline (a registry npm never reached, so nothing of it in npm's cache): the check fails
    // clearly, status does not, and still knows what it last heard.
    await registry.close();
    env.npm_config_registry = `http://127.0.0.1:${await closedPort()}/`;
    const offline = await sc(['update', '--check']);
    assert.is(offline.code, 1);
    assert.match(offline.stderr, /npm view strangerchat failed/);
    const offlineStatus = await sc(['status', '--json']);
    assert.is(offlineStatus.code, 0, offlineStatus.stderr);
    assert.is(offlineStatus.json().updateAvailable?.latest, NEXT);

    ok(await sc(['stop']), 'stop');
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // stopped already
      }
    }
    await registry?.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
