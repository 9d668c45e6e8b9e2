// The `oidc` access mode end to end, offline: a real OpenID provider (oidc-provider) on loopback,
// the real server, and a browser reduced to cookies and redirects (FetchBrowser), so every step
// of the authorization code flow can be kept, replayed or altered as an attacker would. A pupil's
// band comes from the school's claims (undecided is minor), no age is taken, the school checks
// (Google's `hd`, Entra's `tid`) refuse other organisations, and the identity — a keyed hash of
// iss|sub, never the address — carries bans and reports from browser to browser.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { newServer, type TestServer } from '../helpers/server.ts';
import { FetchBrowser, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.ts';
import { openSocket } from '../helpers/client.ts';
import { pairUp, report } from '../helpers/people.ts';
import { CLI_ACTOR, cliBans } from '../helpers/bans.ts';
import { captureLogs, type CapturedLogs } from '../helpers/logs.ts';
import { oidcIdentityHash } from '../../server/access/oidc-rules.ts';
import { NO_DECLARED_AGE } from '../../server/access/sessions.ts';

const CLIENT_ID = 'strangerchat-northfield';
const CLIENT_SECRET = 'client-secret-from-dotenv-0123456789';
const SESSION_SECRET = 'oidc-access-test-secret-0123456789abcdef';
const DOMAIN = 'northfield.example.org';
const TENANT = '0f8c6a52-1b9e-4a57-9d2a-2c0f5f6c1e11';
const STAFF_GROUP = 'grp-staff-7c1d';
const MINUTE = 60_000;

async function freePort(): Promise<number> {
  const probe = createTcpServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A settable clock shared by the servers under test. */
const clock = { at: Date.parse('2026-12-01T08:30:00Z') };
const now = () => clock.at;

// Three schools on one provider: Google-like (hd), Entra-like (tid), and a hybrid where pupils use
// invite codes and staff sign in for the adult band.
const ports = { google: await freePort(), entra: await freePort(), hybrid: await freePort() };
const publicUrl = (port: number) => `http://127.0.0.1:${port}`;
const callbacks = Object.values(ports).map((port) => `${publicUrl(port)}/api/oidc/callback`);
const provider: TestOidcProvider = await startOidcProvider({
  clients: [
    { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: callbacks },
    // Another application of the same school, registered with the same redirect URI.
    { clientId: 'library-app', clientSecret: 'library-secret-0123456789', redirectUris: callbacks },
  ],
  accounts: {
    ada: { sub: 'g-1001', claims: { hd: DOMAIN, email: `ada@pupils.${DOMAIN}`, email_verified: true } },
    bob: { sub: 'g-1002', claims: { hd: DOMAIN, email: `bob@pupils.${DOMAIN}`, email_verified: true } },
    mrs_lee: { sub: 'g-2001', claims: { hd: DOMAIN, email: `lee@staff.${DOMAIN}`, email_verified: true } },
    unverified: { sub: 'g-2002', claims: { hd: DOMAIN, email: `fake@staff.${DOMAIN}`, email_verified: false } },
    teacher: { sub: 'e-3001', claims: { tid: TENANT, groups: [STAFF_GROUP, 'grp-all'], email: `t@${DOMAIN}` } },
    pupil_e: { sub: 'e-3002', claims: { tid: TENANT, groups: ['grp-all'] } },
    outsider: { sub: 'g-9001', claims: { hd: 'elsewhere.example.com', email: 'eve@elsewhere.example.com', email_verified: true } },
    personal: { sub: 'g-9002', claims: { email: 'someone@gmail.example', email_verified: true } },
    other_tenant: { sub: 'e-9003', claims: { tid: '11111111-2222-3333-4444-555555555555', groups: [STAFF_GROUP] } },
  },
});

const logs: CapturedLogs = captureLogs('debug');
const common = { profile: 'school', name: 'Northfield chat' } as const;
const oidc = { issuer: provider.issuer, clientId: CLIENT_ID, label: 'Northfield School' };
const options = { now, logger: logs.logger, secrets: { sessionSecret: SESSION_SECRET, oidcClientSecret: CLIENT_SECRET } };
const google: TestServer = await newServer(
  {
    ...common,
    accessMode: 'oidc',
    publicUrl: publicUrl(ports.google),
    server: { port: ports.google },
    oidc: { ...oidc, allowedDomains: [DOMAIN], bands: [{ emailDomain: `staff.${DOMAIN}`, band: 'adult' }] },
  },
  options,
);
const entra: TestServer = await newServer(
  {
    ...common,
    accessMode: 'oidc',
    publicUrl: publicUrl(ports.entra),
    server: { port: ports.entra },
    oidc: { ...oidc, allowedTenants: [TENANT], bands: [{ claim: 'groups', values: [STAFF_GROUP], band: 'adult' }] },
  },
  options,
);
const hybrid: TestServer = await newServer(
  {
    ...common,
    accessMode: 'invite',
    publicUrl: publicUrl(ports.hybrid),
    server: { port: ports.hybrid },
    oidc: { ...oidc, allowedDomains: [DOMAIN], requireForAdults: true, bands: [{ emailDomain: `staff.${DOMAIN}`, band: 'adult' }] },
  },
  options,
);
test.after(async () => {
  await google.stop();
  await entra.stop();
  await hybrid.stop();
  await provider.close();
});

const start = (server: TestServer) => `${server.url}/api/oidc/start`;

/** Where the callback sent the browser: the landing page, or the landing page with a refusal code. */
async function openCallback(browser: FetchBrowser, callback: URL | string): Promise<{ status: number; location: string; refusal: string | null }> {
  const res = await browser.request(callback);
  await res.arrayBuffer();
  const location = res.headers.get('location') ?? '';
  return { status: res.status, location, refusal: new URL(location, 'http://x').searchParams.get('signin') };
}

/** A whole sign-in as `login` in `browser`: start, the provider's form, the callback. */
async function signIn(server: TestServer, login: string, browser = new FetchBrowser()) {
  const callback = await browser.authorize(start(server), login);
  return { browser, ...(await openCallback(browser, callback)) };
}

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

function postSession(server: TestServer, browser: FetchBrowser, body: Record<string, unknown> = { acceptRules: true }): Promise<Response> {
  return browser.request(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function status(server: TestServer, browser: FetchBrowser) {
  return json<{ signedIn: boolean; band?: string }>(await browser.request(`${server.url}/api/oidc/status`));
}

async function sessionRows(server: TestServer) {
  return server.db.selectFrom('sessions').select(['id', 'age_band', 'age', 'identity_hash']).orderBy('created_at').orderBy('id').execute();
}

test('a pupil signs in with the school and lands in the minor band: no age asked, none stored, the identity is a keyed hash of iss|sub', async () => {
  const { browser, status: code, location, refusal } = await signIn(google, 'ada');
  assert.is(code, 303);
  assert.is(refusal, null);
  assert.is(location, '/#start', 'back to the entry step');
  assert.equal(await status(google, browser), { signedIn: true, band: 'minor', expiresAt: now() + 8 * 60 * MINUTE });

  const res = await postSession(google, browser);
  assert.is(res.status, 201, await res.clone().text());
  const { ticket } = await json<{ ticket: string }>(res);
  const [row] = await sessionRows(google);
  assert.is(row!.age_band, 'minor');
  assert.is(row!.age, NO_DECLARED_AGE);
  assert.is(row!.identity_hash, oidcIdentityHash(SESSION_SECRET, provider.issuer, 'g-1001'));

  const client = await openSocket(google.url, ticket, { origin: publicUrl(ports.google) });
  const welcome = await client.next('welcome');
  assert.is(welcome.relayOnly, true, 'a minor is relay-only');
  client.close();

  // Neither the address nor the subject is anywhere in the database, nor in the logs.
  for (const table of ['sessions', 'age_band_locks', 'oidc_sign_ins', 'audit_log', 'moderator_sso']) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(google.db);
    const text = JSON.stringify(rows);
    assert.not.ok(text.includes('ada@') || text.includes('g-1001') || text.includes(DOMAIN), `${table} holds no address, subject or domain`);
  }
  assert.not.match(logs.text(), /ada@|g-1001|code=|id_token|"state"/);
});

test('a typed age is refused for a signed-in member, and without a sign-in there is no session at all', async () => {
  const { browser } = await signIn(google, 'bob');
  for (const age of [20, 14]) {
    const typed = await postSession(google, browser, { acceptRules: true, age });
    assert.is(typed.status, 400);
    assert.is((await json<{ error: { code: string } }>(typed)).error.code, 'age_not_accepted');
  }
  const stranger = new FetchBrowser();
  for (const body of [{ acceptRules: true }, { acceptRules: true, age: 30 }]) {
    const refused = await postSession(google, stranger, body);
    assert.is(refused.status, 403);
    assert.is((await json<{ error: { code: string } }>(refused)).error.code, 'sign_in_required');
  }
  assert.is((await postSession(google, browser)).status, 201, 'the signed-in pupil still gets a session without an age');
});

test('the band comes from the claims: a verified staff domain or a staff group is adult; an unverified address, or no rule, is minor', async () => {
  const cases: Array<[TestServer, string, string]> = [
    [google, 'mrs_lee', 'adult'],
    [google, 'unverified', 'minor'],
    [entra, 'teacher', 'adult'],
    [entra, 'pupil_e', 'minor'],
  ];
  for (const [server, login, band] of cases) {
    const { browser, refusal } = await signIn(server, login);
    assert.is(refusal, null, login);
    assert.is((await status(server, browser)).band, band, login);
    assert.is((await postSession(server, browser)).status, 201, login);
    const identity = oidcIdentityHash(SESSION_SECRET, provider.issuer, provider.accounts.get(login)!.sub);
    const rows = await server.db.selectFrom('sessions').select('age_band').where('identity_hash', '=', identity).execute();
    assert.equal(rows, [{ age_band: band }], login);
  }
});

test("another organisation's account is refused: a wrong or missing `hd`, a wrong `tid`; nothing is left on the browser", async () => {
  for (const [server, login, code] of [
    [google, 'outsider', 'oidc_domain_not_allowed'],
    [google, 'personal', 'oidc_domain_not_allowed'],
    [google, 'teacher', 'oidc_domain_not_allowed'],
    [entra, 'other_tenant', 'oidc_tenant_not_allowed'],
    [entra, 'ada', 'oidc_tenant_not_allowed'],
  ] as const) {
    const { browser, status: redirected, location, refusal } = await signIn(server, login);
    assert.is(redirected, 303);
    assert.is(refusal, code, login);
    assert.ok(location.endsWith('#start'), 'back to the entry step, which explains');
    assert.is(browser.cookie('sc_school'), undefined, login);
    assert.equal(await status(server, browser), { signedIn: false });
    assert.is((await postSession(server, browser)).status, 403);
  }
  // The `hd` sent to the provider is only a hint; the claim decided above.
  assert.is(provider.authorizations.at(-3)?.get('hd'), DOMAIN);
});

test('a replayed callback is refused, in the same browser (cookie or not) and in another', async () => {
  const browser = new FetchBrowser();
  const callback = await browser.authorize(start(google), 'ada');
  const held = browser.cookie('sc_oidc')!;
  const heldSig = browser.cookie('sc_oidc.sig')!;
  assert.is((await openCallback(browser, callback)).refusal, null, 'the first use works');
  browser.drop('sc_school');

  assert.is((await openCallback(browser, callback)).refusal, 'oidc_no_sign_in', 'its cookie went with the first use');
  // An attacker who copied the cookie as well: the sign-in was spent.
  const thief = new FetchBrowser();
  await thief.request(`${google.url}/healthz`);
  const replay = await fetch(callback, { redirect: 'manual', headers: { cookie: `sc_oidc=${held}; sc_oidc.sig=${heldSig}` } });
  assert.is(new URL(replay.headers.get('location')!, 'http://x').searchParams.get('signin'), 'oidc_callback_invalid');
  assert.not.ok(replay.headers.getSetCookie().some((line) => line.startsWith('sc_school=') && !line.startsWith('sc_school=;')), 'no identity for the replay');
  assert.is((await openCallback(new FetchBrowser(), callback)).refusal, 'oidc_no_sign_in');
});

test("a tampered state or code is refused; the browser's own sign-in survives a forged state", async () => {
  const browser = new FetchBrowser();
  const callback = await browser.authorize(start(google), 'ada');

  const forgedState = new URL(callback);
  forgedState.searchParams.set('state', `${callback.searchParams.get('state')!.slice(0, -2)}xx`);
  assert.is((await openCallback(browser, forgedState)).refusal, 'oidc_callback_invalid');
  assert.is(browser.cookie('sc_school'), undefined);

  // The callback cookie went with the forged callback; a browser that kept it still finishes.
  const again = new FetchBrowser();
  const second = await again.authorize(start(google), 'ada');
  const forgedCode = new URL(second);
  forgedCode.searchParams.set('code', `${second.searchParams.get('code')!.slice(0, -3)}abc`);
  assert.is((await openCallback(again, forgedCode)).refusal, 'oidc_callback_invalid', 'a code the provider never issued');
  assert.is(again.cookie('sc_school'), undefined);
});

test("a state from another browser is refused (login CSRF): the victim's own sign-in is untouched", async () => {
  const attacker = new FetchBrowser();
  const attackersCallback = await attacker.authorize(start(google), 'outsider');
  const victim = new FetchBrowser();
  const victimsCallback = await victim.authorize(start(google), 'ada');
  const victimHeld = [victim.cookie('sc_oidc')!, victim.cookie('sc_oidc.sig')!];

  // The attacker lures the victim's browser to the attacker's callback.
  const lured = await fetch(attackersCallback, { redirect: 'manual', headers: { cookie: `sc_oidc=${victimHeld[0]}; sc_oidc.sig=${victimHeld[1]}` } });
  assert.is(new URL(lured.headers.get('location')!, 'http://x').searchParams.get('signin'), 'oidc_callback_invalid');
  assert.is((await openCallback(new FetchBrowser(), attackersCallback)).refusal, 'oidc_no_sign_in', 'a browser with no sign-in under way');

  // The forged callback spent nothing: the victim's own callback, with its cookie, still completes.
  assert.is((await openCallback(victim, victimsCallback)).refusal, null);
  assert.is((await status(google, victim)).signedIn, true);
});

test("a code issued for another nonce is refused, though the attacker copied the victim's state and PKCE challenge", async () => {
  const victim = new FetchBrowser();
  const sent = (await victim.follow(start(google), (next) => next.hostname === 'localhost')).url.searchParams;
  assert.ok(sent.get('nonce') && sent.get('state'), 'the victim was sent to the provider');
  // The attacker's own authorization request at the provider, with the victim's state and
  // challenge but its own nonce, signed in as the attacker: its code is then injected.
  const forged = new URL('/auth', provider.issuer);
  for (const name of ['client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'response_type']) forged.searchParams.set(name, sent.get(name)!);
  forged.searchParams.set('nonce', 'the-attackers-own-nonce-0123456789');
  const injected = await new FetchBrowser().authorize(forged, 'outsider');
  assert.is(injected.searchParams.get('state'), sent.get('state'), "the victim's own state comes back");
  assert.is((await openCallback(victim, injected)).refusal, 'oidc_callback_invalid');
  assert.is(victim.cookie('sc_school'), undefined);
  assert.match(logs.text(), /nonce/, `the log names what failed: ${logs.text().split('\n').slice(-3).join('\n')}`);
});

test('a code issued to another client of the same provider is refused', async () => {
  const victim = new FetchBrowser();
  const sent = (await victim.follow(start(google), (next) => next.hostname === 'localhost')).url.searchParams;
  const forged = new URL('/auth', provider.issuer);
  for (const name of ['redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'response_type']) forged.searchParams.set(name, sent.get(name)!);
  forged.searchParams.set('client_id', 'library-app');
  const injected = await new FetchBrowser().authorize(forged, 'ada');
  assert.is(injected.searchParams.get('state'), sent.get('state'), "the victim's own state comes back");
  assert.is((await openCallback(victim, injected)).refusal, 'oidc_callback_invalid');
  assert.is(victim.cookie('sc_school'), undefined);
  assert.match(logs.text(), /invalid_grant/, 'the provider refused to redeem it for this client');
});

test('a sign-in that took longer than ten minutes is refused', async () => {
  const browser = new FetchBrowser();
  const callback = await browser.authorize(start(google), 'ada');
  clock.at += 11 * MINUTE;
  try {
    assert.is((await openCallback(browser, callback)).refusal, 'oidc_callback_invalid');
  } finally {
    clock.at -= 11 * MINUTE;
  }
});

test('the sign-in lasts signInHours on the browser, and signing out ends it at once (a shared computer)', async () => {
  const { browser } = await signIn(google, 'bob');
  assert.is((await status(google, browser)).signedIn, true);
  const out = await browser.request(`${google.url}/api/oidc/sign-out`, { method: 'POST' });
  assert.is(out.status, 204);
  assert.equal(await status(google, browser), { signedIn: false });
  assert.is((await postSession(google, browser)).status, 403);

  const again = await signIn(google, 'bob');
  clock.at += 8 * 60 * MINUTE;
  try {
    assert.equal(await status(google, again.browser), { signedIn: false }, 'past the expiry inside the signed cookie');
  } finally {
    clock.at -= 8 * 60 * MINUTE;
  }
});

test('on a shared computer, staff then a pupil: each in their own band, the browser is not locked to the first', async () => {
  const computer = new FetchBrowser();
  await signIn(google, 'mrs_lee', computer);
  assert.is((await postSession(google, computer)).status, 201);
  await computer.request(`${google.url}/api/oidc/sign-out`, { method: 'POST' });
  await signIn(google, 'ada', computer);
  assert.is((await status(google, computer)).band, 'minor');
  const pupil = await postSession(google, computer);
  assert.is(pupil.status, 201, await pupil.clone().text());
});

test('an identity ban holds across a new sign-in on a new browser; a report keeps the two apart across browsers', async () => {
  const first = await signIn(google, 'bob');
  const identity = oidcIdentityHash(SESSION_SECRET, provider.issuer, 'g-1002');
  const bans = await cliBans(google);
  const ban = await bans.add({ target: `identity:${identity}`, reason: 'Harassment', severity: 'no_matching' }, CLI_ACTOR);
  try {
    const deadline = Date.now() + 2000;
    let refused: Response;
    do refused = await postSession(google, first.browser);
    while (refused.status === 201 && Date.now() < deadline);
    assert.is(refused.status, 403);
    assert.is((await json<{ error: { code: string } }>(refused)).error.code, 'banned');

    const fresh = await signIn(google, 'bob');
    assert.is(fresh.refusal, null);
    const again = await postSession(google, fresh.browser);
    assert.is(again.status, 403, 'a new browser and a new sign-in: the same identity, still banned');
    assert.is((await json<{ error: { code: string } }>(again)).error.code, 'banned');
  } finally {
    await bans.lift(ban.id, CLI_ACTOR);
  }
});

test('a report keeps reporter and reported apart when the reported pupil signs in again on another browser', async () => {
  const connect = async (login: string) => {
    const { browser } = await signIn(google, login);
    const res = await postSession(google, browser);
    assert.is(res.status, 201, await res.clone().text());
    const client = await openSocket(google.url, (await json<{ ticket: string }>(res)).ticket, { origin: publicUrl(ports.google) });
    await client.next('welcome');
    return client;
  };
  const reporter = await connect('ada');
  const reported = await connect('bob');
  try {
    await pairUp(reporter, reported);
    await report(reporter);
    await reported.next('ended');
    reported.close();
    const returning = await connect('bob');
    try {
      reporter.send({ type: 'find', mode: 'text' });
      await reporter.next('queued');
      returning.send({ type: 'find', mode: 'text' });
      await returning.next('queued');
      await reporter.none('matched', 500);
    } finally {
      returning.close();
    }
  } finally {
    reporter.close();
    reported.close();
  }
});

test('hybrid school: pupils use invite codes and typed ages under 18; the adult band only through the staff sign-in', async () => {
  const pupil = new FetchBrowser();
  const typedAdult = await postSession(hybrid, pupil, { acceptRules: true, age: 30, inviteCode: 'whatever' });
  assert.is(typedAdult.status, 403);
  assert.is((await json<{ error: { code: string } }>(typedAdult)).error.code, 'adult_sign_in_required');

  const staff = await signIn(hybrid, 'mrs_lee');
  assert.is((await status(hybrid, staff.browser)).band, 'adult');
  const staffSession = await postSession(hybrid, staff.browser);
  assert.is(staffSession.status, 201, 'no invite code needed after the school sign-in');
  assert.is((await hybrid.db.selectFrom('sessions').select('age_band').executeTakeFirstOrThrow()).age_band, 'adult');

  // The staff member's browser, signed out, cannot come back as a pupil with a typed age: locked adult.
  await staff.browser.request(`${hybrid.url}/api/oidc/sign-out`, { method: 'POST' });
  const switched = await postSession(hybrid, staff.browser, { acceptRules: true, age: 15, inviteCode: 'whatever' });
  assert.is(switched.status, 403);
  assert.is((await json<{ error: { code: string } }>(switched)).error.code, 'age_band_locked');

  // A typed under-18 age still needs an invite.
  const noInvite = await postSession(hybrid, pupil, { acceptRules: true, age: 14 });
  assert.is((await json<{ error: { code: string } }>(noInvite)).error.code, 'invite_required');
});

test('the landing page is told how the sign-in is offered; nothing of it when the instance has none', async () => {
  const config = async (server: TestServer) => json<{ accessMode: string; schoolSignIn: unknown }>(await fetch(`${server.url}/api/config`));
  assert.equal((await config(google)).schoolSignIn, { label: 'Northfield School', members: true, adults: false, moderators: false });
  assert.equal((await config(hybrid)).schoolSignIn, { label: 'Northfield School', members: false, adults: true, moderators: false });
  assert.is((await config(google)).accessMode, 'oidc');
});

test('a provider that cannot be reached: the start says so, and the chat itself keeps running', async () => {
  const port = await freePort();
  const closed = `http://127.0.0.1:${await freePort()}`;
  const down = await newServer(
    { ...common, accessMode: 'oidc', publicUrl: publicUrl(port), server: { port }, oidc: { issuer: closed, clientId: CLIENT_ID } },
    { secrets: { oidcClientSecret: CLIENT_SECRET } },
  );
  try {
    assert.is((await fetch(`${down.url}/healthz`)).status, 200);
    const res = await fetch(`${down.url}/api/oidc/start`, { redirect: 'manual' });
    assert.is(res.status, 303);
    assert.is(new URL(res.headers.get('location')!, 'http://x').searchParams.get('signin'), 'oidc_unavailable');
  } finally {
    await down.stop();
  }
});

test.run();
