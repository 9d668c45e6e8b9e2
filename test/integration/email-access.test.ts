// The `email` access mode end to end: a real SMTP server receives the magic link, the test confirms
// it like the confirm page does (the token from the link's fragment, POSTed with the browser's
// cookies), and the verified identity reaches the session.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { newServer, type TestServer } from '../helpers/server.ts';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp.ts';
import { createLogger } from '../../server/logger.ts';
import { CLI_ACTOR, cliBans, untilBanned } from '../helpers/bans.ts';

const SESSION_SECRET = 'email-access-test-secret-0123456789abcdef';
const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'smtp-password-from-dotenv';
const PUBLIC_URL = 'https://chat.school.example.org';
const NAME = 'Ada & Bob <School>';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ADULT = { acceptRules: true, age: 20 };

let smtp: TestSmtpServer;
test.before(async () => {
  smtp = await startSmtpServer({ user: SMTP_USER, password: SMTP_PASSWORD });
});
test.before.each(() => {
  smtp.inbox.length = 0;
  smtp.refuseRecipients = false;
});
test.after(() => smtp.close());

/** A settable clock shared by the server under test. */
function clock(start = Date.parse('2026-12-01T10:00:00Z')) {
  const state = { at: start };
  return { now: () => state.at, advance: (ms: number) => void (state.at += ms) };
}

function emailSettings(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: NAME,
    accessMode: 'email',
    publicUrl: PUBLIC_URL,
    email: {
      domains: ['School.Example.org'],
      from: 'Chat <chat@school.example.org>',
      smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: SMTP_USER },
      linkTtlMinutes: 20,
      verifiedDays: 30,
    },
    ...extra,
  };
}

async function withServer(
  run: (server: TestServer) => Promise<void>,
  options: { now?: () => number; settings?: Record<string, unknown>; logs?: string[] } = {},
): Promise<void> {
  const logger = options.logs
    ? createLogger({
        level: 'trace',
        destination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            options.logs!.push(chunk.toString());
            done();
          },
        }),
      })
    : undefined;
  const server = await newServer(options.settings ?? emailSettings(), {
    now: options.now,
    secrets: { sessionSecret: SESSION_SECRET, smtpPassword: SMTP_PASSWORD },
    logger,
  });
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

/** The cookies a browser would keep for the site. */
class CookieJar {
  readonly #cookies = new Map<string, string>();
  /** Raw Set-Cookie headers of the last response that set any. */
  lastSetCookie: string[] = [];
  take(res: Response): void {
    const set = res.headers.getSetCookie();
    if (set.length) this.lastSetCookie = set;
    for (const line of set) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.#cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  }
  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }
  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }
  header(): Record<string, string> {
    return this.#cookies.size ? { cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }
}

async function startEmail(server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/api/email/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

/** The magic link in a received message's plain-text part. */
function linkIn(mail: ReceivedMail): string {
  const match = /https:\/\/\S+\/verify#token=[A-Za-z0-9_-]+/.exec(mail.parsed.text ?? '');
  if (!match) throw new Error(`no magic link in: ${mail.parsed.text}`);
  return match[0];
}

/** The token in a magic link's fragment. */
function tokenIn(link: string): string {
  return new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';
}

/** Presses the confirm page's button for a link: its token POSTed with the browser's cookies. */
async function openLink(server: TestServer, link: string, jar: CookieJar, headers: Record<string, string> = {}): Promise<Response> {
  return confirmToken(server, tokenIn(link), jar, headers);
}

async function confirmToken(server: TestServer, token: unknown, jar: CookieJar, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${server.url}/api/email/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...jar.header(), ...headers },
    body: JSON.stringify({ token }),
  });
  jar.take(res);
  return res;
}

async function requestLink(server: TestServer, email: string): Promise<string> {
  const before = smtp.inbox.length;
  const res = await startEmail(server, { email });
  assert.is(res.status, 202, await res.clone().text());
  assert.is(smtp.inbox.length, before + 1, 'one message received');
  return linkIn(smtp.inbox.at(-1)!);
}

async function postSession(server: TestServer, jar: CookieJar): Promise<Response> {
  const res = await fetch(`${server.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...jar.header() },
    body: JSON.stringify(ADULT),
  });
  jar.take(res);
  return res;
}

async function status(server: TestServer, jar: CookieJar): Promise<{ verified: boolean; expiresAt?: number }> {
  const res = await fetch(`${server.url}/api/email/status`, { headers: jar.header() });
  assert.is(res.status, 200);
  return (await res.json()) as { verified: boolean; expiresAt?: number };
}

const expectedIdentity = (address: string) => createHmac('sha256', SESSION_SECRET).update(`identity:${address.toLowerCase()}`).digest('base64url');

test('a magic link from a real mail verifies the address and the session records its identity', async () => {
  const time = clock();
  await withServer(
    async (server) => {
      const jar = new CookieJar();
      assert.equal(await status(server, jar), { verified: false });

      const res = await startEmail(server, { email: 'Ada.Lovelace@School.Example.ORG' });
      assert.is(res.status, 202);
      assert.equal(await res.json(), { sent: true, expiresInMinutes: 20 });

      assert.is(smtp.inbox.length, 1);
      const mail = smtp.inbox[0]!;
      assert.is(mail.user, SMTP_USER, 'authenticated with the password from the secrets');
      assert.equal(mail.envelope.to.map((to) => to.toLowerCase()), ['ada.lovelace@school.example.org']);
      assert.is(mail.envelope.from, 'chat@school.example.org');
      assert.is(mail.parsed.subject, `Your link to ${NAME}`);
      const text = mail.parsed.text ?? '';
      const html = mail.parsed.html || '';
      const link = linkIn(mail);
      assert.ok(link.startsWith(`${PUBLIC_URL}/verify#token=`), link);
      for (const needle of [NAME, '20 minutes', 'ignore this e-mail']) assert.ok(text.includes(needle), `text mentions ${needle}`);
      assert.ok(html.includes(`href="${link}"`), 'the HTML part links to the same URL');
      assert.ok(html.includes('Ada &amp; Bob &lt;School&gt;'), 'the instance name is escaped in HTML');
      assert.not.ok(html.includes(NAME), 'no unescaped name in HTML');

      const opened = await openLink(server, link, jar);
      assert.is(opened.status, 200);
      assert.equal(await opened.json(), { verified: true, expiresAt: time.now() + 30 * DAY });
      assert.is(opened.headers.get('cache-control'), 'no-store');
      const cookie = jar.lastSetCookie.find((c) => c.startsWith('sc_identity='));
      assert.ok(cookie, 'sets sc_identity');
      assert.match(cookie!, /httponly/i);
      assert.match(cookie!, /samesite=lax/i);
      assert.not.match(cookie!, /;\s*secure/i, 'not Secure over plain HTTP');
      assert.match(cookie!, /max-age=2592000\b|expires=/i);
      assert.ok(jar.get('sc_identity.sig'), 'the cookie is signed');

      assert.equal(await status(server, jar), { verified: true, expiresAt: time.now() + 30 * DAY });

      const session = await postSession(server, jar);
      assert.is(session.status, 201, await session.clone().text());
      const rows = await server.db.selectFrom('sessions').select(['identity_hash']).execute();
      assert.equal(rows.map((row) => row.identity_hash), [expectedIdentity('ada.lovelace@school.example.org')]);
    },
    { now: time.now },
  );
});

test('the answer to a second request for the same address is the same as to the first', async () => {
  await withServer(async (server) => {
    const first = await startEmail(server, { email: 'grace@school.example.org' });
    const second = await startEmail(server, { email: 'grace@school.example.org' });
    assert.is(first.status, 202);
    assert.is(second.status, 202);
    assert.equal(await second.json(), await first.json());
    assert.is(smtp.inbox.length, 2, 'a fresh link each time');
    assert.is.not(linkIn(smtp.inbox[0]!), linkIn(smtp.inbox[1]!));
  });
});

test('POST /api/session without a verified address answers 403 email_required', async () => {
  await withServer(async (server) => {
    const res = await postSession(server, new CookieJar());
    assert.is(res.status, 403);
    assert.is(await errorCode(res), 'email_required');
    assert.equal(await server.db.selectFrom('sessions').select('id').execute(), []);
  });
});

test('addresses outside the allowed domains are refused and get no mail', async () => {
  await withServer(async (server) => {
    for (const email of ['eve@example.com', 'eve@sub.school.example.org', 'eve@evilschool.example.org', 'eve@school.example.org.evil.test']) {
      const res = await startEmail(server, { email });
      assert.is(res.status, 403, email);
      assert.is(await errorCode(res), 'email_domain_not_allowed', email);
    }
    assert.is(smtp.inbox.length, 0, 'no mail sent');
    assert.equal(await server.db.selectFrom('email_verifications').selectAll().execute(), []);
  });
});

test('a magic link works once', async () => {
  await withServer(async (server) => {
    const link = await requestLink(server, 'alan@school.example.org');
    const first = await openLink(server, link, new CookieJar());
    assert.is(first.status, 200);

    const jar = new CookieJar();
    const again = await openLink(server, link, jar);
    assert.is(again.status, 400);
    assert.is(await errorCode(again), 'link_invalid');
    assert.is(jar.get('sc_identity'), undefined, 'no identity cookie for a used link');
    assert.is((await postSession(server, jar)).status, 403);
  });
});

test('an unknown or malformed token is refused with link_invalid or invalid_body', async () => {
  await withServer(async (server) => {
    const cases: Array<[unknown, string]> = [
      ['', 'link_invalid'],
      ['A'.repeat(43), 'link_invalid'],
      ['<script>', 'link_invalid'],
      ['A'.repeat(5000), 'invalid_body'],
      [42, 'invalid_body'],
      [null, 'invalid_body'],
    ];
    for (const [token, code] of cases) {
      const jar = new CookieJar();
      const res = await confirmToken(server, token, jar);
      assert.is(res.status, 400, String(token).slice(0, 20));
      assert.is(await errorCode(res), code, String(token).slice(0, 20));
      assert.is(jar.get('sc_identity'), undefined);
    }
    const extra = await fetch(`${server.url}/api/email/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x","more":1}' });
    assert.is(await errorCode(extra), 'invalid_body', 'unknown fields are refused');
  });
});

test('a mail scanner fetching the link spends nothing: only the confirm button does', async () => {
  await withServer(async (server) => {
    const link = await requestLink(server, 'ada@school.example.org');
    const token = tokenIn(link);
    // What a scanner (Safe Links, an antivirus gateway) does: GET the link, follow redirects, run no button.
    const page = await fetch(`${server.url}${new URL(link).pathname}`);
    assert.ok([200, 503].includes(page.status), `the confirm page answers (${page.status})`);
    // Links mailed by an earlier version point at the API; a GET there only forwards to the page.
    const old = await fetch(`${server.url}/api/email/verify?token=${token}`, { redirect: 'manual' });
    assert.is(old.status, 303);
    assert.is(old.headers.get('location'), `/verify#token=${token}`);
    assert.is(old.headers.get('set-cookie'), null, 'no identity from a GET');
    const unused = await server.db.selectFrom('email_verifications').select('used_at').execute();
    assert.equal(unused.map((row) => row.used_at), [null], 'the link is still unused');

    const jar = new CookieJar();
    assert.is((await openLink(server, link, jar)).status, 200, 'the person can still confirm');
    assert.is((await postSession(server, jar)).status, 201);
  });
});

test('a magic link stops working once linkTtlMinutes have passed', async () => {
  const time = clock();
  await withServer(
    async (server) => {
      const early = await requestLink(server, 'barbara@school.example.org');
      const late = await requestLink(server, 'barbara@school.example.org');

      time.advance(19 * MINUTE);
      assert.is((await openLink(server, early, new CookieJar())).status, 200, 'still valid before the end');

      time.advance(1 * MINUTE);
      const jar = new CookieJar();
      const expired = await openLink(server, late, jar);
      assert.is(expired.status, 400);
      assert.is(await errorCode(expired), 'link_invalid');
      assert.is(jar.get('sc_identity'), undefined);

      // Expired links are deleted once another link is made: only the new one is left.
      await requestLink(server, 'barbara@school.example.org');
      const left = await server.db.selectFrom('email_verifications').select('created_at').execute();
      assert.equal(left.map((row) => row.created_at), [time.now()]);
    },
    { now: time.now },
  );
});

test('an identity cookie is ignored once verifiedDays have passed, or when tampered with', async () => {
  const time = clock();
  await withServer(
    async (server) => {
      const jar = new CookieJar();
      await openLink(server, await requestLink(server, 'edsger@school.example.org'), jar);
      assert.is((await postSession(server, jar)).status, 201);

      // Another identity hash with the old signature: the signature no longer matches.
      const forged = new CookieJar();
      forged.set('sc_identity', `${expectedIdentity('someone@school.example.org')}.${time.now() + DAY}`);
      forged.set('sc_identity.sig', jar.get('sc_identity.sig')!);
      assert.equal(await status(server, forged), { verified: false });
      const refused = await postSession(server, forged);
      assert.is(refused.status, 403);
      assert.is(await errorCode(refused), 'email_required');

      time.advance(30 * DAY - 1000);
      assert.is((await postSession(server, jar)).status, 201, 'valid until the end');
      time.advance(1000);
      assert.equal(await status(server, jar), { verified: false });
      const expired = await postSession(server, jar);
      assert.is(expired.status, 403);
      assert.is(await errorCode(expired), 'email_required');
    },
    { now: time.now },
  );
});

test('the identity cookie is Secure when the site is served over HTTPS', async () => {
  await withServer(
    async (server) => {
      const link = await requestLink(server, 'frances@school.example.org');
      const jar = new CookieJar();
      // The trusted reverse proxy (127.0.0.1 here) terminates TLS and says so.
      const res = await openLink(server, link, jar, { 'x-forwarded-proto': 'https' });
      assert.is(res.status, 200);
      const cookie = jar.lastSetCookie.find((c) => c.startsWith('sc_identity='));
      assert.match(cookie ?? '', /;\s*secure/i);
    },
    { settings: emailSettings({ trustedProxies: ['127.0.0.1'] }) },
  );
});

test('neither the address nor the token is anywhere in the database file', async () => {
  await withServer(async (server) => {
    const address = 'Katherine.Johnson@school.example.org';
    const link = await requestLink(server, address);
    await requestLink(server, address);
    const token = tokenIn(link);
    const jar = new CookieJar();
    await openLink(server, link, jar);
    assert.is((await postSession(server, jar)).status, 201);

    const rows = await server.db.selectFrom('email_verifications').selectAll().execute();
    assert.is(rows.length, 2);
    assert.ok(rows.every((row) => row.identity_hash === expectedIdentity(address)));

    await sql`pragma wal_checkpoint(truncate)`.execute(server.db);
    const path = server.config.database.driver === 'sqlite' ? server.config.database.path : '';
    const files = [path, `${path}-wal`, `${path}-journal`].filter((file) => existsSync(file));
    const bytes = files.map((file) => readFileSync(file).toString('latin1').toLowerCase()).join('\n');
    assert.ok(bytes.includes(expectedIdentity(address).toLowerCase()), 'the file does hold the keyed identity (the scan works)');
    for (const needle of [address, 'katherine.johnson', token]) {
      assert.not.ok(bytes.includes(needle.toLowerCase()), `${needle === token ? 'the token' : needle} is not in the database file`);
    }
  });
});

test('what the server logs holds neither the address nor the token, even when sending fails', async () => {
  const logs: string[] = [];
  await withServer(
    async (server) => {
      const address = 'hedy.lamarr@school.example.org';
      const link = await requestLink(server, address);
      const token = tokenIn(link);
      await openLink(server, link, new CookieJar());

      smtp.refuseRecipients = true;
      const failed = await startEmail(server, { email: address });
      assert.is(failed.status, 503);
      assert.is(await errorCode(failed), 'email_unavailable');
      const rows = await server.db.selectFrom('email_verifications').select('used_at').execute();
      assert.is(rows.length, 1, 'the link that could not be sent was removed');
      assert.ok(rows[0]!.used_at !== null, 'only the used link is left');

      const all = logs.join('').toLowerCase();
      assert.ok(all.includes('magic link not sent'), 'the failure is logged');
      for (const needle of [address, 'hedy.lamarr', token.toLowerCase()]) assert.not.ok(all.includes(needle), `logs hold ${needle === token.toLowerCase() ? 'the token' : needle}`);
    },
    { logs },
  );
});

test('rate limits: 5 links per e-mail and 20 requests per client within 15 minutes', async () => {
  const time = clock();
  await withServer(
    async (server) => {
      for (let i = 1; i <= 5; i++) assert.is((await startEmail(server, { email: 'ida@school.example.org' })).status, 202, `link ${i}`);
      const sixth = await startEmail(server, { email: 'IDA@school.example.org' });
      assert.is(sixth.status, 429);
      assert.is(await errorCode(sixth), 'rate_limited');
      assert.is(smtp.inbox.length, 5, 'no sixth mail');

      // Other addresses from the same client: 6 requests so far, 14 more reach the client's cap.
      for (let i = 1; i <= 14; i++) assert.is((await startEmail(server, { email: `pupil${i}@school.example.org` })).status, 202, `pupil ${i}`);
      const capped = await startEmail(server, { email: 'pupil15@school.example.org' });
      assert.is(capped.status, 429);
      assert.is(await errorCode(capped), 'rate_limited');
      assert.is(smtp.inbox.length, 19);

      time.advance(15 * MINUTE);
      assert.is((await startEmail(server, { email: 'ida@school.example.org' })).status, 202, 'allowed again after the window');
    },
    { now: time.now },
  );
});

test('one mailbox is one identity: an identity ban holds against +tag and dotted spellings, and they share the link limit', async () => {
  await withServer(
    async (server) => {
      /** Verifies an address in a fresh browser; returns the browser and its identity hash. */
      const verifyIn = async (address: string) => {
        const jar = new CookieJar();
        assert.is((await openLink(server, await requestLink(server, address), jar)).status, 200, address);
        assert.equal(smtp.inbox.at(-1)!.envelope.to.map((to) => to.toLowerCase()), [address.toLowerCase()], 'the mail goes to the address as typed');
        return { jar, identity: decodeURIComponent(jar.get('sc_identity')!).split('.')[0]! };
      };
      const jake = await verifyIn('jake@school.example.org');
      assert.is(jake.identity, expectedIdentity('jake@school.example.org'), 'an address without a tag keeps the identity it always had');
      const operator = await cliBans(server);
      await operator.add({ target: `identity:${jake.identity}`, reason: 'Grooming attempt' }, CLI_ACTOR);
      await untilBanned(server.url, true, jake.jar.header().cookie);

      for (const spelling of ['jake+2@school.example.org', 'Jake+chat+more@School.Example.org']) {
        const again = await verifyIn(spelling);
        assert.is(again.identity, jake.identity, `${spelling} is the same person`);
        const session = await postSession(server, again.jar);
        assert.is(session.status, 403, spelling);
        assert.is(await errorCode(session), 'banned');
      }
      // Dots count at the school's own domain (its mail server may deliver j.ake@ elsewhere)...
      assert.is.not((await verifyIn('ja.ke@school.example.org')).identity, jake.identity);

      // ...and are ignored at the domains listed in email.ignoreDotsDomains (gmail.com by default).
      const gina = await verifyIn('gina.smith@gmail.com');
      await operator.add({ target: `identity:${gina.identity}`, reason: 'Threats' }, CLI_ACTOR);
      await untilBanned(server.url, true, gina.jar.header().cookie);
      for (const spelling of ['g.i.n.a.s.m.i.t.h@gmail.com', 'GinaSmith+x@Gmail.com']) {
        const again = await verifyIn(spelling);
        assert.is(again.identity, gina.identity, `${spelling} is the same person`);
        assert.is((await postSession(server, again.jar)).status, 403, spelling);
      }
    },
    { settings: emailSettings({ email: { ...(emailSettings().email as object), domains: ['school.example.org', 'gmail.com'] } }) },
  );

  smtp.inbox.length = 0;
  await withServer(async (server) => {
    // Five links per mailbox, however it is spelled: the sixth tag is refused and gets no mail.
    for (let i = 1; i <= 5; i++) assert.is((await startEmail(server, { email: `ida+${i}@school.example.org` })).status, 202, `tag ${i}`);
    const sixth = await startEmail(server, { email: 'Ida+six@School.Example.org' });
    assert.is(sixth.status, 429);
    assert.is(await errorCode(sixth), 'rate_limited');
    assert.is((await startEmail(server, { email: 'ida@school.example.org' })).status, 429, 'nor the untagged address');
    assert.is(smtp.inbox.length, 5);
    assert.is((await startEmail(server, { email: 'ida.b@school.example.org' })).status, 202, 'another mailbox has its own limit');
  });
});

test('POST /api/email/start answers invalid_body for malformed bodies', async () => {
  await withServer(async (server) => {
    for (const body of ['{nope', '[]', {}, { email: 42 }, { email: 'not-an-address' }, { email: '' }, { email: 'a@school.example.org', extra: 1 }]) {
      const res = await startEmail(server, body);
      assert.is(res.status, 400, JSON.stringify(body));
      assert.is(await errorCode(res), 'invalid_body', JSON.stringify(body));
    }
    assert.is(smtp.inbox.length, 0);
  });
});

test('outside the email mode the e-mail routes answer access_mode and verify nothing', async () => {
  await withServer(
    async (server) => {
      const res = await startEmail(server, { email: 'ada@school.example.org' });
      assert.is(res.status, 403);
      assert.equal(await res.json(), { error: { code: 'access_mode', message: 'This space does not use e-mail verification.' } });
      assert.is(smtp.inbox.length, 0);
      const verify = await confirmToken(server, 'A'.repeat(43), new CookieJar());
      assert.is(verify.status, 400);
      assert.is(await errorCode(verify), 'link_invalid');
      assert.equal(await status(server, new CookieJar()), { verified: false });
    },
    { settings: { accessMode: 'open', email: emailSettings().email } },
  );
});

test.run();
