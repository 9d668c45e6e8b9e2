// `start` (preflight, backup before pending migrations), `status` and `migrate` in-process on a
// real instance: status reads the running server's pid file, /healthz and its status file, and
// the database (open reports, size, backups, migrations); exit 5 when stopped, 10 when pending.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, SqliteDialect } from 'kysely';
import { openSqlite } from '../../server/db/sqlite-adapter.ts';
import { createMigrator } from '../../server/db/migrate.ts';
import { packageVersion } from '../../cli/version.ts';
import { runCli, startInProcess } from '../helpers/cli.ts';
import { connect, pair } from '../helpers/client.ts';
import { tempDir } from '../helpers/server.ts';

let here = '';
let dir = '';
const cli = (args: string[]) => runCli([...args, '-C', dir], { cwd: here });

test.before.each(async () => {
  here = tempDir('strangerchat-status-');
  dir = join(here, 'chat');
  const made = await runCli(['init', 'chat', '--yes', '--port', '0'], { cwd: here });
  assert.is(made.code, 0, made.stderr);
});
test.after.each(() => rmSync(here, { recursive: true, force: true }));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('status of a stopped instance exits 5 and still reports the data', async () => {
  const result = await cli(['status', '--json']);
  assert.is(result.code, 5);
  const status = result.json();
  assert.is(status.running, false);
  assert.is(status.healthy, null);
  assert.is(status.live, null);
  assert.is(status.version, packageVersion());
  assert.is(status.openReports, 0);
  assert.is(status.database.driver, 'sqlite');
  assert.ok(status.database.sizeBytes > 0);
  assert.is(status.lastBackup, null);
  assert.equal(status.pendingMigrations, []);
  const human = await cli(['status']);
  assert.is(human.code, 5);
  assert.match(human.stdout, /not running/);
});

test('status of a running instance: URL, health, live figures from the status file, open reports, last backup', async () => {
  const started = await startInProcess(['-C', dir], { cwd: here });
  const clients = [];
  try {
    const first = await cli(['status', '--json']);
    assert.is(first.code, 0, first.stderr);
    const status = first.json();
    assert.is(status.running, true);
    assert.is(status.healthy, true);
    assert.is(status.url, started.url);
    assert.is(status.pid, process.pid);
    assert.equal(status.live && { online: status.live.online, queued: status.live.queued }, { online: 0, queued: 0 });

    const [a, b] = await pair(started.url);
    const c = await connect(started.url);
    c.send({ type: 'find', mode: 'text' });
    await c.next('queued');
    clients.push(a, b, c);
    const live = await until('the live figures', async () => {
      const s = (await cli(['status', '--json'])).json();
      return s.live?.online === 3 ? s.live : undefined;
    });
    assert.is(live.queued, 1);
    assert.is(live.inConversation, 2);

    a.send({ type: 'report', reason: 'spam' });
    await a.next('reported');
    assert.is((await backupCreate()).code, 0);
    const after = (await cli(['status', '--json'])).json();
    assert.is(after.openReports, 1);
    assert.match(after.lastBackup.name, /\.db$/);
    const human = await cli(['status']);
    assert.match(human.stdout, /running \(pid \d+\), healthy/);
    assert.match(human.stdout, /^people\s+\d+ online, \d+ queued, \d+ in conversation$/m);
    assert.match(human.stdout, /open reports\s+1/);
  } finally {
    for (const client of clients) client.close();
    assert.is(await started.stop(), 0);
  }
  assert.not.ok(existsSync(join(dir, 'data', 'strangerchat.pid')), 'the pid file is removed on stop');
  assert.not.ok(existsSync(join(dir, 'data', 'strangerchat.status.json')), 'so is the status file');
  assert.is((await cli(['status'])).code, 5);
});

function backupCreate() {
  return cli(['backup', 'create']);
}

test('start refuses a second start, a port in use and an unwritable data folder, before touching anything', async () => {
  const started = await startInProcess(['-C', dir], { cwd: here });
  try {
    const twice = await runCli(['start', '-C', dir], { cwd: here });
    assert.is(twice.code, 1);
    assert.match(twice.stderr, /already running \(pid \d+\)/);
  } finally {
    await started.stop();
  }

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const busy = await runCli(['start', '-C', dir, '--port', String(port)], { cwd: here });
    assert.is(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.match(busy.stderr, /--port/);
  } finally {
    blocker.close();
  }

  // Root ignores file modes, so the data folder is made unusable by being a file.
  const data = join(dir, 'data');
  rmSync(data, { recursive: true });
  writeFileSync(data, 'not a folder');
  const unwritable = await runCli(['start', '-C', dir], { cwd: here });
  assert.is(unwritable.code, 1);
  assert.match(unwritable.stderr, /data is not writable/);
  const doctor = await cli(['doctor', 'data', '--json']);
  assert.is(doctor.code, 4);
  assert.is(doctor.json().checks[0].status, 'fail');
});

/** Rolls the newest migration back, as if this instance had been created by an older version. */
async function rollBackNewestMigration(): Promise<string> {
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: openSqlite(join(dir, 'data', 'strangerchat.db')) }) });
  try {
    const result = await createMigrator(db).migrateDown();
    assert.not.ok(result.error);
    return result.results![0]!.migrationName;
  } finally {
    await db.destroy();
  }
}

function count(table: string): number {
  const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'), { readOnly: true });
  try {
    return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

test('migrate status exits 10 with the pending list; migrate up backs up first and applies them', async () => {
  const rolledBack = await rollBackNewestMigration();
  const status = await cli(['migrate', 'status', '--json']);
  assert.is(status.code, 10);
  assert.equal(status.json().pending, [rolledBack]);
  assert.is(status.json().migrations.find((m: { name: string }) => m.name === rolledBack).appliedAt, null);
  assert.match(status.stderr, /pending/);
  const statusCommand = await cli(['status', '--json']);
  assert.equal(statusCommand.json().pendingMigrations, [rolledBack]);
  const blocked = await cli(['backup', 'list']);
  assert.is(blocked.code, 0, 'reading backups works on an older schema');

  const up = await cli(['migrate', 'up', '--json']);
  assert.is(up.code, 0, up.stderr);
  assert.equal(up.json().applied, [rolledBack]);
  assert.match(up.json().backup, /-pre-migrate\.db$/);
  assert.ok(existsSync(join(dir, 'data', 'backups', up.json().backup)));
  assert.is((await cli(['migrate', 'status'])).code, 0);
  const again = await cli(['migrate', 'up', '--json']);
  assert.equal(again.json(), { applied: [], backup: null });
});

test('start backs up the database before it applies pending migrations', async () => {
  const rolledBack = await rollBackNewestMigration();
  const started = await startInProcess(['-C', dir], { cwd: here });
  try {
    const backups = readdirSync(join(dir, 'data', 'backups')).filter((name) => name.endsWith('-pre-migrate.db'));
    assert.is(backups.length, 1);
    assert.match(started.fake.stderr(), /database backed up before migrating/);
    assert.match(started.fake.stderr(), new RegExp(`"migration":"${rolledBack}"`));
    assert.equal((await cli(['migrate', 'status', '--json'])).json().pending, []);
    const refused = await cli(['migrate', 'up']);
    assert.is(refused.code, 1, 'migrate up refuses while the server runs');
    assert.match(refused.stderr, /running/);
  } finally {
    await started.stop();
  }
  assert.ok(count('moderators') === 1, 'the owner survived the round trip');
});

test('a stale pid file whose pid now belongs to another program: not running, and stop never signals it', async () => {
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, 'data', 'strangerchat.pid'), JSON.stringify({ pid: other.pid, url: 'http://127.0.0.1:1', startedAt: 0, version: '0.0.0' }));
    assert.is((await cli(['status', '--json'])).json().running, false);
    const stop = await cli(['stop']);
    assert.is(stop.code, 5);
    assert.match(stop.stderr, /stale pid file/);
    assert.is(other.exitCode, null);
    assert.is(other.signalCode, null, 'sleep was not signalled');
  } finally {
    other.kill('SIGKILL');
  }
});

test('a fresh instance created by start needs no backup', async () => {
  const fresh = join(here, 'fresh');
  mkdirSync(fresh);
  const started = await startInProcess(['-C', fresh, '--port', '0'], { cwd: here });
  await started.stop();
  assert.not.ok(existsSync(join(fresh, 'data', 'backups')));
});

test.run();
