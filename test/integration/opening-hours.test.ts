// Opening hours and pauses against the real server, with the server's clock set by the test
// (Monday 30 November 2026 in Paris): when the hours end, the people searching are told it is
// closed and when it opens, people in a conversation get a closing notice and their conversation
// ends after the grace period; new sessions and searches are refused with `closed` and the next
// opening, on the API and the WebSocket; a pause written by another process (as the terminal
// does) closes it at once with the operator's message, a resume opens it again, both audited.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliActor } from '../../server/access/actor.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';
import { connect, pair, type TestClient } from '../helpers/client.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

const LIVE_MS = 2000;
const PARIS = 'Europe/Paris';
/** 10:00 in Paris (UTC+1 in winter) on Monday 30 November 2026. */
const MONDAY_10 = Date.UTC(2026, 10, 30, 9, 0);
const MONDAY_16 = Date.UTC(2026, 10, 30, 15, 0);
const TUESDAY_0830 = Date.UTC(2026, 11, 1, 7, 30);

let clock = MONDAY_10;
const server: TestServer = await newServer(
  {
    name: 'Maple High',
    openingHours: { timeZone: PARIS, week: { monday: ['08:30-16:00'], tuesday: ['08:30-16:00'] }, closingGraceSeconds: 1 },
  },
  { now: () => clock },
);
const clients: TestClient[] = [];

test.after(async () => {
  for (const client of clients) client.close();
  await server.stop();
});

async function session(): Promise<{ status: number; body: { error?: { code: string; message: string; opensAt?: number | null } } }> {
  const res = await fetch(`${server.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ acceptRules: true, age: 30 }) });
  return { status: res.status, body: (await res.json()) as never };
}

async function availability(): Promise<Record<string, unknown>> {
  return ((await (await fetch(`${server.url}/api/config`)).json()) as { availability: Record<string, unknown> }).availability;
}

test('open within the hours: welcome and /api/config say until when', async () => {
  const a = await connect(server.url);
  clients.push(a);
  assert.equal(a.welcome.availability, { open: true, state: 'open', opensAt: null, closesAt: MONDAY_16, message: null, timeZone: PARIS, video: true, videoReason: null });
  assert.equal(await availability(), a.welcome.availability);
  const presence = (await (await fetch(`${server.url}/api/presence`)).json()) as { availability: { state: string } };
  assert.is(presence.availability.state, 'open');
});

test('at closing time: searches stop, conversations are warned and end after the grace; nothing new starts', async () => {
  const [a, b] = await pair(server.url);
  const c = await connect(server.url);
  clients.push(a, b, c);
  c.send({ type: 'find', mode: 'text' });
  await c.next('queued');

  clock = MONDAY_16 + 1000;
  const closed = { open: false, state: 'closed', opensAt: TUESDAY_0830, closesAt: null, message: null, timeZone: PARIS, video: true, videoReason: null };
  for (const person of [a, b, c]) assert.equal((await person.next('availability', LIVE_MS)).availability, closed);
  const stopped = await c.next('error');
  assert.is(stopped.code, 'closed');
  assert.is(stopped.opensAt, TUESDAY_0830);
  assert.match(stopped.message, /Maple High is closed at this time\. It opens again on Tuesday 1 December, 08:30 \(Europe\/Paris\)\./);
  assert.is((await server.stats()).queued, 0, 'the search left the queue');

  for (const person of [a, b]) {
    const notice = await person.next('notice');
    assert.is(notice.kind, 'closing');
    assert.is(notice.endsAt, clock + 1000);
    assert.match(notice.text, /Your conversation ends in 1 seconds?\./);
  }
  // The conversation goes on during the grace.
  a.send({ type: 'message', text: 'see you tomorrow' });
  assert.is((await b.next('message')).text, 'see you tomorrow');
  for (const person of [a, b]) assert.equal(await person.next('ended', 3000), { type: 'ended', by: 'system', reason: 'closed' });

  // Nothing new starts: not a search, not a session.
  a.send({ type: 'find', mode: 'text' });
  const refused = await a.next('error');
  assert.equal([refused.code, refused.opensAt], ['closed', TUESDAY_0830]);
  const denied = await session();
  assert.is(denied.status, 403);
  assert.is(denied.body.error?.code, 'closed');
  assert.is(denied.body.error?.opensAt, TUESDAY_0830);
  assert.equal(await availability(), closed);

  // Tuesday morning: open again, and everyone connected hears it.
  clock = TUESDAY_0830;
  assert.is((await a.next('availability', LIVE_MS)).availability.open, true);
  assert.is((await session()).status, 201);
});

test('a pause from another process closes the space with its message; resume opens it again; both audited', async () => {
  clock = TUESDAY_0830 + 3600_000;
  const [a, b] = await pair(server.url);
  clients.push(a, b);
  const services = createServices({ db: await server.openSecondDb(), config: server.config, now: () => clock, logger: silentLogger() });
  try {
    const until = clock + 2 * 3600_000;
    await services.availability.pause(cliActor('tess'), { until, message: 'Back after the assembly' });
    const paused = (await a.next('availability', LIVE_MS)).availability;
    assert.equal([paused.state, paused.open, paused.opensAt, paused.message], ['paused', false, until, 'Back after the assembly']);
    const notice = await b.next('notice');
    assert.match(notice.text, /is paused for now\. Back after the assembly\. It opens again on Tuesday 1 December, 11:30 \(Europe\/Paris\)\./);
    assert.is((await a.next('ended', 3000)).reason, 'closed');
    const denied = await session();
    assert.is(denied.body.error?.code, 'paused');
    assert.is(denied.body.error?.opensAt, until);

    assert.ok(await services.availability.resume(cliActor('tess')));
    assert.is((await a.next('availability', LIVE_MS)).availability.state, 'open');
    assert.is((await session()).status, 201);
    assert.is(await services.availability.resume(cliActor('tess')), false, 'nothing left to resume');
  } finally {
    services.close();
  }
  const audit = await server.db.selectFrom('audit_log').select(['actor', 'action']).where('action', 'like', 'site.%').orderBy('id').execute();
  assert.equal(audit, [
    { actor: 'cli:tess', action: 'site.pause' },
    { actor: 'cli:tess', action: 'site.resume' },
  ]);
});

test('a pause ends on its own at its end; a resume inside the grace keeps the conversations', async () => {
  const [a, b] = await pair(server.url);
  clients.push(a, b);
  const services = createServices({ db: await server.openSecondDb(), config: server.config, now: () => clock, logger: silentLogger() });
  try {
    await services.availability.pause(cliActor('tess'), { until: clock + 60_000 });
    assert.is((await a.next('notice', LIVE_MS)).kind, 'closing');
    await services.availability.resume(cliActor('tess'));
    assert.is((await a.next('availability', LIVE_MS)).availability.open, true);
    await a.none('ended', 1500);
    b.send({ type: 'message', text: 'still here' });
    assert.is((await a.next('message')).text, 'still here');

    await services.availability.pause(cliActor('tess'), { until: clock + 60_000 });
    await a.next('ended', 3000);
    clock += 61_000;
    assert.is((await a.next('availability', LIVE_MS)).availability.state, 'open', 'the pause ended at its end');
  } finally {
    services.close();
  }
});

test.run();
