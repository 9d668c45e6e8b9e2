// Moderator accounts over HTTP: login, cookie flags, CSRF, rate limits, logout, disabling,
// roles enforced by the API. Accounts are created as the operator would, through a second
// database connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, TEST_PASSWORD } from '../helpers/moderators.ts';
import { LOGIN_LIMITS } from '../../server/access/login-limits.ts';
import { captureLogs } from '../helpers/logs.ts';

let server: TestServer;
const logs = captureLogs();
test.before(async () => {
  server = await newServer({}, { logger: logs.logger });
  await createModerator(server, 'olive', 'owner');
  await createModerator(server, 'adam', 'admin');
  await createModerator(server, 'mona', 'moderator');
  await createModerator(server, 'ada', 'auditor');
  await createModerator(server, 'sam', 'safeguarding');
});
test.after(() => server.stop());

const login = (username: string, password: string) =>
  fetch(`${server.url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

test('a fresh instance has no account and no default password', async () => {
  const fresh = await newServer();
  try {
    for (const [username, password] of [['admin', 'admin'], ['owner', 'owner'], ['admin', 'password'], ['root', '']]) {
      const res = await login(username!, password || 'x');
      assert.is(res.status, 401, `${username}/${password}`);
    }
    const rows = await fresh.db.selectFrom('moderators').selectAll().execute();
    assert.is(rows.length, 0);
  } finally {
    await fresh.stop();
  }
});

test('passwords are stored as scrypt hashes, never in clear', async () => {
  const rows = await server.db.selectFrom('moderators').select(['username', 'password_hash']).execute();
  for (const row of rows) {
    assert.match(row.password_hash, /^scrypt\$32768\$8\$1\$/);
    assert.not.ok(row.password_hash.includes(TEST_PASSWORD));
  }
});

test('login sets an HttpOnly, SameSite=Strict session cookie with an expiry and returns a CSRF token', async () => {
  const res = await login('mona', TEST_PASSWORD);
  assert.is(res.status, 200);
  const body = (await res.json()) as { moderator: { username: string; role: string }; csrfToken: string; permissions: string[] };
  assert.is(body.moderator.username, 'mona');
  assert.is(body.moderator.role, 'moderator');
  assert.ok(body.csrfToken.length >= 32);
  assert.ok(body.permissions.includes('bans.add'));
  assert.not.ok(body.permissions.includes('evidence.view_sensitive'));
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sc_mod='))!;
  assert.ok(cookie, 'sets sc_mod');
  assert.match(cookie, /httponly/i);
  assert.match(cookie, /samesite=strict/i);
  assert.match(cookie, /expires=/i);
  assert.not.match(cookie, /secure/i, 'plain HTTP on loopback cannot set Secure');
});

test('wrong passwords and unknown users get the same answer', async () => {
  const wrong = await login('adam', 'not the password');
  const unknown = await login('nobody', 'not the password');
  assert.is(wrong.status, 401);
  assert.is(unknown.status, 401);
  assert.equal(await wrong.json(), await unknown.json());
});

test('failed logins are rate-limited per account', async () => {
  await createModerator(server, 'target', 'moderator');
  for (let i = 0; i < LOGIN_LIMITS.perAccountPlace.attempts; i++) assert.is((await login('target', `guess-${i}`)).status, 401);
  const limited = await login('target', TEST_PASSWORD);
  assert.is(limited.status, 429, 'even the right password waits');
  const body = (await limited.json()) as { error: { code: string; retryAfter: number } };
  assert.is(body.error.code, 'rate_limited');
  assert.ok(body.error.retryAfter > 0);
});

test('failed logins are rate-limited per address across accounts', async () => {
  const other = await newServer();
  try {
    await createModerator(other, 'real', 'moderator');
    const attempt = (username: string) =>
      fetch(`${other.url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'spray' }) });
    let status = 0;
    for (let i = 0; i < 25 && status !== 429; i++) status = (await attempt(`user${i}`)).status;
    assert.is(status, 429, 'password spraying from one address is stopped');
    const res = await fetch(`${other.url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'real', password: TEST_PASSWORD }) });
    assert.is(res.status, 429);
  } finally {
    await other.stop();
  }
});

test('the API needs a session; state changes need the CSRF token', async () => {
  assert.is((await fetch(`${server.url}/api/mod/me`)).status, 401);
  const session = await loginModerator(server, 'mona');
  const me = await session.request('/api/mod/me');
  assert.is(me.status, 200);
  const noCsrf = await session.request('/api/mod/invites', { method: 'POST', body: { uses: 1 }, csrf: false });
  assert.is(noCsrf.status, 403);
  assert.is(((await noCsrf.json()) as { error: { code: string } }).error.code, 'csrf_failed');
  const withCsrf = await session.request('/api/mod/invites', { method: 'POST', body: { uses: 1 } });
  assert.is(withCsrf.status, 201);
});

test('logout ends the session', async () => {
  const session = await loginModerator(server, 'mona');
  assert.is((await session.request('/api/mod/logout', { method: 'POST' })).status, 204);
  assert.is((await session.request('/api/mod/me')).status, 401);
});

test('disabling an account ends its sessions at once and blocks new logins', async () => {
  await createModerator(server, 'leaver', 'moderator');
  const leaver = await loginModerator(server, 'leaver');
  const admin = await loginModerator(server, 'adam');
  const res = await admin.request('/api/mod/moderators/leaver/disable', { method: 'POST' });
  assert.is(res.status, 200);
  assert.is((await leaver.request('/api/mod/me')).status, 401);
  assert.is((await login('leaver', TEST_PASSWORD)).status, 401);
});

test('an auditor can read but change nothing', async () => {
  const auditor = await loginModerator(server, 'ada');
  assert.is((await auditor.request('/api/mod/invites')).status, 200);
  const changes: Array<[string, string, unknown]> = [
    ['POST', '/api/mod/invites', { uses: 3 }],
    ['DELETE', '/api/mod/invites/some-id', undefined],
    ['POST', '/api/mod/moderators', { username: 'newbie', role: 'moderator' }],
    ['POST', '/api/mod/moderators/mona/disable', undefined],
    ['PATCH', '/api/mod/moderators/mona', { role: 'admin' }],
  ];
  for (const [method, path, body] of changes) {
    const res = await auditor.request(path, { method, body });
    assert.is(res.status, 403, `${method} ${path}`);
  }
  assert.is((await auditor.request('/api/mod/moderators')).status, 403, 'accounts are for managers');
});

test('admins create accounts with a one-time password but cannot touch owners', async () => {
  const admin = await loginModerator(server, 'adam');
  const created = await admin.request('/api/mod/moderators', { method: 'POST', body: { username: 'newmod', role: 'moderator' } });
  assert.is(created.status, 201);
  const { password, moderator } = (await created.json()) as { password: string; moderator: { mustChangePassword: boolean } };
  assert.ok(password.length >= 16);
  assert.ok(moderator.mustChangePassword);
  assert.is((await login('newmod', password)).status, 200);
  assert.is((await admin.request('/api/mod/moderators', { method: 'POST', body: { username: 'owner2', role: 'owner' } })).status, 403);
  assert.is((await admin.request('/api/mod/moderators/olive/disable', { method: 'POST' })).status, 403);
  assert.is((await admin.request('/api/mod/moderators/newmod', { method: 'PATCH', body: { role: 'owner' } })).status, 403);
});

test('a moderator changes their own password with the current one', async () => {
  await createModerator(server, 'changer', 'moderator');
  const session = await loginModerator(server, 'changer');
  const wrong = await session.request('/api/mod/password', { method: 'POST', body: { current: 'nope', next: 'a much better passphrase' } });
  assert.is(wrong.status, 401);
  const weak = await session.request('/api/mod/password', { method: 'POST', body: { current: TEST_PASSWORD, next: 'short' } });
  assert.is(weak.status, 400);
  const ok = await session.request('/api/mod/password', { method: 'POST', body: { current: TEST_PASSWORD, next: 'a much better passphrase' } });
  assert.is(ok.status, 204);
  assert.is((await login('changer', 'a much better passphrase')).status, 200);
});

test('an account with a one-time password can only change it until it does', async () => {
  const admin = await loginModerator(server, 'adam');
  const created = await admin.request('/api/mod/moderators', { method: 'POST', body: { username: 'fresh', role: 'moderator' } });
  const { password } = (await created.json()) as { password: string };
  const fresh = await loginModerator(server, 'fresh', password);
  assert.is((await fresh.request('/api/mod/me')).status, 200, 'may see who it is');
  const blocked = await fresh.request('/api/mod/invites');
  assert.is(blocked.status, 403);
  assert.is(((await blocked.json()) as { error: { code: string } }).error.code, 'password_change_required');
  assert.is((await fresh.request('/api/mod/password', { method: 'POST', body: { current: password, next: 'my own long passphrase' } })).status, 204);
  assert.is((await fresh.request('/api/mod/invites')).status, 200, 'everything else opens once changed');
});

test('passwords never reach the logs', () => {
  assert.not.ok(logs.text().includes(TEST_PASSWORD));
  assert.not.ok(logs.text().includes('not the password'));
});

test.run();
