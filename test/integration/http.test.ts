// HTTP routes of protocol v1 against the real server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
test.before(async () => {
  server = await newServer({ name: 'Test Chat', description: 'A test instance' }, { rules: '# Be kind' });
});
test.after(() => server.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('GET /healthz answers ok while the database answers', async () => {
  const res = await fetch(`${server.url}/healthz`);
  assert.is(res.status, 200);
  assert.equal(await res.json(), { status: 'ok' });
});

test('GET /api/config gives the public settings and the rules', async () => {
  const res = await fetch(`${server.url}/api/config`);
  assert.is(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assert.is(body.name, 'Test Chat');
  assert.is(body.description, 'A test instance');
  assert.is(body.profile, 'community');
  assert.is(body.accessMode, 'open');
  assert.is(body.minAge, 13);
  assert.equal(body.modes, ['text', 'video']);
  assert.is(body.rules, '# Be kind');
  assert.is(body.relayOnly, false);
  assert.type(body.version, 'string');
  assert.not.ok('secrets' in body);
});

test('POST /api/session issues a ticket and an HttpOnly device cookie', async () => {
  const res = await post('/api/session', { acceptRules: true, age: 16 });
  assert.is(res.status, 201);
  const body = (await res.json()) as { ticket: string; expiresIn: number };
  assert.type(body.ticket, 'string');
  assert.ok(body.ticket.length >= 32);
  assert.is(body.expiresIn, 60);
  const cookie = res.headers.getSetCookie().join('\n');
  assert.match(cookie, /sc_device=/);
  assert.match(cookie, /httponly/i);
});

test('POST /api/session refuses without the rules accepted', async () => {
  const res = await post('/api/session', { acceptRules: false, age: 30 });
  assert.is(res.status, 400);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, 'rules_not_accepted');
});

test('POST /api/session refuses someone under the minimum age', async () => {
  const res = await post('/api/session', { acceptRules: true, age: 12 });
  assert.is(res.status, 403);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.is(body.error.code, 'too_young');
  assert.match(body.error.message, /13/);
});

test('POST /api/session answers invalid_body for malformed or wrongly typed bodies', async () => {
  for (const body of ['{not json', '[]', { acceptRules: true }, { acceptRules: true, age: '16' }, { acceptRules: 'yes', age: 16 }, { acceptRules: true, age: 16, extra: 1 }]) {
    const res = await post('/api/session', body);
    assert.is(res.status, 400, JSON.stringify(body));
    const json = (await res.json()) as { error: { code: string; message: string } };
    assert.is(json.error.code, 'invalid_body', JSON.stringify(body));
    assert.type(json.error.message, 'string');
  }
});

test('an oversized body is refused without reaching the service', async () => {
  const res = await post('/api/session', JSON.stringify({ acceptRules: true, age: 20, inviteCode: 'x'.repeat(100_000) }));
  assert.is(res.status, 413);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, 'too_large');
});

test('unknown paths answer the one error shape', async () => {
  const res = await fetch(`${server.url}/api/nope`);
  assert.is(res.status, 404);
  assert.equal(await res.json(), { error: { code: 'not_found', message: 'Not found.' } });
});

test('healthz answers 503 once the database is gone', async () => {
  const other = await newServer();
  await other.db.destroy();
  const res = await fetch(`${other.url}/healthz`);
  assert.is(res.status, 503);
  await other.close();
});

test.run();
