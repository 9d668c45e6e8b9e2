// The attacker's static paths against the real server and the built site: encoded traversal in
// every spelling (double encoding, backslashes, mixed case, overlong UTF-8, `..;`, trailing dots,
// NULs, overlong paths) never serves a raw page template or a file outside the built site, and a
// banned address meets the ban gate on every page path. Requests go over a raw socket: fetch and
// http.request would normalise the paths before they left.
import { readdirSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SITE_DIR } from '../helpers/browser.ts';
import { CLI_ACTOR, cliBans, untilBanned } from '../helpers/bans.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { decodeSitePath, siteLanguages } from '../../server/http/static.ts';

if (siteLanguages(SITE_DIR).length === 0) throw new Error(`${SITE_DIR} holds no built site: run scripts/build.sh first`);

const server: TestServer = await newServer({ name: 'Maple High', transparency: { publish: true } });
test.after(() => server.stop());

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** One request with the path exactly as written, over its own connection. */
function rawGet(path: string, accept = HTML): Promise<RawAnswer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers: text.slice(0, split), body: text.slice(split + 4) });
    });
    socket.write(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: ${accept}\r\nAccept-Language: en\r\nConnection: close\r\n\r\n`, 'latin1'));
  });
}

/** The page templates of the built site, and the asset files. */
const PAGES = readdirSync(join(SITE_DIR, 'en')).filter((file) => file.endsWith('.html')).map((file) => file.replace(/\.html$/, ''));
const ASSETS = readdirSync(join(SITE_DIR, '_astro'));

const up = (n: number, step: string) => step.repeat(n);
/** Each names a page template or a file outside the site, in a spelling some layer might decode. */
const TRAVERSALS: string[] = [
  '/_astro/%2e%2e/en/chat.html',
  '/_astro/%2E%2E/en/chat.html',
  '/_astro/%2e%2E/en/chat.html',
  '/_astro/.%2e/en/chat.html',
  '/_astro/%2e./en/chat.html',
  '/_astro/%252e%252e/en/chat.html',
  '/_astro/%25252e%25252e/en/chat.html',
  '/_astro/..%2fen%2fchat.html',
  '/_astro/..%2Fen%2Fchat.html',
  '/_astro/%2e%2e%2fen%2fchat.html',
  '/_astro/..%5cen%5cchat.html',
  '/_astro/..%5Cen%5Cchat.html',
  '/_astro/..\\en\\chat.html',
  '/_astro\\..\\en\\chat.html',
  '/_astro/../en/chat.html',
  '/_astro/./../en/chat.html',
  '/_astro//../en/chat.html',
  '/_astro/..;/en/chat.html',
  '/_astro/%2e%2e;/en/chat.html',
  '/_astro/..%3b/en/chat.html',
  '/_astro/%c0%ae%c0%ae/en/chat.html',
  '/_astro/%c0%2e%c0%2e/en/chat.html',
  '/_astro/%e0%80%ae%e0%80%ae/en/chat.html',
  '/_astro/%c0%af../en/chat.html',
  '/_astro/%uff0e%uff0e/en/chat.html',
  '/_astro/%ef%bc%8e%ef%bc%8e/en/chat.html',
  '/_astro/..%00/en/chat.html',
  '/_astro/%00../en/chat.html',
  `/_astro/${up(8, '..%2f')}etc/passwd`,
  `/_astro/${up(3, '%2e%2e/')}package.json`,
  `/_astro/${up(3, '../')}server/app.ts`,
  `/_astro/${up(2, '%2e%2e/')}web/${ASSETS[0]}`,
  `/${up(3, '..%2f')}package.json`,
  `/_astro/${'a/'.repeat(400)}${up(400, '../')}en/chat.html`,
  `/_astro/${'%2e%2e/'.repeat(600)}en/chat.html`,
  '/en/chat.html',
  '/en/chat.html.',
  '/en/chat.html..',
  '/en/chat.html%20',
  '/en/chat.html%00',
  '/en/chat.html::$DATA',
  '/en/chat.html;',
  '/en/./chat.html',
  '/en//chat.html',
  '/en/%63hat.html',
  '/EN/CHAT.HTML',
  '/fr/index.html',
  '/404.html',
  '/en/404.html',
  '/favicon.svg/../en/chat.html',
  '/favicon.svg%2F..%2Fen%2Fchat.html',
  '/appeal/../en/chat.html',
  '/appeal/%2e%2e/chat',
  '/appeal%2f..%2fchat',
  '/chat.',
  '/chat..',
  '/chat;',
  '/chat;.html',
  '/chat%2F',
  '/chat%5C',
  '/chat%00',
  '/chat\\',
  '/.chat',
  `/${'a'.repeat(600)}`,
];

/** What must never be in an answer: an unfilled template, or a file from outside the site. */
function assertNothingServed(path: string, answer: RawAnswer, allowed: number[]): void {
  assert.ok(allowed.includes(answer.status), `${path}: status ${answer.status}\n${answer.headers}`);
  assert.not.match(answer.body, /%%SC:/, `${path}: a raw template`);
  assert.not.match(answer.body, /"name":\s*"strangerchat"|createServer|root:x:0:0/, `${path}: a file from outside the site`);
  // A banned visitor is sent to the appeal page; else the only page that may answer is "not found".
  if (answer.status === 302) assert.match(answer.headers, /^location: \/appeal\r?$/im, path);
  else if (/^content-type: text\/html/im.test(answer.headers)) assert.match(answer.body, /Page not found/, `${path}: ${answer.body.slice(0, 200)}`);
}

test('decodeSitePath decodes once and refuses every spelling that could name something else', () => {
  assert.is(decodeSitePath('/chat'), '/chat');
  assert.is(decodeSitePath('/%63hat'), '/chat');
  assert.is(decodeSitePath(`/_astro/${ASSETS[0]}`), `/_astro/${ASSETS[0]}`);
  for (const path of TRAVERSALS.filter((p) => /%2e|%2f|%5c|%00|\.\.|\\|;|%c0|%e0|%uff|%25/i.test(p))) {
    assert.is(decodeSitePath(path), undefined, path);
  }
});

test('no traversal spelling serves a raw template or a file outside the built site', async () => {
  for (const path of TRAVERSALS) assertNothingServed(path, await rawGet(path), [400, 404]);
  // And the same, asked by a client that wants JSON.
  for (const path of TRAVERSALS.slice(0, 12)) assertNothingServed(path, await rawGet(path, 'application/json'), [400, 404]);
});

test('every page answers filled in, and every asset of the built site is still served', async () => {
  for (const name of PAGES.filter((page) => page !== '404')) {
    const answer = await rawGet(name === 'index' ? '/' : `/${name}`);
    assert.is(answer.status, 200, name);
    assert.not.match(answer.body, /%%SC:/, name);
    assert.match(answer.body, /Maple High/, name);
  }
  for (const asset of ASSETS) assert.is((await rawGet(`/_astro/${asset}`)).status, 200, asset);
  assert.is((await rawGet(`/_astro/${encodeURIComponent(ASSETS[0]!).replace(/\./g, '%2E').replace(/^(.)/, (c) => `%${c.charCodeAt(0).toString(16)}`)}`)).status, 200, 'an asset name may be percent-encoded');
  assert.is((await rawGet('/favicon.svg')).status, 200);
  const head = await fetch(`${server.url}/_astro/${ASSETS[0]}`, { method: 'HEAD' });
  assert.is(head.status, 200, 'HEAD of an asset');
  assert.ok(Number(head.headers.get('content-length')) > 0, 'HEAD says the length');
});

test('a banned address meets the ban gate on every page path; traversal does not get round it', async () => {
  const operator = await cliBans(server);
  const ban = await operator.add({ target: '127.0.0.1', reason: 'Grooming attempt', severity: 'no_access' }, CLI_ACTOR);
  try {
    await untilBanned(server.url, true);
    const pagePaths = PAGES.filter((page) => page !== '404' && page !== 'appeal').flatMap((page) => {
      const path = page === 'index' ? '/' : `/${page}`;
      return path === '/' ? ['/', '/?lang=fr', '/%2F'] : [path, `${path}/`, `${path}?lang=fr`, `/%${path.charCodeAt(1).toString(16)}${path.slice(2)}`, path.toUpperCase()];
    });
    for (const path of pagePaths) {
      const page = await rawGet(path);
      assert.is(page.status, 302, path);
      assert.match(page.headers, /^location: \/appeal\r?$/im, path);
      assert.not.match(page.body, /%%SC:|Maple High/, path);
      const api = await rawGet(path, 'application/json');
      assert.is(api.status, 403, `${path} (JSON)`);
      assert.match(api.body, /"code":"banned"/, path);
    }
    for (const path of TRAVERSALS) assertNothingServed(path, await rawGet(path), [302, 400, 403, 404]);
    // What the ban screen itself needs stays open.
    const appeal = await rawGet('/appeal');
    assert.is(appeal.status, 200);
    assert.not.match(appeal.body, /%%SC:/);
    assert.is((await rawGet(`/_astro/${ASSETS[0]}`)).status, 200);
  } finally {
    await operator.lift(ban.id, CLI_ACTOR);
  }
});

test.run();
