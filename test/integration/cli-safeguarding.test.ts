// The terminal as a named moderator (--as / STRANGERCHAT_AS) and the safeguarding lead's work from
// it: the account's password is proved (asked, or STRANGERCHAT_AS_PASSWORD), its role is enforced
// and the audit log names both the system user and the account; without --as the operator is an
// owner who may not resolve a minor or illegal report nor read its note; `reports export` writes
// an evidence package whose SHA256SUMS checks, audited as evidence.export.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { connect, type TestClient } from '../helpers/client.ts';
import { deviceOf } from '../helpers/bans.ts';
import { loginModerator } from '../helpers/moderators.ts';
import { pairUp, report, TINY_JPEG, uploadFrame } from '../helpers/people.ts';
import { newInstance, type TestInstance } from '../helpers/cli-instance.ts';
import type { TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery staple';
let instance: TestInstance;
let server: { url: string; stop(): Promise<number> };
let clients: TestClient[] = [];

test.before.each(async () => {
  instance = await newInstance('strangerchat-safeguarding-');
  for (const [name, role] of [['sam', 'safeguarding'], ['mona', 'moderator'], ['ada', 'auditor']]) {
    const made = await instance.cli(['mod', 'add', name!, '--role', role!, '--password-stdin'], { stdin: `${PASSWORD}\n` });
    assert.is(made.code, 0, made.stderr);
  }
  server = await instance.start();
});
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.stop();
  instance.remove();
});

/** The CLI as an account: --as with the password where no terminal asks. */
const as = (account: string, args: string[], password = PASSWORD) => instance.cli([...args, '--as', account], { env: { STRANGERCHAT_AS_PASSWORD: password } });

async function filed(reason: string, note = 'he asked how old I am') {
  const reporter = await connect(server.url);
  const reported = await connect(server.url);
  clients.push(reporter, reported);
  // Video: only a video conversation's report takes evidence frames.
  await pairUp(reporter, reported, 'video');
  reported.send({ type: 'message', text: 'how old are you? send a picture' });
  await reporter.next('message');
  const { reportId, evidenceToken } = await report(reporter, reason, note);
  await reported.next('ended');
  return { reportId, evidenceToken, reported, reportedDevice: deviceOf(reported.cookie) };
}

test('without --as the terminal is an owner who may not resolve a minor report nor read its note; --as a safeguarding account may', async () => {
  const minor = await filed('minor');
  const listed = (await instance.cli(['reports', 'list', '--json'])).json().reports[0];
  assert.equal([listed.note, listed.noteWithheld], [null, true]);
  const shown = await instance.cli(['reports', 'show', minor.reportId]);
  assert.match(shown.stdout, /^note\s+withheld \(the note of a minor report is evidence, for the safeguarding role only\)$/m);
  assert.not.match(shown.stdout, /how old/);
  const dismissed = await instance.cli(['reports', 'resolve', minor.reportId, '--action', 'dismiss', '--json']);
  assert.is(dismissed.code, 1);
  assert.is(dismissed.json().error.code, 'safeguarding_required');
  assert.match(dismissed.stderr, /A minor report is resolved from the terminal only as a safeguarding account: pass --as <a safeguarding account>/);
  const banned = await instance.cli(['reports', 'resolve', minor.reportId, '--action', 'ban', '--reason', 'x', '--permanent']);
  assert.is(banned.code, 1);
  const moderator = await as('mona', ['reports', 'resolve', minor.reportId, '--action', 'dismiss']);
  assert.is(moderator.code, 1, 'a moderator account is not enough either');
  assert.equal(instance.rows<{ status: string }>('SELECT status FROM reports').map((r) => r.status), ['open']);
  assert.is(instance.audit().filter((e) => e.action === 'evidence.view').length, 0, 'nothing was opened');

  // The safeguarding lead does all of it from the terminal.
  const withNote = await as('sam', ['reports', 'show', minor.reportId.slice(0, 8), '--json']);
  assert.is(withNote.code, 0, withNote.stderr);
  assert.equal([withNote.json().report.note, withNote.json().report.noteWithheld], ['he asked how old I am', false]);
  assert.equal(withNote.json().evidence.transcript.map((l: { text: string }) => l.text), ['how old are you? send a picture']);
  const resolved = await as('sam', ['reports', 'resolve', minor.reportId, '--action', 'ban', '--reason', 'a danger to children', '--permanent', '--json']);
  assert.is(resolved.code, 0, resolved.stderr);
  assert.equal([resolved.json().report.resolvedBy, resolved.json().ban.createdBy, resolved.json().ban.target], ['cli:tester as sam', 'cli:tester as sam', minor.reportedDevice]);
  const actions = instance.audit().filter((e) => e.actor === 'cli:tester as sam').map((e) => e.action);
  assert.equal(actions, ['evidence.view', 'ban.add', 'report.ban']);

  // Ordinary reports stay the operator's, as before.
  const spam = await filed('spam', 'links');
  assert.is((await instance.cli(['reports', 'show', spam.reportId, '--json'])).json().report.note, 'links');
  assert.is((await instance.cli(['reports', 'resolve', spam.reportId, '--action', 'dismiss'])).code, 0);
});

test('--frames of a minor report saves them only as a safeguarding account, each frame audited under its name', async () => {
  const minor = await filed('minor');
  assert.is((await uploadFrame(server.url, minor.reportId, minor.evidenceToken, TINY_JPEG)).status, 201);
  const dir = join(instance.here, 'frames');
  const refused = await instance.cli(['reports', 'show', minor.reportId, '--frames', dir]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /pass --as <a safeguarding account>/);
  const saved = await as('sam', ['reports', 'show', minor.reportId, '--frames', dir, '--json']);
  assert.is(saved.code, 0, saved.stderr);
  assert.ok(readFileSync(saved.json().savedFrames[0]).equals(TINY_JPEG));
  assert.equal(instance.audit().filter((e) => e.action === 'evidence.view').map((e) => [e.actor, e.details?.part]), [
    ['cli:tester as sam', 'transcript'],
    ['cli:tester as sam', 'frame'],
  ]);
});

test("--as enforces the account's role and names it in the audit log; STRANGERCHAT_AS does the same", async () => {
  const byMona = await as('mona', ['ban', 'add', '203.0.113.7', '--reason', 'spam', '--duration', '1d', '--json']);
  assert.is(byMona.code, 0, byMona.stderr);
  assert.is(byMona.json().results[0].ban.createdBy, 'cli:tester as mona');
  const auditor = await as('ada', ['ban', 'add', '203.0.113.8', '--reason', 'spam', '--duration', '1d', '--json']);
  assert.is(auditor.code, 1);
  assert.is(auditor.json().error.code, 'forbidden');
  assert.match(auditor.stderr, /Your role \(auditor\) does not allow bans\.add/);
  assert.is((await as('ada', ['reports', 'list'])).code, 0, 'an auditor reads');
  assert.is((await as('mona', ['mod', 'add', 'eve', '--role', 'moderator'])).code, 1, 'a moderator manages no accounts');
  const fromEnv = await instance.cli(['ban', 'add', '203.0.113.9', '--reason', 'spam', '--duration', '1d', '--json'], { env: { STRANGERCHAT_AS: 'mona', STRANGERCHAT_AS_PASSWORD: PASSWORD } });
  assert.is(fromEnv.json().results[0].ban.createdBy, 'cli:tester as mona');
  assert.equal(instance.audit().filter((e) => e.action === 'ban.add').map((e) => e.actor), ['cli:tester as mona', 'cli:tester as mona']);

  // The same person cannot decide the appeal of a ban they made at the terminal, from /mod.
  const person = await filed('spam');
  const ban = await as('mona', ['ban', 'add', `device:${person.reportedDevice}`, '--reason', 'spam', '--duration', '1d', '--json']);
  assert.is(ban.code, 0, ban.stderr);
  await person.reported.next('banned', 2000);
  const appealed = await fetch(`${server.url}/api/appeals`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: person.reported.cookie }, body: JSON.stringify({ message: 'I did nothing' }) });
  assert.is(appealed.status, 201, await appealed.clone().text());
  const { appeal } = (await appealed.json()) as { appeal: { id: string } };
  const mona = await loginModerator({ url: server.url } as TestServer, 'mona', PASSWORD);
  const decided = await mona.request(`/api/mod/appeals/${appeal.id}/decide`, { method: 'POST', body: { decision: 'lift', note: 'fine' } });
  assert.is(decided.status, 403);
  assert.is(((await decided.json()) as { error: { code: string } }).error.code, 'same_moderator');
});

test('--as proves the password: asked on a terminal, else STRANGERCHAT_AS_PASSWORD; failures are audited and counted', async () => {
  const asked = await instance.cli(['ban', 'list', '--as', 'sam'], { tty: true, answers: { 'Password of sam': PASSWORD } });
  assert.is(asked.code, 0, asked.stderr);
  assert.equal(asked.asked, ['Password of sam (acting as them: --as)']);
  const noPassword = await instance.cli(['ban', 'list', '--as', 'sam', '--json']);
  assert.is(noPassword.code, 2);
  assert.is(noPassword.json().error.code, 'password_required');
  assert.match(noPassword.stderr, /--as sam needs the account's password \(no terminal to ask; set STRANGERCHAT_AS_PASSWORD\)/);
  const wrong = await as('sam', ['ban', 'list', '--json'], 'not the password at all');
  assert.is(wrong.code, 1);
  assert.is(wrong.json().error.code, 'invalid_credentials');
  const failed = instance.audit().filter((e) => e.action === 'moderator.login_failed');
  assert.equal(failed.map((e) => [e.actor, e.target, e.details]), [['system:login', 'moderator:sam', { problem: 'wrong_password', via: 'cli', osUser: 'tester' }]]);
  assert.is((await as('nobody', ['ban', 'list'])).code, 1);
  assert.is((await instance.cli(['ban', 'list', '--as', 'Not A Name!'])).code, 2);
  for (let i = 0; i < 4; i++) await as('sam', ['ban', 'list'], 'still not the password');
  const limited = await as('sam', ['ban', 'list', '--json']);
  assert.is(limited.json().error.code, 'rate_limited', 'five failures within 15 minutes, across processes, make the account wait');

  assert.is((await instance.cli(['mod', 'disable', 'mona'])).code, 0);
  assert.match((await as('mona', ['ban', 'list'])).stderr, /--as mona: The account mona is disabled/);
  assert.is((await instance.cli(['mod', 'add', 'newbie', '--role', 'moderator'])).code, 0);
  const oneTime = await as('newbie', ['ban', 'list', '--json'], 'whatever it was');
  assert.is(oneTime.code, 1);

  const notModeration = await instance.cli(['status', '--as', 'sam']);
  assert.is(notModeration.code, 2);
  assert.match(notModeration.stderr, /--as applies to the commands that act as a moderator \(ban, reports, mod, invite, sessions, announce, pause, resume, audit, purge\), not to status/);
  assert.is((await instance.cli(['config', 'path'], { env: { STRANGERCHAT_AS: 'sam' } })).code, 0, 'STRANGERCHAT_AS is not used outside them');
});

test('reports export: the evidence package with a SHA256SUMS that sha256sum -c accepts, a .tar.gz, audited as evidence.export; safeguarding only', async () => {
  const minor = await filed('minor');
  assert.is((await uploadFrame(server.url, minor.reportId, minor.evidenceToken, TINY_JPEG)).status, 201);
  assert.is((await as('sam', ['reports', 'resolve', minor.reportId, '--action', 'ban', '--reason', 'a danger to children', '--permanent'])).code, 0);
  const out = join(instance.here, 'referral');
  for (const [who, result] of [['the operator', await instance.cli(['reports', 'export', minor.reportId, '--out', out, '--json'])], ['an admin-less moderator', await as('mona', ['reports', 'export', minor.reportId, '--out', out, '--json'])]] as const) {
    assert.is(result.code, 1, who);
    assert.is(result.json().error.code, 'forbidden', who);
  }
  assert.not.ok(existsSync(out), 'nothing was written');

  const exported = await as('sam', ['reports', 'export', minor.reportId.slice(0, 8), '--out', out, '--tar', '--json']);
  assert.is(exported.code, 0, exported.stderr);
  const result = exported.json();
  assert.equal(result.files.map((f: { path: string }) => f.path), ['README.txt', 'audit.json', 'bans.json', 'frames/frame-0.jpg', 'report.json', 'transcript.json', 'transcript.txt']);
  assert.match(exported.stderr, /sha256sum -c SHA256SUMS/);
  // The manifest is sha256sum's own format, and every file matches it.
  const manifest = readFileSync(join(out, 'SHA256SUMS'), 'utf8');
  for (const line of manifest.trimEnd().split('\n')) {
    const [hash, path] = line.split('  ') as [string, string];
    assert.is(createHash('sha256').update(readFileSync(join(out, path))).digest('hex'), hash, path);
  }
  assert.match(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, encoding: 'utf8' }), /frames\/frame-0\.jpg: OK/);
  assert.ok(readFileSync(join(out, 'frames', 'frame-0.jpg')).equals(TINY_JPEG));
  assert.is(statSync(out).mode & 0o777, 0o700);
  assert.is(statSync(join(out, 'report.json')).mode & 0o777, 0o600);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal([report.id, report.reason, report.note, report.reported.deviceId], [minor.reportId, 'minor', 'he asked how old I am', minor.reportedDevice]);
  assert.match(readFileSync(join(out, 'transcript.txt'), 'utf8'), /^\d{4}-\d{2}-\d{2}T[\d:.]+Z  reported  how old are you\? send a picture$/m);
  const bans = JSON.parse(readFileSync(join(out, 'bans.json'), 'utf8'));
  assert.equal(bans.map((b: { target: string; reportId: string }) => [b.target, b.reportId]), [[minor.reportedDevice, minor.reportId]]);
  const audit = JSON.parse(readFileSync(join(out, 'audit.json'), 'utf8')) as Array<{ action: string; actor: string; hash: string }>;
  assert.equal(audit.map((e) => e.action), ['ban.add', 'report.ban', 'evidence.export']);
  assert.ok(audit.every((e) => /^[0-9a-f]{64}$/.test(e.hash)), 'each entry carries its chain hash');
  assert.match(readFileSync(join(out, 'README.txt'), 'utf8'), /Exported by:\s+cli:tester as sam/);
  const entry = instance.audit().at(-1)!;
  assert.equal([entry.actor, entry.action, entry.target, entry.details], ['cli:tester as sam', 'evidence.export', `report:${minor.reportId}`, { reason: 'minor', frames: 1, evidencePurged: false }]);

  // The archive holds the same folder.
  assert.equal(result.archive.path, `${out}.tar.gz`);
  const listed: string[] = [];
  await tar.list({ file: `${out}.tar.gz`, onReadEntry: (e) => listed.push(e.path) });
  assert.ok(listed.includes('referral/SHA256SUMS') && listed.includes('referral/frames/frame-0.jpg'), listed.join(', '));
  assert.is(createHash('sha256').update(readFileSync(`${out}.tar.gz`)).digest('hex'), result.archive.sha256);

  const again = await as('sam', ['reports', 'export', minor.reportId, '--out', out]);
  assert.is(again.code, 2, 'never into a folder that holds files');
  mkdirSync(join(instance.here, 'empty'));
  writeFileSync(join(instance.here, 'empty.tar.gz'), '');
  assert.is((await as('sam', ['reports', 'export', minor.reportId, '--out', join(instance.here, 'empty'), '--tar'])).code, 2, 'never over an archive');
});

test.run();
