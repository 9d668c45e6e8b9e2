// `strangerchat reports list|show|resolve` and `ban add --from-report` in-process, on reports filed
// by real clients of the running instance: the transcript in the terminal (times, sides, control
// characters made harmless), frames saved as JPEG files, every opening of evidence audited as
// cli:<user>, sensitive evidence kept for the safeguarding role, and resolutions taking effect live.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { connect, getTicket, openSocket, type TestClient } from '../helpers/client.ts';
import { deviceOf } from '../helpers/bans.ts';
import { pairUp, report, TINY_JPEG, uploadFrame } from '../helpers/people.ts';
import { newInstance, type TestInstance } from '../helpers/cli-instance.ts';

let instance: TestInstance;
let server: { url: string; stop(): Promise<number> };
let clients: TestClient[] = [];

test.before.each(async () => {
  instance = await newInstance('strangerchat-reports-');
  server = await instance.start();
});
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.stop();
  instance.remove();
});

/** Two new people talk (in a video conversation, which alone takes evidence frames), then the reporter reports the other. */
async function filed(reason: string, lines: { reporter?: string; reported?: string } = {}) {
  const reporter = await connect(server.url);
  const reported = await connect(server.url);
  clients.push(reporter, reported);
  await pairUp(reporter, reported, 'video');
  if (lines.reported) {
    reported.send({ type: 'message', text: lines.reported });
    await reporter.next('message');
  }
  if (lines.reporter) {
    reporter.send({ type: 'message', text: lines.reporter });
    await reported.next('message');
  }
  const { reportId, evidenceToken } = await report(reporter, reason, 'they were rude');
  await reported.next('ended');
  return { reportId, evidenceToken, reporter, reported, reportedDevice: deviceOf(reported.cookie) };
}

test('list and show: the queue, and the transcript with times and sides; opening it is audited; --frames saves JPEG files', async () => {
  const { reportId, evidenceToken, reportedDevice } = await filed('harassment', { reported: 'you are \u001b[2Jgone', reporter: 'hi there' });
  assert.is((await uploadFrame(server.url, reportId, evidenceToken, TINY_JPEG)).status, 201);

  const list = await instance.cli(['reports', 'list', '--json']);
  assert.is(list.code, 0, list.stderr);
  assert.is(list.json().total, 1);
  const [summary] = list.json().reports;
  assert.equal([summary.id, summary.reason, summary.status, summary.frames, summary.reportedBand, summary.sensitive], [reportId, 'harassment', 'open', 1, 'adult', false]);
  assert.match((await instance.cli(['reports', 'list'])).stdout, new RegExp(`^${reportId.slice(0, 8)}\\s.*harassment`, 'm'));
  assert.is((await instance.cli(['reports', 'list', '--status', 'resolved', '--json'])).json().total, 0);
  assert.is(instance.audit().filter((e) => e.action === 'evidence.view').length, 0, 'listing opens no evidence');

  const shown = await instance.cli(['reports', 'show', reportId.slice(0, 8)]);
  assert.is(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^reason\s+harassment$/m);
  assert.match(shown.stdout, new RegExp(`^reported\\s+band adult; device ${reportedDevice}, address 127\\.0\\.0\\.1`, 'm'));
  assert.match(shown.stdout, /^\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2}\s+reported\s+you are \\u001b\[2Jgone$/m, 'the escape sequence is shown, not run');
  assert.match(shown.stdout, /^\s+\S+ \S+ [+-]\d{2}:\d{2}\s+reporter\s+hi there$/m, 'in local time, with the offset');
  assert.match(shown.stdout, /^transcript \(2 lines, times in UTC[+-]?[\d:]*\):$/m);
  assert.ok(shown.stdout.indexOf('you are') < shown.stdout.indexOf('hi there'), 'in the order said');
  assert.not.match(shown.stdout, /\u001b/);
  assert.match(shown.stdout, /frames: 1 \(save them with --frames <dir>\)/);
  let views = instance.audit().filter((e) => e.action === 'evidence.view');
  assert.equal(views.map((e) => [e.actor, e.target, e.details?.part]), [['cli:tester', `report:${reportId}`, 'transcript']]);

  const dir = join(instance.here, 'evidence');
  const saved = await instance.cli(['reports', 'show', reportId, '--frames', dir, '--json']);
  assert.is(saved.code, 0, saved.stderr);
  const opened = saved.json();
  assert.equal(opened.evidence.transcript.map((l: { by: string }) => l.by), ['reported', 'reporter']);
  assert.equal(opened.savedFrames, [join(dir, `${reportId}-frame-0.jpg`)]);
  assert.ok(readFileSync(opened.savedFrames[0]).equals(TINY_JPEG), 'the frame is saved as uploaded');
  views = instance.audit().filter((e) => e.action === 'evidence.view');
  assert.equal(views.map((e) => e.details?.part), ['transcript', 'transcript', 'frame'], 'the transcript and the frame are audited, before they are shown');
});

test('the evidence of a minor report stays with the safeguarding role: show says so, --frames exits 1, nothing is audited as viewed', async () => {
  const { reportId } = await filed('minor', { reported: 'how old are you' });
  const shown = await instance.cli(['reports', 'show', reportId]);
  assert.is(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /evidence: hidden; only the safeguarding role may open the evidence of minor reports/);
  assert.not.match(shown.stdout, /how old are you/);
  const json = (await instance.cli(['reports', 'show', reportId, '--json'])).json();
  assert.is(json.evidence, null);
  assert.is(json.evidenceHidden, true);
  const frames = await instance.cli(['reports', 'show', reportId, '--frames', join(instance.here, 'f')]);
  assert.is(frames.code, 1);
  assert.match(frames.stderr, /safeguarding role only/);
  assert.is(instance.audit().filter((e) => e.action === 'evidence.view').length, 0);
});

test('resolve: dismiss closes a report; ban bans what the report recorded and disconnects them live; misuse exits 2, a second resolve 1', async () => {
  const first = await filed('spam');
  const dismissed = await instance.cli(['reports', 'resolve', first.reportId, '--action', 'dismiss', '--note', 'no rule broken', '--json']);
  assert.is(dismissed.code, 0, dismissed.stderr);
  assert.equal([dismissed.json().report.status, dismissed.json().report.resolution, dismissed.json().report.resolvedBy, dismissed.json().ban], ['resolved', 'dismiss', 'cli:tester', null]);
  const again = await instance.cli(['reports', 'resolve', first.reportId, '--action', 'dismiss']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /already resolved/);

  const second = await filed('harassment');
  const noReason = await instance.cli(['reports', 'resolve', second.reportId, '--action', 'ban']);
  assert.is(noReason.code, 2);
  assert.match(noReason.stderr, /--action ban needs --reason/);
  const stray = await instance.cli(['reports', 'resolve', second.reportId, '--action', 'dismiss', '--duration', '7d']);
  assert.is(stray.code, 2);
  assert.match(stray.stderr, /--duration only apply with --action ban/);
  assert.is(instance.rows('SELECT * FROM reports WHERE status = ?', 'resolved').length, 1, 'refused commands changed nothing');

  // The reported person comes back (same browser) and is online when the operator decides.
  const reportedAgain = await connectAs(second.reported);
  const banned = await instance.cli(['reports', 'resolve', second.reportId.slice(0, 8), '--action', 'ban', '--reason', 'harassment', '--duration', '7d', '--json']);
  assert.is(banned.code, 0, banned.stderr);
  const { ban, report: resolved } = banned.json();
  assert.equal([ban.targetKind, ban.target, ban.reportId, ban.createdBy], ['device', second.reportedDevice, second.reportId, 'cli:tester']);
  assert.is(resolved.resolution, 'ban');
  const message = await reportedAgain.next('banned', 2000);
  assert.is(message.reason, 'harassment');
  assert.is(await reportedAgain.waitClose(2000), 4403);
  const actions = instance.audit().filter((e) => e.actor === 'cli:tester').map((e) => e.action);
  assert.equal(actions.slice(-3), ['report.dismiss', 'ban.add', 'report.ban']);
});

test('resolve --action lift_quarantine lifts the automatic quarantine on the reported person', async () => {
  const { reportId, reportedDevice } = await filed('harassment');
  const db = new DatabaseSync(join(instance.dir, 'data', 'strangerchat.db'));
  db.prepare(`INSERT INTO bans (id, target_kind, target, reason, severity, note, created_by, created_at, expires_at, lifted_at, lifted_by, report_id, quarantine)
    VALUES ('22222222-3333-4444-8555-666666666666', 'device', ?, 'held', 'no_matching', NULL, 'system:quarantine', ?, NULL, NULL, NULL, ?, 1)`).run(reportedDevice, Date.now(), reportId);
  db.close();
  assert.match((await instance.cli(['reports', 'list'])).stdout, /\byes\b/, 'the queue shows the quarantine');
  const lifted = await instance.cli(['reports', 'resolve', reportId, '--action', 'lift_quarantine', '--json']);
  assert.is(lifted.code, 0, lifted.stderr);
  assert.equal(lifted.json().liftedBanIds, ['22222222-3333-4444-8555-666666666666']);
  assert.ok(instance.rows<{ lifted_by: string }>('SELECT lifted_by FROM bans')[0]!.lifted_by === 'cli:tester');
  const none = await filed('spam');
  const refused = await instance.cli(['reports', 'resolve', none.reportId, '--action', 'lift_quarantine']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /not quarantined/);
});

test('ban add --from-report bans the reported person and resolves the open report; on a resolved report it only bans', async () => {
  const open = await filed('hate');
  const added = await instance.cli(['ban', 'add', '--from-report', open.reportId.slice(0, 8), '--reason', 'hate speech', '--duration', '30d', '--json']);
  assert.is(added.code, 0, added.stderr);
  assert.equal([added.json().added, added.json().results[0].ban.target, added.json().results[0].ban.reportId], [1, open.reportedDevice, open.reportId]);
  assert.match(added.stderr, /is resolved as "ban"/);
  assert.equal({ ...instance.rows('SELECT status, resolution FROM reports WHERE id = ?', open.reportId)[0] }, { status: 'resolved', resolution: 'ban' });

  const address = await instance.cli(['ban', 'add', '--from-report', open.reportId, '--target', 'network', '--reason', 'hate speech', '--permanent', '--force', '--json']);
  assert.is(address.code, 0, address.stderr);
  assert.equal([address.json().results[0].ban.targetKind, address.json().results[0].ban.target], ['cidr', '127.0.0.0/24']);
  const twice = await instance.cli(['ban', 'add', '--from-report', open.reportId, '--target', 'network', '--reason', 'hate speech', '--permanent', '--force']);
  assert.match(twice.stdout, /added 0, skipped 1, failed 0/);
  const identity = await instance.cli(['ban', 'add', '--from-report', open.reportId, '--target', 'identity', '--reason', 'x']);
  assert.is(identity.code, 2, 'the reported person had no verified identity');
  assert.match(identity.stderr, /no verified identity/);
  assert.is((await instance.cli(['ban', 'add', '203.0.113.7', '--from-report', open.reportId, '--reason', 'x'])).code, 2);
  assert.is((await instance.cli(['ban', 'add', '203.0.113.7', '--target', 'device', '--reason', 'x'])).code, 2);
  assert.is((await instance.cli(['ban', 'add', '--from-report', 'abcdef12', '--reason', 'x'])).code, 1);
});

/** A new connection from the same browser (device cookie) as `person`. */
async function connectAs(person: TestClient & { cookie: string }): Promise<TestClient> {
  const { ticket } = await getTicket(server.url, { acceptRules: true, age: 20 }, person.cookie);
  const client = await openSocket(server.url, ticket);
  await client.next('welcome');
  clients.push(client);
  return client;
}

test.run();
