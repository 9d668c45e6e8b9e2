// The school sign-in at the terminal: `init` asks for it (or takes flags) and keeps the client
// secret in .env only; `doctor oidc` reads a real provider's discovery document and keys and finds
// a redirect URI or client id the provider refuses; `mod sso list|confirm` shows and confirms the
// owner and safeguarding roles a claim alone never grants.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseEnv } from 'node:util';
import { DEFAULT, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.ts';
import { newInstance } from '../helpers/cli-instance.ts';

const SECRET = 'Zq8~client.secret-from-the-provider_01';
const CLIENT_ID = 'chat-client';
const REGISTERED = 'https://chat.northfield.example.org';

const provider: TestOidcProvider = await startOidcProvider({
  clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, redirectUris: [`${REGISTERED}/api/oidc/callback`] }],
});
test.after(() => provider.close());

function settingsOf(dir: string): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, 'strangerchat.json'), 'utf8'));
}

test('init --access oidc with flags: the provider, the school checks and the band rules in the settings; the secret in .env only', async () => {
  const here = tempDir('strangerchat-oidc-init-');
  const made = await runCli(
    [
      'init', 'chat', '--yes', '--json', '--profile', 'school', '--access', 'oidc', '--oidc-provider', 'google',
      '--oidc-client-id', '1234.apps.googleusercontent.com', '--oidc-domain', 'northfield.example.org',
      '--oidc-adult', 'staff.northfield.example.org', '--oidc-adult', 'roles=Staff,roles=Governor', '--public-url', REGISTERED,
    ],
    { cwd: here, env: { STRANGERCHAT_OIDC_CLIENT_SECRET: SECRET } },
  );
  assert.is(made.code, 0, made.stderr);
  const dir = join(here, 'chat');
  const { oidc, accessMode } = settingsOf(dir);
  assert.is(accessMode, 'oidc');
  assert.equal(oidc, {
    issuer: 'https://accounts.google.com',
    clientId: '1234.apps.googleusercontent.com',
    allowedDomains: ['northfield.example.org'],
    bands: [
      { emailDomain: 'staff.northfield.example.org', band: 'adult' },
      { claim: 'roles', values: ['Staff', 'Governor'], band: 'adult' },
    ],
  });
  assert.is(parseEnv(readFileSync(join(dir, '.env'), 'utf8')).STRANGERCHAT_OIDC_CLIENT_SECRET, SECRET, 'read back exactly, ~ and all');
  assert.is(statSync(join(dir, '.env')).mode & 0o777, 0o600);
  assert.not.ok(made.stdout.includes(SECRET) || made.stderr.includes(SECRET), 'the secret is never printed');
  assert.is(made.json().settings.oidc.redirectUri, `${REGISTERED}/api/oidc/callback`);
  assert.match(made.stderr, /register the redirect URI https:\/\/chat\.northfield\.example\.org\/api\/oidc\/callback/);
});

test('init refuses what would let the wrong people in: Google without a domain, oidc flags without the oidc mode', async () => {
  const here = tempDir('strangerchat-oidc-init-');
  const noDomain = await runCli(['init', 'a', '--yes', '--access', 'oidc', '--oidc-provider', 'google', '--oidc-client-id', 'x', '--public-url', REGISTERED], {
    cwd: here,
    env: { STRANGERCHAT_OIDC_CLIENT_SECRET: SECRET },
  });
  assert.is(noDomain.code, 2);
  assert.match(noDomain.stderr, /--oidc-domain/);
  const stray = await runCli(['init', 'b', '--yes', '--access', 'open', '--oidc-client-id', 'x'], { cwd: here });
  assert.is(stray.code, 2);
  assert.match(stray.stderr, /--oidc-client-id only apply with --access oidc or --oidc-for-adults/);
  const noSecret = await runCli(['init', 'c', '--yes', '--access', 'oidc', '--oidc-provider', 'entra', '--oidc-tenant', '0f8c6a52-1b9e-4a57-9d2a-2c0f5f6c1e11', '--oidc-client-id', 'x', '--public-url', REGISTERED], { cwd: here });
  assert.is(noSecret.code, 2);
  assert.match(noSecret.stderr, /STRANGERCHAT_OIDC_CLIENT_SECRET/);
});

test('on a terminal a school is asked whether staff sign in for the adult band; Entra asks for the tenant and derives the issuer', async () => {
  const here = tempDir('strangerchat-oidc-init-');
  const made = await runCli(['init', 'chat'], {
    cwd: here,
    tty: true,
    answers: {
      'Name of the space': 'Northfield',
      'How can people reach': 'safeguarding@northfield.example.org',
      Profile: 'school',
      'Who may join': 'invite',
      'Should staff sign in': true,
      "school's identity provider": 'entra',
      'Directory (tenant) ID': '0f8c6a52-1b9e-4a57-9d2a-2c0f5f6c1e11',
      'issuer URL': DEFAULT,
      'Client ID': 'app-client-id',
      'Client secret': SECRET,
      'Who is an adult': 'roles=Staff',
      'Public URL (https://…; the school sign-in': REGISTERED,
      'Port to listen on': DEFAULT,
      'TURN server': 'none',
      'Username of the first owner': 'it.lead',
      'Password for it.lead': 'a long enough passphrase',
    },
  });
  assert.is(made.code, 0, made.stderr);
  const settings = settingsOf(join(here, 'chat'));
  assert.is(settings.accessMode, 'invite', 'pupils keep their invite codes');
  assert.equal(settings.oidc, {
    issuer: 'https://login.microsoftonline.com/0f8c6a52-1b9e-4a57-9d2a-2c0f5f6c1e11/v2.0',
    clientId: 'app-client-id',
    allowedTenants: ['0f8c6a52-1b9e-4a57-9d2a-2c0f5f6c1e11'],
    bands: [{ claim: 'roles', values: ['Staff'], band: 'adult' }],
    requireForAdults: true,
  });
  assert.is(parseEnv(readFileSync(join(here, 'chat', '.env'), 'utf8')).STRANGERCHAT_OIDC_CLIENT_SECRET, SECRET);
  assert.not.ok(made.stdout.includes(SECRET) || made.stderr.includes(SECRET));
});

test('doctor oidc: discovery, keys and the redirect URI at a real provider; an unregistered redirect URI or an unknown client fails', async () => {
  const instance = await newInstance('strangerchat-oidc-doctor-');
  try {
    const file = join(instance.dir, 'strangerchat.json');
    const write = (publicUrl: string, clientId: string) => {
      const settings = settingsOf(instance.dir);
      writeFileSync(file, JSON.stringify({ ...settings, accessMode: 'oidc', publicUrl, oidc: { issuer: provider.issuer, clientId, bands: [{ claim: 'roles', values: ['Staff'], band: 'adult' }] } }, null, 2));
    };
    writeFileSync(join(instance.dir, '.env'), `${readFileSync(join(instance.dir, '.env'), 'utf8')}STRANGERCHAT_OIDC_CLIENT_SECRET='${SECRET}'\n`, { mode: 0o600 });

    write(REGISTERED, CLIENT_ID);
    const good = await instance.cli(['doctor', 'oidc', '--json']);
    assert.is(good.code, 0, good.stdout + good.stderr);
    const [check] = good.json().checks;
    assert.is(check.status, 'ok', check.message);
    assert.match(check.message, /1 signing key, RS256; PKCE S256; the redirect URI https:\/\/chat\.northfield\.example\.org\/api\/oidc\/callback is accepted for chat-client/);

    write('https://elsewhere.example.org', CLIENT_ID);
    const wrongUri = await instance.cli(['doctor', 'oidc', '--json']);
    assert.is(wrongUri.code, 4);
    assert.match(wrongUri.json().checks[0].message, /refuses the redirect URI https:\/\/elsewhere\.example\.org\/api\/oidc\/callback/);
    assert.match(wrongUri.json().checks[0].fix, /register exactly https:\/\/elsewhere\.example\.org\/api\/oidc\/callback/);

    write(REGISTERED, 'nobody-registered-this');
    const wrongClient = await instance.cli(['doctor', 'oidc', '--json']);
    assert.is(wrongClient.code, 4);
    assert.match(wrongClient.json().checks[0].message, /does not know the client id nobody-registered-this/);

    const closed = settingsOf(instance.dir);
    writeFileSync(file, JSON.stringify({ ...closed, oidc: { ...closed.oidc, issuer: 'http://127.0.0.1:9' } }, null, 2));
    const unreachable = await instance.cli(['doctor', 'oidc', '--json']);
    assert.is(unreachable.code, 4);
    assert.match(unreachable.json().checks[0].message, /cannot read http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration/);
  } finally {
    instance.remove();
  }
});

test('doctor oidc skips an instance without the school sign-in', async () => {
  const instance = await newInstance('strangerchat-oidc-doctor-');
  try {
    const skipped = await instance.cli(['doctor', 'oidc', '--json']);
    assert.is(skipped.code, 0);
    assert.is(skipped.json().checks[0].status, 'skip');
  } finally {
    instance.remove();
  }
});

test('mod sso list shows what awaits confirmation; confirm is for owners, audited, and creates the account in its role', async () => {
  const instance = await newInstance('strangerchat-oidc-sso-');
  try {
    const db = new DatabaseSync(join(instance.dir, 'data', 'strangerchat.db'));
    try {
      db.prepare('INSERT INTO moderator_sso (identity_hash, username, moderator_id, pending_role, confirmed_role, created_at, last_sign_in_at) VALUES (?, ?, NULL, ?, NULL, ?, NULL)').run('h'.repeat(43), 'dsl.patel', 'safeguarding', Date.now());
    } finally {
      db.close();
    }
    const listed = await instance.cli(['mod', 'sso', 'list', '--json']);
    assert.is(listed.code, 0, listed.stderr);
    assert.equal(listed.json().accounts.map((a: any) => [a.username, a.role, a.status, a.pendingRole]), [['dsl.patel', null, 'awaiting', 'safeguarding']]);
    const human = await instance.cli(['mod', 'sso', 'list']);
    assert.match(human.stderr, /strangerchat mod sso confirm <username> \(dsl\.patel\)/);

    const added = await instance.cli(['mod', 'add', 'office', '--role', 'admin', '--password-stdin'], { stdin: 'a long enough passphrase\n' });
    assert.is(added.code, 0, added.stderr);
    const asAdmin = await instance.cli(['mod', 'sso', 'confirm', 'dsl.patel', '--as', 'office'], { env: { STRANGERCHAT_AS_PASSWORD: 'a long enough passphrase' } });
    assert.is(asAdmin.code, 1, asAdmin.stderr);
    assert.match(asAdmin.stderr, /moderators\.confirm_sso/);

    const confirmed = await instance.cli(['mod', 'sso', 'confirm', 'dsl.patel', '--json'], { osUser: 'ops' });
    assert.is(confirmed.code, 0, confirmed.stderr);
    assert.equal([confirmed.json().account.role, confirmed.json().account.confirmedRole, confirmed.json().account.status], ['safeguarding', 'safeguarding', 'active']);
    const [account] = instance.rows<{ role: string; created_by: string }>("SELECT role, created_by FROM moderators WHERE username = 'dsl.patel'");
    assert.equal(account, { role: 'safeguarding', created_by: 'system:sso' });
    const audit = instance.audit().filter((entry) => entry.target === 'moderator:dsl.patel');
    assert.equal(audit.map((e) => [e.actor, e.action]), [['cli:ops', 'moderator.sso_confirm'], ['cli:ops', 'moderator.create']]);
    const twice = await instance.cli(['mod', 'sso', 'confirm', 'dsl.patel']);
    assert.is(twice.code, 1);
    assert.match(twice.stderr, /awaits no confirmation/);
  } finally {
    instance.remove();
  }
});

test.run();
