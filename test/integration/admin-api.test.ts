// The moderators' admin API against the real server with real clients: live figures, the audit
// log and its verification, announcements reaching everyone online, ending a chat session,
// the on-demand purge; each role allowed exactly its part, and every action in the audit log
// under the moderator's name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, type ModSession } from '../helpers/moderators.ts';
import { connect, pair, type TestClient } from '../helpers/client.ts';
import { cliActor } from '../../server/access/actor.ts';
import { AgeBandLocks } from '../../server/access/age-bands.ts';
import { SessionService } from '../../server/access/sessions.ts';
import { TicketService } from '../../server/access/tickets.ts';
import { InviteService } from '../../server/access/invites.ts';
import type { AuditEntry } from '../../server/moderation/audit.ts';
import { auditOf } from '../helpers/audit.ts';
import { BanIndex } from '../../server/moderation/ban-index.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';

let server: TestServer;
let owner: ModSession;
let admin: ModSession;
let mod: ModSession;
let auditor: ModSession;
const clients: TestClient[] = [];

test.before(async () => {
  server = await newServer();
  await createModerator(server, 'olive', 'owner');
  await createModerator(server, 'adam', 'admin');
  await createModerator(server, 'mona', 'moderator');
  await createModerator(server, 'ada', 'auditor');
  owner = await loginModerator(server, 'olive');
  admin = await loginModerator(server, 'adam');
  mod = await loginModerator(server, 'mona');
  auditor = await loginModerator(server, 'ada');
});
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  // Wait until the server has seen every disconnect, so live figures start from zero.
  const deadline = Date.now() + 2000;
  while ((await server.stats()).online > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
});
test.after(() => server.stop());

const track = <T extends TestClient>(client: T): T => (clients.push(client), client);
const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
const errorCode = async (res: Response) => (await json<{ error: { code: string } }>(res)).error.code;

async function sessionIds(): Promise<Set<string>> {
  return new Set((await server.db.selectFrom('sessions').select('id').execute()).map((r) => r.id));
}

/** Connects a client and finds the id of the chat session it started. */
async function connectWithSession(): Promise<{ client: TestClient; sessionId: string }> {
  const before = await sessionIds();
  const client = track(await connect(server.url));
  const created = [...(await sessionIds())].filter((id) => !before.has(id));
  assert.is(created.length, 1);
  return { client, sessionId: created[0]! };
}

async function auditEntries(action: string): Promise<AuditEntry[]> {
  const res = await owner.request(`/api/mod/audit?action=${encodeURIComponent(action)}&limit=1000`);
  assert.is(res.status, 200);
  return (await json<{ entries: AuditEntry[] }>(res)).entries;
}

async function auditCount(): Promise<number> {
  return (await server.db.selectFrom('audit_log').select('id').execute()).length;
}

test('every admin route needs a moderator login', async () => {
  for (const [method, path] of [
    ['GET', '/api/mod/stats'],
    ['GET', '/api/mod/audit'],
    ['GET', '/api/mod/audit/verify'],
    ['POST', '/api/mod/announce'],
    ['POST', '/api/mod/sessions/4a0e8f1e-5f7c-4a8e-9a51-7e7f8a3c1b2d/kill'],
    ['POST', '/api/mod/purge'],
  ] as const) {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    assert.is(res.status, 401, `${method} ${path}`);
  }
});

test('state-changing admin routes need the CSRF token', async () => {
  const res = await mod.request('/api/mod/announce', { method: 'POST', body: { text: 'hello' }, csrf: false });
  assert.is(res.status, 403);
  assert.is(await errorCode(res), 'csrf_failed');
});

test('an auditor reads figures, the audit log and its verification, and can do nothing else', async () => {
  assert.is((await auditor.request('/api/mod/stats')).status, 200);
  assert.is((await auditor.request('/api/mod/audit')).status, 200);
  assert.is((await auditor.request('/api/mod/audit/verify')).status, 200);
  const { client, sessionId } = await connectWithSession();
  const entriesBefore = await auditCount();
  for (const [path, body] of [
    ['/api/mod/announce', { text: 'from the auditor' }],
    [`/api/mod/sessions/${sessionId}/kill`, {}],
    ['/api/mod/purge', { dryRun: true }],
  ] as const) {
    const res = await auditor.request(path, { method: 'POST', body });
    assert.is(res.status, 403, path);
    assert.is(await errorCode(res), 'forbidden');
  }
  await client.none('notice', 300);
  assert.is(client.closeCode, undefined, 'the session was not ended');
  assert.is(await auditCount(), entriesBefore, 'refused actions leave no entry');
});

test('only an owner may purge', async () => {
  for (const session of [admin, mod]) {
    const res = await session.request('/api/mod/purge', { method: 'POST', body: { dryRun: true } });
    assert.is(res.status, 403);
  }
  assert.is((await owner.request('/api/mod/purge', { method: 'POST', body: { dryRun: true } })).status, 200);
});

test('stats: live figures from the hub and open reports, open appeals, active bans from the database', async () => {
  const empty = await json<Record<string, number>>(await mod.request('/api/mod/stats'));
  assert.equal(empty, { online: 0, queued: 0, inConversation: 0, conversations: 0, openReports: 0, openAppeals: 0, activeBans: 0, openAlerts: 0 });

  const [a, b] = await pair(server.url);
  track(a);
  track(b);
  const queued = track(await connect(server.url));
  queued.send({ type: 'find', mode: 'text' });
  await queued.next('queued');
  track(await connect(server.url));

  const now = Date.now();
  const report = (id: string, status: string) => ({
    id, conversation_id: `c-${id}`, reason: 'spam', status, reporter_session_id: 'x', reported_session_id: 'y', transcript: '[]', evidence_token_hash: id, created_at: now,
  });
  await server.db.insertInto('reports').values([report('r1', 'open'), report('r2', 'open'), report('r3', 'resolved')]).execute();
  const ban = (id: string, fields: { expires_at?: number | null; lifted_at?: number | null; quarantine?: number }) => ({
    id, target_kind: 'ip', target: '203.0.113.9', reason: 'spam', severity: 'no_access', created_by: 'cli:test', created_at: now,
    expires_at: null, lifted_at: null, quarantine: 0, ...fields,
  });
  await server.db
    .insertInto('bans')
    .values([ban('b-permanent', {}), ban('b-later', { expires_at: now + 3600_000 }), ban('b-quarantine', { quarantine: 1 }), ban('b-expired', { expires_at: now - 1 }), ban('b-lifted', { lifted_at: now - 1 })])
    .execute();
  await server.db
    .insertInto('appeals')
    .values([
      { id: 'a1', ban_id: 'b-permanent', message: 'please', status: 'open', created_at: now },
      { id: 'a2', ban_id: 'b-later', message: 'please', status: 'upheld', created_at: now, decided_by: 'moderator:adam', decided_at: now },
    ])
    .execute();

  const res = await auditor.request('/api/mod/stats');
  assert.is(res.status, 200);
  assert.equal(await res.json(), { online: 4, queued: 1, inConversation: 2, conversations: 1, openReports: 2, openAppeals: 1, activeBans: 3, openAlerts: 0 });
  // The live figures are this process's hub: the same as what the server reports about itself.
  assert.equal({ ...(await server.stats()) }, { online: 4, queued: 1, inConversation: 2, conversations: 1 });
  await server.db.deleteFrom('appeals').execute();
  await server.db.deleteFrom('bans').execute();
  await server.db.deleteFrom('reports').execute();
});

test('an announcement reaches everyone online within 2 s as a notice, and is audited', async () => {
  const [a, b] = await pair(server.url);
  track(a);
  track(b);
  const idle = track(await connect(server.url));
  const started = Date.now();
  const res = await mod.request('/api/mod/announce', { method: 'POST', body: { text: '  The site closes at 18:00 today.  ' } });
  assert.is(res.status, 201);
  const notices = await Promise.all([a, b, idle].map((client) => client.next('notice', 2000)));
  assert.ok(Date.now() - started <= 2000, 'within 2 s');
  for (const notice of notices) assert.equal(notice, { type: 'notice', text: 'The site closes at 18:00 today.' });
  assert.is(a.closeCode, undefined, 'an announcement ends nothing');
  a.send({ type: 'message', text: 'still here' });
  assert.is((await b.next('message')).text, 'still here');

  const [entry] = await auditEntries('announcement.send');
  assert.is(entry!.actor, 'moderator:mona');
  assert.equal(entry!.details, { text: 'The site closes at 18:00 today.' });
});

test('announcements must be 1 to 500 characters', async () => {
  const listener = track(await connect(server.url));
  for (const body of [{}, { text: '' }, { text: '   ' }, { text: 'x'.repeat(501) }, { text: 42 }, { text: 'hi', extra: true }]) {
    const res = await mod.request('/api/mod/announce', { method: 'POST', body });
    assert.is(res.status, 400, JSON.stringify(body).slice(0, 40));
    assert.is(await errorCode(res), 'invalid_body');
  }
  await listener.none('notice', 300);
  assert.is((await mod.request('/api/mod/announce', { method: 'POST', body: { text: 'y'.repeat(500) } })).status, 201);
  assert.is((await listener.next('notice', 2000)).text.length, 500);
});

test('ending a session closes its socket with 4401, ends the conversation, and is audited', async () => {
  const { client: target, sessionId } = await connectWithSession();
  const partner = track(await connect(server.url));
  target.send({ type: 'find', mode: 'text' });
  await target.next('queued');
  partner.send({ type: 'find', mode: 'text' });
  await Promise.all([target.next('matched'), partner.next('matched')]);

  const started = Date.now();
  const res = await mod.request(`/api/mod/sessions/${sessionId}/kill`, { method: 'POST', body: { reason: 'abusive behaviour' } });
  assert.is(res.status, 200);
  assert.equal(await res.json(), { sessionId, ended: true });
  assert.is(await target.waitClose(2000), CloseCode.Unauthorised);
  assert.ok(Date.now() - started <= 2000, 'within 2 s');
  const ended = await partner.next('ended', 2000);
  assert.is(ended.reason, 'moderator');
  assert.is(partner.closeCode, undefined, 'the partner stays connected');

  const row = await server.db.selectFrom('sessions').select('ended_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  assert.ok(row.ended_at !== null, 'the session is marked ended');
  const [entry] = await auditEntries('session.kill');
  assert.is(entry!.actor, 'moderator:mona');
  assert.is(entry!.target, `session:${sessionId}`);
  assert.is(entry!.reason, 'abusive behaviour');

  // Again: nothing left to end, still answered and recorded.
  const again = await mod.request(`/api/mod/sessions/${sessionId}/kill`, { method: 'POST', body: {} });
  assert.equal(await again.json(), { sessionId, ended: false });
});

test('ending an unknown or malformed session id is a 404', async () => {
  for (const id of ['4a0e8f1e-5f7c-4a8e-9a51-7e7f8a3c1b2d', 'not-a-session']) {
    const res = await mod.request(`/api/mod/sessions/${id}/kill`, { method: 'POST', body: {} });
    assert.is(res.status, 404, id);
    assert.is(await errorCode(res), 'not_found');
  }
});

test('a session ended from another process (as the CLI does) closes the live socket within 2 s', async () => {
  const { client, sessionId } = await connectWithSession();
  const db = await server.openSecondDb();
  const secret = server.config.secrets.sessionSecret;
  const audit = auditOf(server, db);
  const sessions = new SessionService({
    db,
    audit,
    config: server.config,
    tickets: new TicketService({ db, secret, now: Date.now }),
    invites: new InviteService({ db, audit, secret, now: Date.now }),
    bands: new AgeBandLocks({ db, audit, now: Date.now, lockDays: 30 }),
    bans: new BanIndex(Date.now),
    now: Date.now,
  });
  const started = Date.now();
  await sessions.end(sessionId, cliActor('olive'));
  assert.is(await client.waitClose(2000), CloseCode.Unauthorised);
  assert.ok(Date.now() - started <= 2000);
  const [entry] = await auditEntries('session.kill');
  assert.is(entry!.actor, 'cli:olive');
});

test('the audit log: newest first, filtered by action and time, paged with beforeId', async () => {
  const res = await auditor.request('/api/mod/audit?limit=1000');
  const all = (await json<{ entries: AuditEntry[]; nextBeforeId: number | null }>(res)).entries;
  assert.ok(all.length >= 10);
  assert.equal(all.map((e) => e.id), [...all.map((e) => e.id)].sort((x, y) => y - x), 'newest first');

  // Pages of 3 cover every entry once, in order.
  const paged: number[] = [];
  let beforeId: number | null = null;
  do {
    const page: { entries: AuditEntry[]; nextBeforeId: number | null } = await json(await auditor.request(`/api/mod/audit?limit=3${beforeId ? `&beforeId=${beforeId}` : ''}`));
    assert.ok(page.entries.length <= 3);
    paged.push(...page.entries.map((e) => e.id));
    beforeId = page.nextBeforeId;
  } while (beforeId !== null);
  assert.equal(paged, all.map((e) => e.id));

  const logins = await auditEntries('moderator.login');
  assert.ok(logins.length >= 4);
  assert.ok(logins.every((e) => e.action === 'moderator.login'));

  const middle = all[Math.floor(all.length / 2)]!;
  const since = await json<{ entries: AuditEntry[] }>(await auditor.request(`/api/mod/audit?since=${middle.at}&limit=1000`));
  assert.ok(since.entries.length > 0 && since.entries.every((e) => e.at >= middle.at));
  const until = await json<{ entries: AuditEntry[] }>(await auditor.request(`/api/mod/audit?until=${middle.at}&limit=1000`));
  assert.ok(until.entries.every((e) => e.at < middle.at));
  assert.is(since.entries.length + until.entries.length, all.length);

  for (const query of ['limit=0', 'limit=1001', 'since=yesterday', 'beforeId=-1', 'actor=me']) {
    const bad = await auditor.request(`/api/mod/audit?${query}`);
    assert.is(bad.status, 400, query);
    assert.is(await errorCode(bad), 'invalid_query');
  }
});

test('verification over HTTP: ok for the real chain, the changed row when one is tampered with', async () => {
  const ok = await json<{ ok: boolean; rows: number; last: { id: number; hash: string }; recordedHead: { id: number; hash: string } }>(await auditor.request('/api/mod/audit/verify'));
  assert.equal([ok.ok, ok.rows], [true, await auditCount()]);
  assert.equal(ok.recordedHead, ok.last, "the server's data folder records the chain's end");
  assert.is((await json<{ ok: boolean }>(await auditor.request(`/api/mod/audit/verify?expect=${ok.last.hash}`))).ok, true, 'a witnessed hash is found');
  const witness = await json<{ ok: boolean; finding: string }>(await auditor.request(`/api/mod/audit/verify?expect=${'0'.repeat(63)}1`));
  assert.equal([witness.ok, witness.finding], [false, 'expected_not_found']);
  assert.is((await auditor.request('/api/mod/audit/verify?expect=nope')).status, 400);
  const victim = await server.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.kill').orderBy('id').limit(1).executeTakeFirstOrThrow();
  await server.db.updateTable('audit_log').set({ actor: 'moderator:someone-else' }).where('id', '=', victim.id).execute();
  try {
    const bad = await json<{ ok: boolean; badRowId: number; finding: string }>(await auditor.request('/api/mod/audit/verify'));
    assert.is(bad.ok, false);
    assert.is(bad.badRowId, Number(victim.id));
    assert.is(bad.finding, 'edited_row');
  } finally {
    await server.db.updateTable('audit_log').set({ actor: victim.actor }).where('id', '=', victim.id).execute();
  }
  assert.is((await json<{ ok: boolean }>(await auditor.request('/api/mod/audit/verify'))).ok, true);
});

test('an owner purges on demand: a dry run changes nothing, a real purge is audited with its counts', async () => {
  const before = await auditCount();
  const dry = await owner.request('/api/mod/purge', { method: 'POST', body: { dryRun: true } });
  assert.is(dry.status, 200);
  const dryBody = await json<{ dryRun: boolean; counts: Record<string, number> }>(dry);
  assert.is(dryBody.dryRun, true);
  assert.is(dryBody.counts.tickets! > 0, true, 'the used tickets of this test are due');
  assert.is(await auditCount(), before);

  const res = await owner.request('/api/mod/purge', { method: 'POST', body: {} });
  assert.is(res.status, 200);
  const body = await json<{ dryRun: boolean; counts: Record<string, number> }>(res);
  assert.is(body.dryRun, false);
  assert.is(body.counts.tickets, dryBody.counts.tickets);
  assert.is((await server.db.selectFrom('tickets').select('hash').execute()).length, 0);
  const [entry] = await auditEntries('retention.purge');
  assert.is(entry!.actor, 'moderator:olive');
  assert.equal((entry!.details as { counts: unknown }).counts, body.counts);
  assert.is((await mod.request('/api/mod/purge', { method: 'POST', body: { dryRun: 'yes' } })).status, 403);
  assert.is((await owner.request('/api/mod/purge', { method: 'POST', body: { dryRun: 'yes' } })).status, 400);
});

test.run();
