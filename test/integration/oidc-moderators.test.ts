// Moderators signing in to /mod with the school's provider (oidc.moderators), offline against a
// real OpenID provider: the role comes from a group claim at every sign-in, the session is a
// moderator session like a password login's (cookie, CSRF token, limits, audit), `owner` and
// `safeguarding` wait until an owner confirms them once from the terminal, and an SSO account
// never takes over a password account of the same name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { newServer, type TestServer } from '../helpers/server.ts';
import { FetchBrowser, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.ts';
import { createModerator, loginModerator, TEST_PASSWORD } from '../helpers/moderators.ts';
import { cliActor } from '../../server/access/actor.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices, type Services } from '../../server/services.ts';
import { LOGIN_LIMITS } from '../../server/access/login-limits.ts';

const CLIENT_ID = 'strangerchat-staff';
const CLIENT_SECRET = 'staff-client-secret-0123456789';
const TENANT = '0f8c6a52-1b9e-4a57-9d2a-2c0f5f6c1e11';
const GROUPS = { pastoral: 'grp-pastoral', auditors: 'grp-governors', dsl: 'grp-dsl', it: 'grp-it', admins: 'grp-office' };

async function freePort(): Promise<number> {
  const probe = createTcpServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const staff = (sub: string, username: string, groups: string[]) => ({ sub, claims: { tid: TENANT, preferred_username: `${username}@northfield.example.org`, groups } });
const provider: TestOidcProvider = await startOidcProvider({
  clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${publicUrl}/api/oidc/callback`] }],
  accounts: {
    jones: staff('e-1', 'j.jones', [GROUPS.pastoral]),
    lee: staff('e-2', 'lee', [GROUPS.auditors]),
    dsl: staff('e-3', 'dsl.patel', [GROUPS.dsl, GROUPS.pastoral]),
    it: staff('e-4', 'it.admin', [GROUPS.it]),
    khan: staff('e-5', 'mrs.khan', [GROUPS.admins]),
    pupil: staff('e-6', 'ada', ['grp-pupils']),
    locked: staff('e-7', 'leaver', [GROUPS.pastoral]),
  },
});
const server: TestServer = await newServer(
  {
    profile: 'school',
    accessMode: 'invite',
    publicUrl,
    server: { port },
    oidc: {
      issuer: provider.issuer,
      clientId: CLIENT_ID,
      label: 'Northfield',
      allowedTenants: [TENANT],
      moderators: {
        enabled: true,
        roles: [
          { claim: 'groups', values: [GROUPS.it], role: 'owner' },
          { claim: 'groups', values: [GROUPS.dsl], role: 'safeguarding' },
          { claim: 'groups', values: [GROUPS.admins], role: 'admin' },
          { claim: 'groups', values: [GROUPS.pastoral], role: 'moderator' },
          { claim: 'groups', values: [GROUPS.auditors], role: 'auditor' },
        ],
      },
    },
  },
  { secrets: { oidcClientSecret: CLIENT_SECRET } },
);
/** The operator at the terminal: the instance's services on their own connection, as the CLI builds them. */
const terminal: Services = createServices({ db: await server.openSecondDb(), config: server.config, logger: silentLogger() });
const OPERATOR = cliActor('ops');
test.after(async () => {
  terminal.close();
  await server.stop();
  await provider.close();
});

interface SignedIn {
  browser: FetchBrowser;
  location: string;
  refusal: string | null;
  query: URLSearchParams;
}

/** A moderator sign-in at /mod with the school, as `login`. */
async function signIn(login: string, browser = new FetchBrowser()): Promise<SignedIn> {
  const callback = await browser.authorize(`${server.url}/api/oidc/moderator/start`, login);
  const res = await browser.request(callback);
  await res.arrayBuffer();
  assert.is(res.status, 303);
  const location = res.headers.get('location') ?? '';
  const query = new URL(location, 'http://x').searchParams;
  return { browser, location, refusal: query.get('signin'), query };
}

async function me(browser: FetchBrowser): Promise<{ status: number; body: { moderator?: { username: string; role: string }; csrfToken?: string; permissions?: string[] } }> {
  const res = await browser.request(`${server.url}/api/mod/me`);
  return { status: res.status, body: (await res.json()) as never };
}

async function auditActions(target: string) {
  return server.db.selectFrom('audit_log').select(['actor', 'action', 'details']).where('target', '=', target).orderBy('id').execute();
}

/** The error code a promise rejects with (uvu has no `rejects`). */
async function refusedWith(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  throw new Error('expected a refusal');
}

async function accountCount(): Promise<number> {
  return (await server.db.selectFrom('moderators').select('id').execute()).length;
}

test('a member of the pastoral group signs in to /mod as a moderator: the same session, CSRF token and audit as a password login', async () => {
  const { browser, location, refusal } = await signIn('jones');
  assert.is(refusal, null);
  assert.is(location, '/mod');
  const session = await me(browser);
  assert.is(session.status, 200);
  assert.equal([session.body.moderator?.username, session.body.moderator?.role], ['j.jones', 'moderator']);

  // Changing something without the CSRF token is refused, as for any moderator session.
  const forged = await browser.request(`${server.url}/api/mod/announce`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello' }) });
  assert.is(forged.status, 403);
  assert.is(((await forged.json()) as { error: { code: string } }).error.code, 'csrf_failed');

  const entries = await auditActions('moderator:j.jones');
  assert.equal(entries.map((e) => [e.actor, e.action]), [['system:sso', 'moderator.create'], ['moderator:j.jones', 'moderator.login']]);
  assert.match(entries[1]!.details ?? '', /"via":"sso"/);
  const account = await server.db.selectFrom('moderators').select(['password_hash', 'must_change_password', 'created_by']).where('username', '=', 'j.jones').executeTakeFirstOrThrow();
  assert.equal([account.must_change_password, account.created_by], [0, 'system:sso']);
  const password = await fetch(`${server.url}/api/mod/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'j.jones', password: account.password_hash }) });
  assert.is(password.status, 401, 'an SSO account has no password that works, not even its stored marker');

  const out = await browser.request(`${server.url}/api/mod/logout`, { method: 'POST', headers: { 'x-csrf-token': session.body.csrfToken! } });
  assert.is(out.status, 204);
  assert.is((await me(browser)).status, 401);
});

test('the claims decide the role at every sign-in: moved to the governors group, the same account is an auditor', async () => {
  const before = await accountCount();
  provider.accounts.set('lee', staff('e-2', 'lee', [GROUPS.pastoral]));
  assert.is((await me((await signIn('lee')).browser)).body.moderator?.role, 'moderator');
  provider.accounts.set('lee', staff('e-2', 'lee', [GROUPS.auditors]));
  const again = await me((await signIn('lee')).browser);
  assert.equal([again.body.moderator?.username, again.body.moderator?.role], ['lee', 'auditor']);
  assert.is(await accountCount(), before + 1, 'one account for the identity');
  const change = (await auditActions('moderator:lee')).find((e) => e.action === 'moderator.set_role');
  assert.equal([change?.actor, JSON.parse(change!.details!)], ['system:sso', { from: 'moderator', to: 'auditor', via: 'sso' }]);
});

test('a school account with no moderator role is refused, and no account is made', async () => {
  const before = await accountCount();
  const { refusal, location, browser } = await signIn('pupil');
  assert.is(refusal, 'sso_no_role');
  assert.ok(location.startsWith('/mod?'));
  assert.is((await me(browser)).status, 401);
  assert.is(browser.cookie('sc_mod'), undefined);
  assert.is(await accountCount(), before);
});

test('safeguarding is never granted by a claim alone: it waits for an owner at the terminal, once', async () => {
  const before = await accountCount();
  const first = await signIn('dsl');
  assert.is(first.refusal, 'sso_confirmation_required');
  assert.equal([first.query.get('user'), first.query.get('role')], ['dsl.patel', 'safeguarding']);
  assert.is((await me(first.browser)).status, 401);
  assert.is(await accountCount(), before, 'no account until an owner confirms');
  assert.equal((await terminal.moderatorSso.list(OPERATOR)).find((a) => a.username === 'dsl.patel')?.pendingRole, 'safeguarding');
  assert.equal((await auditActions('moderator:dsl.patel')).map((e) => e.action), ['moderator.sso_pending']);

  // Asking again does not repeat the audit entry; a non-owner cannot confirm.
  assert.is((await signIn('dsl')).refusal, 'sso_confirmation_required');
  assert.equal((await auditActions('moderator:dsl.patel')).length, 1);
  await createModerator(server, 'office.admin', 'admin');
  const admin = await terminal.moderators.find('office.admin');
  assert.is(await refusedWith(terminal.moderatorSso.confirm('dsl.patel', { role: 'admin', name: 'cli:ops as office.admin', moderatorId: admin!.id })), 'forbidden');

  const confirmed = await terminal.moderatorSso.confirm('dsl.patel', OPERATOR);
  assert.equal([confirmed.role, confirmed.confirmedRole, confirmed.pendingRole], ['safeguarding', 'safeguarding', null]);
  assert.equal(
    (await auditActions('moderator:dsl.patel')).map((e) => [e.actor, e.action]),
    [['system:sso', 'moderator.sso_pending'], ['cli:ops', 'moderator.sso_confirm'], ['cli:ops', 'moderator.create']],
  );
  const signedIn = await signIn('dsl');
  assert.is(signedIn.refusal, null);
  const session = await me(signedIn.browser);
  assert.is(session.body.moderator?.role, 'safeguarding');
  assert.ok(session.body.permissions?.includes('evidence.view_sensitive'));
  assert.is(await refusedWith(terminal.moderatorSso.confirm('dsl.patel', OPERATOR)), 'nothing_to_confirm');

  // Out of the DSL group the role goes; back in it, it returns without a new confirmation.
  provider.accounts.set('dsl', staff('e-3', 'dsl.patel', [GROUPS.pastoral]));
  assert.is((await me((await signIn('dsl')).browser)).body.moderator?.role, 'moderator');
  provider.accounts.set('dsl', staff('e-3', 'dsl.patel', [GROUPS.dsl]));
  assert.is((await me((await signIn('dsl')).browser)).body.moderator?.role, 'safeguarding');
});

test('the owner role likewise waits for an owner; once confirmed, the account is an owner', async () => {
  const first = await signIn('it');
  assert.is(first.refusal, 'sso_confirmation_required');
  assert.is(first.query.get('role'), 'owner');
  await terminal.moderatorSso.confirm('it.admin', OPERATOR);
  const session = await me((await signIn('it')).browser);
  assert.is(session.body.moderator?.role, 'owner');
});

test('an SSO sign-in never joins a password account of the same name', async () => {
  await createModerator(server, 'mrs.khan', 'auditor');
  const { refusal, browser } = await signIn('khan');
  assert.is(refusal, null);
  const session = await me(browser);
  assert.equal([session.body.moderator?.username, session.body.moderator?.role], ['mrs.khan-2', 'admin']);
  const password = await loginModerator(server, 'mrs.khan', TEST_PASSWORD);
  const own = (await (await password.request('/api/mod/me')).json()) as { moderator: { role: string } };
  assert.is(own.moderator.role, 'auditor', 'the password account is untouched');
});

test('a disabled SSO account is refused, and refusals count toward the login limits like failed passwords', async () => {
  assert.is((await signIn('locked')).refusal, null);
  await terminal.moderators.disable('leaver', OPERATOR);
  for (let attempt = 1; attempt <= LOGIN_LIMITS.perAccountPlace.attempts; attempt++) {
    assert.is((await signIn('locked')).refusal, 'account_disabled', `attempt ${attempt}`);
  }
  assert.is((await signIn('locked')).refusal, 'rate_limited');
});

test('the member sign-in is not offered where members do not sign in with the school', async () => {
  const res = await fetch(`${server.url}/api/oidc/start`, { redirect: 'manual' });
  assert.is(res.status, 303);
  assert.is(new URL(res.headers.get('location')!, 'http://x').searchParams.get('signin'), 'oidc_not_offered');
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as { schoolSignIn: unknown };
  assert.equal(config.schoolSignIn, { label: 'Northfield', members: false, adults: false, moderators: true });
});

test.run();
