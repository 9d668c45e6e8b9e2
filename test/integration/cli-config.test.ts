// `strangerchat config get|set|unset|list|validate|path` in-process: edits keep the rest of the
// file, every change is validated before writing (invalid: exit 3 naming the key, file untouched),
// and secrets are never shown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

let here = '';
let dir = '';
const file = () => join(dir, 'strangerchat.json');
const read = () => readFileSync(file(), 'utf8');
const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, '-C', dir], { cwd: here, env });

test.before.each(async () => {
  here = tempDir('strangerchat-config-');
  dir = join(here, 'chat');
  const made = await runCli(['init', 'chat', '--yes', '--name', 'Chat'], { cwd: here });
  assert.is(made.code, 0, made.stderr);
});
test.after.each(() => rmSync(here, { recursive: true, force: true }));

test('get prints the effective value: from the file, or the default', async () => {
  const port = await cli(['config', 'get', 'server.port']);
  assert.is(port.code, 0, port.stderr);
  assert.is(port.stdout, '8080\n');
  const ttl = await cli(['config', 'get', 'limits.ticketTtlSeconds', '--json']);
  assert.equal(ttl.json(), { key: 'limits.ticketTtlSeconds', value: 60, source: 'default' });
  const name = await cli(['config', 'get', 'name']);
  assert.is(name.stdout, 'Chat\n', 'strings print bare');
  const section = await cli(['config', 'get', 'server', '--json']);
  assert.equal(section.json().value, { host: '127.0.0.1', port: 8080, shutdownGraceSeconds: 5 });
  const unknown = await cli(['config', 'get', 'server.colour']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no setting named server\.colour/);
});

test('set changes one key, keeps every other line, and parses JSON values', async () => {
  const before = JSON.parse(read());
  const port = await cli(['config', 'set', 'server.port', '8081', '--json']);
  assert.is(port.code, 0, port.stderr);
  assert.equal(port.json(), { key: 'server.port', value: 8081, previous: 8080 });
  const modes = await cli(['config', 'set', 'modes', '["text"]']);
  assert.is(modes.code, 0, modes.stderr);
  const description = await cli(['config', 'set', 'description', 'Talk to a stranger, kindly.']);
  assert.is(description.code, 0, description.stderr);
  const after = JSON.parse(read());
  assert.equal(after, { ...before, server: { ...before.server, port: 8081 }, modes: ['text'], description: 'Talk to a stranger, kindly.' });
  assert.equal(Object.keys(after).slice(0, Object.keys(before).length), Object.keys(before), 'existing keys keep their order');
  assert.match(read(), /^\{\n  "name": "Chat",\n/, 'the indentation is kept');
  assert.match(port.stderr, /Restart the server/);
});

test('an invalid change exits 3 naming the key and leaves the file byte for byte', async () => {
  const before = read();
  const cases: Array<[string[], RegExp]> = [
    [['server.port', 'eighty'], /server\.port/],
    [['server.port', '70000'], /server\.port/],
    [['limits.ticketTtlSeconds', '1'], /limits\.ticketTtlSeconds/],
    [['colour', 'blue'], /unknown key colour/],
    [['profile', 'club'], /profile/],
    [['name', '2026'], /name/],
    [['accessMode', 'email'], /email\.domains/],
    [['turn.urls', '["turn:turn.example.org:3478"]'], /STRANGERCHAT_TURN_SECRET/],
    [['rulesFile', 'missing.md'], /rulesFile/],
  ];
  for (const [args, key] of cases) {
    const result = await cli(['config', 'set', ...args]);
    assert.is(result.code, 3, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, key);
    assert.match(result.stderr, /unchanged/);
    assert.is(read(), before, `${args.join(' ')} left the file unchanged`);
  }
  const forced = await cli(['config', 'set', 'name', '2026', '--string']);
  assert.is(forced.code, 0, forced.stderr);
  assert.is(JSON.parse(read()).name, '2026');
  const badKey = await cli(['config', 'set', 'server..port', '1']);
  assert.is(badKey.code, 2);
});

test('a TURN URL is accepted once the shared secret is in .env', async () => {
  writeFileSync(join(dir, '.env'), `${readFileSync(join(dir, '.env'), 'utf8')}STRANGERCHAT_TURN_SECRET=${'s'.repeat(40)}\n`, { mode: 0o600 });
  const result = await cli(['config', 'set', 'turn.urls', '["turn:turn.example.org:3478"]']);
  assert.is(result.code, 0, result.stderr);
  assert.equal(JSON.parse(read()).turn, { urls: ['turn:turn.example.org:3478'] });
});

test('unset removes a key (and a section it empties) so the default applies', async () => {
  assert.is((await cli(['config', 'set', 'limits.ticketTtlSeconds', '30'])).code, 0);
  const removed = await cli(['config', 'unset', 'limits.ticketTtlSeconds', '--json']);
  assert.is(removed.code, 0, removed.stderr);
  assert.equal(removed.json(), { key: 'limits.ticketTtlSeconds', removed: true, previous: 30 });
  assert.not.ok('limits' in JSON.parse(read()), 'the emptied section is gone');
  assert.is((await cli(['config', 'get', 'limits.ticketTtlSeconds'])).stdout, '60\n');
  const absent = await cli(['config', 'unset', 'pairing.interestWaitMs', '--json']);
  assert.is(absent.code, 0);
  assert.is(absent.json().removed, false);
  // Removing a key that another setting depends on is validated like set.
  assert.is((await cli(['config', 'set', 'publicUrl', 'https://chat.example.org'])).code, 0);
  assert.is((await cli(['config', 'set', 'email.domains', '["school.example"]'])).code, 0);
  assert.is((await cli(['config', 'set', 'accessMode', 'email'])).code, 0);
  const emailMode = read();
  const refused = await cli(['config', 'unset', 'publicUrl']);
  assert.is(refused.code, 3, 'the email mode needs a public URL');
  assert.match(refused.stderr, /publicUrl/);
  assert.is(read(), emailMode);
});

test('list shows every effective setting with its source and never a secret', async () => {
  const secret = parseEnv(readFileSync(join(dir, '.env'), 'utf8')).STRANGERCHAT_SESSION_SECRET!;
  const list = await cli(['config', 'list', '--json'], { STRANGERCHAT_PORT: '9999' });
  assert.is(list.code, 0, list.stderr);
  const entries = list.json<Array<{ key: string; value: unknown; source: string }>>();
  const byKey = new Map(entries.map((e) => [e.key, e]));
  assert.equal(byKey.get('name'), { key: 'name', value: 'Chat', source: 'file' });
  assert.equal(byKey.get('server.port'), { key: 'server.port', value: 9999, source: 'env:STRANGERCHAT_PORT' });
  assert.equal(byKey.get('limits.idleTimeoutMs')?.source, 'default');
  assert.ok(entries.length > 30);
  assert.not.ok(list.stdout.includes(secret), 'the session secret is never listed');
  const human = await cli(['config', 'list']);
  assert.match(human.stdout, /^server\.port\s+8080\s+file$/m);
  assert.not.ok(human.stdout.includes(secret));

  // A PostgreSQL URL's password is masked.
  const settings = JSON.parse(read());
  writeFileSync(file(), JSON.stringify({ ...settings, database: { driver: 'postgres', url: 'postgres://chat:hunter2hunter2@db.example/chat' } }));
  const masked = await cli(['config', 'get', 'database.url']);
  assert.is(masked.stdout, 'postgres://chat:****@db.example/chat\n');
});

test('validate exits 0 for a valid instance and 3 naming the keys otherwise; path prints the file', async () => {
  const valid = await cli(['config', 'validate', '--json']);
  assert.is(valid.code, 0, valid.stderr);
  assert.equal(valid.json(), { valid: true, file: file(), error: null, keys: [] });
  writeFileSync(file(), JSON.stringify({ profile: 'club', server: { port: 'eighty' } }));
  const invalid = await cli(['config', 'validate', '--json']);
  assert.is(invalid.code, 3);
  assert.equal(invalid.json().keys.sort(), ['profile', 'server.port']);
  assert.match(invalid.stderr, /server\.port/);
  const get = await cli(['config', 'get', 'name']);
  assert.is(get.code, 3, 'reading an invalid config exits 3 too');
  const path = await cli(['config', 'path']);
  assert.is(path.stdout, `${file()}\n`);
});

test.run();
