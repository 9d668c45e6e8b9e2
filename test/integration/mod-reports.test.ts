// The report queue of the moderators' API: listing and filters, opening a report with its
// evidence by role (only safeguarding opens `minor`/`illegal` evidence; the auditor none), every
// opening of evidence audited, and resolving (dismiss, ban of the reported person's own device,
// address or network, resolved server-side) — which the auditor may not do.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator, type ModSession } from '../helpers/moderators.ts';
import { deviceOf, join, pairUp, report, TINY_JPEG, uploadFrame, type Person } from '../helpers/people.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';

let server: TestServer;
const sessions: Record<string, ModSession> = {};
const online: Person[] = [];
let addressCounter = 0;

test.before(async () => {
  // A TURN server (never contacted: no media flows here) so that minors, too, may have video conversations with frames.
  server = await newServer({ trustedProxies: ['127.0.0.1'], turn: { urls: ['turn:turn.example.org:3478'] } }, { secrets: { turnSecret: 'turn-secret-for-the-mod-reports-test' } });
  for (const [name, role] of [['mona', 'moderator'], ['sam', 'safeguarding'], ['ada', 'auditor'], ['olive', 'owner']] as const) {
    await createModerator(server, name, role);
    sessions[name] = await loginModerator(server, name);
  }
});
test.after.each(() => {
  for (const person of online.splice(0)) person.close();
});
test.after(() => server.stop());

interface Filed {
  reportId: string;
  reported: Person;
}

/** A conversation with one line each way and a report with one frame. */
async function fileReport(reason: string, options: { reportedAge?: number; reportedAddress?: string } = {}): Promise<Filed> {
  const age = options.reportedAge ?? 25;
  const reported = await join(server.url, { address: options.reportedAddress ?? `203.0.113.${++addressCounter}`, age });
  const reporter = await join(server.url, { address: `198.51.100.${++addressCounter}`, age });
  online.push(reported, reporter);
  await pairUp(reported, reporter, 'video');
  reported.send({ type: 'message', text: `a line from the reported side about ${reason}` });
  await reporter.next('message');
  const filed = await report(reporter, reason);
  assert.is((await uploadFrame(server.url, filed.reportId, filed.evidenceToken, TINY_JPEG)).status, 201);
  return { reportId: filed.reportId, reported };
}

async function evidenceViews(): Promise<Array<{ actor: string; target: string | null; details: string | null }>> {
  return server.db.selectFrom('audit_log').select(['actor', 'target', 'details']).where('action', '=', 'evidence.view').orderBy('id').execute();
}

type Opened = { report: { id: string; reason: string; sensitive: boolean; reported: { deviceId: string } }; evidence: { transcript: Array<{ by: string; text: string }>; frames: unknown[] } | null; evidenceHidden: boolean };

async function open(who: string, reportId: string): Promise<Opened> {
  const res = await sessions[who]!.request(`/api/mod/reports/${reportId}`);
  assert.is(res.status, 200, `${who} may open reports`);
  return (await res.json()) as Opened;
}

let minor: Filed;
let harassment: Filed;

test('the queue lists reports without evidence, filtered by status, reason and band', async () => {
  minor = await fileReport('minor', { reportedAge: 15 });
  harassment = await fileReport('harassment');
  const res = await sessions.ada!.request('/api/mod/reports');
  assert.is(res.status, 200, 'the auditor may list');
  const body = (await res.json()) as { reports: Array<Record<string, unknown>>; total: number };
  assert.is(body.total, 2);
  assert.equal(body.reports.map((r) => r.id), [minor.reportId, harassment.reportId], 'the open queue, oldest first');
  for (const item of body.reports) {
    assert.not.ok('transcript' in item || 'evidence' in item || 'reporter' in item, 'no evidence or parties in the list');
    assert.is(item.frames, 1);
  }
  assert.is(body.reports[0]!.sensitive, true);
  assert.is(body.reports[0]!.reportedBand, 'minor');

  const ids = async (query: string) => ((await (await sessions.mona!.request(`/api/mod/reports?${query}`)).json()) as { reports: Array<{ id: string }> }).reports.map((r) => r.id);
  assert.equal(await ids('reason=minor'), [minor.reportId]);
  assert.equal(await ids('band=adult'), [harassment.reportId]);
  assert.equal(await ids('status=resolved'), []);
  assert.equal(await ids('status=all&limit=1&offset=1'), [minor.reportId], 'all, newest first, paged');
  assert.is((await sessions.mona!.request('/api/mod/reports?status=closed')).status, 400);
  assert.is((await sessions.mona!.request('/api/mod/reports?reason=rude')).status, 400);
  assert.is((await fetch(`${server.url}/api/mod/reports`)).status, 401, 'moderators only');
});

test('a moderator opens ordinary evidence (audited) but not a minor report\'s', async () => {
  const before = (await evidenceViews()).length;
  const opened = await open('mona', harassment.reportId);
  assert.is(opened.evidenceHidden, false);
  assert.equal(opened.evidence!.transcript.map((l) => [l.by, l.text]), [['reported', 'a line from the reported side about harassment']]);
  assert.is(opened.evidence!.frames.length, 1);
  assert.is(opened.report.reported.deviceId, deviceOf(harassment.reported.cookie));
  const views = await evidenceViews();
  assert.is(views.length, before + 1, 'the opening is in the audit log');
  assert.is(views.at(-1)!.actor, 'moderator:mona');
  assert.is(views.at(-1)!.target, `report:${harassment.reportId}`);

  const hidden = await open('mona', minor.reportId);
  assert.is(hidden.evidence, null);
  assert.is(hidden.evidenceHidden, true);
  assert.is(hidden.report.sensitive, true);
  assert.is((await sessions.mona!.request(`/api/mod/reports/${minor.reportId}/frames/0`)).status, 403);
  assert.is((await evidenceViews()).length, before + 1, 'nothing shown, nothing recorded');
});

test('safeguarding opens a minor report\'s transcript and frames, each opening audited', async () => {
  const before = (await evidenceViews()).length;
  const opened = await open('sam', minor.reportId);
  assert.is(opened.evidenceHidden, false);
  assert.is(opened.evidence!.transcript.length, 1);
  const frame = await sessions.sam!.request(`/api/mod/reports/${minor.reportId}/frames/0`);
  assert.is(frame.status, 200);
  assert.is(frame.headers.get('content-type'), 'image/jpeg');
  assert.is(frame.headers.get('cache-control'), 'no-store');
  assert.ok(Buffer.from(await frame.arrayBuffer()).equals(TINY_JPEG));
  await sessions.sam!.request(`/api/mod/reports/${minor.reportId}/frames/0`);
  assert.is((await sessions.sam!.request(`/api/mod/reports/${minor.reportId}/frames/1`)).status, 404);
  assert.is((await sessions.sam!.request(`/api/mod/reports/${minor.reportId}/frames/x`)).status, 404);
  const views = (await evidenceViews()).slice(before);
  assert.equal(
    views.map((v) => [v.actor, v.target, (JSON.parse(v.details!) as { part: string }).part]),
    [
      ['moderator:sam', `report:${minor.reportId}`, 'transcript'],
      ['moderator:sam', `report:${minor.reportId}`, 'frame'],
      ['moderator:sam', `report:${minor.reportId}`, 'frame'],
    ],
    'every opening, frames included',
  );
});

test('the auditor sees reports but no evidence, and may not resolve', async () => {
  const before = (await evidenceViews()).length;
  for (const filed of [harassment, minor]) {
    const opened = await open('ada', filed.reportId);
    assert.is(opened.evidence, null);
    assert.is(opened.evidenceHidden, true);
  }
  assert.is((await sessions.ada!.request(`/api/mod/reports/${harassment.reportId}/frames/0`)).status, 403);
  const resolve = await sessions.ada!.request(`/api/mod/reports/${harassment.reportId}/resolve`, { method: 'POST', body: { action: 'dismiss' } });
  assert.is(resolve.status, 403);
  assert.is(((await resolve.json()) as { error: { code: string } }).error.code, 'forbidden');
  assert.is((await evidenceViews()).length, before);
  const row = await server.db.selectFrom('reports').select('status').where('id', '=', harassment.reportId).executeTakeFirstOrThrow();
  assert.is(row.status, 'open');
});

test('dismissing resolves the report once, audited; a second resolution is 409', async () => {
  const missingCsrf = await sessions.mona!.request(`/api/mod/reports/${harassment.reportId}/resolve`, { method: 'POST', body: { action: 'dismiss' }, csrf: false });
  assert.is(missingCsrf.status, 403);
  const invalid = await sessions.mona!.request(`/api/mod/reports/${harassment.reportId}/resolve`, {
    method: 'POST',
    body: { action: 'dismiss', ban: { target: 'device', reason: 'x' } },
  });
  assert.is(invalid.status, 400, 'a ban only with action ban');
  const res = await sessions.mona!.request(`/api/mod/reports/${harassment.reportId}/resolve`, { method: 'POST', body: { action: 'dismiss', note: 'banter' } });
  assert.is(res.status, 200);
  const row = await server.db.selectFrom('reports').selectAll().where('id', '=', harassment.reportId).executeTakeFirstOrThrow();
  assert.equal([row.status, row.resolution, row.resolved_by, row.resolution_note], ['resolved', 'dismiss', 'moderator:mona', 'banter']);
  const audit = await server.db.selectFrom('audit_log').selectAll().where('action', '=', 'report.dismiss').execute();
  assert.equal(audit.map((a) => [a.actor, a.target, a.reason]), [['moderator:mona', `report:${harassment.reportId}`, 'banter']]);
  const again = await sessions.sam!.request(`/api/mod/reports/${harassment.reportId}/resolve`, { method: 'POST', body: { action: 'dismiss' } });
  assert.is(again.status, 409);
  const liftNothing = await sessions.mona!.request(`/api/mod/reports/${minor.reportId}/resolve`, { method: 'POST', body: { action: 'lift_quarantine' } });
  assert.is(liftNothing.status, 409, 'nothing to lift');
});

test('a ban from a report targets the reported person\'s own device, and disconnects them', async () => {
  const filed = await fileReport('hate');
  const res = await sessions.mona!.request(`/api/mod/reports/${filed.reportId}/resolve`, {
    method: 'POST',
    body: { action: 'ban', note: 'slurs', ban: { target: 'device', severity: 'no_access', duration: '1d', reason: 'Hate speech is not allowed here.' } },
  });
  assert.is(res.status, 200);
  const { ban } = (await res.json()) as { ban: { id: string } };
  assert.equal(await filed.reported.next('banned', 2000), { type: 'banned', reason: 'Hate speech is not allowed here.', until: (await server.db.selectFrom('bans').select('expires_at').where('id', '=', ban.id).executeTakeFirstOrThrow()).expires_at });
  assert.is(await filed.reported.waitClose(2000), CloseCode.Banned);
  const row = await server.db.selectFrom('bans').selectAll().where('id', '=', ban.id).executeTakeFirstOrThrow();
  assert.equal([row.target_kind, row.target, row.severity, row.created_by, row.report_id], ['device', deviceOf(filed.reported.cookie), 'no_access', 'moderator:mona', filed.reportId]);
  assert.ok(Math.abs(row.expires_at! - (row.created_at + 86_400_000)) < 1000);
  const audit = await server.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'report.ban').execute();
  assert.is(audit.length, 1);
  assert.is((JSON.parse(audit[0]!.details!) as { banId: string }).banId, ban.id);
});

test('address and network targets come from the report; an identity that was never verified cannot be banned', async () => {
  const v4 = await fileReport('spam', { reportedAddress: '198.18.7.42' });
  const network = await sessions.olive!.request(`/api/mod/reports/${v4.reportId}/resolve`, {
    method: 'POST',
    body: { action: 'ban', ban: { target: 'network', severity: 'no_matching', duration: null, reason: 'Spam from this network.' } },
  });
  assert.is(network.status, 200);
  const v6 = await fileReport('spam', { reportedAddress: '2001:db8:abcd:12:3456::9' });
  const noIdentity = await sessions.olive!.request(`/api/mod/reports/${v6.reportId}/resolve`, {
    method: 'POST',
    body: { action: 'ban', ban: { target: 'identity', reason: 'Spam.' } },
  });
  assert.is(noIdentity.status, 400);
  assert.is((await server.db.selectFrom('reports').select('status').where('id', '=', v6.reportId).executeTakeFirstOrThrow()).status, 'open', 'a refused resolution leaves the report open');
  const address = await sessions.olive!.request(`/api/mod/reports/${v6.reportId}/resolve`, {
    method: 'POST',
    body: { action: 'ban', ban: { target: 'address', duration: '2h', reason: 'Spam.' } },
  });
  assert.is(address.status, 200);
  const bans = await server.db.selectFrom('bans').select(['target_kind', 'target', 'report_id']).where('report_id', 'in', [v4.reportId, v6.reportId]).execute();
  assert.equal(
    bans.map((b) => [b.report_id, b.target_kind, b.target]).sort(),
    [
      [v4.reportId, 'cidr', '198.18.7.0/24'],
      [v6.reportId, 'ip', '2001:db8:abcd:12::/64'],
    ].sort(),
  );
});

test.run();
