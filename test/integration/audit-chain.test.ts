// The audit log's hash chain on a real SQLite file: it verifies after many entries; changing a
// row, removing one, or removing the oldest ones by hand is found at the right row; writers on
// separate connections (and in separate processes) extend one chain without forking it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { AuditLog, GENESIS_HASH } from '../../server/moderation/audit.ts';
import { newDatabase, type TestDatabase } from '../helpers/database.ts';
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

test('an empty log verifies', async () => {
  const result = await new AuditLog({ db: store.db, now }).verify();
  assert.equal(result, { ok: true, rows: 0 });
});

test('the chain verifies after many entries (across verification batches)', async () => {
  const audit = new AuditLog({ db: store.db, now });
  await append(audit, 2100);
  const result = await audit.verify();
  assert.equal(result, { ok: true, rows: 2100 });
  const first = await store.db.selectFrom('audit_log').selectAll().orderBy('id').limit(1).executeTakeFirstOrThrow();
  assert.is(first.prev_hash, GENESIS_HASH, 'the first row links to the genesis hash');
});

test('changing one row through SQL fails verification at that row', async () => {
  const audit = new AuditLog({ db: store.db, now });
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
    assert.match(result.problem!, /content/);
    // Put it back: the chain verifies again, so the next change is tested on its own.
    await store.db.updateTable('audit_log').set({ reason: before.reason, actor: before.actor, at: before.at, details: before.details, target: before.target }).where('id', '=', target).execute();
    assert.is((await audit.verify()).ok, true);
  }
});

test('a changed row whose own hash was recomputed is found at the next row', async () => {
  const audit = new AuditLog({ db: store.db, now });
  await append(audit, 10);
  const all = await ids(store.db);
  const row = await store.db.selectFrom('audit_log').selectAll().where('id', '=', all[4]!).executeTakeFirstOrThrow();
  const { rowHash } = await import('../../server/moderation/audit.ts');
  const forged = { ...row, reason: 'forged' };
  await store.db.updateTable('audit_log').set({ reason: 'forged', hash: rowHash(row.prev_hash, forged) }).where('id', '=', row.id).execute();
  const result = await audit.verify();
  assert.is(result.ok, false);
  assert.is(result.badRowId, all[5], 'the next row no longer links to it');
  assert.match(result.problem!, /link/);
});

test('deleting a middle row fails verification at the next row', async () => {
  const audit = new AuditLog({ db: store.db, now });
  await append(audit, 30);
  const all = await ids(store.db);
  await store.db.deleteFrom('audit_log').where('id', '=', all[12]!).execute();
  const result = await audit.verify();
  assert.is(result.ok, false);
  assert.is(result.badRowId, all[13]);
  assert.is(result.rows, 12);
});

test('deleting the oldest rows by hand (not by retention) fails at the oldest remaining row', async () => {
  const audit = new AuditLog({ db: store.db, now });
  await append(audit, 20);
  const all = await ids(store.db);
  await store.db.deleteFrom('audit_log').where('id', '<', all[5]!).execute();
  const result = await audit.verify();
  assert.is(result.ok, false);
  assert.is(result.badRowId, all[5]);
  assert.is(result.anchoredAt, all[5]);
  assert.match(result.problem!, /retention/);
});

test('an entry is stored with who, what, target, reason, details and time', async () => {
  const audit = new AuditLog({ db: store.db, now });
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
  const first = new AuditLog({ db: store.db, now });
  const second = new AuditLog({ db: await store.openAnother(), now });
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
  assert.equal(await first.verify(), { ok: true, rows: 400 });
});

test('two processes appending at the same time extend one chain', async () => {
  const auditUrl = new URL('../../server/moderation/audit.ts', import.meta.url).href;
  const dbUrl = new URL('../../server/db/database.ts', import.meta.url).href;
  const script = `
    const { AuditLog } = await import(${JSON.stringify(auditUrl)});
    const { openDatabase } = await import(${JSON.stringify(dbUrl)});
    const db = await openDatabase({ driver: 'sqlite', path: process.argv[1] });
    const audit = new AuditLog({ db, now: Date.now });
    for (let i = 0; i < 200; i++) await audit.record(process.argv[2], { action: 'test.append', details: { i } });
    await db.destroy();
  `;
  const run = (actor: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, store.path, actor], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${actor} exited ${code}: ${stderr}`))));
    });
  await Promise.all([run('cli:one'), run('cli:two')]);
  const audit = new AuditLog({ db: store.db, now });
  assert.equal(await audit.verify(), { ok: true, rows: 400 });
  const byActor = await store.db.selectFrom('audit_log').select(['actor', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('actor').orderBy('actor').execute();
  assert.equal(byActor.map((r) => [r.actor, Number(r.n)]), [['cli:one', 200], ['cli:two', 200]]);
});

test.run();
