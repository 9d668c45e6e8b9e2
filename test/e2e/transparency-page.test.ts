// The /transparency page of the built site: absent (the site's 404 page) unless the operator turns
// on transparency.publish; then filled at request time with the last 12 months' figures from the
// same StatsService as `strangerchat stats --transparency`, in the visitor's language, with no
// token left, and kept an hour (a new report shows only after that).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { assertBrowserTestsCanRun } from '../helpers/browser.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { TRANSPARENCY_CACHE_MS } from '../../server/http/transparency.ts';

assertBrowserTestsCanRun();

let clock = Date.now();
const servers: TestServer[] = [];
test.after(async () => {
  for (const server of servers) await server.stop();
});

async function start(publish: boolean): Promise<TestServer> {
  const server = await newServer({ name: 'Maple School', transparency: { publish } }, { now: () => clock });
  servers.push(server);
  return server;
}

async function fileReport(server: TestServer, reason: string): Promise<void> {
  await server.db
    .insertInto('reports')
    .values({
      id: randomUUID(),
      conversation_id: randomUUID(),
      reason,
      note: null,
      status: 'open',
      reporter_session_id: 'a',
      reported_session_id: 'b',
      transcript: '[]',
      evidence_token_hash: randomUUID(),
      created_at: clock - 1000,
      reporter_device_id: null,
      reported_device_id: null,
      reporter_identity_hash: null,
      reported_identity_hash: null,
      reporter_address: null,
      reported_address: null,
      reported_age_band: 'minor',
      mode: 'text',
      resolved_at: null,
      resolved_by: null,
      resolution: null,
      resolution_note: null,
      evidence_purged_at: null,
    })
    .execute();
}

const figure = (html: string, name: string) => new RegExp(`data-figure="${name}"[^>]*>([^<]*)<`).exec(html)?.[1];

test('off by default: /transparency is the site\'s not-found page', async () => {
  const server = await start(false);
  const res = await fetch(`${server.url}/transparency`, { headers: { accept: 'text/html', 'accept-language': 'en' } });
  assert.is(res.status, 404);
  assert.match(await res.text(), /Page not found/);
});

test('published: the figures of the last 12 months, filled at request time, in English and French, kept an hour', async () => {
  const server = await start(true);
  await fileReport(server, 'harassment');
  await fileReport(server, 'harassment');
  await fileReport(server, 'spam');
  await server.db.insertInto('daily_counts').values({ day: new Date(clock).toISOString().slice(0, 7), metric: 'month.active_devices', value: 42 }).execute();

  const en = await fetch(`${server.url}/transparency`, { headers: { 'accept-language': 'en' } });
  assert.is(en.status, 200);
  assert.is(en.headers.get('content-language'), 'en');
  const html = await en.text();
  assert.not.match(html, /%%SC:/, 'no token left');
  assert.match(html, /<h1[^>]*>Transparency report<\/h1>/);
  assert.match(html, /How Maple School was moderated from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/);
  assert.equal(
    ['notices_total', 'notice_harassment', 'notice_spam', 'notice_minor', 'action_open', 'complaints_total', 'q_lifted_share', 'mau'].map((name) => figure(html, name)),
    ['3', '2', '1', '0', '3', '0', '–', '42'],
  );

  const fr = await (await fetch(`${server.url}/transparency`, { headers: { 'accept-language': 'fr' } })).text();
  assert.match(fr, /<h1[^>]*>Rapport de transparence<\/h1>/);
  assert.is(figure(fr, 'notices_total'), '3');

  // Kept an hour: a new report shows after that, not before.
  await fileReport(server, 'hate');
  assert.is(figure(await (await fetch(`${server.url}/transparency`)).text(), 'notices_total'), '3');
  clock += TRANSPARENCY_CACHE_MS + 1000;
  assert.is(figure(await (await fetch(`${server.url}/transparency`)).text(), 'notices_total'), '4');
});

test.run();
