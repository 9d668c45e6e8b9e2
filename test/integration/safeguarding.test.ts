// Safeguarding stays separate from admins, on an instance made by `init` that mails through a real
// SMTP server: an admin tries every escalation over the HTTP API and gets 403 with nothing changed;
// an owner, or a safeguarding account for its own role, manages safeguarding accounts, each change
// audited and mailed to the safeguarding accounts, from the dashboard's API and the terminal alike;
// and the reporter's note of a minor or illegal report reaches nobody but safeguarding, and them
// only inside an audited opening.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TestClient } from '../helpers/client.ts';
import { newInstance, until, type TestInstance } from '../helpers/cli-instance.ts';
import { TEST_PASSWORD } from '../helpers/moderators.ts';
import { report } from '../helpers/people.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

const NOTE = 'He said he is 12 and asked for my address';

let smtp: TestSmtpServer;
let instance: TestInstance;
let running: { url: string; stop(): Promise<number> };
const clients: TestClient[] = [];

const ACCOUNTS = [
  ['olive', 'owner', 'olive@school.example'],
  ['adam', 'admin', 'adam@school.example'],
  ['mona', 'moderator', 'mona@school.example'],
  ['ada', 'auditor', null],
  ['sam', 'safeguarding', 'sam@school.example'],
  ['sue', 'safeguarding', 'sue@school.example'],
] as const;

test.before(async () => {
  smtp = await startSmtpServer({ user: 'unused', password: 'unused' });
  instance = await newInstance('strangerchat-safeguarding-');
  const file = join(instance.dir, 'strangerchat.json');
  const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    file,
    JSON.stringify({
      ...settings,
      email: { from: 'Chat <chat@school.example>', smtp: { host: '127.0.0.1', port: smtp.port, secure: false } },
      moderation: { safeguardingAlerts: true },
    }),
  );
  for (const [name, role, email] of ACCOUNTS) {
    const added = await instance.cli(['mod', 'add', name, '--role', role, '--password-stdin', ...(email ? ['--email', email] : [])], { stdin: TEST_PASSWORD });
    assert.is(added.code, 0, added.stderr);
  }
  running = await instance.start();
});
test.before.each(() => {
  smtp.inbox.length = 0;
});
test.after.each(() => {
  for (const client of clients.splice(0)) client.close();
});
test.after(async () => {
  await running.stop();
  instance.remove();
  await smtp.close();
});

interface Session {
  request(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
}

async function login(username: string, password = TEST_PASSWORD): Promise<Session> {
  const res = await fetch(`${running.url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.is(res.status, 200, `${username} logs in`);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return {
    request: (path, init = {}) =>
      fetch(`${running.url}${path}`, {
        method: init.method ?? 'GET',
        headers: { cookie, 'x-csrf-token': csrfToken, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
  };
}

const accounts = () => instance.rows('SELECT username, role, password_hash, must_change_password, disabled_at, email FROM moderators ORDER BY username');
const recipients = () => smtp.inbox.map((mail) => mail.envelope.to.join(',')).sort();

test('an admin tries every escalation over the HTTP API: 403 each time, nothing changes, nothing is mailed', async () => {
  const adam = await login('adam');
  // Sue is disabled by the owner first, so that enabling her is an escalation to try too.
  assert.is((await (await login('olive')).request('/api/mod/moderators/sue/disable', { method: 'POST' })).status, 200);
  smtp.inbox.length = 0;
  const before = accounts();
  const auditBefore = instance.audit().length;
  const attempts: Array<[string, string, unknown]> = [
    ['POST', '/api/mod/moderators', { username: 'eve', role: 'safeguarding', password: 'a password of my own' }],
    ['POST', '/api/mod/moderators', { username: 'eve', role: 'safeguarding' }],
    ['PATCH', '/api/mod/moderators/mona', { role: 'safeguarding' }],
    ['PATCH', '/api/mod/moderators/adam', { role: 'safeguarding' }],
    ['PATCH', '/api/mod/moderators/sam', { role: 'moderator' }],
    ['PATCH', '/api/mod/moderators/sam', { role: 'admin' }],
    ['POST', '/api/mod/moderators/sam/reset-password', undefined],
    ['POST', '/api/mod/moderators/sam/disable', undefined],
    ['POST', '/api/mod/moderators/sue/enable', undefined],
    ['PATCH', '/api/mod/moderators/sam', { email: 'adam+sam@school.example' }],
    ['PATCH', '/api/mod/moderators/sam', { email: null }],
    ['PATCH', '/api/mod/moderators/adam', { role: 'owner' }],
  ];
  for (const [method, path, body] of attempts) {
    const res = await adam.request(path, { method, body });
    const text = await res.text();
    assert.is(res.status, 403, `${method} ${path} ${JSON.stringify(body)}: ${text}`);
    assert.is((JSON.parse(text) as { error: { code: string } }).error.code, 'forbidden');
    assert.not.match(text, /password"/, 'no password in the answer');
  }
  assert.equal(accounts(), before, 'no account changed');
  assert.is(instance.audit().length, auditBefore, 'nothing was recorded: nothing happened');
  assert.is(smtp.inbox.length, 0, 'nothing was mailed');
  // Sam's own password still works, and the admin still manages the accounts admins manage.
  await login('sam');
  assert.is((await adam.request('/api/mod/moderators/ada', { method: 'PATCH', body: { email: 'ada@school.example' } })).status, 200);
  assert.equal(recipients(), [], 'a change to a non-safeguarding account is not a safeguarding alert');
  assert.is((await (await login('olive')).request('/api/mod/moderators/sue/enable', { method: 'POST' })).status, 200);
});

test('moderators and auditors manage no account at all; a safeguarding account manages only safeguarding accounts', async () => {
  for (const username of ['mona', 'ada']) {
    const session = await login(username);
    assert.is((await session.request('/api/mod/moderators')).status, 403, `${username} lists no accounts`);
    for (const [method, path, body] of [
      ['POST', '/api/mod/moderators', { username: 'eve', role: 'moderator' }],
      ['POST', '/api/mod/moderators/sam/reset-password', undefined],
      ['PATCH', '/api/mod/moderators/mona', { role: 'admin' }],
    ] as Array<[string, string, unknown]>) {
      assert.is((await session.request(path, { method, body })).status, 403, `${username}: ${method} ${path}`);
    }
  }
  const sam = await login('sam');
  for (const [method, path, body] of [
    ['POST', '/api/mod/moderators', { username: 'eve', role: 'moderator' }],
    ['POST', '/api/mod/moderators', { username: 'eve', role: 'admin' }],
    ['PATCH', '/api/mod/moderators/mona', { role: 'safeguarding' }],
    ['PATCH', '/api/mod/moderators/sue', { role: 'moderator' }],
    ['POST', '/api/mod/moderators/mona/reset-password', undefined],
    ['POST', '/api/mod/moderators/olive/disable', undefined],
  ] as Array<[string, string, unknown]>) {
    assert.is((await sam.request(path, { method, body })).status, 403, `sam: ${method} ${path}`);
  }
  const me = (await (await sam.request('/api/mod/me')).json()) as { manages: string[] };
  assert.equal(me.manages, ['safeguarding'], 'the pages are told whose accounts sam manages');
});

test('the owner and a safeguarding account manage safeguarding accounts: each change audited and mailed to the safeguarding accounts', async () => {
  const olive = await login('olive');
  const created = await olive.request('/api/mod/moderators', { method: 'POST', body: { username: 'sid', role: 'safeguarding', email: 'sid@school.example' } });
  assert.is(created.status, 201);
  const { password } = (await created.json()) as { password: string };
  await until('the alert mails', () => (smtp.inbox.length >= 3 ? true : undefined));
  assert.equal(recipients(), ['sam@school.example', 'sid@school.example', 'sue@school.example'], 'the safeguarding accounts and the account concerned, nobody else');
  const mail = smtp.inbox[0]!.parsed;
  assert.match(mail.subject ?? '', /Safeguarding account sid was created/);
  assert.match(mail.text ?? '', /Who: moderator:olive/);
  assert.not.ok((mail.text ?? '').includes(password), 'never the password');

  const sam = await login('sam');
  smtp.inbox.length = 0;
  const reset = await sam.request('/api/mod/moderators/sid/reset-password', { method: 'POST' });
  assert.is(reset.status, 200, 'a safeguarding account resets another');
  assert.equal(recipients(), ['sam@school.example', 'sid@school.example', 'sue@school.example']);
  smtp.inbox.length = 0;
  assert.is((await sam.request('/api/mod/moderators/sid', { method: 'PATCH', body: { email: 'sid.new@school.example' } })).status, 200);
  assert.equal(recipients(), ['sam@school.example', 'sid.new@school.example', 'sid@school.example', 'sue@school.example'], 'the old address hears of it too');
  smtp.inbox.length = 0;
  assert.is((await sam.request('/api/mod/moderators/sid/disable', { method: 'POST' })).status, 200);
  assert.is((await sam.request('/api/mod/moderators/sid/enable', { method: 'POST' })).status, 200);
  assert.is(smtp.inbox.length, 6, 'two changes, three recipients each');
  smtp.inbox.length = 0;
  assert.is((await olive.request('/api/mod/moderators/sid', { method: 'PATCH', body: { role: 'moderator' } })).status, 200, 'only the owner moves someone out of safeguarding');
  assert.equal(recipients(), ['sam@school.example', 'sid.new@school.example', 'sue@school.example']);
  assert.match(smtp.inbox[0]!.parsed.text ?? '', /Role: safeguarding -> moderator/);

  const trail = instance.audit().filter((e) => e.target === 'moderator:sid').map((e) => [e.actor, e.action]);
  assert.equal(trail, [
    ['moderator:olive', 'moderator.create'],
    ['moderator:sam', 'moderator.reset_password'],
    ['moderator:sam', 'moderator.set_email'],
    ['moderator:sam', 'moderator.disable'],
    ['moderator:sam', 'moderator.enable'],
    ['moderator:olive', 'moderator.set_role'],
  ]);
  assert.not.ok(JSON.stringify(instance.audit()).includes('sid.new@'), 'addresses stay out of the audit log');
});

test('at the terminal the same rule holds, and the change is mailed before the command exits', async () => {
  const made = await instance.cli(['mod', 'add', 'tia', '--role', 'safeguarding', '--email', 'tia@school.example', '--json']);
  assert.is(made.code, 0, made.stderr);
  assert.ok(recipients().includes('sam@school.example') && recipients().includes('tia@school.example'), recipients().join(' '));
  smtp.inbox.length = 0;
  assert.is((await instance.cli(['mod', 'role', 'tia', 'auditor'])).code, 0);
  assert.ok(recipients().includes('sue@school.example'));
  assert.equal(instance.audit().filter((e) => e.target === 'moderator:tia').map((e) => [e.actor, e.action]), [['cli:tester', 'moderator.create'], ['cli:tester', 'moderator.set_role']]);
  assert.is((await instance.cli(['mod', 'email', 'tia', 'not an address'])).code, 2);
  assert.is((await instance.cli(['mod', 'email', 'tia'])).code, 0, 'removes the address');
  assert.equal(instance.rows<{ email: string | null }>("SELECT email FROM moderators WHERE username = 'tia'"), [{ email: null }]);
});

test("the reporter's note of a minor or illegal report reaches safeguarding only, inside an audited opening", async () => {
  const filed: Record<string, string> = {};
  for (const reason of ['minor', 'illegal', 'harassment']) {
    const [a, b] = [await connect(running.url), await connect(running.url)];
    clients.push(a, b);
    a.send({ type: 'find', mode: 'text' });
    await a.next('queued');
    b.send({ type: 'find', mode: 'text' });
    await Promise.all([a.next('matched'), b.next('matched')]);
    filed[reason] = (await report(b, reason, `${NOTE} (${reason})`)).reportId;
  }
  const sensitive = [filed.minor!, filed.illegal!];

  for (const username of ['olive', 'adam', 'mona', 'ada', 'sam']) {
    const session = await login(username);
    const list = await (await session.request('/api/mod/reports?status=all')).text();
    assert.not.ok(list.includes(`${NOTE} (minor)`) || list.includes(`${NOTE} (illegal)`), `${username}: no sensitive note in the queue (a list opens no evidence)`);
    const listed = (JSON.parse(list) as { reports: Array<{ id: string; note: string | null; noteWithheld: boolean }> }).reports;
    for (const id of sensitive) assert.equal(listed.filter((r) => r.id === id).map((r) => [r.note, r.noteWithheld]), [[null, true]], `${username}: withheld in the list`);
    assert.ok(list.includes(`${NOTE} (harassment)`), `${username}: an ordinary report's note is shown`);
    for (const id of sensitive) {
      const opened = await (await session.request(`/api/mod/reports/${id}`)).text();
      if (username === 'sam') {
        const { report: shown } = JSON.parse(opened) as { report: { note: string | null; noteWithheld: boolean } };
        assert.equal([shown.noteWithheld, shown.note?.startsWith(NOTE)], [false, true], 'safeguarding reads it when it opens the evidence');
      } else {
        assert.not.ok(opened.includes(NOTE), `${username}: the note is absent from the opened report`);
      }
    }
  }
  const openings = instance.audit().filter((e) => e.action === 'evidence.view' && sensitive.some((id) => e.target === `report:${id}`));
  assert.equal(openings.map((e) => [e.actor, e.details?.note]), [['moderator:sam', true], ['moderator:sam', true]], 'each reading is in the audit log, and only safeguarding read');

  // At the terminal (the operator acts as an owner): reports list and show withhold it too.
  const cliList = await instance.cli(['reports', 'list', '--status', 'all', '--json']);
  assert.not.ok(cliList.stdout.includes(`${NOTE} (minor)`));
  for (const id of sensitive) {
    for (const args of [['--json'], []]) {
      const shown = await instance.cli(['reports', 'show', id, ...args]);
      assert.is(shown.code, 0, shown.stderr);
      assert.not.ok(shown.stdout.includes(NOTE), `reports show ${args.join(' ')}: no note`);
    }
  }
  assert.match((await instance.cli(['reports', 'show', filed.minor!])).stdout, /^note\s+withheld \(the note of a minor report is evidence, for the safeguarding role only\)$/m);
});

test.run();
