// `reports watch` and `audit --follow` in-process against a running instance: a report filed by
// a real client, its resolution and a ban from a second terminal appear as they happen (one JSON
// object per line with --json), what was there before is shown only with --since, actions that
// are not moderation stay out of `reports watch`, and Ctrl-C ends both cleanly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { run } from '../../cli/main.ts';
import { reportsWatch } from '../../cli/commands/watch.ts';
import { fakeContext } from '../helpers/cli.ts';
import { pair } from '../helpers/client.ts';
import { newInstance, until, type TestInstance } from '../helpers/cli-instance.ts';

let instance: TestInstance;
let server: { url: string; stop(): Promise<number> };
test.before.each(async () => {
  instance = await newInstance('strangerchat-watch-');
  server = await instance.start();
});
test.after.each(async () => {
  await server.stop();
  instance.remove();
});

const FAST = { pollIntervalMs: 30, now: Date.now };

async function fileReport(reason = 'harassment'): Promise<string> {
  const [a, b] = await pair(server.url);
  a.send({ type: 'report', reason });
  const reported = await a.next('reported');
  a.close();
  b.close();
  return reported.reportId as string;
}

function events(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, any>);
}

test('reports watch --json: a new report, its resolution and a ban appear as they happen, one object per line; Ctrl-C ends it', async () => {
  const before = await fileReport('spam');
  const fake = fakeContext({ cwd: instance.here });
  const watching = reportsWatch(fake.ctx, { dir: instance.dir, json: true }, FAST);
  let id = '';
  try {
    await new Promise((r) => setTimeout(r, 150));
    id = await fileReport('harassment');
    const report = await until('the report on the watch', () => events(fake.stdout()).find((e) => e.type === 'report'));
    assert.equal([report.report.id, report.report.reason, report.report.reportedBand, report.report.status], [id, 'harassment', 'adult', 'open']);

    assert.is((await instance.cli(['invite', 'create', '--uses', '5'])).code, 0, 'not moderation of reports: not shown');
    assert.is((await instance.cli(['reports', 'resolve', id.slice(0, 8), '--action', 'dismiss', '--note', 'no rule broken'])).code, 0);
    assert.is((await instance.cli(['ban', 'add', '203.0.113.9', '--reason', 'spam', '--permanent'])).code, 0);
    await until('the ban on the watch', () => events(fake.stdout()).find((e) => e.entry?.action === 'ban.add'));
  } finally {
    fake.signal('SIGINT');
    await watching;
  }

  const seen = events(fake.stdout());
  assert.equal(
    seen.map((e) => (e.type === 'report' ? `report ${e.report.id}` : `${e.entry.action} ${e.entry.target}`)),
    [`report ${id}`, `report.dismiss report:${id}`, 'ban.add ip:203.0.113.9'],
    `the report filed before the watch (${before}) and the invite are not shown`,
  );
  assert.is(seen[1]!.entry.actor, 'cli:tester');
  assert.is(seen[1]!.entry.reason, 'no rule broken');
});

test('reports watch --since shows what happened since then first; the human lines', async () => {
  const id = await fileReport('minor');
  const fake = fakeContext({ cwd: instance.here });
  const watching = reportsWatch(fake.ctx, { dir: instance.dir, since: Date.now() - 60_000, utc: true }, FAST);
  try {
    await until('the earlier report', () => (fake.stdout().includes(id.slice(0, 8)) ? true : undefined));
  } finally {
    fake.signal('SIGINT');
    await watching;
  }
  assert.match(fake.stdout(), new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  report filed      ${id.slice(0, 8)}  minor \\(sensitive\\)  band adult  text`, 'm'));
});

test('reports watch keeps up with a flood: 450 reports within a second are each shown once', async () => {
  const fake = fakeContext({ cwd: instance.here });
  const watching = reportsWatch(fake.ctx, { dir: instance.dir, json: true }, FAST);
  try {
    await new Promise((r) => setTimeout(r, 150));
    const db = new DatabaseSync(join(instance.dir, 'data', 'strangerchat.db'));
    const insert = db.prepare(
      "INSERT INTO reports (id, conversation_id, reason, status, reporter_session_id, reported_session_id, transcript, evidence_token_hash, created_at) VALUES (?, ?, 'spam', 'open', 'a', 'b', '[]', ?, ?)",
    );
    const at = Date.now();
    db.exec('BEGIN');
    for (let i = 0; i < 450; i++) insert.run(randomUUID(), randomUUID(), randomUUID(), at + (i % 900));
    db.exec('COMMIT');
    db.close();
    await until('every report', () => (events(fake.stdout()).length >= 450 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    fake.signal('SIGINT');
    await watching;
  }
  const ids = events(fake.stdout()).map((e) => e.report.id);
  assert.is(ids.length, 450);
  assert.is(new Set(ids).size, 450, 'none twice');
});

test('audit --follow: the last entries oldest first, then each new one; --action filters; Ctrl-C exits 0', async () => {
  for (const address of ['203.0.113.1', '203.0.113.2']) assert.is((await instance.cli(['ban', 'add', address, '--reason', 'x', '--permanent'])).code, 0);
  const fake = fakeContext({ cwd: instance.here });
  const following = run(['audit', '--follow', '--json', '--limit', '2', '-C', instance.dir], fake.ctx);
  try {
    await until('the backlog', () => (events(fake.stdout()).length === 2 ? true : undefined));
    assert.equal(events(fake.stdout()).map((e) => e.entry.target), ['ip:203.0.113.1', 'ip:203.0.113.2']);
    assert.is((await instance.cli(['ban', 'add', '203.0.113.3', '--reason', 'x', '--permanent'])).code, 0);
    await until('the new entry', () => events(fake.stdout()).find((e) => e.entry.target === 'ip:203.0.113.3'));
  } finally {
    fake.signal('SIGINT');
  }
  assert.is(await following, 0);

  const filtered = fakeContext({ cwd: instance.here });
  const onlyLifts = run(['audit', '--follow', '--json', '--action', 'ban.lift', '-C', instance.dir], filtered.ctx);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.is((await instance.cli(['ban', 'add', '203.0.113.4', '--reason', 'x', '--permanent'])).code, 0);
    assert.is((await instance.cli(['ban', 'remove', ...(await banIds('203.0.113.4'))])).code, 0);
    await until('the lift', () => events(filtered.stdout()).find((e) => e.entry.action === 'ban.lift'));
  } finally {
    filtered.signal('SIGINT');
  }
  assert.is(await onlyLifts, 0);
  assert.equal(events(filtered.stdout()).map((e) => e.entry.action), ['ban.lift']);
});

async function banIds(target: string): Promise<string[]> {
  return instance.rows<{ id: string }>('SELECT id FROM bans WHERE target = ?', target).map((row) => row.id);
}

test('reports watch and audit --follow have --help examples', async () => {
  assert.match((await instance.cli(['reports', 'watch', '--help'])).stdout, /Examples:\n\s+\$ strangerchat reports watch/);
  assert.match((await instance.cli(['audit', '--help'])).stdout, /strangerchat audit --follow/);
});

test.run();
