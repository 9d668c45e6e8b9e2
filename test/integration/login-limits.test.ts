// Moderator logins against an attacker, on an instance made by `init` and started as `start`
// runs it: guesses sent all at once are counted before any password is checked; an IPv6 /64 is one
// network; and a stranger who locks an account cannot keep its owner out for good: the owner's
// own browser is spared, the lock ends, and `strangerchat mod reset-password` clears it at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOGIN_LIMITS } from '../../server/access/login-limits.ts';
import { newInstance, type TestInstance } from '../helpers/cli-instance.ts';
import { TEST_PASSWORD } from '../helpers/moderators.ts';

let instance: TestInstance;
let running: { url: string; stop(): Promise<number> };

test.before(async () => {
  instance = await newInstance('strangerchat-login-');
  // The test stands for clients at many addresses: it speaks through a "proxy" on loopback.
  const file = join(instance.dir, 'strangerchat.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), trustedProxies: ['127.0.0.1'] }, null, 2));
  for (const [name, role] of [['olive', 'owner'], ['tess', 'moderator'], ['uma', 'moderator']] as const) {
    const added = await instance.cli(['mod', 'add', name, '--role', role, '--password-stdin'], { stdin: TEST_PASSWORD });
    assert.is(added.code, 0, added.stderr);
  }
  running = await instance.start();
});
test.after(async () => {
  await running.stop();
  instance.remove();
});

interface Answer {
  status: number;
  code?: string;
  retryAfter?: number;
  /** The known-browser cookie the server set, if any. */
  browser?: string;
}

async function login(username: string, password: string, from: string, browser?: string): Promise<Answer> {
  const res = await fetch(`${running.url}/api/mod/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from, ...(browser ? { cookie: browser } : {}) },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { error?: { code: string; retryAfter?: number } };
  const set = res.headers.getSetCookie().find((c) => c.startsWith('sc_mod_browser='));
  return {
    status: res.status,
    ...(body.error ? { code: body.error.code, ...(body.error.retryAfter !== undefined ? { retryAfter: body.error.retryAfter } : {}) } : {}),
    ...(set ? { browser: set.split(';')[0]! } : {}),
  };
}

const tally = (answers: Answer[]) => answers.reduce<Record<number, number>>((n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }), {});
const entries = (action: string, target: string) => instance.audit().filter((e) => e.action === action && e.target === target);

test('sixty wrong guesses and the right one, all at once from one address: five are checked, the rest wait, even the right one', async () => {
  const guesses = Array.from({ length: 60 }, (_, i) => `wrong guess ${i}`);
  guesses.splice(30, 0, TEST_PASSWORD);
  const answers = await Promise.all(guesses.map((password) => login('tess', password, '203.0.113.10')));
  const counts = tally(answers);
  const limit = LOGIN_LIMITS.perAccountPlace.attempts;
  assert.ok((counts[401] ?? 0) <= limit, `at most ${limit} wrong guesses were checked: ${JSON.stringify(counts)}`);
  assert.ok((counts[401] ?? 0) + (counts[200] ?? 0) <= limit + 1, `no more than the limit (and a right one) reached the password check: ${JSON.stringify(counts)}`);
  assert.ok((counts[429] ?? 0) >= guesses.length - limit - 1);
  assert.ok(answers.filter((a) => a.status === 429).every((a) => a.code === 'rate_limited' && a.retryAfter! > 0));
  assert.ok(entries('moderator.login_failed', 'moderator:tess').length <= limit, 'the audit log agrees: no more failures were checked');
  assert.equal(entries('moderator.login_locked', 'moderator:tess').map((e) => e.details), [{ scope: 'account_place' }], 'the lock is recorded once');

  const after = await login('tess', TEST_PASSWORD, '203.0.113.10');
  assert.is(after.status, 429, 'now even the right password waits at that address');
  assert.ok(after.retryAfter! <= LOGIN_LIMITS.perAccountPlace.lockSeconds, 'for a bounded time');
});

test('an IPv6 /64 is one network: spraying from addresses inside it is stopped at the network limit', async () => {
  const spray: Answer[] = [];
  for (let i = 1; i <= LOGIN_LIMITS.perNetwork.attempts + 5; i++) spray.push(await login(`nobody${i}`, 'spray', `2001:db8:5:6::${i.toString(16)}`));
  assert.equal(tally(spray), { 401: LOGIN_LIMITS.perNetwork.attempts, 429: 5 });
  assert.is((await login('uma', TEST_PASSWORD, '2001:db8:5:6:ffff:ffff:ffff:ffff')).status, 429, 'the whole /64 waits');
  assert.is((await login('uma', TEST_PASSWORD, '2001:db8:5:7::1')).status, 200, 'the next /64 is another network');
});

test('a stranger cannot keep the owner out: their own browser is spared, the lock is bounded, and mod reset-password clears it', async () => {
  const own = await login('olive', TEST_PASSWORD, '198.51.100.7');
  assert.is(own.status, 200);
  assert.ok(own.browser, 'the owner\'s browser is now known to the account');

  // Guesses from many networks, each under its own limit, until the account-wide limit locks.
  const perPlace = LOGIN_LIMITS.perAccountPlace.attempts;
  const networks = Math.ceil(LOGIN_LIMITS.perAccount.attempts / perPlace);
  for (let n = 1; n <= networks; n++) {
    const burst = await Promise.all(Array.from({ length: perPlace }, (_, i) => login('olive', `guess ${n}-${i}`, `192.0.2.${n}`)));
    assert.ok(burst.every((a) => a.status === 401 || a.status === 429), JSON.stringify(tally(burst)));
  }
  const locked = await login('olive', TEST_PASSWORD, '192.0.2.200');
  assert.is(locked.status, 429, 'the account is locked for browsers it does not know');
  assert.ok(locked.retryAfter! > LOGIN_LIMITS.perAccountPlace.lockSeconds && locked.retryAfter! <= LOGIN_LIMITS.perAccount.lockSeconds, `bounded: ${locked.retryAfter} s`);
  assert.ok(entries('moderator.login_locked', 'moderator:olive').some((e) => e.details?.scope === 'account'));
  assert.is((await login('olive', TEST_PASSWORD, '198.51.100.8')).status, 429, 'a new browser of the owner waits too');

  // The owner's own browser, on their usual network, signs in.
  assert.is((await login('olive', TEST_PASSWORD, '198.51.100.7', own.browser)).status, 200);
  // A browser token is tied to its account and cannot be forged.
  const [name, value] = own.browser!.split('=') as [string, string];
  const forged = `${name}=${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
  assert.is((await login('olive', TEST_PASSWORD, '198.51.100.9', forged)).status, 429, 'a tampered token counts for nothing');
  const tessBrowser = (await login('uma', TEST_PASSWORD, '2001:db8:5:8::1')).browser!;
  assert.is((await login('olive', TEST_PASSWORD, '198.51.100.9', tessBrowser)).status, 429, "another account's token counts for nothing");

  // The way back in from anywhere: a reset at the terminal, while the server runs.
  const reset = await instance.cli(['mod', 'reset-password', 'olive', '--json']);
  assert.is(reset.code, 0, reset.stderr);
  const { password } = reset.json<{ password: string }>();
  assert.is((await login('olive', password, '198.51.100.8')).status, 200, 'the one-time password works at once, from a browser the account did not know');
});

test.run();
