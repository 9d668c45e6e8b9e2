// `strangerchat doctor` in-process on real instances: each check's ok / warn / fail with its fix,
// exit 4 on a failure, --json. TURN is checked against a real coturn (right secret: a relay
// candidate; wrong secret: a failure), the WebSocket check with a real connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CliError } from '../../cli/context.ts';
import { CHECK_NAMES, defaultDoctorDeps, doctor, type CheckResult } from '../../cli/commands/doctor.ts';
import { fakeContext, runCli, startInProcess } from '../helpers/cli.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';
import { tempDir } from '../helpers/server.ts';
import { startWebhook } from '../helpers/webhook.ts';
import { loadConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { silentLogger } from '../../server/logger.ts';
import { createServices } from '../../server/services.ts';

let here = '';
let dir = '';
let coturn: Coturn | undefined;
const cli = (args: string[]) => runCli([...args, '-C', dir], { cwd: here });

async function init(...flags: string[]): Promise<void> {
  here = tempDir('strangerchat-doctor-');
  dir = join(here, 'chat');
  const made = await runCli(['init', 'chat', '--yes', ...flags], { cwd: here });
  assert.is(made.code, 0, made.stderr);
}
test.after.each(() => rmSync(here, { recursive: true, force: true }));
test.after(async () => coturn?.stop());

function byName(checks: CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(checks.map((check) => [check.name, check]));
}

function setSettings(change: (settings: Record<string, any>) => void): void {
  const path = join(dir, 'strangerchat.json');
  const settings = JSON.parse(readFileSync(path, 'utf8'));
  change(settings);
  writeFileSync(path, JSON.stringify(settings, null, 2));
}

function setEnv(name: string, value: string): void {
  const path = join(dir, '.env');
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line && !line.startsWith(`${name}=`));
  writeFileSync(path, `${[...lines, `${name}=${value}`].join('\n')}\n`, { mode: 0o600 });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a fresh instance: every check runs; HTTPS and TURN warn with their fix; exit 0', async () => {
  await init('--port', String(await freePort()));
  const result = await cli(['doctor', '--json']);
  assert.is(result.code, 0, result.stderr);
  const report = result.json<{ ok: boolean; checks: CheckResult[] }>();
  assert.is(report.ok, true);
  assert.equal(report.checks.map((c) => c.name), CHECK_NAMES);
  const checks = byName(report.checks);
  for (const name of ['config', 'data', 'integrity', 'migrations', 'port', 'nudity']) assert.is(checks[name]!.status, 'ok', `${name}: ${checks[name]!.message}`);
  assert.is(checks.https!.status, 'warn');
  assert.match(checks.https!.message, /camera and microphone only on HTTPS or localhost/);
  assert.match(checks.https!.fix!, /deploy caddy/);
  assert.is(checks.turn!.status, 'warn');
  assert.is(checks.websocket!.status, 'skip');
  for (const check of report.checks) assert.is(check.status === 'warn' || check.status === 'fail', check.fix !== null, `${check.name} has a fix exactly when it needs one`);

  const human = await cli(['doctor']);
  assert.match(human.stdout, /^ok {4}config/m);
  assert.match(human.stdout, /^warn {2}https/m);
  assert.match(human.stdout, /fix: put HTTPS in front/);
});

test('an invalid config fails (naming the key), the checks that need it skip, exit 4', async () => {
  await init();
  setSettings((s) => (s.server.port = 'eighty'));
  const result = await cli(['doctor', '--json']);
  assert.is(result.code, 4);
  const checks = byName(result.json().checks);
  assert.is(checks.config!.status, 'fail');
  assert.match(checks.config!.message, /server\.port/);
  assert.is(checks.integrity!.status, 'skip');
  assert.match(result.stderr, /1 check\(s\) failed: config/);
});

test('a damaged database fails integrity_check, with the backup restore as the fix', async () => {
  await init();
  const path = join(dir, 'data', 'strangerchat.db');
  const bytes = readFileSync(path);
  // Overwrite the pages after the schema (the b-trees), leaving the header readable.
  bytes.fill(0x5a, 4096 * 2, bytes.length - 4096);
  writeFileSync(path, bytes);
  const result = await cli(['doctor', 'integrity', '--json']);
  assert.is(result.code, 4);
  const [check] = result.json().checks;
  assert.is(check.name, 'integrity');
  assert.is(check.status, 'fail');
  assert.match(check.fix, /backup restore/);
});

test('port: in use by another program fails; in use by this running instance is ok', async () => {
  await init();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  setSettings((s) => (s.server.port = port));
  try {
    const busy = await cli(['doctor', 'port', '--json']);
    assert.is(busy.code, 4);
    assert.match(busy.json().checks[0].message, /already in use/);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
  const started = await startInProcess(['-C', dir], { cwd: here });
  try {
    const ours = await cli(['doctor', 'port', '--json']);
    assert.is(ours.code, 0, ours.stderr);
    assert.match(ours.json().checks[0].message, /used by this instance \(pid \d+/);
  } finally {
    await started.stop();
  }
});

test('https: plain HTTP warns, HTTPS passes', async () => {
  await init('--public-url', 'http://chat.example.org');
  const plain = await cli(['doctor', 'https', '--json']);
  assert.is(plain.json().checks[0].status, 'warn');
  assert.match(plain.json().checks[0].message, /plain HTTP/);
  setSettings((s) => (s.publicUrl = 'https://chat.example.org'));
  assert.is((await cli(['doctor', 'https', '--json'])).json().checks[0].status, 'ok');
});

test('contact: none warns with the command that sets it; one given at init passes', async () => {
  await init();
  const none = (await cli(['doctor', 'contact', '--json'])).json().checks[0];
  assert.is(none.status, 'warn');
  assert.match(none.fix, /config set contact/);
  setSettings((s) => (s.contact = 'safeguarding@example.org'));
  const given = (await cli(['doctor', 'contact', '--json'])).json().checks[0];
  assert.is(given.status, 'ok');
  assert.match(given.message, /safeguarding@example\.org/);
});

test('turn: relay-only video without a TURN server fails; text only needs none', async () => {
  await init('--profile', 'school');
  const result = await cli(['doctor', 'turn', '--json']);
  assert.is(result.code, 4);
  assert.match(result.json().checks[0].message, /relay-only mode is on and video is enabled/);
  setSettings((s) => (s.modes = ['text']));
  const text = await cli(['doctor', 'turn', '--json']);
  assert.is(text.code, 0);
  assert.is(text.json().checks[0].status, 'ok');
});

test("minors: without TURN, under-18s lose video (a warning, not a failure); text only, adults only or a TURN server is ok", async () => {
  await init('--profile', 'community');
  const result = await cli(['doctor', 'minors', '--json']);
  assert.is(result.code, 0, 'a warning does not fail the doctor');
  const [check] = result.json().checks;
  assert.is(check.status, 'warn');
  assert.match(check.message, /under-18s \(minimum age 13\) are offered text only/);
  assert.match(check.fix, /deploy coturn/);
  const status = await cli(['status', '--json']);
  assert.equal(status.json().warnings, [check.message], 'status says the same');
  assert.match((await cli(['status'])).stdout, /^warning +video is offered but no TURN server/m);

  setSettings((s) => (s.modes = ['text']));
  assert.is((await cli(['doctor', 'minors', '--json'])).json().checks[0].status, 'ok');
  assert.equal((await cli(['status', '--json'])).json().warnings, []);
  setSettings((s) => {
    s.modes = ['text', 'video'];
    s.turn = { urls: ['turn:127.0.0.1:3478'] };
  });
  setEnv('STRANGERCHAT_TURN_SECRET', 'a-turn-secret-for-this-check');
  const relayed = (await cli(['doctor', 'minors', '--json'])).json().checks[0];
  assert.is(relayed.status, 'ok');
  assert.match(relayed.message, /through the TURN relay only/);
});

test('nudity: says whose video is checked; the test-only setting left on fails', async () => {
  await init('--profile', 'school');
  const school = await cli(['doctor', 'nudity', '--json']);
  assert.is(school.json().checks[0].status, 'ok');
  assert.match(school.json().checks[0].message, /everyone receives is checked/);
  setSettings((s) => (s.profile = 'community'));
  assert.match((await cli(['doctor', 'nudity', '--json'])).json().checks[0].message, /under-18s receive is checked.*adults: off/);
  setSettings((s) => (s.nudityFilter = { testTreatNeutralAsPositive: true }));
  const left = await cli(['doctor', 'nudity', '--json']);
  assert.is(left.code, 4);
  assert.is(left.json().checks[0].status, 'fail');
  assert.match(left.json().checks[0].fix, /testTreatNeutralAsPositive false/);
});

test('turn: a relay candidate through a real coturn with the right secret; a wrong secret fails', async () => {
  coturn ??= await startCoturn();
  await init('--turn', 'coturn', '--turn-url', coturn.url);
  setEnv('STRANGERCHAT_TURN_SECRET', coturn.secret);
  const good = await cli(['doctor', 'turn', '--json']);
  assert.is(good.code, 0, `${good.stdout}\n${good.stderr}\n${coturn.log()}`);
  assert.is(good.json().checks[0].status, 'ok');
  assert.match(good.json().checks[0].message, /relay candidate came back through turn:127\.0\.0\.1/);

  setEnv('STRANGERCHAT_TURN_SECRET', 'not-the-secret-of-this-coturn');
  const wrong = await cli(['doctor', 'turn', '--json']);
  assert.is(wrong.code, 4);
  const [check] = wrong.json().checks;
  assert.is(check.status, 'fail');
  assert.match(check.message, /no relay candidate through turn:127\.0\.0\.1/);
  assert.match(check.fix, /static-auth-secret equals STRANGERCHAT_TURN_SECRET/);
});

test('turn: without @roamhq/wrtc it warns with how to install it', async () => {
  await init('--turn', 'coturn', '--turn-url', 'turn:127.0.0.1:3478');
  const fake = fakeContext({ cwd: here });
  const results = await doctor(fake.ctx, { dir }, ['turn'], { ...defaultDoctorDeps, loadWrtc: async () => undefined });
  assert.is(results[0]!.status, 'warn');
  assert.match(results[0]!.message, /@roamhq\/wrtc .* is not installed/);
  assert.match(results[0]!.fix!, /npm install @roamhq\/wrtc/);
});

test('websocket: a real connection to the running server, through its public URL, and a probe in invite mode', async () => {
  await init('--port', '0');
  let started = await startInProcess(['-C', dir], { cwd: here });
  try {
    const local = await cli(['doctor', 'websocket', '--json']);
    assert.is(local.code, 0, local.stderr);
    assert.match(local.json().checks[0].message, /connected to ws:\/\/127\.0\.0\.1:\d+\/ws and got welcome/);
  } finally {
    await started.stop();
  }
  // The public URL is checked with its Origin; here it is the server itself (no proxy in the way).
  const port = await freePort();
  setSettings((s) => {
    s.server.port = port;
    s.publicUrl = `http://127.0.0.1:${port}`;
    s.accessMode = 'invite';
  });
  started = await startInProcess(['-C', dir], { cwd: here });
  try {
    const invite = await cli(['doctor', 'websocket', '--json']);
    assert.is(invite.code, 0, invite.stdout);
    assert.match(invite.json().checks[0].message, /the upgrade reaches strangerchat .* dummy ticket got 401/);
  } finally {
    await started.stop();
  }
});

test('websocket: a proxy that does not pass upgrades fails with the proxy fix', async () => {
  await init();
  // Answers the session like strangerchat but refuses every upgrade, as a misconfigured proxy would.
  const proxy: Server = createHttpServer((req, res) => {
    res.writeHead(req.method === 'POST' ? 201 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.method === 'POST' ? { ticket: 't', expiresIn: 60 } : { error: { code: 'not_found' } }));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  setSettings((s) => (s.publicUrl = `http://127.0.0.1:${port}`));
  try {
    const result = await cli(['doctor', 'websocket', '--json']);
    assert.is(result.code, 4);
    const [check] = result.json().checks;
    assert.match(check.message, /the WebSocket to ws:\/\/127\.0\.0\.1:\d+\/ws failed/);
    assert.match(check.fix, /pass WebSocket upgrades/);
  } finally {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
  const closed = await freePort();
  setSettings((s) => (s.publicUrl = `http://127.0.0.1:${closed}`));
  const down = await cli(['doctor', 'websocket', '--json']);
  assert.is(down.code, 4);
  assert.match(down.json().checks[0].message, /cannot reach/);
});

test('alerts: where they go; a webhook whose receiver fails makes it warn, naming the receiver and the error', async () => {
  await init();
  const hook = await startWebhook();
  try {
    setSettings((s) => (s.alerts = { webhooks: [hook.url], deliveryAttempts: 1 }));
    const config = loadConfig({ dir, env: {}, version: '0.0.0-test' });
    const db = await openDatabase(config.database);
    await migrateToLatest(db);
    const before = byName((await cli(['doctor', 'alerts', '--json'])).json<{ checks: CheckResult[] }>().checks).alerts!;
    assert.is(before.status, 'ok', before.message);
    assert.match(before.message, /alerts go to 1 webhook\(s\); no failed delivery in the last 7 days/);

    // The server's outbox (the same service, on the instance's database) posts to a receiver that answers 500.
    hook.status = 500;
    const services = createServices({ db, config, logger: silentLogger(), alertDelivery: { retryFirstMs: 50, pollMs: 50 } });
    try {
      await services.alerts.raise({ kind: 'band_switch', subject: 'device:00000000-0000-4000-8000-000000000003', details: { from: 'adult', to: 'minor' } });
      services.alertDelivery.start();
      const deadline = Date.now() + 10_000;
      while ((await services.alerts.deliveryHealth()).failed === 0) {
        if (Date.now() > deadline) throw new Error('the delivery was never marked failed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await services.alertDelivery.stop();
      services.close();
      await db.destroy();
    }
    assert.is(hook.received.length, 1, 'one attempt (alerts.deliveryAttempts)');

    const result = await cli(['doctor', 'alerts', '--json']);
    assert.is(result.code, 0, 'a warning, not a failure');
    const after = byName(result.json<{ checks: CheckResult[] }>().checks).alerts!;
    assert.is(after.status, 'warn');
    assert.match(after.message, `1 alert delivery failed in the last 7 days (the last: ${hook.url}, http_500`);
    assert.match(after.fix!, /receiver of the webhook/);
    assert.match((await cli(['doctor', 'alerts'])).stdout, /^warn {2}alerts/m);
  } finally {
    await hook.close();
  }
});

test('an unknown check exits 2 listing the names; selected checks run alone', async () => {
  await init();
  const unknown = await cli(['doctor', 'dns']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown check dns: choose from config, data/);
  const two = await cli(['doctor', 'port', 'config', '--json']);
  assert.equal(two.json().checks.map((c: CheckResult) => c.name), ['config', 'port'], 'in the documented order');
  // The exported function throws the exit code the CLI uses.
  setSettings((s) => (s.profile = 'club'));
  try {
    await doctor(fakeContext({ cwd: here }).ctx, { dir }, ['config']);
    assert.unreachable();
  } catch (error) {
    assert.instance(error, CliError);
    assert.is((error as CliError).exitCode, 4);
  }
});

test.run();
