// The other moderation commands in-process on a real instance: mod, invite, sessions, announce,
// audit, purge. Each writes through the services (audited as cli:<os user>), gives a stable --json
// shape and its documented exit codes, and reaches a running server through the moderation feed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, SqliteDialect } from 'kysely';
import { openSqlite } from '../../server/db/sqlite-adapter.ts';
import { createMigrator } from '../../server/db/migrate.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { deviceOf } from '../helpers/bans.ts';
import { TEST_PASSWORD } from '../helpers/moderators.ts';
import { newInstance, until, type TestInstance } from '../helpers/cli-instance.ts';
import { runCli } from '../helpers/cli.ts';
import { CLI_DOCS } from '../../scripts/gen-cli-docs.ts';

let instance: TestInstance;
const clients: TestClient[] = [];

test.before.each(async () => {
  instance = await newInstance();
});
test.after.each(() => {
  for (const client of clients.splice(0)) client.close();
  instance.remove();
});

function writeDb(statement: string, ...params: Array<string | number>): void {
  const db = new DatabaseSync(join(instance.dir, 'data', 'strangerchat.db'));
  try {
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

async function login(url: string, username: string, password: string): Promise<number> {
  const res = await fetch(`${url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  await res.body?.cancel();
  return res.status;
}

test('mod: add (a one-time password printed once, or one from stdin), list, disable, enable, reset-password, role', async () => {
  const added = await instance.cli(['mod', 'add', 'Alice', '--role', 'moderator', '--json'], { osUser: 'ops' });
  assert.is(added.code, 0, added.stderr);
  const { moderator, password } = added.json();
  assert.equal([moderator.username, moderator.role, moderator.status, moderator.mustChangePassword, moderator.createdBy], ['alice', 'moderator', 'active', true, 'cli:ops']);
  assert.type(password, 'string');
  assert.ok(password.length >= 12);
  const human = await instance.cli(['mod', 'add', 'bob', '--role', 'admin']);
  assert.match(human.stdout, /^one-time password \S{12,}$/m);
  assert.match(human.stderr, /Shown only this once/);
  const piped = await instance.cli(['mod', 'add', 'sam', '--role', 'safeguarding', '--password-stdin', '--json'], { stdin: `${TEST_PASSWORD}\n` });
  assert.is(piped.code, 0, piped.stderr);
  assert.is(piped.json().password, null);
  assert.is(piped.json().moderator.mustChangePassword, false);

  assert.is((await instance.cli(['mod', 'add', 'eve', '--role', 'root'])).code, 2);
  assert.is((await instance.cli(['mod', 'add', 'x', '--role', 'moderator'])).code, 2, 'a username is 3+ characters');
  assert.is((await instance.cli(['mod', 'add', 'eve'])).code, 2, '--role is required');
  const weak = await instance.cli(['mod', 'add', 'eve', '--role', 'moderator', '--password-stdin'], { stdin: 'short\n' });
  assert.is(weak.code, 2);
  assert.match(weak.stderr, /--password-stdin: the password/);
  const taken = await instance.cli(['mod', 'add', 'alice', '--role', 'moderator']);
  assert.is(taken.code, 1);
  assert.match(taken.stderr, /taken/);

  const list = (await instance.cli(['mod', 'list', '--json'])).json();
  assert.equal(list.moderators.map((m: { username: string; role: string }) => [m.username, m.role]), [['owner', 'owner'], ['alice', 'moderator'], ['bob', 'admin'], ['sam', 'safeguarding']]);
  assert.not.ok(JSON.stringify(list).includes(password), 'a password is never shown again');

  const server = await instance.start();
  try {
    assert.is(await login(server.url, 'sam', TEST_PASSWORD), 200, 'the password from stdin is the account\'s');
    assert.is(await login(server.url, 'alice', password), 200);
    assert.is((await instance.cli(['mod', 'disable', 'alice'])).code, 0);
    assert.is(await login(server.url, 'alice', password), 401, 'a disabled account cannot sign in');
    assert.match((await instance.cli(['mod', 'list'])).stdout, /^alice\s+moderator\s+disabled/m);
    assert.is((await instance.cli(['mod', 'enable', 'alice'])).code, 0);
    const reset = await instance.cli(['mod', 'reset-password', 'alice', '--json']);
    assert.is(reset.code, 0, reset.stderr);
    assert.is(await login(server.url, 'alice', password), 401, 'the old password no longer works');
    assert.is(await login(server.url, 'alice', reset.json().password), 200);
  } finally {
    await server.stop();
  }
  const role = await instance.cli(['mod', 'role', 'alice', 'admin', '--json']);
  assert.is(role.json().moderator.role, 'admin');
  assert.is((await instance.cli(['mod', 'role', 'alice', 'emperor'])).code, 2);
  const lastOwner = await instance.cli(['mod', 'disable', 'owner']);
  assert.is(lastOwner.code, 2);
  assert.match(lastOwner.stderr, /last active owner/);
  assert.is((await instance.cli(['mod', 'disable', 'nobody'])).code, 1);
  assert.equal(
    instance.audit().filter((e) => e.actor === 'cli:tester' && e.target === 'moderator:alice').map((e) => e.action),
    ['moderator.disable', 'moderator.enable', 'moderator.reset_password', 'moderator.set_role'],
  );
});

test('invite: create prints the code once (only a hash is stored), list shows its use, revoke stops it at once', async () => {
  assert.is((await instance.cli(['config', 'set', 'accessMode', 'invite'])).code, 0);
  const created = await instance.cli(['invite', 'create', '--uses', '2', '--expires', '7d', '--note', 'class 4B', '--json']);
  assert.is(created.code, 0, created.stderr);
  const { code, invite } = created.json();
  assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  assert.equal([invite.maxUses, invite.usedCount, invite.status, invite.note, invite.createdBy], [2, 0, 'active', 'class 4B', 'cli:tester']);
  assert.ok(Math.abs(invite.expiresAt - invite.createdAt - 7 * 86_400_000) < 1000);
  assert.not.ok(JSON.stringify(instance.rows('SELECT * FROM invites')).includes(code.replaceAll('-', '')), 'the code is not stored');
  assert.not.ok(JSON.stringify(instance.audit()).includes(code), 'nor audited');
  assert.match((await instance.cli(['invite', 'create', '--uses', '1'])).stdout, /^[A-Z2-9-]{14}\n$/, 'the code alone on stdout');

  assert.is((await instance.cli(['invite', 'create', '--uses', '0'])).code, 2);
  assert.is((await instance.cli(['invite', 'create', '--uses', '3', '--expires', 'soon'])).code, 2);
  assert.is((await instance.cli(['invite', 'create'])).code, 2);

  const server = await instance.start();
  try {
    const join = (inviteCode: string) =>
      fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ acceptRules: true, age: 20, inviteCode }) }).then((r) => r.status);
    assert.is(await join(code), 201);
    assert.match((await instance.cli(['invite', 'list'])).stdout, new RegExp(`^${invite.id.slice(0, 8)}\\s+${code.slice(0, 4)}-…\\s+1/2\\s`, 'm'));
    const revoked = await instance.cli(['invite', 'revoke', invite.id.slice(0, 8), '--json']);
    assert.is(revoked.code, 0, revoked.stderr);
    assert.is(revoked.json().invite.status, 'revoked');
    assert.is(await join(code), 403, 'a revoked code is refused at once, server running');
  } finally {
    await server.stop();
  }
  assert.equal(instance.audit().filter((e) => e.action.startsWith('invite.')).map((e) => [e.action, e.actor]), [['invite.create', 'cli:tester'], ['invite.create', 'cli:tester'], ['invite.revoke', 'cli:tester']]);
});

test('sessions: list marks the live ones; kill closes a live session with 4401 within 2 s and is audited', async () => {
  const server = await instance.start();
  try {
    const a = await connect(server.url);
    const b = await connect(server.url);
    clients.push(a, b);
    const sessionOf = (client: { cookie: string }) => instance.rows<{ id: string }>('SELECT id FROM sessions WHERE device_id = ?', deviceOf(client.cookie))[0]!.id;
    const [sa, sb] = [sessionOf(a), sessionOf(b)];
    const listed = await until('both sessions marked live', async () => {
      const result = (await instance.cli(['sessions', 'list', '--json'])).json();
      return result.sessions.filter((s: { live: boolean }) => s.live).length === 2 ? result : undefined;
    });
    assert.is(listed.running, true);
    assert.equal(listed.sessions.map((s: { id: string }) => s.id).sort(), [sa, sb].sort());
    assert.equal(Object.keys(listed.sessions[0]).sort(), ['band', 'createdAt', 'deviceId', 'endedAt', 'id', 'live']);
    assert.is(listed.sessions[0].band, 'adult');

    const killed = await instance.cli(['sessions', 'kill', sa.slice(0, 8), '--reason', 'flooding', '--json']);
    assert.is(killed.code, 0, killed.stderr);
    assert.equal(killed.json(), { sessionId: sa, ended: true, running: true });
    const started = Date.now();
    assert.is(await a.waitClose(2000), 4401);
    assert.ok(Date.now() - started < 2000);
    assert.is(b.closeCode, undefined, 'the other session stays');
    const kill = instance.audit().find((e) => e.action === 'session.kill')!;
    assert.equal([kill.actor, kill.target, kill.reason], ['cli:tester', `session:${sa}`, 'flooding']);

    const live = await until('the live list without the killed session', async () => {
      const result = (await instance.cli(['sessions', 'list', '--live', '--json'])).json();
      return result.sessions.length === 1 ? result : undefined;
    });
    assert.is(live.sessions[0].id, sb);
    assert.equal((await instance.cli(['sessions', 'list', '--json'])).json().sessions.map((s: { id: string }) => s.id), [sb], 'ended sessions are left out');
    const all = (await instance.cli(['sessions', 'list', '--all', '--json'])).json();
    assert.ok(all.sessions.find((s: { id: string; endedAt: number | null }) => s.id === sa)?.endedAt, '--all shows when it ended');
    assert.is((await instance.cli(['sessions', 'kill', 'ffffffff'])).code, 1);
    assert.is((await instance.cli(['sessions', 'list', '--since', 'yesterday'])).code, 2);
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
  const stopped = (await instance.cli(['sessions', 'list', '--json'])).json();
  assert.is(stopped.running, false);
  assert.ok(stopped.sessions.every((s: { live: boolean }) => s.live === false), 'nothing is live with the server stopped');
});

test('announce: everyone online gets the notice within 2 s; audited; empty or too long text exits 2', async () => {
  const server = await instance.start();
  try {
    const a = await connect(server.url);
    const b = await connect(server.url);
    clients.push(a, b);
    const sent = await instance.cli(['announce', 'The', 'server', 'restarts', 'at', 'noon.', '--json']);
    assert.is(sent.code, 0, sent.stderr);
    assert.is(sent.json().text, 'The server restarts at noon.');
    assert.is(sent.json().running, true);
    for (const client of [a, b]) assert.is((await client.next('notice', 2000)).text, 'The server restarts at noon.');
    assert.is((await instance.cli(['announce', '   '])).code, 2);
    assert.is((await instance.cli(['announce', 'x'.repeat(501)])).code, 2);
  } finally {
    await server.stop();
  }
  const entry = instance.audit().find((e) => e.action === 'announcement.send')!;
  assert.equal([entry.actor, entry.details], ['cli:tester', { text: 'The server restarts at noon.' }]);
  const offline = await instance.cli(['announce', 'anyone?']);
  assert.is(offline.code, 0);
  assert.match(offline.stderr, /the server is not running: nobody is online/);
});

test('audit: entries newest first, filtered by --since, --action and --limit; verify passes, and exits 7 naming a changed row', async () => {
  await instance.cli(['ban', 'add', '203.0.113.7', '203.0.113.8', '--reason', 'spam', '--permanent']);
  await instance.cli(['mod', 'add', 'alice', '--role', 'moderator']);
  const all = await instance.cli(['audit', '--json']);
  assert.is(all.code, 0, all.stderr);
  const entries = all.json().entries;
  assert.equal(entries.map((e: { action: string }) => e.action), ['moderator.create', 'ban.add', 'ban.add', 'moderator.create']);
  assert.equal(Object.keys(entries[0]).sort(), ['action', 'actor', 'at', 'details', 'hash', 'id', 'reason', 'target']);
  assert.equal((await instance.cli(['audit', '--action', 'ban.add', '--json'])).json().entries.map((e: { target: string }) => e.target), ['ip:203.0.113.8', 'ip:203.0.113.7']);
  assert.is((await instance.cli(['audit', '--limit', '1', '--json'])).json().entries.length, 1);
  assert.is((await instance.cli(['audit', '--since', '1h', '--json'])).json().entries.length, 4);
  assert.is((await instance.cli(['audit', '--since', '2999-01-01', '--json'])).json().entries.length, 0);
  assert.is((await instance.cli(['audit', '--since', 'last tuesday'])).code, 2);
  assert.is((await instance.cli(['audit', '--limit', '0'])).code, 2);
  assert.match((await instance.cli(['audit'])).stdout, /^\d+\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2}\s+cli:tester\s+moderator\.create\s+moderator:alice/m, 'in local time, with the offset');
  assert.match((await instance.cli(['audit', '--utc'])).stdout, /^\d+\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z\s+cli:tester\s+moderator\.create/m, 'or in UTC');

  const ok = await instance.cli(['audit', 'verify', '--json']);
  assert.is(ok.code, 0, ok.stderr);
  const head = ok.json().last;
  assert.equal(ok.json(), { ok: true, rows: 4, finding: null, badRowId: null, problem: null, anchoredAt: null, unkeyedRows: 0, last: head, recordedHead: head, expected: null });
  assert.match((await instance.cli(['audit', 'verify'])).stdout, /^ok: 4 entries verify$/m);

  const changed = instance.rows<{ id: number }>("SELECT id FROM audit_log WHERE action = 'ban.add' ORDER BY id")[0]!.id;
  writeDb("UPDATE audit_log SET reason = 'nothing to see' WHERE id = ?", changed);
  const bad = await instance.cli(['audit', 'verify', '--json']);
  assert.is(bad.code, 7);
  assert.is(bad.json().ok, false);
  assert.is(bad.json().badRowId, changed);
  assert.is(bad.json().finding, 'edited_row');
  assert.match(bad.stderr, new RegExp(`does not verify \\(edited_row\\) at row ${changed}: its content does not match its hash`));
});

test('purge: --dry-run counts and removes nothing; purge removes what is past its period and records the counts', async () => {
  const server = await instance.start();
  try {
    clients.push(await connect(server.url), await connect(server.url));
  } finally {
    for (const client of clients.splice(0)) client.close();
    await server.stop();
  }
  const tickets = () => instance.rows('SELECT * FROM tickets').length;
  assert.is(tickets(), 2, 'two used tickets');
  const dry = await instance.cli(['purge', '--dry-run', '--json']);
  assert.is(dry.code, 0, dry.stderr);
  assert.is(dry.json().dryRun, true);
  assert.is(dry.json().counts.tickets, 2);
  assert.equal(Object.keys(dry.json().counts).sort(), ['addresses', 'appeals', 'audit', 'avoids', 'bandLocks', 'emailVerifications', 'events', 'evidence', 'moderatorSessions', 'sessions', 'tickets']);
  assert.is(tickets(), 2, 'a dry run removes nothing');
  assert.is(instance.audit().filter((e) => e.action === 'retention.purge').length, 0);
  assert.match((await instance.cli(['purge', '--dry-run'])).stdout, /^used or expired tickets\s+2$/m);

  const real = await instance.cli(['purge', '--json']);
  assert.is(real.code, 0, real.stderr);
  assert.is(real.json().counts.tickets, 2);
  assert.is(tickets(), 0);
  const entry = instance.audit().find((e) => e.action === 'retention.purge')!;
  assert.is(entry.actor, 'cli:tester');
  assert.is((entry.details!.counts as { tickets: number }).tickets, 2);
  assert.is((await instance.cli(['purge', '--json'])).json().counts.tickets, 0);
});

test('the moderation commands need an instance (exit 2) whose migrations are all applied (exit 10)', async () => {
  const elsewhere = await runCli(['ban', 'list'], { cwd: instance.here });
  assert.is(elsewhere.code, 2);
  assert.match(elsewhere.stderr, /no instance folder/);
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: openSqlite(join(instance.dir, 'data', 'strangerchat.db')) }) });
  try {
    assert.not.ok((await createMigrator(db).migrateDown()).error);
  } finally {
    await db.destroy();
  }
  for (const args of [['ban', 'list'], ['reports', 'list'], ['audit', 'verify'], ['purge', '--dry-run']]) {
    const pending = await instance.cli(args);
    assert.is(pending.code, 10, `${args.join(' ')}: ${pending.stderr}`);
    assert.match(pending.stderr, /migration\(s\) pending/);
  }
});

test('every moderation command is registered, has --help with examples, and is in docs/cli.md with its notes', async () => {
  const docs = readFileSync(CLI_DOCS, 'utf8');
  const paths = [
    'ban add', 'ban remove', 'ban list', 'ban check', 'ban import', 'ban export',
    'reports list', 'reports show', 'reports resolve',
    'mod add', 'mod list', 'mod disable', 'mod enable', 'mod reset-password', 'mod role',
    'invite create', 'invite list', 'invite revoke',
    'sessions list', 'sessions kill', 'announce', 'audit', 'audit verify', 'purge',
  ];
  for (const path of paths) {
    const help = await runCli([...path.split(' '), '--help'], { cwd: instance.here });
    assert.is(help.code, 0, path);
    assert.match(help.stdout, /Examples:\n {2}\$ strangerchat /, `${path} --help has examples`);
    assert.match(docs, new RegExp(`^### strangerchat ${path}$`, 'm'), `${path} is in docs/cli.md`);
  }
  assert.match(docs, /File format:\n\n```text\nOne ban per line/);
  assert.match((await runCli(['ban', 'import', '--help'], { cwd: instance.here })).stdout, /File format:\n {2}One ban per line/);
});

test.run();
