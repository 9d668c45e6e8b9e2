// How the server serves the built site, over plain HTTP: pages filled in with the instance's
// settings (escaped), the visitor's language, cache headers, the branding stylesheet, and a
// note instead of pages when the site was never built.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Koa from 'koa';
import { makeConfig, parseSettings, ConfigError } from '../../server/config.ts';
import { staticSite, chooseLanguage, textColourOn } from '../../server/http/static.ts';
import { silentLogger } from '../../server/logger.ts';
import { assertBrowserTestsCanRun } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

// A missing site or browser fails here, with what to do (uvu would hide an error in a hook).
assertBrowserTestsCanRun();

const RULES = '# House rules\n\n1. **Be kind.** No insults.\n2. **No spam.** <script>alert(1)</script> [see](https://example.org/x) [bad](javascript:alert(1))\n';
const server: TestServer = await newServer(
  { name: 'Maple & <Co>', description: 'Talk "safely"', language: 'fr', branding: { accentColor: '#FFCC00', logoUrl: '/logo.svg' } },
  { rules: RULES },
);
test.after(() => server.stop());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers, redirect: 'manual' });

test('every page is HTML filled in with the instance, escaped, with no token left and no cache', async () => {
  for (const path of ['/', '/chat', '/rules', '/privacy', '/appeal']) {
    const res = await get(path, { 'accept-language': 'en' });
    assert.is(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.is(res.headers.get('cache-control'), 'no-cache');
    assert.match(res.headers.get('vary') ?? '', /Accept-Language/);
    const html = await res.text();
    assert.not.match(html, /%%SC:/, `${path} has no unfilled token`);
    assert.match(html, /Maple &amp; &lt;Co&gt;/, `${path} shows the escaped name`);
    assert.not.match(html, /<Co>/);
    assert.match(html, /<img class="logo" src="\/logo.svg"/);
    assert.not.match(html, /<script>(?!<\/script>)[^<]/, `${path} has no inline executable script`);
    assert.not.match(html, /\sstyle="/, `${path} has no inline style`);
  }
});

test('the rules are rendered safely, and the landing page summarises them', async () => {
  const rules = await (await get('/rules', { 'accept-language': 'en' })).text();
  assert.match(rules, /<h2>House rules<\/h2>/);
  assert.match(rules, /<strong>Be kind\.<\/strong>/);
  assert.match(rules, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(rules, /<a href="https:\/\/example.org\/x">see<\/a>/);
  assert.not.match(rules, /href="javascript:/);
  const home = await (await get('/', { 'accept-language': 'en' })).text();
  assert.match(home, /<ul><li>Be kind\.<\/li><li>No spam\.<\/li><\/ul>/);
});

test('pages carry the same public settings as /api/config (all but the live availability)', async () => {
  const html = await (await get('/chat')).text();
  const block = /<script type="application\/json" id="sc-config">([^<]*)<\/script>/.exec(html)?.[1];
  assert.ok(block, 'the chat page holds the settings');
  const { availability, ...api } = await (await get('/api/config')).json();
  assert.equal(JSON.parse(block!), api);
  // Whether the space is open now is read live (the landing page asks /api/presence), not baked into the page.
  assert.is(availability.open, true);
  assert.not.ok('availability' in JSON.parse(block!));
  assert.is(api.language, 'fr');
  assert.equal(api.branding, { accentColor: '#FFCC00', logoUrl: '/logo.svg' });
});

test("the language: ?lang, then the cookie, then the browser's, then the instance's", async () => {
  const lang = async (headers: Record<string, string>, path = '/') => /<html lang="([^"]+)"/.exec(await (await get(path, headers)).text())?.[1];
  assert.is(await lang({}), 'fr', "the instance's language without a preference");
  assert.is(await lang({ 'accept-language': 'en-GB,en;q=0.9' }), 'en');
  assert.is(await lang({ 'accept-language': 'de-DE, fr;q=0.5, en;q=0.4' }), 'fr', 'the first language the site has');
  assert.is(await lang({ 'accept-language': 'de' }), 'fr', 'none the site has: the instance default');
  const chosen = await get('/rules?lang=en', { 'accept-language': 'fr' });
  assert.match(await chosen.text(), /<html lang="en"/);
  const cookie = chosen.headers.getSetCookie().find((c) => c.startsWith('sc_lang=en'));
  assert.ok(cookie, 'the choice is remembered');
  assert.match(cookie!, /httponly/i);
  assert.is(await lang({ 'accept-language': 'fr', cookie: cookie!.split(';')[0]! }, '/privacy'), 'en');
  assert.is(chooseLanguage(['en', 'fr'], { acceptLanguage: 'fr-CA;q=0.8, en;q=0.9' }, 'en'), 'en', 'q-values order the wishes');
  assert.is(chooseLanguage(['en', 'fr'], { acceptLanguage: 'fr;q=0' }, 'en'), 'en', 'q=0 means not wanted');
});

test('hashed assets are cached for a year; HTML is revalidated with an ETag', async () => {
  const html = await (await get('/chat')).text();
  const assets = [...html.matchAll(/(?:src|href)="(\/_astro\/[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), 'the page loads external JS and CSS');
  for (const asset of assets) {
    const res = await get(asset);
    assert.is(res.status, 200, asset);
    assert.is(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    await res.arrayBuffer();
  }
  const first = await get('/rules');
  const etag = first.headers.get('etag');
  assert.ok(etag);
  // As a browser revalidates (fetch itself would add `Cache-Control: no-cache`, which forbids a 304).
  assert.is((await get('/rules', { 'if-none-match': etag!, 'cache-control': 'max-age=0' })).status, 304);
  assert.is((await get('/rules', { 'if-none-match': '"stale"', 'cache-control': 'max-age=0' })).status, 200);
  assert.is((await get('/favicon.svg')).headers.get('cache-control'), 'public, max-age=3600');
});

test('templates, unknown pages and other methods are not served as pages', async () => {
  assert.is((await get('/fr/chat.html')).status, 404, 'a raw template is never served');
  assert.is((await get('/chat.html')).status, 404);
  const sneaky = await new Promise<number>((resolve, reject) => {
    // fetch would normalise the path; a raw request does not.
    const url = new URL(server.url);
    request({ host: url.hostname, port: url.port, path: '/_astro/../en/chat.html' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
  assert.is(sneaky, 404, 'a path climbing out of the assets folder is refused');
  const missing = await get('/no-such-page');
  assert.is(missing.status, 404);
  assert.is(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
  assert.is((await fetch(`${server.url}/chat`, { method: 'POST' })).status, 404);
});

test('a browser asking for an address that leads nowhere gets a page saying so, with status 404', async () => {
  const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  for (const path of ['/no-such-page', '/a/b/c', '/404', '/fr/chat.html', '/en/404.html']) {
    const res = await get(path, { accept: browserAccept, 'accept-language': 'en' });
    assert.is(res.status, 404, path);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
    const html = await res.text();
    assert.match(html, /<h1>Page not found<\/h1>/, path);
    assert.match(html, /on Maple &amp; &lt;Co&gt;/, `${path}: the escaped name`);
    assert.not.match(html, /%%SC:/, `${path}: no unfilled token`);
    assert.is(res.headers.get('etag'), null, `${path}: a 404 is not cached as the page`);
  }
  const french = await get('/nulle-part', { accept: browserAccept, 'accept-language': 'fr' });
  assert.match(await french.text(), /Page introuvable/);
  // The API's 404 stays JSON, whatever the client accepts; so does a client that prefers JSON.
  for (const [path, accept] of [['/api/nowhere', browserAccept], ['/no-such-page', 'application/json'], ['/no-such-page', '*/*']]) {
    const res = await get(path!, { accept: accept! });
    assert.is(res.status, 404, `${path} ${accept}`);
    assert.is(((await res.json()) as { error: { code: string } }).error.code, 'not_found', `${path} ${accept}`);
  }
});

test('/branding.css gives the accent and a readable text colour on it', async () => {
  const res = await get('/branding.css');
  assert.match(res.headers.get('content-type') ?? '', /^text\/css/);
  assert.is(await res.text(), ':root{--brand-accent:#ffcc00;--brand-on-accent:#000000}\n');
  assert.is(textColourOn('#1f5fbf'), '#ffffff');
  assert.is(textColourOn('#ffcc00'), '#000000');
});

test('branding settings are validated, naming the key', () => {
  for (const [branding, key] of [
    [{ accentColor: 'red' }, 'branding.accentColor'],
    [{ logoUrl: 'https://cdn.example.org/logo.png' }, 'branding.logoUrl'],
    [{ logoUrl: '//evil.example/x.png' }, 'branding.logoUrl'],
    [{ logoUrl: '/a" onerror="x' }, 'branding.logoUrl'],
    [{ colour: '#fff' }, 'branding'],
  ] as const) {
    try {
      parseSettings({ branding });
      assert.unreachable(`${JSON.stringify(branding)} accepted`);
    } catch (error) {
      assert.instance(error, ConfigError);
      assert.ok((error as ConfigError).keys.includes(key), `${JSON.stringify(branding)}: ${(error as ConfigError).keys.join(', ')}`);
    }
  }
  assert.is(parseSettings({ branding: { logoUrl: 'data:image/png;base64,iVBORw0KGgo=' } }).branding.logoUrl, 'data:image/png;base64,iVBORw0KGgo=');
  assert.throws(() => parseSettings({ language: 'french' }), (error: unknown) => error instanceof ConfigError && error.keys.includes('language'));
  assert.is(parseSettings({ language: 'FR' }).language, 'fr');
});

test('every catalog has every English string, with the same placeholders', () => {
  const dir = join(import.meta.dirname, '..', '..', 'web', 'src', 'i18n');
  const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, string>;
  const en = read('en.json');
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
  assert.ok(files.includes('fr.json'), 'French is there');
  for (const file of files) {
    const catalog = read(file);
    assert.equal(Object.keys(catalog).filter((key) => !(key in en)), [], `${file}: keys English does not have`);
    assert.equal(Object.keys(en).filter((key) => !(key in catalog)), [], `${file}: missing keys`);
    for (const [key, text] of Object.entries(catalog)) {
      assert.equal(placeholders(text), placeholders(en[key]!), `${file} ${key}: placeholders`);
      assert.ok(text.trim(), `${file} ${key} is empty`);
    }
  }
});

test('without a built site, pages say to run the build', async () => {
  const app = new Koa();
  app.use(staticSite({ config: makeConfig({}), logger: silentLogger(), dir: '/nonexistent/strangerchat-web' }));
  const http = createServer(app.callback()).listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/chat`);
    assert.is(res.status, 503);
    assert.match(await res.text(), /npm run build/);
  } finally {
    http.close();
  }
});

test.run();
