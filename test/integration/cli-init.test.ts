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
  assert.equal(out.settings, { name: 'demo', profile: 'school', accessMode: 'invite', port: 9191, publicUrl: null, emailDomains: [], turnUrls: [] });
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
      Profile: 'school',
      'Who may join': DEFAULT,
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
    ['Name of the space', 'Profile', 'Who may join?', 'Port to listen on', 'Public URL', 'TURN server for video across networks', 'TURN URLs of your coturn', 'Username of the first owner', 'Password for head.teacher'],
  );
  const dir = join(here, 'asked');
  const settings = JSON.parse(readFileSync(join(dir, 'strangerchat.json'), 'utf8'));
  assert.is(settings.name, 'Year 9 chat');
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
    answers: { 'Where should': 'asked-again', 'Name of the space': DEFAULT, Profile: DEFAULT, 'Who may join': DEFAULT, 'Port to listen on': '70000' },
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

test('a non-empty folder is refused without --force; --force keeps the existing secrets', async () => {
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
  const secret = parseEnv(readFileSync(join(dir, '.env'), 'utf8')).STRANGERCHAT_SESSION_SECRET;
  const again = await runCli(['init', 'busy', '--yes'], { cwd: here });
  assert.is(again.code, 2);
  assert.match(again.stderr, /already holds an instance/);
  const forced = await runCli(['init', 'busy', '--yes', '--force', '--owner', 'second', '--name', 'renamed'], { cwd: here });
  assert.is(forced.code, 0, forced.stderr);
  assert.is(parseEnv(readFileSync(join(dir, '.env'), 'utf8')).STRANGERCHAT_SESSION_SECRET, secret, 'the session secret survives');
  assert.equal(moderators(dir).map((m) => m.username).sort(), ['owner', 'second']);
  const clash = await runCli(['init', 'busy', '--yes', '--force', '--owner', 'second'], { cwd: here });
  assert.is(clash.code, 2);
  assert.match(clash.stderr, /second already exists/);
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
