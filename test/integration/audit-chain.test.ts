// The audit log's chain on a real SQLite file, played by someone who can write to the database but
// does not hold `.env`: changing a row, forging one, removing one, the oldest ones, the newest ones
// or all of them is each found and named; rows written before MACs existed still verify; writers
// on separate connections (and in separate processes) extend one chain without forking it, and the
// head in the data folder never goes backwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { AuditLog, GENESIS_HASH, rowHash, type AuditVerification } from '../../server/moderation/audit.ts';
import { newDatabase, type TestDatabase } from '../helpers/database.ts';
import { auditOn, headOn, TEST_AUDIT_SECRET } from '../helpers/audit.ts';
import type { Db } from '../../server/db/database.ts';

const START_TIME = Date.UTC(2026, 0, 5, 9, 0, 0);

let store: TestDatabase;
let clock = START_TIME;
const now = () => clock;

test.before.each(async () => {
  store = await newDatabase();
  clock = START_TIME;
});
test.after.each(() => store.destroy());

async function append(audit: AuditLog, count: number, actor = 'moderator:mona'): Promise<void> {
  for (let i = 0; i < count; i++) {
    clock += 1000;
    await audit.record(actor, { action: 'ban.add', target: `ip:203.0.113.${i % 250}`, reason: `entry ${i}`, details: { i } });
  }
}

async function ids(db: Db): Promise<number[]> {
  return (await db.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) => Number(r.id));
}

const newAudit = (db: Db = store.db) => auditOn(store, db, now);

/** What a verification found, without the chain's ends (which most tests do not care about). */
function found(result: AuditVerification) {
  return { ok: result.ok, finding: result.finding, badRowId: result.badRowId, rows: result.rows };
}

test('an empty log verifies', async () => {
  const result = await newAudit().verify();
  assert.equal(result, { ok: true, rows: 0, unkeyedRows: 0, last: null, recordedHead: null });
});

test('the chain verifies after many entries (across verification batches), and its head is in the data folder', async () => {
  const audit = newAudit();
  await append(audit, 2100);
  const result = await audit.verify();
  const last = await store.db.selectFrom('audit_log').select(['id', 'hash', 'mac']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  const head = { id: Number(last.id), hash: last.hash };
  assert.equal(result, { ok: true, rows: 2100, unkeyedRows: 0, last: head, recordedHead: head });
  assert.equal(headOn(store).read(), head);
  const first = await store.db.selectFrom('audit_log').selectAll().orderBy('id').limit(1).executeTakeFirstOrThrow();
  assert.is(first.prev_hash, GENESIS_HASH, 'the first row links to the genesis hash');
  assert.is(last.mac, createHmac('sha256', TEST_AUDIT_SECRET).update(`audit-entry:${last.hash}`).digest('base64url'), 'each row carries an HMAC of its hash under the secret');
});

test('changing one row through SQL fails verification at that row', async () => {
  const audit = newAudit();
  await append(audit, 40);
  const target = (await ids(store.db))[17]!;
  for (const change of [
    sql`update audit_log set reason = 'nothing to see' where id = ${target}`,
    sql`update audit_log set actor = 'moderator:someone-else' where id = ${target}`,
    sql`update audit_log set at = at + 1 where id = ${target}`,
    sql`update audit_log set details = '{"i":999}' where id = ${target}`,
    sql`update audit_log set target = null where id = ${target}`,
  ]) {
    const before = await store.db.selectFrom('audit_log').selectAll().where('id', '=', target).executeTakeFirstOrThrow();
    await change.execute(store.db);
    const result = await audit.verify();
    assert.is(result.ok, false, change.compile(store.db).sql);
    assert.is(result.badRowId, target, 'fails at the changed row');
    assert.is(result.rows, 17, 'every row before it verified');
    assert.is(result.finding, 'edited_row');
    assert.match(result.problem!, /content/);
    // Put it back: the chain verifies again, so the next change is tested on its own.
    await store.db.updateTable('audit_log').set({ reason: before.reason, actor: before.actor, at: before.at, details: before.details, target: before.target }).where('id', '=', target).execute();
    assert.is((await audit.verify()).ok, true);
  }
});

test('a changed row whose hash was recomputed is found at that row: its MAC needs the secret', async () => {
  const audit = newAudit();
  await append(audit, 10);
  const all = await ids(store.db);
  const row = await store.db.selectFrom('audit_log').selectAll().where('id', '=', all[4]!).executeTakeFirstOrThrow();
  const forged = { ...row, reason: 'forged' };
  const hash = rowHash(row.prev_hash, forged);
  // The forger recomputes the hash, and a MAC under a key of their own guessing.
  const mac = createHmac('sha256', 'not-the-instance-secret').update(`audit-entry:${hash}`).digest('base64url');
  await store.db.updateTable('audit_log').set({ reason: 'forged', hash, mac }).where('id', '=', row.id).execute();
  const result = await audit.verify();
  assert.equal(found(result), { ok: false, finding: 'edited_row', badRowId: all[4], rows: 4 });
  assert.match(result.problem!, /MAC/);
  // Rewriting every later row as well does not help: none of them has a valid MAC either.
  await store.db.updateTable('audit_log').set({ mac: null }).where('id', '>=', row.id).execute();
  assert.equal(found(await audit.verify()), { ok: false, finding: 'edited_row', badRowId: all[4], rows: 4 });
});

test('deleting a middle row: missing rows, found at the next row', async () => {
  const audit = newAudit();
  await append(audit, 30);
  const all = await ids(store.db);
  await store.db.deleteFrom('audit_log').where('id', '=', all[12]!).execute();
  const result = await audit.verify();
  assert.equal(found(result), { ok: false, finding: 'missing_rows', badRowId: all[13], rows: 12 });
  assert.match(result.problem!, new RegExp(`row ${all[11]}`), 'names the row it should follow');
});

test('deleting the oldest rows by hand (not by retention) is found at the oldest remaining row', async () => {
  const audit = newAudit();
  await append(audit, 20);
  const all = await ids(store.db);
  await store.db.deleteFrom('audit_log').where('id', '<', all[5]!).execute();
  const result = await audit.verify();
  assert.equal(found(result), { ok: false, finding: 'missing_oldest_rows', badRowId: all[5], rows: 15 });
  assert.is(result.anchoredAt, all[5]);
  assert.match(result.problem!, /retention/);
});

test('deleting the newest rows: a truncated tail, named against the head in the data folder', async () => {
  const audit = newAudit();
  await append(audit, 25);
  const all = await ids(store.db);
  await store.db.deleteFrom('audit_log').where('id', '>', all[19]!).execute();
  const result = await audit.verify();
  assert.equal(found(result), { ok: false, finding: 'truncated_tail', badRowId: all[24], rows: 20 });
  assert.equal(result.last?.id, all[19]);
  assert.equal(result.recordedHead?.id, all[24]);
  assert.match(result.problem!, new RegExp(`ends at row ${all[19]}.*up to ${all[24]}`));
});

test('deleting every row: an empty log with a non-empty history', async () => {
  const audit = newAudit();
  await append(audit, 8);
  const all = await ids(store.db);
  await sql`delete from audit_log`.execute(store.db);
  const result = await audit.verify();
  assert.equal(found(result), { ok: false, finding: 'emptied', badRowId: all[7], rows: 0 });
  assert.match(result.problem!, /empty/);
});

test('replacing the newest row by an older copy of the chain end is found against the recorded head', async () => {
  const audit = newAudit();
  await append(audit, 6);
  const all = await ids(store.db);
  const recorded = headOn(store).read()!;
  // The attacker deletes the last row and appends one with the same id, built on the real chain
  // but without the key: the missing MAC gives it away, and so does the recorded head.
  const previous = await store.db.selectFrom('audit_log').select('hash').where('id', '=', all[4]!).executeTakeFirstOrThrow();
  await store.db.deleteFrom('audit_log').where('id', '=', all[5]!).execute();
  const row = { at: START_TIME, actor: 'moderator:mona', action: 'ban.lift', target: null, reason: null, details: null, prev_hash: previous.hash };
  await store.db.insertInto('audit_log').values({ id: all[5]!, ...row, hash: rowHash(previous.hash, row), mac: null }).execute();
  assert.equal(found(await audit.verify()), { ok: false, finding: 'edited_row', badRowId: all[5], rows: 5 });
  assert.is.not(recorded.hash, rowHash(previous.hash, row));
});

test('an outside witness: --expect passes for a hash still in the chain and fails for one that is not', async () => {
  const audit = newAudit();
  await append(audit, 10);
  const witnessed = (await audit.head()).last!;
  await append(audit, 3);
  assert.is((await audit.verify({ expect: witnessed.hash })).ok, true, 'an older head is still in the chain');
  const wrong = await audit.verify({ expect: 'f'.repeat(64) });
  assert.equal([wrong.ok, wrong.finding], [false, 'expected_not_found']);
  assert.match(wrong.problem!, /f{64}/);
  // The head in the data folder went with the rows; only the witness knows.
  await store.db.deleteFrom('audit_log').where('id', '>=', witnessed.id).execute();
  headOn(store).reset(undefined);
  assert.is((await audit.verify()).ok, true, 'without the head and the witness, the shorter chain looks whole');
  assert.equal(found(await audit.verify({ expect: witnessed.hash })), { ok: false, finding: 'expected_not_found', badRowId: undefined, rows: 9 });
});

test('rows from before MACs existed verify (hash-chained only); an unkeyed row after a MACed one does not', async () => {
  const audit = newAudit();
  await append(audit, 12);
  const all = await ids(store.db);
  // As an instance that ran the previous version left them: the first 7 rows without a MAC.
  await store.db.updateTable('audit_log').set({ mac: null }).where('id', '<=', all[6]!).execute();
  const upgraded = await audit.verify();
  assert.equal([upgraded.ok, upgraded.rows, upgraded.unkeyedRows], [true, 12, 7]);
  // The first MACed row pins the unkeyed chain before it: rewriting an old row is still found.
  const old = await store.db.selectFrom('audit_log').selectAll().where('id', '=', all[6]!).executeTakeFirstOrThrow();
  const original = { reason: old.reason, hash: old.hash };
  await store.db.updateTable('audit_log').set({ reason: 'rewritten', hash: rowHash(old.prev_hash, { ...old, reason: 'rewritten' }) }).where('id', '=', old.id).execute();
  assert.equal(found(await audit.verify()), { ok: false, finding: 'missing_rows', badRowId: all[7], rows: 7 });
  await store.db.updateTable('audit_log').set(original).where('id', '=', old.id).execute();
  // A later row stripped of its MAC counts as forged.
  await store.db.updateTable('audit_log').set({ mac: null }).where('id', '=', all[10]!).execute();
  assert.equal(found(await audit.verify()), { ok: false, finding: 'edited_row', badRowId: all[10], rows: 10 });
});

test('a damaged head file is reported, not ignored', async () => {
  const audit = newAudit();
  await append(audit, 2);
  const { writeFileSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = headOn(store).dir;
  writeFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!), 'not json');
  const result = await audit.verify();
  assert.equal([result.ok, result.finding], [false, 'head_unreadable']);
});

test('an entry is stored with who, what, target, reason, details and time', async () => {
  const audit = newAudit();
  clock = START_TIME + 42;
  const entry = await audit.record({ role: 'moderator', name: 'moderator:mona', moderatorId: 'x' }, {
    action: 'ban.add',
    target: 'ip:203.0.113.7',
    reason: 'spam',
    details: { severity: 'no_access' },
  });
  assert.equal(
    { ...entry, hash: undefined },
    { id: entry.id, at: START_TIME + 42, actor: 'moderator:mona', action: 'ban.add', target: 'ip:203.0.113.7', reason: 'spam', details: { severity: 'no_access' }, hash: undefined },
  );
  const [listed] = await audit.list({ role: 'auditor', name: 'moderator:ada' });
  assert.equal(listed, entry);
  try {
    await audit.list({ role: 'moderator', name: 'x' }, { limit: 0 });
  } catch {
    assert.unreachable('every role may read the audit log');
  }
});

test('two connections appending 2x200 entries interleaved: no error, one chain, no fork', async () => {
  const first = newAudit();
  const second = newAudit(await store.openAnother());
  // Each writer yields between entries, as a busy server does, so the two keep meeting at the chain's end.
  const writer = async (audit: AuditLog, actor: string) => {
    for (let i = 0; i < 200; i++) {
      await audit.record(actor, { action: 'test.append', details: { i } });
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all([writer(first, 'cli:first'), writer(second, 'moderator:second')]);
  const rows = await store.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
  assert.is(rows.length, 400);
  assert.is(rows.filter((r) => r.actor === 'cli:first').length, 200);
  assert.is(rows.filter((r) => r.actor === 'moderator:second').length, 200);
  // Both writers really interleaved (otherwise the race was never run).
  const switches = rows.filter((r, i) => i > 0 && r.actor !== rows[i - 1]!.actor).length;
  assert.ok(switches > 10, `the writers interleaved (${switches} switches)`);
  // No fork: each row is the successor of exactly the row before it.
  assert.is(new Set(rows.map((r) => r.prev_hash)).size, 400);
  rows.forEach((row, i) => assert.is(row.prev_hash, i === 0 ? GENESIS_HASH : rows[i - 1]!.hash, `row ${row.id}`));
  const verified = await first.verify();
  assert.equal([verified.ok, verified.rows], [true, 400]);
  assert.equal(verified.recordedHead, { id: Number(rows[399]!.id), hash: rows[399]!.hash }, 'the head is the last row, whichever writer finished last');
});

test('two processes appending at the same time extend one chain, and the head never goes backwards', async () => {
  const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
  const script = `
    const { AuditLog } = await import(${url('../../server/moderation/audit.ts')});
    const { AuditHeadStore } = await import(${url('../../server/moderation/audit-head.ts')});
    const { openDatabase } = await import(${url('../../server/db/database.ts')});
    const { silentLogger } = await import(${url('../../server/logger.ts')});
    const [path, actor, secret, headDir] = process.argv.slice(1);
    const db = await openDatabase({ driver: 'sqlite', path });
    const head = new AuditHeadStore(headDir);
    const audit = new AuditLog({ db, now: Date.now, secret, head, logger: silentLogger() });
    let seen = 0;
    for (let i = 0; i < 200; i++) {
      await audit.record(actor, { action: 'test.append', details: { i } });
      // What this process reads as the head never goes back, whatever the other one writes.
      const id = head.read().id;
      if (id < seen) throw new Error('the head went back from ' + seen + ' to ' + id);
      seen = id;
    }
    await db.destroy();
  `;
  const run = (actor: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, store.path, actor, TEST_AUDIT_SECRET, headOn(store).dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${actor} exited ${code}: ${stderr}`))));
    });
  await Promise.all([run('cli:one'), run('cli:two')]);
  const verified = await newAudit().verify();
  assert.equal([verified.ok, verified.rows, verified.finding], [true, 400, undefined]);
  assert.equal(verified.recordedHead, verified.last, 'the head recorded is the last row');
  const byActor = await store.db.selectFrom('audit_log').select(['actor', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('actor').orderBy('actor').execute();
  assert.equal(byActor.map((r) => [r.actor, Number(r.n)]), [['cli:one', 200], ['cli:two', 200]]);
});

test.run();
