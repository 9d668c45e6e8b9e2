// Behaviour every command shares, and the small commands: instance-folder discovery (never a
// silent guess), results on stdout and prose on stderr, colours only on a terminal, `version`
// and `turn credentials` with their --json shapes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { Output } from '../../cli/output.ts';
import { packageVersion } from '../../cli/version.ts';
import { turnPassword } from '../../server/access/turn.ts';
import { fakeContext, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

let here = '';
test.before.each(() => {
  here = tempDir('strangerchat-global-');
});
test.after.each(() => rmSync(here, { recursive: true, force: true }));

test('the instance folder: -C, else STRANGERCHAT_DIR, else the nearest one upward; none exits 2', async () => {
  assert.is((await runCli(['init', 'chat', '--yes'], { cwd: here })).code, 0);
  const nested = join(here, 'chat', 'deploy', 'deeper');
  mkdirSync(nested, { recursive: true });
  const upward = await runCli(['config', 'path'], { cwd: nested });
  assert.is(upward.stdout, `${join(here, 'chat', 'strangerchat.json')}\n`);
  const fromEnv = await runCli(['config', 'path'], { cwd: '/', env: { STRANGERCHAT_DIR: join(here, 'chat') } });
  assert.is(fromEnv.code, 0);
  const none = await runCli(['status'], { cwd: here });
  assert.is(none.code, 2);
  assert.match(none.stderr, /no instance folder here or above .*pass -C <dir> or set STRANGERCHAT_DIR/);
  const wrong = await runCli(['status', '-C', here], { cwd: '/' });
  assert.is(wrong.code, 2);
  assert.match(wrong.stderr, /not an instance folder/);
});

test('version: this CLI, Node and the database driver (null outside an instance)', async () => {
  const outside = await runCli(['version', '--json'], { cwd: here });
  assert.equal(outside.json(), { version: packageVersion(), node: process.version, database: null });
  assert.is((await runCli(['init', 'chat', '--yes'], { cwd: here })).code, 0);
  const inside = await runCli(['version', '--json', '-C', 'chat'], { cwd: here });
  assert.is(inside.json().database, 'sqlite');
  const human = await runCli(['version'], { cwd: here });
  assert.is(human.stdout.split('\n')[0], `strangerchat ${packageVersion()}`);
  assert.is((await runCli(['--version'], { cwd: here })).stdout, `${packageVersion()}\n`);
});

test('turn credentials: what coturn accepts (HMAC of the username with the shared secret), for --ttl seconds', async () => {
  assert.is((await runCli(['init', 'chat', '--yes', '--turn', 'coturn', '--turn-url', 'turn:turn.example.org:3478'], { cwd: here })).code, 0);
  const secret = parseEnv(readFileSync(join(here, 'chat', '.env'), 'utf8')).STRANGERCHAT_TURN_SECRET!;
  const before = Date.now();
  const result = await runCli(['turn', 'credentials', '--ttl', '600', '--json', '-C', 'chat'], { cwd: here });
  assert.is(result.code, 0, result.stderr);
  const minted = result.json();
  assert.equal(Object.keys(minted).sort(), ['credential', 'expiresAt', 'ttl', 'urls', 'username']);
  assert.equal(minted.urls, ['turn:turn.example.org:3478']);
  assert.is(minted.ttl, 600);
  const [expiry, id] = minted.username.split(':');
  assert.is(Number(expiry) * 1000, minted.expiresAt);
  assert.ok(minted.expiresAt >= Math.floor(before / 1000) * 1000 + 600_000 && minted.expiresAt <= Date.now() + 601_000);
  assert.match(id, /^cli-[0-9a-f]{8}$/);
  assert.is(minted.credential, turnPassword(secret, minted.username));
  assert.is((await runCli(['turn', 'credentials', '--ttl', '0', '-C', 'chat'], { cwd: here })).code, 2);

  assert.is((await runCli(['init', 'plain', '--yes'], { cwd: here })).code, 0);
  const none = await runCli(['turn', 'credentials', '-C', 'plain'], { cwd: here });
  assert.is(none.code, 1);
  assert.match(none.stderr, /no TURN shared secret/);
});

test('--json puts one JSON document on stdout and nothing else; prose stays on stderr', async () => {
  assert.is((await runCli(['init', 'chat', '--yes'], { cwd: here })).code, 0);
  for (const args of [['status'], ['doctor', 'config'], ['config', 'list'], ['backup', 'list'], ['migrate', 'status'], ['version']]) {
    const result = await runCli([...args, '--json', '-C', 'chat'], { cwd: here });
    assert.not.throws(() => JSON.parse(result.stdout), `${args.join(' ')} --json`);
  }
  const set = await runCli(['config', 'set', 'server.port', '8082', '--json', '-C', 'chat'], { cwd: here });
  assert.not.throws(() => JSON.parse(set.stdout));
  assert.match(set.stderr, /Restart the server/);
});

test('colours only on a terminal, never with --no-color, NO_COLOR or TERM=dumb', () => {
  const colourful = (env: Record<string, string>, options: { color?: boolean } = {}) => {
    const { ctx } = fakeContext({ cwd: here, env, tty: true });
    (ctx.stdout as { isTTY?: boolean }).isTTY = true;
    return new Output(ctx, options).out.red('x') !== 'x';
  };
  assert.ok(colourful({}));
  assert.not.ok(colourful({}, { color: false }));
  assert.not.ok(colourful({ NO_COLOR: '1' }));
  assert.not.ok(colourful({ TERM: 'dumb' }));
  const { ctx } = fakeContext({ cwd: here, env: {} });
  assert.is(new Output(ctx, {}).out.red('x'), 'x', 'not a terminal');
});

test('with --json a failure is {"error":{"code","message"}} on stdout, with the same exit code as without', async () => {
  const outside = await runCli(['status', '--json'], { cwd: here });
  assert.is(outside.code, 2);
  assert.equal(Object.keys(outside.json()), ['error']);
  assert.is(outside.json().error.code, 'usage');
  assert.match(outside.json().error.message, /no instance folder here or above/);
  assert.match(outside.stderr, /no instance folder/, 'the message is on stderr too');
  const option = await runCli(['status', '--frob', '--json'], { cwd: here });
  assert.is(option.code, 2);
  assert.equal(option.json().error, { code: 'unknown_option', message: "unknown option '--frob'" });
  const command = await runCli(['frobnicate', '--json'], { cwd: here });
  assert.is(command.code, 2);
  assert.is(command.json().error.code, 'unknown_command');
  assert.is((await runCli(['init', 'chat', '--yes'], { cwd: here })).code, 0);
  const badFlag = await runCli(['init', 'other', '--yes', '--port', '70000', '--json'], { cwd: here });
  assert.is(badFlag.code, 2);
  assert.is(badFlag.json().error.code, 'usage');
  assert.match(badFlag.json().error.message, /^--port: must be at most 65535 \(e\.g\. 8080\); got "70000"$/, 'an example of the expected form, not the schema\'s words');
  const service = await runCli(['ban', 'add', 'nonsense', '--reason', 'x', '--permanent', '--json', '-C', 'chat'], { cwd: here });
  assert.is(service.code, 2);
  assert.is(service.json().error.code, 'invalid_target', "a service's refusal keeps its own code");
  const notRunning = await runCli(['stop', '--json', '-C', 'chat'], { cwd: here });
  assert.is(notRunning.code, 5);
  assert.not.throws(() => notRunning.json(), 'one JSON document, whatever the command printed');
  // Without --json the same failures print nothing on stdout.
  assert.is((await runCli(['status', '--frob'], { cwd: here })).stdout, '');
});

test('usage errors exit 2 in every command, with --json as an error document', async () => {
  assert.is((await runCli(['init', 'chat', '--yes'], { cwd: here })).code, 0);
  const cases = [
    ['completion', 'fish2'],
    ['doctor', 'nonsense'],
    ['deploy', 'nonsense'],
    ['config', 'get', 'bad..key'],
    ['mod', 'role', 'owner', 'superuser'],
    ['mod', 'add', 'Bad!', '--role', 'moderator'],
    ['sessions', 'kill', '!!!'],
    ['invite', 'revoke', '!!'],
    ['invite', 'create', '--uses', '0'],
    ['announce', 'x'.repeat(600)],
    ['reports', 'show', 'zz'],
    ['reports', 'resolve', 'abcd1234', '--action', 'nope'],
    ['reports', 'export', 'abcd1234'],
    ['audit', '--limit', '0'],
    ['backup', 'restore', '../etc'],
    ['backup', 'prune', '--keep', '0'],
    ['ban', 'import', join(here, 'no-such-file')],
    ['ban', 'check', 'x'],
    ['ban', 'remove'],
    ['stop', '--timeout', '-1'],
    ['start', '--port', 'x'],
    ['turn', 'credentials', '--ttl', 'x'],
    ['migrate', 'sideways'],
    ['status', 'extra'],
  ];
  for (const args of cases) {
    const result = await runCli([...args, '--json', '-C', 'chat'], { cwd: here });
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.type(result.json().error?.message, 'string', `${args.join(' ')} --json`);
  }
});

test('an unknown command or option exits 2 with a hint', async () => {
  const unknown = await runCli(['frobnicate'], { cwd: here });
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command/);
  const option = await runCli(['status', '--frob'], { cwd: here });
  assert.is(option.code, 2);
  assert.match(option.stderr, /--help/);
});

test.run();
