// Every account and invite action reaches the audit log with who did it, what, and to whom:
// from the web (a moderator's name), from the terminal (`cli:<user>`), and logins that fail.
// Passwords and invite codes never do.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, TEST_PASSWORD, type ModSession } from '../helpers/moderators.ts';
import type { AuditEntry } from '../../server/moderation/audit.ts';
import { auditOf } from '../helpers/audit.ts';

let server: TestServer;
let owner: ModSession;
/** Every secret a test saw: none may appear in the audit log. */
const secrets: string[] = [TEST_PASSWORD];

test.before(async () => {
  server = await newServer({ accessMode: 'invite' });
  await createModerator(server, 'olive', 'owner');
  owner = await loginModerator(server, 'olive');
});
test.after(() => server.stop());

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
const login = (username: string, password: string) =>
  fetch(`${server.url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

/** The newest entries, oldest first (straight from the service, as the CLI reads them). */
async function latest(count: number): Promise<AuditEntry[]> {
  const audit = auditOf(server, server.db);
  return (await audit.list({ role: 'auditor', name: 'test' }, { limit: count })).reverse();
}

const summary = (e: AuditEntry) => ({ actor: e.actor, action: e.action, target: e.target });

test('an account created from the terminal is recorded under the operator', async () => {
  const rows = await server.db.selectFrom('audit_log').selectAll().where('action', '=', 'moderator.create').execute();
  assert.equal(rows.map((r) => [r.actor, r.target, JSON.parse(r.details!)]), [['cli:test', 'moderator:olive', { role: 'owner', generatedPassword: false }]]);
});

test('logins are recorded; failures without the password, and without a username nobody has', async () => {
  await createModerator(server, 'mona', 'moderator');
  assert.is((await login('mona', TEST_PASSWORD)).status, 200);
  assert.is((await login('mona', 'my-wrong-guess-1')).status, 401);
  assert.is((await login('hunter2-typed-as-username', 'whatever')).status, 401);
  secrets.push('my-wrong-guess-1', 'hunter2-typed-as-username', 'whatever');
  const entries = await latest(3);
  assert.equal(entries.map(summary), [
    { actor: 'moderator:mona', action: 'moderator.login', target: 'moderator:mona' },
    { actor: 'system:login', action: 'moderator.login_failed', target: 'moderator:mona' },
    { actor: 'system:login', action: 'moderator.login_failed', target: null },
  ]);
  assert.equal(entries[1]!.details, { problem: 'wrong_password' });
  assert.equal(entries[2]!.details, { problem: 'unknown_account' });
});

test('an owner managing accounts over HTTP: each step recorded with the owner as actor', async () => {
  const created = await json<{ password: string }>(await owner.request('/api/mod/moderators', { method: 'POST', body: { username: 'sam', role: 'moderator' } }));
  secrets.push(created.password);
  assert.is((await owner.request('/api/mod/moderators/sam', { method: 'PATCH', body: { role: 'safeguarding' } })).status, 200);
  assert.is((await owner.request('/api/mod/moderators/sam/disable', { method: 'POST' })).status, 200);
  assert.is((await login('sam', created.password)).status, 401);
  assert.is((await owner.request('/api/mod/moderators/sam/enable', { method: 'POST' })).status, 200);
  const reset = await json<{ password: string }>(await owner.request('/api/mod/moderators/sam/reset-password', { method: 'POST' }));
  secrets.push(reset.password);
  const entries = await latest(6);
  assert.equal(entries.map(summary), [
    { actor: 'moderator:olive', action: 'moderator.create', target: 'moderator:sam' },
    { actor: 'moderator:olive', action: 'moderator.set_role', target: 'moderator:sam' },
    { actor: 'moderator:olive', action: 'moderator.disable', target: 'moderator:sam' },
    { actor: 'system:login', action: 'moderator.login_failed', target: 'moderator:sam' },
    { actor: 'moderator:olive', action: 'moderator.enable', target: 'moderator:sam' },
    { actor: 'moderator:olive', action: 'moderator.reset_password', target: 'moderator:sam' },
  ]);
  assert.equal(entries[0]!.details, { role: 'moderator', generatedPassword: true });
  assert.equal(entries[1]!.details, { from: 'moderator', to: 'safeguarding' });
  assert.equal(entries[3]!.details, { problem: 'disabled' });
});

test('a refused account action is not recorded as done', async () => {
  const mona = await loginModerator(server, 'mona');
  const before = (await latest(1))[0]!.id;
  assert.is((await mona.request('/api/mod/moderators/sam/disable', { method: 'POST' })).status, 403);
  assert.is((await latest(1))[0]!.id, before);
});

test('changing one’s own password and logging out are recorded under the moderator', async () => {
  const mona = await loginModerator(server, 'mona');
  const next = 'a brand new passphrase for mona';
  secrets.push(next);
  assert.is((await mona.request('/api/mod/password', { method: 'POST', body: { current: TEST_PASSWORD, next } })).status, 204);
  assert.is((await mona.request('/api/mod/logout', { method: 'POST' })).status, 204);
  const entries = await latest(2);
  assert.equal(entries.map(summary), [
    { actor: 'moderator:mona', action: 'moderator.change_password', target: 'moderator:mona' },
    { actor: 'moderator:mona', action: 'moderator.logout', target: 'moderator:mona' },
  ]);
});

test('invites: creation and revocation recorded with the hint, never the code', async () => {
  await createModerator(server, 'ivy', 'moderator');
  const ivy = await loginModerator(server, 'ivy');
  const res = await ivy.request('/api/mod/invites', { method: 'POST', body: { uses: 30, expiresInHours: 24, note: 'class 4B' } });
  assert.is(res.status, 201);
  const { code, invite } = await json<{ code: string; invite: { id: string; hint: string; expiresAt: number } }>(res);
  secrets.push(code, code.replaceAll('-', ''));
  assert.is((await ivy.request(`/api/mod/invites/${invite.id}`, { method: 'DELETE' })).status, 200);
  assert.is((await ivy.request(`/api/mod/invites/${invite.id}`, { method: 'DELETE' })).status, 200, 'revoking twice is harmless');
  const entries = await latest(2);
  assert.equal(entries.map(summary), [
    { actor: 'moderator:ivy', action: 'invite.create', target: `invite:${invite.id}` },
    { actor: 'moderator:ivy', action: 'invite.revoke', target: `invite:${invite.id}` },
  ]);
  assert.equal(entries[0]!.details, { hint: invite.hint, uses: 30, expiresAt: invite.expiresAt, note: 'class 4B' });
});

test('no password, guess or invite code is anywhere in the audit log, and the chain verifies', async () => {
  const text = JSON.stringify(await server.db.selectFrom('audit_log').selectAll().execute());
  for (const secret of secrets) assert.not.ok(text.includes(secret), `found ${secret}`);
  const audit = auditOf(server, server.db);
  assert.is((await audit.verify()).ok, true);
});

test.run();
