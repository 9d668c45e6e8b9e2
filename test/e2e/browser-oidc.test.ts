// The school sign-in in a real Chromium page, offline: the landing page's "Continue with …", a
// real OpenID provider (oidc-provider) on loopback whose form the pupil fills, and back on the
// entry step with the band the school's claims give and no age asked. Refusals are explained on
// the entry step: another organisation's account, a callback whose state or code was altered on
// the way, a callback opened a second time. An identity ban follows the pupil into a new browser
// and a new sign-in. Moderators sign in to /mod with the same provider.
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { assertBrowserTestsCanRun, launchBrowser, newPerson, screenshot, unexpectedErrors, waitForState } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.ts';
import { CLI_ACTOR, cliBans } from '../helpers/bans.ts';
import { oidcIdentityHash } from '../../server/access/oidc-rules.ts';
import { NO_DECLARED_AGE } from '../../server/access/sessions.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const CLIENT_ID = 'strangerchat-maple';
const CLIENT_SECRET = 'maple-client-secret-0123456789';
const SESSION_SECRET = 'browser-oidc-test-secret-0123456789abcdef';
const DOMAIN = 'maple.example.org';
const STAFF_GROUP = 'grp-staff';
const PASTORAL_GROUP = 'grp-pastoral';

async function freePort(): Promise<number> {
  const probe = createTcpServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const port = await freePort();
const publicUrl = `http://127.0.0.1:${port}`;
const provider: TestOidcProvider = await startOidcProvider({
  clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${publicUrl}/api/oidc/callback`] }],
  accounts: {
    ada: { sub: 'g-1', claims: { hd: DOMAIN, email: `ada@pupils.${DOMAIN}`, email_verified: true, groups: ['grp-year9'] } },
    bob: { sub: 'g-2', claims: { hd: DOMAIN, email: `bob@pupils.${DOMAIN}`, email_verified: true } },
    lee: { sub: 'g-3', claims: { hd: DOMAIN, email: `lee@${DOMAIN}`, email_verified: true, groups: [STAFF_GROUP] } },
    // An account the band rules say nothing about: no e-mail, no group.
    nobody: { sub: 'g-4', claims: { hd: DOMAIN } },
    outsider: { sub: 'g-9', claims: { hd: 'elsewhere.example.com', email: 'eve@elsewhere.example.com', email_verified: true, groups: [STAFF_GROUP] } },
    jones: { sub: 'g-5', claims: { hd: DOMAIN, preferred_username: `j.jones@${DOMAIN}`, groups: [STAFF_GROUP, PASTORAL_GROUP] } },
  },
});
const server: TestServer = await newServer(
  {
    name: 'Maple chat',
    profile: 'school',
    accessMode: 'oidc',
    publicUrl,
    server: { port },
    oidc: {
      issuer: provider.issuer,
      clientId: CLIENT_ID,
      label: 'Maple High',
      allowedDomains: [DOMAIN],
      // Staff are adults by their group; pupils are minors by their sub-domain; anything else is undecided, so minor.
      bands: [
        { claim: 'groups', values: [STAFF_GROUP], band: 'adult' },
        { emailDomain: `pupils.${DOMAIN}`, band: 'minor' },
      ],
      moderators: { enabled: true, roles: [{ claim: 'groups', values: [PASTORAL_GROUP], role: 'moderator' }] },
    },
  },
  { secrets: { sessionSecret: SESSION_SECRET, oidcClientSecret: CLIENT_SECRET } },
);
const browser: Browser = await launchBrowser();
test.after(async () => {
  await browser.close();
  await server.stop();
  await provider.close();
});

const identityOf = (login: string) => oidcIdentityHash(SESSION_SECRET, provider.issuer, provider.accounts.get(login)!.sub);

/** The provider's own page: the school account typed and submitted, as a pupil would. */
async function atProvider(page: Page, login: string): Promise<void> {
  await page.getByRole('heading', { name: 'School sign-in' }).waitFor();
  assert.is(new URL(page.url()).host, new URL(provider.issuer).host, "on the provider's own site");
  await page.getByLabel('School account').fill(login);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** From the landing page to the entry step, then "Continue with Maple High" and the provider's form. */
async function signInFromLanding(page: Page, login: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: /Start a text chat/ }).click();
  await page.getByRole('heading', { name: 'Sign in with your school' }).waitFor();
  await page.getByRole('link', { name: 'Continue with Maple High' }).click();
  await atProvider(page, login);
  await page.waitForURL((url) => url.host === new URL(publicUrl).host && url.hash === '#start');
}

async function sessionsOf(login: string) {
  return server.db.selectFrom('sessions').select(['age_band', 'age']).where('identity_hash', '=', identityOf(login)).execute();
}

test('a pupil continues with the school, lands in the minor band with no age asked, and starts chatting', async () => {
  const pupil = await newPerson(browser, publicUrl);
  const { page } = pupil;
  await page.goto('/');
  await page.getByText('Members sign in with Maple High').waitFor();
  await page.getByRole('button', { name: /Start a text chat/ }).click();
  await page.getByRole('heading', { name: 'Sign in with your school' }).waitFor();
  assert.not.ok(await page.locator('#age').isVisible(), 'no age is asked');
  await page.getByRole('link', { name: 'Continue with Maple High' }).click();
  await atProvider(page, 'ada');
  await page.locator('#signin-status', { hasText: 'Signed in with Maple High: you will chat with other people under 18.' }).waitFor();
  assert.is(new URL(page.url()).pathname, '/', 'back on the landing page');
  assert.is(new URL(page.url()).search, '', 'nothing of the callback left in the address bar');
  assert.match(await page.locator('#entry-mode').innerText(), /text chat/, 'the choice made before the sign-in is kept');
  assert.not.ok(await page.locator('#signin').isVisible(), 'no second sign-in offered');
  await screenshot(page, 'entry-oidc-signed-in-desktop-light');

  await page.locator('#accept').check();
  await page.locator('#start').click();
  await page.waitForURL('**/chat');
  await waitForState(page, 'searching', 20_000);
  assert.equal(await sessionsOf('ada'), [{ age_band: 'minor', age: NO_DECLARED_AGE }]);
  assert.equal(unexpectedErrors(pupil.errors), []);
  await pupil.context.close();
});

test('the band comes from a claim: a member of the staff group chats as an adult; an account no rule decides is a minor', async () => {
  for (const [login, text, band] of [
    ['lee', 'you will chat with other adults', 'adult'],
    ['nobody', 'you will chat with other people under 18', 'minor'],
  ] as const) {
    const person = await newPerson(browser, publicUrl);
    await signInFromLanding(person.page, login);
    await person.page.locator('#signin-status', { hasText: text }).waitFor();
    await person.page.locator('#accept').check();
    await person.page.locator('#start').click();
    await person.page.waitForURL('**/chat');
    await waitForState(person.page, 'searching', 20_000);
    assert.equal((await sessionsOf(login)).map((row) => row.age_band), [band], login);
    await person.context.close();
  }
});

test("another organisation's account is refused with an explanation, and no session can start", async () => {
  const person = await newPerson(browser, publicUrl);
  const { page } = person;
  await signInFromLanding(page, 'outsider');
  await page.locator('#signin-error', { hasText: 'That account does not belong to Maple High.' }).waitFor();
  assert.is(new URL(page.url()).search, '', 'the refusal code is out of the address bar');
  assert.ok(await page.locator('#signin').isVisible(), 'the sign-in can be started again');
  await page.locator('#accept').check();
  await page.locator('#start').click();
  // Not signed in: the entry step stays, and the sign-in is what it points to.
  await page.waitForFunction(() => document.activeElement?.id === 'signin');
  assert.is(new URL(page.url()).pathname, '/');
  assert.equal(await sessionsOf('outsider'), []);
  await person.context.close();
});

test('a callback whose state or code was altered on the way is refused; so is the genuine one opened again', async () => {
  for (const parameter of ['state', 'code']) {
    const person = await newPerson(browser, publicUrl);
    const { page, context } = person;
    // Whoever sits between the provider and the server changes one parameter of the redirect.
    let altered = false;
    provider.alterCallback = (callback) => {
      altered = true;
      callback.searchParams.set(parameter, `${callback.searchParams.get(parameter)!.slice(0, -4)}AAAA`);
    };
    await signInFromLanding(page, 'bob');
    await page.locator('#signin-error', { hasText: 'The sign-in could not be completed' }).waitFor();
    provider.alterCallback = undefined;
    assert.ok(altered, 'the callback was altered');
    assert.is((await context.cookies()).find((cookie) => cookie.name === 'sc_school'), undefined, parameter);
    assert.equal(await sessionsOf('bob'), [], parameter);
    await context.close();
  }

  const person = await newPerson(browser, publicUrl);
  const { page, context } = person;
  let callback = '';
  page.on('request', (request) => {
    if (request.url().includes('/api/oidc/callback?')) callback = request.url();
  });
  await signInFromLanding(page, 'bob');
  await page.locator('#signin-status', { hasText: 'Signed in with Maple High' }).waitFor();
  assert.ok(callback, 'the callback was seen');
  // Signed out, then the same callback opened again (the browser history, or someone who copied it).
  await page.getByRole('button', { name: 'Not you? Sign out' }).click();
  await page.locator('#signin-status', { hasText: 'You are signed out on this device.' }).waitFor();
  await page.goto(callback);
  await page.locator('#signin-error', { hasText: 'The sign-in did not start in this browser' }).waitFor();
  assert.is((await context.cookies()).find((cookie) => cookie.name === 'sc_school'), undefined, 'a replayed callback signs nobody in');
  await context.close();
});

test('an identity ban holds across a new sign-in in a new browser', async () => {
  const bans = await cliBans(server);
  const ban = await bans.add({ target: `identity:${identityOf('bob')}`, reason: 'Harassment', severity: 'no_matching' }, CLI_ACTOR);
  try {
    const person = await newPerson(browser, publicUrl);
    const { page } = person;
    await signInFromLanding(page, 'bob');
    await page.locator('#signin-status', { hasText: 'Signed in with Maple High' }).waitFor();
    await page.locator('#accept').check();
    await page.locator('#start').click();
    await page.locator('#ban-heading', { hasText: 'You cannot use Maple chat at the moment' }).waitFor();
    await page.locator('#ban-reason', { hasText: 'Harassment' }).waitFor();
    assert.equal((await sessionsOf('bob')).length, 0, 'no session for the banned identity');
    assert.equal(unexpectedErrors(person.errors, [/status of 403/]), []);
    await person.context.close();
  } finally {
    await bans.lift(ban.id, CLI_ACTOR);
  }
});

test('a member of the pastoral group signs in to /mod with the school; a pupil is told they have no moderator role', async () => {
  const staff = await newPerson(browser, publicUrl);
  await staff.page.goto('/mod');
  await staff.page.getByRole('link', { name: 'Sign in with Maple High' }).click();
  await atProvider(staff.page, 'jones');
  await staff.page.locator('#whoami', { hasText: 'j.jones' }).waitFor();
  assert.match(await staff.page.locator('#whoami').innerText(), /moderator/i);
  await staff.context.close();

  const pupil = await newPerson(browser, publicUrl);
  await pupil.page.goto('/mod');
  await pupil.page.getByRole('link', { name: 'Sign in with Maple High' }).click();
  await atProvider(pupil.page, 'ada');
  await pupil.page.locator('#login-error', { hasText: 'Your school account has no moderator role in this space.' }).waitFor();
  assert.is(new URL(pupil.page.url()).search, '', 'the refusal code is out of the address bar');
  assert.not.ok(await pupil.page.locator('#dash').isVisible());
  await pupil.context.close();
});

test.run();
