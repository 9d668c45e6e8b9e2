// Safeguarding alerts against the real server, a real SMTP server and a real HTTP receiver on
// loopback: a `minor` report, a repeated report, an automatic quarantine and a refused age-group
// switch each raise one alert, stored with what raised it, e-mailed to the safeguarding accounts
// with an address and POSTed to the webhook with a signature the receiver verifies — ids, kinds
// and a link, never the conversation; the dashboard's API lists them unacknowledged first, only
// safeguarding acknowledges one about a minor, acknowledging is audited once and counted in the
// stats; a failing receiver is retried with backoff and then marked failed (visible in the API);
// and pending deliveries survive a restart of the server (the outbox is a table).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { cliActor } from '../../server/access/actor.ts';
import { createServer, type RunningServer } from '../../server/app.ts';
import { makeConfig, type ServerConfig } from '../../server/config.ts';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';
import type { AlertWebhookPayload } from '../../server/moderation/alert-delivery.ts';
import { until } from '../helpers/cli-instance.ts';
import { loginModerator, TEST_PASSWORD, type ModSession } from '../helpers/moderators.ts';
import { deviceOf, join, pairUp, report, requestSession, type Person } from '../helpers/people.ts';
import { tempDir } from '../helpers/server.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { startWebhook, verifySignature, type TestWebhook } from '../helpers/webhook.ts';

const SECRET = 'webhook-secret-for-the-alerts-test-0123456789';
const CHAT_LINE = 'my school is Northfield and I am 12';
const FAST = { retryFirstMs: 100, pollMs: 100 };

const smtp: TestSmtpServer = await startSmtpServer({ user: 'unused', password: 'unused' });
const hook: TestWebhook = await startWebhook();
const dir = tempDir('strangerchat-alerts-');
const people: Person[] = [];

function configFor(webhooks: string[]): ServerConfig {
  return makeConfig({
    dir,
    databasePath: joinPath(dir, 'alerts.db'),
    secrets: { webhookSecret: SECRET },
    settings: {
      name: 'Maple Chat',
      publicUrl: 'https://chat.maple.example',
      server: { host: '127.0.0.1', port: 0, shutdownGraceSeconds: 1 },
      trustedProxies: ['127.0.0.1'],
      email: { from: 'Maple <chat@maple.example>', smtp: { host: '127.0.0.1', port: smtp.port, secure: false } },
      moderation: { safeguardingAlerts: true, quarantineReporters: 2 },
      alerts: { webhooks, deliveryAttempts: 3 },
    },
  });
}

let config = configFor([hook.url]);
const db: Db = await openDatabase(config.database);
await migrateToLatest(db);
let server: RunningServer = await createServer(config, { db, logger: silentLogger(), feedIntervalMs: 100, alertDelivery: FAST });

{
  const services = createServices({ db, config, logger: silentLogger() });
  await services.moderators.create({ username: 'sam', role: 'safeguarding', password: TEST_PASSWORD, email: 'sam@maple.example' }, cliActor('test'));
  await services.moderators.create({ username: 'mia', role: 'moderator', password: TEST_PASSWORD }, cliActor('test'));
  services.close();
}

test.after(async () => {
  for (const person of people) person.close();
  await server.close();
  await db.destroy();
  await smtp.close();
  await hook.close();
  rmSync(dir, { recursive: true, force: true });
});

const login = (username: string): Promise<ModSession> => loginModerator(server, username);

let address = 10;
async function person(age = 25): Promise<Person> {
  const joined = await join(server.url, { address: `198.51.${address++}.7`, age, origin: 'https://chat.maple.example' });
  people.push(joined);
  return joined;
}

async function alertRows() {
  return db.selectFrom('alerts').selectAll().orderBy('created_at').execute();
}

test('a report about a minor: stored with the report, e-mailed to safeguarding, posted signed to the webhook, without the conversation', async () => {
  const reporter = await person(15);
  const reported = await person(16);
  await pairUp(reporter, reported);
  reported.send({ type: 'message', text: CHAT_LINE });
  await reporter.next('message');
  const { reportId } = await report(reporter, 'minor', 'he asked where I live');

  const [alert] = await alertRows();
  assert.equal([alert?.kind, alert?.subject, alert?.report_id], ['report_sensitive', `report:${reportId}`, reportId]);
  assert.equal(JSON.parse(String(alert!.details)), { reason: 'minor', reportedBand: 'minor', earlierReports: 0, withinDays: 7 });

  const mail = await until('the alert e-mail', () => smtp.inbox.find((m) => m.parsed.subject?.includes('Safeguarding alert')));
  assert.equal(mail.envelope.to, ['sam@maple.example'], 'to the safeguarding account with an address, and nobody else');
  assert.match(mail.parsed.subject ?? '', /^\[Maple Chat\] Safeguarding alert: a report about a minor/);
  assert.match(mail.parsed.text ?? '', /https:\/\/chat\.maple\.example\/mod#alerts/);
  assert.not.match(mail.parsed.text ?? '', /Northfield|where I live/, 'no chat text, no note');
  assert.is(mail.parsed.headers.get('auto-submitted'), 'auto-generated');

  const posted = await until('the webhook', () => hook.received.find((r) => r.body.includes(alert!.id)));
  assert.ok(verifySignature(posted, SECRET), 'the receiver verifies the signature');
  assert.not.ok(verifySignature(posted, 'another-secret-another-secret-another'), 'a wrong secret does not verify');
  assert.not.ok(verifySignature({ ...posted, body: posted.body.replace('minor', 'spam!') }, SECRET), 'a changed body does not verify');
  assert.not.ok(verifySignature(posted, SECRET, 300, Math.floor(Date.now() / 1000) + 3600), 'an old timestamp is refused (replays)');
  const payload = JSON.parse(posted.body) as AlertWebhookPayload;
  assert.equal(payload, {
    type: 'alert.raised',
    deliveryId: String(posted.headers['x-strangerchat-delivery']),
    alert: { id: alert!.id, kind: 'report_sensitive', reason: 'minor', reportId, banId: null, createdAt: Number(alert!.created_at), link: 'https://chat.maple.example/mod#alerts' },
    instance: { name: 'Maple Chat', url: 'https://chat.maple.example' },
  });
  assert.not.match(posted.body, /Northfield|where I live|device|198\.51/, 'ids, kinds and links only');
  assert.is(posted.headers['content-type'], 'application/json');
  await until('both deliveries marked sent', async () => {
    const rows = await db.selectFrom('alert_deliveries').select('status').where('alert_id', '=', alert!.id).execute();
    return rows.length === 2 && rows.every((r) => r.status === 'sent') ? true : undefined;
  });
});

test('the dashboard lists alerts unacknowledged first; only safeguarding acknowledges one about a minor; audited once; in the stats', async () => {
  const sam = await login('sam');
  const mia = await login('mia');
  const listed = (await (await mia.request('/api/mod/alerts')).json()) as { alerts: Array<{ id: string; kind: string; deliveries: { sent: number } }>; unacknowledged: number; deliveries: { failed: number } };
  assert.is(listed.unacknowledged, 1);
  assert.equal(listed.alerts.map((a) => [a.kind, a.deliveries.sent]), [['report_sensitive', 2]]);
  const id = listed.alerts[0]!.id;

  const refused = await mia.request(`/api/mod/alerts/${id}/acknowledge`, { method: 'POST', body: {} });
  assert.is(refused.status, 403);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'safeguarding_required');
  const done = await sam.request(`/api/mod/alerts/${id}/acknowledge`, { method: 'POST', body: { note: 'called the school' } });
  assert.is(done.status, 200);
  const { alert } = (await done.json()) as { alert: { acknowledgedBy: string; acknowledgedAt: number; acknowledgeNote: string } };
  assert.equal([alert.acknowledgedBy, alert.acknowledgeNote], ['moderator:sam', 'called the school']);
  const again = await sam.request(`/api/mod/alerts/${id}/acknowledge`, { method: 'POST', body: {} });
  assert.is(again.status, 409);

  const audit = await db.selectFrom('audit_log').select(['actor', 'action', 'target', 'reason', 'details']).where('action', '=', 'alert.acknowledge').execute();
  assert.is(audit.length, 1);
  assert.equal([audit[0]!.actor, audit[0]!.target, audit[0]!.reason], ['moderator:sam', `alert:${id}`, 'called the school']);
  assert.is(JSON.parse(String(audit[0]!.details)).kind, 'report_sensitive');
  assert.is(((await (await mia.request('/api/mod/alerts')).json()) as { unacknowledged: number }).unacknowledged, 0);
  const stats = (await (await mia.request('/api/mod/stats')).json()) as { openAlerts: number };
  assert.is(stats.openAlerts, 0);

  const services = createServices({ db, config, logger: silentLogger() });
  try {
    const figures = await services.stats.collect(cliActor('test'), { from: Date.now() - 86_400_000, to: Date.now() + 1000 });
    assert.equal([figures.alerts.total, figures.alerts.byKind.report_sensitive, figures.alerts.acknowledged, figures.alerts.unacknowledged], [1, 1, 1, 0]);
    assert.ok(figures.alerts.medianAcknowledgeMs !== null && figures.alerts.medianAcknowledgeMs >= 0, 'the time to acknowledge is counted');
  } finally {
    services.close();
  }
});

test('a repeated report, a quarantine and a refused age-group switch each raise one alert', async () => {
  const target = await person();
  const first = await person();
  const second = await person();
  await pairUp(target, first);
  await report(first, 'harassment');
  await target.next('ended');
  assert.is((await alertRows()).length, 1, 'a first, ordinary report raises none');

  await pairUp(target, second);
  await report(second, 'spam');
  await target.next('banned', 3000);
  const kinds = await until('the repeat and the quarantine', async () => {
    const rows = await alertRows();
    return rows.length === 3 ? rows : undefined;
  });
  const repeat = kinds.find((row) => row.kind === 'report_repeat')!;
  assert.equal(JSON.parse(String(repeat.details)).earlierReports, 1);
  const quarantine = kinds.find((row) => row.kind === 'quarantine')!;
  assert.is(quarantine.subject, `device:${deviceOf(target.cookie)}`);
  assert.ok(quarantine.ban_id, 'with the quarantine ban');

  const adult = await requestSession(server.url, { address: '203.0.113.50', age: 30 });
  assert.is(adult.res.status, 201);
  const child = await requestSession(server.url, { address: '203.0.113.50', age: 14, cookie: adult.cookie });
  assert.is(child.res.status, 403);
  const switched = await until('the band-switch alert', async () => (await alertRows()).find((row) => row.kind === 'band_switch'));
  assert.is(switched.subject, `device:${deviceOf(adult.cookie)}`);
  assert.equal(JSON.parse(String(switched.details)), { from: 'adult', to: 'minor' });
  await until('every webhook delivered', async () => (hook.received.length >= 4 ? true : undefined));
});

test('a failing receiver is retried with backoff, then marked failed; the API shows the failure', async () => {
  hook.status = 500;
  hook.received.length = 0;
  const before = Date.now();
  const services = createServices({ db, config, logger: silentLogger() });
  let alertId: string;
  try {
    alertId = await services.alerts.raise({ kind: 'band_switch', subject: 'device:00000000-0000-4000-8000-000000000001', details: { from: 'adult', to: 'minor' } });
  } finally {
    services.close();
  }
  // The server's outbox reads it within its poll (another process wrote it).
  const failed = await until(
    'the webhook delivery marked failed',
    async () => db.selectFrom('alert_deliveries').selectAll().where('alert_id', '=', alertId).where('channel', '=', 'webhook').where('status', '=', 'failed').executeTakeFirst(),
    10_000,
  );
  assert.equal([failed.attempts, failed.last_error], [3, 'http_500']);
  const tries = hook.received.filter((r) => r.body.includes(alertId));
  assert.is(tries.length, 3, 'three attempts (alerts.deliveryAttempts)');
  assert.ok(tries.every((r) => verifySignature(r, SECRET)), 'each signed afresh');
  assert.ok(new Set(tries.map((r) => r.headers['x-strangerchat-delivery'])).size === 1, 'one delivery id on every retry');
  const gaps = [tries[1]!.at - tries[0]!.at, tries[2]!.at - tries[1]!.at];
  assert.ok(gaps[0]! >= 100 && gaps[1]! >= 200, `waits double between attempts: ${gaps.join(', ')} ms`);
  assert.ok(tries[0]!.at >= before);

  const sam = await login('sam');
  const listed = (await (await sam.request('/api/mod/alerts')).json()) as { deliveries: { failed: number; lastFailure: { channel: string; target: string; error: string } } };
  assert.is(listed.deliveries.failed, 1);
  assert.equal(listed.deliveries.lastFailure, { ...listed.deliveries.lastFailure, channel: 'webhook', target: hook.url, error: 'http_500' });
  hook.status = 200;
});

test('pending deliveries survive a restart: the outbox is a table', async () => {
  // The receiver is down: the first attempt fails (connection refused) and a retry waits.
  const port = hook.port;
  await hook.close();
  await server.close();
  config = configFor([`http://127.0.0.1:${port}/hooks/strangerchat`]);
  server = await createServer(config, { db, logger: silentLogger(), feedIntervalMs: 100, alertDelivery: { retryFirstMs: 60_000, pollMs: 100 } });
  const services = createServices({ db, config, logger: silentLogger() });
  const alertId = await services.alerts.raise({ kind: 'quarantine', subject: 'device:00000000-0000-4000-8000-000000000002' });
  services.close();
  const waiting = await until(
    'a failed first attempt',
    async () => db.selectFrom('alert_deliveries').selectAll().where('alert_id', '=', alertId).where('channel', '=', 'webhook').where('attempts', '=', 1).executeTakeFirst(),
  );
  assert.equal([waiting.status, waiting.last_error], ['pending', 'ECONNREFUSED']);

  // Stopped before its retry; the receiver comes back; a new server process sends what was pending.
  await server.close();
  const back = await startWebhook(port);
  try {
    await db.updateTable('alert_deliveries').set({ next_attempt_at: Date.now() }).where('id', '=', waiting.id).execute();
    server = await createServer(config, { db, logger: silentLogger(), feedIntervalMs: 100, alertDelivery: FAST });
    const received = await until('the delivery after the restart', () => back.received.find((r) => r.body.includes(alertId)));
    assert.ok(verifySignature(received, SECRET));
    await until('marked sent', async () => ((await db.selectFrom('alert_deliveries').select('status').where('id', '=', waiting.id).executeTakeFirst())?.status === 'sent' ? true : undefined));
    const row = await db.selectFrom('alert_deliveries').select(['attempts', 'last_error']).where('id', '=', waiting.id).executeTakeFirstOrThrow();
    assert.equal(row, { attempts: 2, last_error: null });
  } finally {
    await back.close();
  }
});

test.run();
