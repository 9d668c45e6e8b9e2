// `strangerchat init` in-process with an injected context: from flags with --yes, from a scripted
// fake prompt on a "terminal", and never waiting for an answer without one. Checks what an
// operator relies on: the files and their modes, the owner account in the database, a password
// shown exactly once, validation naming the flag, and a dry run that writes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { verifyPassword } from '../../server/access/passwords.ts';
import { packageVersion } from '../../cli/version.ts';
import { CANCEL, DEFAULT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

const dirs: string[] = [];
function cwd(): string {
  const dir = tempDir('strangerchat-init-');
  dirs.push(dir);
  return dir;
}
test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function moderators(dir: string): Array<{ username: string; role: string; password_hash: string; must_change_password: number; created_by: string }> {
  const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'), { readOnly: true });
  try {
    return db.prepare('SELECT username, role, password_hash, must_change_password, created_by FROM moderators').all() as never;
  } finally {
    db.close();
  }
}

function auditActions(dir: string): Array<{ actor: string; action: string }> {
  const db = new DatabaseSync(join(dir, 'data', 'strangerchat.db'), { readOnly: true });
  try {
    return db.prepare('SELECT actor, action FROM audit_log ORDER BY id').all() as never;
  } finally {
    db.close();
  }
}

test('--yes with flags writes the instance layout, creates the database and the owner, and prints the one-time password once', async () => {
  const here = cwd();
  const result = await runCli(['init', 'demo', '--yes', '--profile', 'school', '--owner', 'Alice', '--port', '9191', '--json'], { cwd: here });
  assert.is(result.code, 0, result.stderr);
  const out = result.json();
  const dir = join(here, 'demo');
  assert.is(out.dir, dir);
  assert.equal(out.settings, { name: 'demo', profile: 'school', accessMode: 'invite', port: 9191, publicUrl: null, contact: null, emailDomains: [], turnUrls: [] });
  assert.equal(out.files.map((f: { path: string }) => f.path).sort(), ['.env', '.gitignore', 'data/', 'package.json', 'rules.md', 'strangerchat.json']);
  assert.is(out.owner.username, 'alice');
  assert.is(out.owner.passwordGenerated, true);
  assert.type(out.owner.password, 'string');
  assert.is(out.url, 'http://127.0.0.1:9191');

  assert.is(statSync(join(dir, '.env')).mode & 0o777, 0o600, '.env is private');
  const env = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
  assert.ok((env.STRANGERCHAT_SESSION_SECRET ?? '').length >= 32);
  assert.is(env.STRANGERCHAT_TURN_SECRET, undefined, 'no TURN secret without --turn coturn');
  const settings = JSON.parse(readFileSync(join(dir, 'strangerchat.json'), 'utf8'));
  assert.is(settings.profile, 'school');
  assert.is(settings.accessMode, 'invite', 'schools default to invite codes');
  assert.is(settings.server.port, 9191);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.is(pkg.dependencies.strangerchat, packageVersion(), 'strangerchat is pinned to this version');
  assert.is(pkg.scripts.start, 'strangerchat start');
  assert.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^\.env$/m);
  assert.match(readFileSync(join(dir, 'rules.md'), 'utf8'), /The rules of demo/);

  const [owner, ...others] = moderators(dir);
  assert.equal(others, []);
  assert.is(owner!.username, 'alice');
  assert.is(owner!.role, 'owner');
  assert.is(owner!.must_change_password, 1, 'a generated password must be changed at the first login');
  assert.is(owner!.created_by, 'cli:tester');
  assert.ok(await verifyPassword(out.owner.password, owner!.password_hash), 'the printed password is the account password');
  assert.equal(auditActions(dir).map((a) => [a.actor, a.action]), [['cli:tester', 'moderator.create']]);
  assert.not.ok(result.stderr.includes(out.owner.password), 'the password is not repeated on stderr');
});

test('the human output shows the password exactly once on stdout and the next steps on stderr', async () => {
  const here = cwd();
  const result = await runCli(['init', 'club', '--yes'], { cwd: here });
  assert.is(result.code, 0, result.stderr);
  const password = /one-time password (\S+)/.exec(result.stdout)?.[1];
  assert.ok(password, result.stdout);
  assert.is(result.stdout.split(password!).length - 1, 1);
  assert.is(result.stderr.split(password!).length - 1, 0);
  assert.match(result.stdout, /owner owner/);
  for (const step of [/cd club/, /strangerchat start/, /HTTPS/, /camera and microphone/, /TURN/, /deploy coturn/, /docs\/cli\.md/]) assert.match(result.stderr, step);
});

test('--password-stdin sets the owner password; a weak one exits 2 and writes nothing', async () => {
  const here = cwd();
  const weak = await runCli(['init', 'weak', '--yes', '--owner', 'bob', '--password-stdin'], { cwd: here, stdin: 'short\n' });
  assert.is(weak.code, 2);
  assert.match(weak.stderr, /--password-stdin: the password must be at least 12 characters/);
  assert.not.ok(existsSync(join(here, 'weak')), 'nothing was written');

  const result = await runCli(['init', 'strong', '--yes', '--owner', 'bob', '--password-stdin', '--json'], { cwd: here, stdin: 'correct horse battery staple\n' });
  assert.is(result.code, 0, result.stderr);
  assert.equal(result.json().owner, { username: 'bob', password: null, passwordGenerated: false });
  const [owner] = moderators(join(here, 'strong'));
  assert.ok(await verifyPassword('correct horse battery staple', owner!.password_hash), 'the trailing newline is not part of the password');
  assert.is(owner!.must_change_password, 0);
});

test('on a terminal it asks each question, validating answers with the settings schema', async () => {
  const here = cwd();
  const result = await runCli(['init', 'asked'], {
    cwd: here,
    tty: true,
    answers: {
      'Name of the space': 'Year 9 chat',
      'How can people reach': 'safeguarding@school.example',
      Profile: 'school',
      'Who may join': DEFAULT,
      'Should staff sign in': false,
      'Port to listen on': '9000',
      'Public URL': 'https://chat.school.example',
      'TURN server': 'coturn',
      'TURN URLs': DEFAULT,
      'Username of the first owner': 'head.teacher',
      'Password for head.teacher': 'a long enough passphrase',
    },
  });
  assert.is(result.code, 0, result.stderr);
  assert.equal(
    result.asked.map((q) => q.split(' (')[0]),
    ['Name of the space', 'How can people reach whoever runs this space?', 'Profile', 'Who may join?', "Should staff sign in with the school's Google or Microsoft account to chat as adults?", 'Port to listen on', 'Public URL', 'TURN server for video across networks', 'TURN URLs of your coturn', 'Username of the first owner', 'Password for head.teacher'],
  );
  const dir = join(here, 'asked');
  const settings = JSON.parse(readFileSync(join(dir, 'strangerchat.json'), 'utf8'));
  assert.is(settings.name, 'Year 9 chat');
  assert.is(settings.contact, 'safeguarding@school.example', 'the privacy page names who answers for the space');
  assert.is(settings.accessMode, 'invite', 'the default answer for a school');
  assert.is(settings.publicUrl, 'https://chat.school.example');
  assert.equal(settings.turn.urls, ['turn:chat.school.example:3478', 'turns:chat.school.example:443?transport=tcp'], 'TURN URLs suggested from the public URL');
  const env = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
  assert.ok((env.STRANGERCHAT_TURN_SECRET ?? '').length >= 32, 'coturn gets a generated shared secret');
  const [owner] = moderators(dir);
  assert.ok(await verifyPassword('a long enough passphrase', owner!.password_hash));
  assert.not.match(result.stdout, /one-time password/);

  const refused = await runCli(['init'], {
    cwd: here,
    tty: true,
    answers: { 'Where should': 'asked-again', 'Name of the space': DEFAULT, 'How can people reach': DEFAULT, Profile: DEFAULT, 'Who may join': DEFAULT, 'Port to listen on': '70000' },
  });
  assert.is(refused.code, 1);
  assert.match(refused.asked[0]!, /^Where should the instance be created/, 'without [dir] the folder is asked first');
  assert.match(refused.stderr, /refused: server\.port/, 'the prompt validates the port with the schema');
  const cancelled = await runCli(['init', 'cancelled'], { cwd: here, tty: true, answers: { 'Name of the space': CANCEL } });
  assert.is(cancelled.code, 1);
  assert.is(cancelled.stderr, 'strangerchat: cancelled\n', 'Ctrl-C at a question is no crash');
  assert.not.ok(existsSync(join(here, 'cancelled')));
});

test('without a terminal, with CI set, or with --no-input, a missing answer exits 2 naming its flag', async () => {
  const here = cwd();
  const noTty = await runCli(['init', 'a'], { cwd: here });
  assert.is(noTty.code, 2);
  assert.match(noTty.stderr, /missing --name/);
  assert.match(noTty.stderr, /--yes/);
  const ci = await runCli(['init', 'b'], { cwd: here, tty: true, env: { CI: 'true' }, answers: {} });
  assert.is(ci.code, 2);
  assert.equal(ci.asked, [], 'nothing was asked in CI');
  const noInput = await runCli(['init', 'c', '--no-input', '--name', 'x', '--profile', 'adult', '--access', 'open', '--port', '8080'], { cwd: here, tty: true, answers: {} });
  assert.is(noInput.code, 2);
  assert.match(noInput.stderr, /missing --public-url/);
  assert.equal(noInput.asked, []);
  const email = await runCli(['init', 'd', '--yes', '--access', 'email'], { cwd: here });
  assert.is(email.code, 2);
  assert.match(email.stderr, /missing --email-domain/);
  const emailUrl = await runCli(['init', 'e', '--yes', '--access', 'email', '--email-domain', 'school.example'], { cwd: here });
  assert.is(emailUrl.code, 2);
  assert.match(emailUrl.stderr, /missing --public-url/);
  const turn = await runCli(['init', 'f', '--yes', '--turn', 'coturn'], { cwd: here });
  assert.is(turn.code, 2);
  assert.match(turn.stderr, /missing --turn-url/);
  assert.equal(readdirSync(here), [], 'nothing was written by any of them');
});

test('bad values exit 2 naming the flag', async () => {
  const here = cwd();
  const cases: Array<[string[], RegExp]> = [
    [['--profile', 'club'], /--profile/],
    [['--access', 'everyone'], /--access/],
    [['--port', 'eighty'], /--port/],
    [['--port', '70000'], /--port/],
    [['--public-url', 'ftp://x'], /--public-url/],
    [['--owner', 'A!'], /--owner/],
    [['--email-domain', 'not a domain'], /--email-domain/],
    [['--turn', 'coturn', '--turn-url', 'http://turn.example'], /--turn-url/],
    [['--turn-url', 'turn:t.example:3478', '--turn', 'none'], /--turn-url only applies/],
  ];
  for (const [flags, message] of cases) {
    const result = await runCli(['init', 'x', '--yes', ...flags], { cwd: here });
    assert.is(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  assert.not.ok(existsSync(join(here, 'x')));
});

test('--contact names who answers for the space: an e-mail address or an https:// page, anything else refused before a file is written', async () => {
  const here = cwd();
  const given = await runCli(['init', 'contact', '--yes', '--contact', 'https://school.example/contact', '--json'], { cwd: here });
  assert.is(given.code, 0, given.stderr);
  assert.is(given.json().settings.contact, 'https://school.example/contact');
  assert.is(JSON.parse(readFileSync(join(here, 'contact', 'strangerchat.json'), 'utf8')).contact, 'https://school.example/contact');
  for (const bad of ['http://school.example/contact', 'not an address']) {
    const refused = await runCli(['init', 'bad-contact', '--yes', '--contact', bad], { cwd: here });
    assert.is(refused.code, 2, bad);
    assert.match(refused.stderr, /--contact/);
    assert.not.ok(existsSync(join(here, 'bad-contact')), 'nothing is written');
  }
});

test('a non-empty folder is refused without --force; --force writes beside its files; an instance is never written over, even with --force', async () => {
  const here = cwd();
  const dir = join(here, 'busy');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  const refused = await runCli(['init', 'busy', '--yes'], { cwd: here });
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /not empty.*--force/);
  assert.not.ok(existsSync(join(dir, 'strangerchat.json')));

  writeFileSync(join(dir, 'package.json'), '{"name":"my-own-project"}');
  const forcedIn = await runCli(['init', 'busy', '--yes', '--force'], { cwd: here });
  assert.is(forcedIn.code, 0, forcedIn.stderr);
  assert.is(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
  assert.is(readFileSync(join(dir, 'package.json'), 'utf8'), '{"name":"my-own-project"}', "the operator's own package.json is left alone");
  assert.match(forcedIn.stderr, /Left the existing package\.json/);
  const before = readFileSync(join(dir, 'strangerchat.json'), 'utf8');
  const again = await runCli(['init', 'busy', '--yes'], { cwd: here });
  assert.is(again.code, 2);
  assert.match(again.stderr, /already holds an instance \(strangerchat\.json, \.env, data\/strangerchat\.db\): init never writes over one\. .*init --reset/);
  const forced = await runCli(['init', 'busy', '--yes', '--force', '--owner', 'second', '--name', 'renamed'], { cwd: here });
  assert.is(forced.code, 2);
  assert.match(forced.stderr, /not even with --force/);
  assert.is(readFileSync(join(dir, 'strangerchat.json'), 'utf8'), before, 'the settings are untouched');
  assert.equal(moderators(dir).map((m) => m.username), ['owner'], 'no second owner');

  // What is left of an instance is still one: a .env alone holds its secrets.
  const leftover = join(here, 'leftover');
  mkdirSync(leftover);
  writeFileSync(join(leftover, '.env'), 'STRANGERCHAT_SESSION_SECRET=keep-me-keep-me-keep-me-keep-me-keep-me\n');
  const onSecrets = await runCli(['init', 'leftover', '--yes', '--force'], { cwd: here });
  assert.is(onSecrets.code, 2);
  assert.match(onSecrets.stderr, /already holds an instance \(\.env\)/);
});

/** An instance an operator has lived with: edited settings and rules, a TURN secret, an SMTP password, a ban. */
async function livedIn(here: string): Promise<string> {
  const dir = join(here, 'live');
  assert.is((await runCli(['init', 'live', '--yes', '--turn', 'coturn', '--turn-url', 'turn:turn.example.org:3478'], { cwd: here })).code, 0);
  assert.is((await runCli(['config', 'set', 'trustedProxies', '["127.0.0.1"]', '-C', dir], { cwd: here })).code, 0);
  writeFileSync(join(dir, 'rules.md'), '# Our own rules\n\nWritten by the head of year.\n');
  writeFileSync(join(dir, '.env'), `${readFileSync(join(dir, '.env'), 'utf8')}STRANGERCHAT_SMTP_PASSWORD=smtp-secret\n`, { mode: 0o600 });
  assert.is((await runCli(['ban', 'add', '203.0.113.7', '--reason', 'spam', '--permanent', '-C', dir], { cwd: here })).code, 0);
  return dir;
}

test('init --reset backs up settings, secrets, rules and database, says what it replaces, keeps every secret, the database and its owner', async () => {
  const here = cwd();
  const dir = await livedIn(here);
  const oldEnv = readFileSync(join(dir, '.env'), 'utf8');
  const oldSettings = readFileSync(join(dir, 'strangerchat.json'), 'utf8');
  const result = await runCli(['init', 'live', '--reset', '--yes', '--profile', 'school', '--owner', 'second', '--json'], { cwd: here });
  assert.is(result.code, 0, result.stderr);
  const out = result.json();
  assert.equal([out.reset, out.dryRun], [true, false]);
  const changed = Object.fromEntries(out.changes.map((c: { key: string; from?: unknown; to?: unknown }) => [c.key, [c.from, c.to]]));
  assert.equal(changed.profile, ['community', 'school']);
  assert.equal(changed.trustedProxies, [['127.0.0.1'], undefined]);
  assert.equal(changed['turn.urls'], [['turn:turn.example.org:3478'], undefined]);
  assert.match(result.stderr, /replaces strangerchat\.json: \d+ settings change/);
  assert.match(result.stderr, /^\s+profile: community → school$/m);
  assert.match(result.stderr, /^\s+trustedProxies: \["127\.0\.0\.1"\] → \(unset\)$/m);
  assert.match(result.stderr, /replaces rules\.md: the school template replaces the current rules\.md, with its edits/);
  assert.match(result.stderr, /keeps\s+\.env: every secret it holds/);
  assert.match(result.stderr, /keeps\s+its owner account owner \(no second is added: strangerchat mod add second --role owner does that\)/);

  // Every secret stays, the TURN secret included though TURN is now off; nothing is dropped.
  const newEnv = readFileSync(join(dir, '.env'), 'utf8');
  assert.ok(newEnv.startsWith(oldEnv), '.env keeps every line as it was');
  assert.equal(parseEnv(newEnv), parseEnv(oldEnv));
  assert.is(statSync(join(dir, '.env')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(dir, 'rules.md'), 'utf8'), /The rules of live/);
  assert.is(JSON.parse(readFileSync(join(dir, 'strangerchat.json'), 'utf8')).profile, 'school');

  // The backup: the three files as they were, and the database where backup restore finds it.
  const backup = out.backup;
  assert.match(backup.dir, /data\/backups\/\d{4}-\d{2}-\d{2}T[\d-]+Z-pre-reset$/);
  assert.is(readFileSync(join(backup.dir, 'strangerchat.json'), 'utf8'), oldSettings);
  assert.is(readFileSync(join(backup.dir, '.env'), 'utf8'), oldEnv);
  assert.is(statSync(join(backup.dir, '.env')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(backup.dir, 'rules.md'), 'utf8'), /Written by the head of year/);
  assert.match(backup.database, /-pre-reset\.db$/);
  const listed = await runCli(['backup', 'list', '--json', '-C', dir], { cwd: here });
  assert.ok(listed.json().backups.some((b: { name: string; checksum: string }) => b.name === backup.database && b.checksum === 'ok'), listed.stdout);

  // The database is the same one: its accounts, bans and audit log.
  assert.equal(moderators(dir).map((m) => m.username), ['owner']);
  assert.is(out.owner, null);
  const bans = await runCli(['ban', 'list', '--json', '-C', dir], { cwd: here });
  assert.equal(bans.json().bans.map((b: { target: string }) => b.target), ['203.0.113.7']);
  assert.is((await runCli(['config', 'validate', '-C', dir], { cwd: here })).code, 0);
  assert.is((await runCli(['audit', 'verify', '-C', dir], { cwd: here })).code, 0);
});

test('init --reset asks on a terminal, needs --yes elsewhere, shows its plan with --dry-run, and has nothing to reset in an empty folder', async () => {
  const here = cwd();
  const dir = await livedIn(here);
  const settings = () => readFileSync(join(dir, 'strangerchat.json'), 'utf8');
  const before = settings();
  const unconfirmed = await runCli(['init', 'live', '--reset', '--name', 'x', '--profile', 'adult', '--access', 'open', '--port', '8080', '--public-url', '', '--turn', 'none'], { cwd: here });
  assert.is(unconfirmed.code, 2, unconfirmed.stderr);
  assert.match(unconfirmed.stderr, /--reset changes the settings and rules: confirm with --yes \(no terminal to ask\)/);
  const byYes = await runCli(['init', 'live', '--reset', '--yes'], { cwd: here, tty: true, answers: {} });
  assert.is(byYes.code, 0, '--yes on a terminal confirms');
  assert.equal(byYes.asked, []);
  const again = await runCli(['init', 'live', '--reset', '--profile', 'adult'], {
    cwd: here,
    tty: true,
    answers: { 'Name of the space': DEFAULT, 'How can people reach': DEFAULT, 'Who may join': DEFAULT, 'Port to listen on': DEFAULT, 'Public URL': DEFAULT, 'TURN server': DEFAULT, 'Reset the settings': false },
  });
  assert.is(again.code, 1);
  assert.match(again.stderr, /nothing was changed/);
  assert.is(JSON.parse(settings()).profile, 'community', 'declined: unchanged since the confirmed reset');
  assert.not.equal(settings(), before);

  const dry = await runCli(['init', 'live', '--reset', '--yes', '--profile', 'adult', '--dry-run', '--json'], { cwd: here });
  assert.is(dry.code, 0, dry.stderr);
  assert.is(dry.json().dryRun, true);
  assert.ok(dry.json().changes.some((c: { key: string; to: string }) => c.key === 'profile' && c.to === 'adult'));
  assert.is(JSON.parse(settings()).profile, 'community', 'a dry run writes nothing');

  const empty = await runCli(['init', 'nothing-here', '--reset', '--yes'], { cwd: here });
  assert.is(empty.code, 2);
  assert.match(empty.stderr, /holds no instance to reset/);
});

test('the next steps tell the truth: relay-only without TURN has no video, a given publicUrl is named, and the npm install line fits the install', async () => {
  const here = cwd();
  const school = await runCli(['init', 'school', '--yes', '--profile', 'school', '--public-url', 'https://chat.school.example'], { cwd: here });
  assert.is(school.code, 0, school.stderr);
  assert.match(school.stderr, /TURN {3}none yet, and the school profile relays all video: video cannot connect until you run coturn/);
  assert.match(school.stderr, /HTTPS {2}publicUrl is https:\/\/chat\.school\.example: put Caddy or nginx in front for it/);
  assert.not.match(school.stderr, /set publicUrl/);
  const club = await runCli(['init', 'club', '--yes'], { cwd: here });
  assert.match(club.stderr, /TURN {3}school and office networks block direct connections/);
  assert.match(club.stderr, /and set publicUrl/);
  // These tests run from a clone: the line says to pack and install the tarball.
  assert.match(club.stderr, /npm install <tarball> {7}# this strangerchat runs from a clone/);
});

test('--dry-run prints the files with secrets hidden and writes nothing', async () => {
  const here = cwd();
  const result = await runCli(['init', 'dry', '--yes', '--turn', 'coturn', '--turn-url', 'turn:turn.example.org:3478', '--dry-run', '--json'], { cwd: here });
  assert.is(result.code, 0, result.stderr);
  assert.not.ok(existsSync(join(here, 'dry')));
  const out = result.json();
  assert.is(out.dryRun, true);
  const env = out.files.find((f: { path: string }) => f.path === '.env');
  assert.is(env.mode, 0o600);
  assert.match(env.content, /^STRANGERCHAT_SESSION_SECRET=<generated>$/m);
  assert.match(env.content, /^STRANGERCHAT_TURN_SECRET=<generated>$/m);
  const config = JSON.parse(out.files.find((f: { path: string }) => f.path === 'strangerchat.json').content);
  assert.equal(config.turn.urls, ['turn:turn.example.org:3478']);
  assert.equal(out.owner, { username: 'owner', password: null, passwordGenerated: true });

  const human = await runCli(['init', 'dry', '--yes', '--dry-run'], { cwd: here });
  assert.match(human.stdout, /=== strangerchat\.json/);
  assert.match(human.stdout, /=== \.env \(mode 600\)/);
  assert.match(human.stderr, /nothing was written/);
  assert.equal(readdirSync(here), []);
});

test('the instance init writes is valid as start sees it', async () => {
  const here = cwd();
  assert.is((await runCli(['init', 'ok', '--yes', '--access', 'email', '--email-domain', 'a.example,b.example', '--public-url', 'https://chat.a.example'], { cwd: here })).code, 0);
  const validated = await runCli(['config', 'validate', '-C', 'ok', '--json'], { cwd: here });
  assert.is(validated.code, 0, validated.stderr);
  assert.is(validated.json().valid, true);
  const settings = JSON.parse(readFileSync(join(here, 'ok', 'strangerchat.json'), 'utf8'));
  assert.equal(settings.email.domains, ['a.example', 'b.example']);
  assert.is(settings.accessMode, 'email');
});

test.run();
