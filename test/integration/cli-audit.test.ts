// The audit log's anchors at the terminal, on an instance made by `init`, against someone who can
// write to its database file: `audit verify` names each kind of tampering and exits 7; `audit head`
// gives an outside witness a hash that `audit verify --expect` checks; backups carry their head,
// and a restore rewinds the data folder's head with the log, so the restored log verifies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ExitCode } from '../../cli/context.ts';
import { newInstance, type TestInstance } from '../helpers/cli-instance.ts';

let instance: TestInstance;

test.before.each(async () => {
  instance = await newInstance('strangerchat-audit-');
  for (const name of ['alice', 'bob', 'carol', 'dave']) {
    const added = await instance.cli(['mod', 'add', name, '--role', 'moderator']);
    assert.is(added.code, 0, added.stderr);
  }
});
test.after.each(() => instance.remove());

/** What the attacker does: SQL straight on a database file, no key. */
function tamper(path: string, statement: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(statement);
  } finally {
    db.close();
  }
}

const databaseFile = () => join(instance.dir, 'data', 'strangerchat.db');
const ids = () => instance.rows<{ id: number }>('SELECT id FROM audit_log ORDER BY id').map((r) => r.id);

interface Head {
  id: number;
  hash: string;
}

async function head(): Promise<{ last: Head | null; recordedHead: Head | null }> {
  const shown = await instance.cli(['audit', 'head', '--json']);
  assert.is(shown.code, 0, shown.stderr);
  return shown.json();
}

async function verify(...args: string[]) {
  const result = await instance.cli(['audit', 'verify', '--json', ...args]);
  return { code: result.code, stderr: result.stderr, ...(result.json() as { ok: boolean; finding: string | null; badRowId: number | null; problem: string | null }) };
}

test('audit head prints the newest entry; verify --expect finds a witnessed hash and exits 7 for one not in the log', async () => {
  const { last, recordedHead } = await head();
  const newest = ids().at(-1)!;
  assert.equal(last?.id, newest);
  assert.equal(recordedHead, last, 'the data folder records the same head');
  const human = await instance.cli(['audit', 'head']);
  assert.match(human.stdout, new RegExp(`^newest entry  entry ${newest}  ${last!.hash}$`, 'm'));
  assert.match(human.stderr, /audit verify --expect/);

  await instance.cli(['mod', 'disable', 'alice']);
  const witnessed = await verify('--expect', last!.hash.toUpperCase());
  assert.equal([witnessed.code, witnessed.ok], [0, true], 'an older head is still in the chain (hex in either case)');
  const wrong = await verify('--expect', 'ab'.repeat(32));
  assert.equal([wrong.code, wrong.ok, wrong.finding], [ExitCode.AuditBroken, false, 'expected_not_found']);
  assert.match(wrong.stderr, /witnessed entry (ab){32} is not in the log/);
  assert.is((await instance.cli(['audit', 'verify', '--expect', 'not-a-hash'])).code, ExitCode.Usage);
});

test('audit verify names each kind of tampering, and a restore of a backup makes the log whole again', async () => {
  const backup = await instance.cli(['backup', 'create', '--json']);
  assert.is(backup.code, 0, backup.stderr);
  const { name, auditHead } = backup.json<{ name: string; auditHead: Head }>();
  assert.equal(auditHead, (await head()).last, 'the backup records the head it was taken at');
  const all = ids();
  const cases: Array<[string, string, string, number]> = [
    ['truncated tail', `DELETE FROM audit_log WHERE id > ${all[2]}`, 'truncated_tail', all.at(-1)!],
    ['every row deleted', 'DELETE FROM audit_log', 'emptied', all.at(-1)!],
    ['an edited row', `UPDATE audit_log SET actor = 'cli:someone-else' WHERE id = ${all[1]}`, 'edited_row', all[1]!],
    ['a middle row deleted', `DELETE FROM audit_log WHERE id = ${all[2]}`, 'missing_rows', all[3]!],
  ];
  for (const [what, statement, finding, row] of cases) {
    tamper(databaseFile(), statement);
    const found = await verify();
    assert.equal([found.code, found.ok, found.finding, found.badRowId], [ExitCode.AuditBroken, false, finding, row], what);
    assert.match(found.stderr, new RegExp(`does not verify \\(${finding}\\) at row ${row}: `), `${what}: the message names it`);
    const restored = await instance.cli(['backup', 'restore', name, '--json']);
    assert.is(restored.code, 0, restored.stderr);
    assert.equal(restored.json().auditHead.after, auditHead);
    const whole = await verify();
    assert.equal([whole.code, whole.ok], [0, true], `${what}: whole again after the restore`);
  }
});

test('a restore rewinds the head with the log; a witness still sees the rewind; a backup whose log was cut is refused', async () => {
  const taken = (await instance.cli(['backup', 'create', '--json'])).json<{ name: string; auditHead: Head }>();
  await instance.cli(['mod', 'disable', 'bob']);
  const later = (await head()).last!;
  assert.ok(later.id > taken.auditHead.id);

  const restored = await instance.cli(['backup', 'restore', taken.name, '--json']);
  assert.is(restored.code, 0, restored.stderr);
  assert.equal(restored.json().auditHead, { before: later, after: taken.auditHead });
  assert.match(restored.stderr, /give your outside witness the new head/);
  assert.equal(await head(), { last: taken.auditHead, recordedHead: taken.auditHead });
  assert.is((await verify()).ok, true, 'the restored log verifies against its own head');
  assert.is((await verify('--expect', later.hash)).finding, 'expected_not_found', 'a witness of the newer head sees that entries are gone');

  // Someone cuts the newest entries out of a backup and writes a new checksum for it: its head gives it away.
  const cut = (await instance.cli(['backup', 'create', '--json'])).json<{ name: string; path: string }>();
  tamper(cut.path, `DELETE FROM audit_log WHERE id = ${taken.auditHead.id}`);
  writeFileSync(`${cut.path}.sha256`, `${createHash('sha256').update(readFileSync(cut.path)).digest('hex')}  ${cut.name}\n`);
  const refused = await instance.cli(['backup', 'restore', cut.name]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /audit log does not end where it did when the backup was taken/);
  assert.equal((await head()).last, taken.auditHead, 'nothing was restored');
});

test.run();
