// The terminal's `mod duty on|off` (as the operator or --as an account), `pause` and `resume` on
// a real instance made by `init`: each writes through the services the server reads (audited, on
// the feed), reaches a running server's connected people within 2 seconds, and `status` shows
// whether the space is open and who is on duty, with the server running or stopped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TestClient } from '../helpers/client.ts';
import { newInstance, type TestInstance } from '../helpers/cli-instance.ts';
import { TEST_PASSWORD } from '../helpers/moderators.ts';

const LIVE_MS = 2000;
let instance: TestInstance;
let running: { url: string; stop(): Promise<number> } | undefined;
const clients: TestClient[] = [];

const as = (account: string, args: string[]) => instance.cli([...args, '--as', account], { env: { STRANGERCHAT_AS_PASSWORD: TEST_PASSWORD } });

test.before(async () => {
  instance = await newInstance('strangerchat-duty-');
  const file = join(instance.dir, 'strangerchat.json');
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...settings, moderation: { videoOnlyOnDuty: true }, openingHours: { timeZone: 'UTC', closingGraceSeconds: 1 } }));
  for (const [name, role] of [['sam', 'moderator'], ['ada', 'auditor']] as const) {
    const added = await instance.cli(['mod', 'add', name, '--role', role, '--password-stdin'], { stdin: TEST_PASSWORD });
    assert.is(added.code, 0, added.stderr);
  }
});
test.after(async () => {
  for (const client of clients) client.close();
  await running?.stop();
  instance.remove();
});

test('mod duty with the server stopped: on for a set number of hours, listed, shown by status, audited under both names', async () => {
  const nobody = await instance.cli(['mod', 'duty']);
  assert.is(nobody.code, 0, nobody.stderr);
  assert.match(nobody.stdout, /nobody is on duty: video is not offered/);

  const before = Date.now();
  const on = await as('sam', ['mod', 'duty', 'on', '--hours', '2', '--json']);
  assert.is(on.code, 0, on.stderr);
  const { duty } = on.json();
  assert.equal([duty.name, duty.via], ['sam', 'terminal']);
  assert.ok(duty.until >= before + 2 * 3600_000 && duty.until <= Date.now() + 2 * 3600_000, 'two hours from now');
  assert.match(on.stderr, /video is offered while someone is on duty; the server is not running/);

  const listed = await instance.cli(['mod', 'duty', '--json']);
  assert.equal(listed.json().onDuty.map((d: { name: string }) => d.name), ['sam']);

  const status = await instance.cli(['status', '--json']);
  assert.is(status.code, 5, 'not running');
  const { availability } = status.json();
  assert.equal([availability.state, availability.open, availability.video, availability.onDuty.map((d: { name: string }) => d.name)], ['open', true, true, ['sam']]);
  const human = await instance.cli(['status']);
  assert.match(human.stdout, /^on duty +sam \(until /m);
  assert.match(human.stdout, /^open +open$/m);

  assert.equal(instance.audit().filter((e) => e.action.startsWith('duty.')).map((e) => [e.actor, e.action, e.target]), [['cli:tester as sam', 'duty.on', 'moderator:sam']]);
});

test('usage errors exit 2; an auditor cannot go on duty', async () => {
  assert.is((await instance.cli(['mod', 'duty', 'maybe'])).code, 2);
  assert.is((await instance.cli(['mod', 'duty', 'on', '--hours', '30'])).code, 2);
  assert.is((await instance.cli(['mod', 'duty', 'off', '--hours', '1'])).code, 2);
  assert.is((await instance.cli(['pause', '--until', 'soonish'])).code, 2);
  const auditor = await as('ada', ['mod', 'duty', 'on']);
  assert.is(auditor.code, 1);
  assert.match(auditor.stderr, /does not allow duty\.set/);
});

test('with the server running: duty off and on, pause and resume reach the people connected; status says so', async () => {
  running = await instance.start();
  const person = await connect(running.url, { acceptRules: true, age: 30 });
  clients.push(person);
  assert.is(person.welcome.availability.video, true, 'sam is on duty from the first test');

  const off = await as('sam', ['mod', 'duty', 'off']);
  assert.is(off.code, 0, off.stderr);
  assert.match(off.stderr, /nobody is on duty now: video is not offered; the running server \(pid \d+\) applies it within 2 s/);
  assert.is((await person.next('availability', LIVE_MS)).availability.video, false);

  const operator = await instance.cli(['mod', 'duty', 'on', '--json']);
  assert.is(operator.json().duty.name, 'cli:tester', 'the operator without --as is on duty as themselves');
  assert.is((await person.next('availability', LIVE_MS)).availability.video, true);

  const paused = await instance.cli(['pause', '--until', '2h', '--message', 'Back after the assembly', '--json']);
  assert.is(paused.code, 0, paused.stderr);
  assert.is(paused.json().pause.message, 'Back after the assembly');
  const pushed = (await person.next('availability', LIVE_MS)).availability;
  assert.equal([pushed.state, pushed.message, pushed.opensAt], ['paused', 'Back after the assembly', paused.json().pause.until]);
  const refused = await fetch(`${running.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ acceptRules: true, age: 30 }) });
  assert.is(refused.status, 403);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'paused');
  const status = await instance.cli(['status']);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, /^open +paused by cli:tester \("Back after the assembly"\); opens /m);

  const resumed = await instance.cli(['resume', '--json']);
  assert.equal([resumed.json().resumed, resumed.json().availability.open], [true, true]);
  assert.is((await person.next('availability', LIVE_MS)).availability.state, 'open');
  assert.match((await instance.cli(['resume'])).stdout, /the space was not paused/);
  assert.equal(instance.audit().filter((e) => e.action.startsWith('site.')).map((e) => [e.actor, e.action]), [['cli:tester', 'site.pause'], ['cli:tester', 'site.resume']]);
});

test.run();
