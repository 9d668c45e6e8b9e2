// Moderators on duty and "video only while a moderator is on duty" (on by default for schools),
// against the real server: without anyone on duty, video is not offered (welcome.modes, the
// refusal, /api/config); a moderator going on duty from the dashboard's API, or the operator from
// another process (as the terminal does), reaches the people connected as an `availability`
// message; going off duty takes video searches out of the queue while video conversations go on; a
// dashboard's duty lapses when it stops renewing it (the clock is the test's), and ends at logout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cliActor } from '../../server/access/actor.ts';
import { DUTY_DASHBOARD_TTL_MS } from '../../server/moderation/duty.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { createModerator, loginModerator } from '../helpers/moderators.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

/** DESIGN.md: a change written anywhere reaches every process within 2 seconds. */
const LIVE_MS = 2000;

let clock = Date.now();
const server: TestServer = await newServer({ name: 'Maple High', profile: 'school', turn: { urls: ['turn:turn.example.org:3478'] } }, { now: () => clock, secrets: { turnSecret: 'turn-secret-for-the-duty-test-0123456789' } });
await createModerator(server, 'mia', 'moderator');
await createModerator(server, 'ada', 'auditor');
const clients: TestClient[] = [];

test.after(async () => {
  for (const client of clients) client.close();
  await server.stop();
});

async function adult(): Promise<TestClient & { welcome: { modes: string[]; availability: { video: boolean; videoReason: string | null } } }> {
  const client = await connect(server.url, { acceptRules: true, age: 30 });
  clients.push(client);
  return client;
}

async function publicAvailability(): Promise<{ video: boolean; videoReason: string | null; open: boolean }> {
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as { availability: { video: boolean; videoReason: string | null; open: boolean } };
  return config.availability;
}

test('without a moderator on duty a school offers text only, and says why', async () => {
  const a = await adult();
  assert.equal(a.welcome.modes, ['text']);
  assert.is(a.welcome.availability.video, false);
  assert.is(a.welcome.availability.videoReason, 'no_moderator');
  assert.equal(await publicAvailability(), { ...(await publicAvailability()), video: false, videoReason: 'no_moderator', open: true });
  a.send({ type: 'find', mode: 'video' });
  const refused = await a.next('error');
  assert.is(refused.code, 'mode_unavailable');
  assert.is(refused.reason, 'no_moderator');
  assert.match(refused.message, /moderator is on duty/);
  assert.is((await server.stats()).queued, 0, 'not queued');
});

test('a moderator on duty from the dashboard brings video to everyone connected; going off duty takes it away', async () => {
  const a = await adult();
  const b = await adult();
  const mia = await loginModerator(server, 'mia');
  const on = await mia.request('/api/mod/duty', { method: 'POST', body: { on: true } });
  assert.is(on.status, 200);
  const duty = ((await on.json()) as { duty: { name: string; via: string; until: number } }).duty;
  assert.is(duty.name, 'mia');
  assert.is(duty.via, 'dashboard');
  assert.is(duty.until, clock + DUTY_DASHBOARD_TTL_MS, 'on duty until the next renewal is due');
  for (const person of [a, b]) {
    const pushed = await person.next('availability', LIVE_MS);
    assert.is(pushed.availability.video, true);
    assert.equal(pushed.modes, ['text', 'video']);
  }
  assert.is((await publicAvailability()).video, true);
  const state = (await (await mia.request('/api/mod/availability')).json()) as { onDuty: Array<{ name: string }>; me: { name: string } | null };
  assert.equal(state.onDuty.map((d) => d.name), ['mia']);
  assert.is(state.me?.name, 'mia');

  // A video conversation, and a third person waiting for video.
  a.send({ type: 'find', mode: 'video' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'video' });
  await Promise.all([a.next('matched'), b.next('matched')]);
  const c = await adult();
  c.send({ type: 'find', mode: 'video' });
  await c.next('queued');

  const off = await mia.request('/api/mod/duty', { method: 'POST', body: { on: false } });
  assert.equal(await off.json(), { duty: null, ended: true });
  assert.is((await c.next('availability', LIVE_MS)).availability.video, false);
  const gone = await c.next('error');
  assert.equal([gone.code, gone.reason], ['mode_unavailable', 'no_moderator'], 'the video search is told why it stopped');
  assert.is((await server.stats()).queued, 0, 'taken out of the queue');
  assert.is((await a.next('availability')).availability.video, false);
  await a.none('ended', 300);
  assert.is((await server.stats()).conversations, 1, 'the video conversation under way goes on');
  a.send({ type: 'next' });
  const refusedNext = await a.next('error');
  assert.is(refusedNext.reason, 'no_moderator', 'next does not search for video again');

  const actions = await server.db.selectFrom('audit_log').select(['actor', 'action', 'target']).where('action', 'like', 'duty.%').orderBy('id').execute();
  assert.equal(actions, [
    { actor: 'moderator:mia', action: 'duty.on', target: 'moderator:mia' },
    { actor: 'moderator:mia', action: 'duty.off', target: 'moderator:mia' },
  ]);
});

test('the operator on duty from another process reaches this one through the feed', async () => {
  const a = await adult();
  const services = createServices({ db: await server.openSecondDb(), config: server.config, now: () => clock, logger: silentLogger() });
  try {
    const duty = await services.duty.on(cliActor('tess'), { via: 'terminal', hours: 2 });
    assert.equal(duty, { name: 'cli:tess', via: 'terminal', since: clock, until: clock + 2 * 3600_000 });
    assert.is((await a.next('availability', LIVE_MS)).availability.video, true);
    assert.ok(await services.duty.off(cliActor('tess')));
    assert.is((await a.next('availability', LIVE_MS)).availability.video, false);
  } finally {
    services.close();
  }
});

test('a dashboard that stops renewing lapses; a renewal keeps it; logging out ends it', async () => {
  const a = await adult();
  const mia = await loginModerator(server, 'mia');
  await mia.request('/api/mod/duty', { method: 'POST', body: { on: true } });
  assert.is((await a.next('availability', LIVE_MS)).availability.video, true);

  clock += DUTY_DASHBOARD_TTL_MS - 10_000;
  const renewed = (await (await mia.request('/api/mod/duty/renew', { method: 'POST', body: {} })).json()) as { duty: { until: number } | null };
  assert.is(renewed.duty?.until, clock + DUTY_DASHBOARD_TTL_MS, 'renewed from now');
  clock += DUTY_DASHBOARD_TTL_MS - 10_000;
  await a.none('availability', 1500);

  // The tab is closed: no renewal comes, and the duty lapses at its end.
  clock += 20_000;
  assert.is((await a.next('availability', LIVE_MS)).availability.video, false, 'lapsed without anyone saying so');
  const lapsed = (await (await mia.request('/api/mod/duty/renew', { method: 'POST', body: {} })).json()) as { duty: unknown };
  assert.is(lapsed.duty, null, 'the dashboard learns it is off duty');

  await mia.request('/api/mod/duty', { method: 'POST', body: { on: true } });
  assert.is((await a.next('availability', LIVE_MS)).availability.video, true);
  assert.is((await mia.request('/api/mod/logout', { method: 'POST', body: {} })).status, 204);
  assert.is((await a.next('availability', LIVE_MS)).availability.video, false, 'signing out ends the duty the dashboard kept');
  const last = await server.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'duty.off').orderBy('id', 'desc').executeTakeFirstOrThrow();
  assert.equal(JSON.parse(String(last.details)), { at: 'logout' });
});

test('an auditor cannot go on duty; on a community instance video needs no moderator', async () => {
  const ada = await loginModerator(server, 'ada');
  const refused = await ada.request('/api/mod/duty', { method: 'POST', body: { on: true } });
  assert.is(refused.status, 403);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'forbidden');
  assert.is((await ada.request('/api/mod/availability')).status, 200, 'but sees who is on duty');

  const community = await newServer({ profile: 'community' });
  try {
    const welcome = (await connect(community.url, { acceptRules: true, age: 30 })).welcome;
    assert.equal(welcome.modes, ['text', 'video']);
    assert.equal([welcome.availability.video, welcome.availability.videoReason], [true, null]);
  } finally {
    await community.stop();
  }
});

test.run();
