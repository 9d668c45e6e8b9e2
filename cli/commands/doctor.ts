// `strangerchat doctor [check…]`: checks what an instance needs to work for real people — a valid
// configuration, a writable data folder, an intact database, its port, HTTPS (browsers allow the
// camera and microphone only on HTTPS or localhost), a TURN server that really relays, whether
// under-18s can have video (only through a relay), the nudity check (no test-only setting on),
// the WebSocket upgrade through the public URL, and whether the safeguarding alerts reach anyone
// (failed deliveries). Each check says ok / warn / fail and how to fix it;
// any failure exits 4.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import WebSocket from 'ws';
import { verifySmtp } from '../../server/access/email.ts';
import { mintTurnCredentials } from '../../server/access/turn.ts';
import { ConfigError, ENV_FILE, loadConfig, resolveNudityFilter, type ServerConfig } from '../../server/config.ts';
import { integrityCheck } from '../../server/db/backup.ts';
import { openDatabase } from '../../server/db/database.ts';
import { checkRedisHealth } from '../../server/cluster/redis/health.ts';
import { MIN_REDIS_VERSION, redactRedisUrl } from '../../server/cluster/redis/client.ts';
import { pendingMigrations } from '../../server/db/migrate.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { checkFileModes } from '../file-modes.ts';
import { withExamples } from '../help.ts';
import { resolveInstanceDir } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { dataDirOf } from '../paths.ts';
import { readRunning, type PidInfo } from '../pidfile.ts';
import { dataDirProblem, portProblem } from '../preflight.ts';
import { packageVersion } from '../version.ts';
import { minorMediaCheck } from '../minor-media-check.ts';
import { silentLogger } from '../../server/logger.ts';
import { DELIVERY_HEALTH_DAYS } from '../../server/moderation/alerts.ts';
import { createServices, safeguardingAlertsOn } from '../../server/services.ts';
import { formatTime } from '../output.ts';
import { checkOidc } from '../oidc-check.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the report (`doctor --json` prints `{ ok, checks: CheckResult[] }`). */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or fail. */
  fix: string | null;
}

/** A TURN server as RTCPeerConnection takes it. */
interface IceServer {
  urls: string;
  username: string;
  credential: string;
}

/** The part of an RTCPeerConnection the TURN check uses (the shipped build has no DOM types). */
interface PeerConnection {
  readonly iceGatheringState: string;
  addEventListener(type: 'icecandidate', listener: (event: { candidate: { candidate: string } | null }) => void): void;
  addEventListener(type: 'icegatheringstatechange', listener: () => void): void;
  createDataChannel(label: string): unknown;
  createOffer(): Promise<{ type: string; sdp?: string }>;
  setLocalDescription(description: { type: string; sdp?: string }): Promise<void>;
  close(): void;
}

/** The part of @roamhq/wrtc the TURN check uses. */
export interface WrtcModule {
  RTCPeerConnection: new (configuration: { iceServers: IceServer[]; iceTransportPolicy: 'relay' }) => PeerConnection;
}

export interface DoctorDeps {
  /** Loads @roamhq/wrtc (an optional dependency); undefined when it is not installed. */
  loadWrtc(): Promise<WrtcModule | undefined>;
  /** How long TURN gathering and the WebSocket check may take, in ms. */
  timeoutMs: number;
}

export const defaultDoctorDeps: DoctorDeps = {
  async loadWrtc() {
    const name = '@roamhq/wrtc';
    try {
      const module = (await import(name)) as { default?: WrtcModule } & Partial<WrtcModule>;
      return module.default ?? (module as WrtcModule);
    } catch {
      return undefined;
    }
  },
  timeoutMs: 10_000,
};

interface CheckInput {
  ctx: Context;
  dir: string;
  config: ServerConfig | undefined;
  configError: string | undefined;
  running: PidInfo | undefined;
  deps: DoctorDeps;
  /** --fix: repair what a check can repair safely. */
  fix: boolean;
}

export interface DoctorOptions extends GlobalOptions {
  fix?: boolean;
}

type Outcome = Omit<CheckResult, 'name' | 'fix'> & { fix?: string };

interface Check {
  description: string;
  run(input: CheckInput & { config: ServerConfig }): Promise<Outcome>;
}

const ok = (message: string): Outcome => ({ status: 'ok', message });
const warn = (message: string, fix: string): Outcome => ({ status: 'warn', message, fix });
const fail = (message: string, fix: string): Outcome => ({ status: 'fail', message, fix });
const skip = (message: string): Outcome => ({ status: 'skip', message });

export const CHECKS: Record<string, Check> = {
  config: {
    description: 'strangerchat.json, .env and the rules file are valid',
    // Runs before the others (see runChecks); listed here for the names and the docs.
    run: async () => ok('valid'),
  },
  data: {
    description: 'the data folder is writable',
    async run({ config }) {
      const dir = dataDirOf(config);
      const problem = dataDirProblem(dir);
      return problem ? fail(problem, `give the user running strangerchat write access: sudo chown -R "$(id -un)" ${dir}`) : ok(`${dir} is writable`);
    },
  },
  files: {
    description: 'the data folder (database, WAL, backups) and .env are private to their owner; --fix tightens them',
    async run({ config, dir, fix }) {
      return checkFileModes({ dataDir: dataDirOf(config), envFile: join(dir, ENV_FILE), instanceDir: dir }, fix);
    },
  },
  integrity: {
    description: "SQLite's PRAGMA integrity_check on the database",
    async run({ config }) {
      if (config.database.driver !== 'sqlite') return skip('PostgreSQL: the database server checks its own consistency');
      const path = config.database.path;
      if (!existsSync(path)) return fail(`no database at ${path}`, 'create it with strangerchat start (or strangerchat migrate up)');
      try {
        const verdict = integrityCheck(path);
        return verdict === 'ok'
          ? ok(`${path}: integrity_check ok`)
          : fail(`${path} is damaged: ${verdict.slice(0, 300)}`, 'stop the server and restore a backup: strangerchat backup list, then strangerchat backup restore <name>');
      } catch (error) {
        return fail(`${path} cannot be read as SQLite: ${(error as Error).message}`, 'restore a backup: strangerchat backup list, then strangerchat backup restore <name>');
      }
    },
  },
  migrations: {
    description: 'the database schema is up to date',
    async run({ config }) {
      if (config.database.driver === 'sqlite' && !existsSync(config.database.path)) return skip('no database yet');
      const db = await openDatabase(config.database);
      try {
        const pending = await pendingMigrations(db);
        return pending.length ? warn(`${pending.length} migration(s) pending: ${pending.join(', ')}`, 'strangerchat migrate up (start also applies them, after a backup)') : ok('up to date');
      } finally {
        await db.destroy();
      }
    },
  },
  port: {
    description: 'the configured port is free (or used by this instance)',
    async run({ config, running }) {
      const { host, port } = config.settings.server;
      if (running) return ok(`used by this instance (pid ${running.pid}, ${running.url})`);
      const problem = await portProblem(host, port);
      return problem ? fail(problem, `stop what uses it, or choose another port: strangerchat config set server.port <port>`) : ok(`${host}:${port} is free`);
    },
  },
  https: {
    description: 'the public URL uses HTTPS (browsers allow camera and microphone only on HTTPS or localhost)',
    async run({ config }) {
      const publicUrl = config.settings.publicUrl;
      const fix = 'put HTTPS in front (strangerchat deploy caddy, or deploy nginx) and set strangerchat config set publicUrl https://chat.example.org';
      if (!publicUrl) return warn('no publicUrl: browsers allow camera and microphone only on HTTPS or localhost, so video works only on this machine', fix);
      const url = new URL(publicUrl);
      if (url.protocol === 'https:') return ok(`${publicUrl} uses HTTPS`);
      if (['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return ok(`${publicUrl} is localhost, which browsers treat as secure (for testing only)`);
      return warn(`${publicUrl} is plain HTTP: browsers will refuse camera and microphone there, so video cannot work`, fix);
    },
  },
  contact: {
    description: 'the privacy page says how to reach whoever runs the space',
    async run({ config }) {
      const contact = config.settings.contact;
      return contact
        ? ok(`the privacy page names ${contact}`)
        : warn('no contact: the privacy page cannot say who to write to about a child, a report or personal data', 'strangerchat config set contact safeguarding@example.org (or an https:// contact page)');
    },
  },
  turn: {
    description: 'TURN: credentials are minted and a relay candidate is gathered through each configured coturn URL (needs @roamhq/wrtc)',
    async run({ config, deps }) {
      const { urls } = config.settings.turn;
      const video = config.settings.modes.includes('video');
      if (urls.length === 0) {
        if (!video) return ok('text only: no TURN server needed');
        const fix = 'run coturn (strangerchat deploy coturn) and set turn.urls, with STRANGERCHAT_TURN_SECRET in .env';
        if (config.relayOnly) return fail('relay-only mode is on and video is enabled, but no TURN server is configured: video conversations cannot connect', `${fix}; or turn video off: strangerchat config set modes '["text"]'`);
        return warn('no TURN server: video between people on different networks (school and office NATs) often fails without one', fix);
      }
      const secret = config.secrets.turnSecret;
      if (!secret) return fail('turn.urls is set but STRANGERCHAT_TURN_SECRET is missing', 'add STRANGERCHAT_TURN_SECRET to .env: the same value as coturn\'s static-auth-secret');
      const wrtc = await deps.loadWrtc();
      if (!wrtc) {
        return warn(
          'cannot test TURN: @roamhq/wrtc (a WebRTC implementation for Node.js) is not installed',
          'install it beside strangerchat (npm install @roamhq/wrtc in the instance folder, or npm install --global @roamhq/wrtc for a global strangerchat), then run strangerchat doctor turn',
        );
      }
      const failures: string[] = [];
      for (const url of urls) {
        const credentials = mintTurnCredentials(secret, 'doctor', Date.now(), 300);
        const relayed = await gatherRelay(wrtc, { urls: url, username: credentials.username, credential: credentials.credential }, deps.timeoutMs);
        if (!relayed) failures.push(url);
      }
      if (failures.length === 0) return ok(`a relay candidate came back through ${urls.length === 1 ? urls[0] : `each of ${urls.length} TURN URLs`}`);
      return fail(
        `no relay candidate through ${failures.join(', ')}`,
        "check that coturn runs and is reachable on that host and port (UDP and TCP through the firewall), that its static-auth-secret equals STRANGERCHAT_TURN_SECRET, and that both clocks are right (credentials carry an expiry time); strangerchat turn credentials mints some to test by hand",
      );
    },
  },
  minors: {
    description: "under-18s' video: only through a TURN relay, so without one they are offered text only",
    run: async ({ config }) => minorMediaCheck(config),
  },
  nudity: {
    description: "the on-device nudity check: whose received video is checked, and no test-only setting left on",
    async run({ config }) {
      const filter = resolveNudityFilter(config.settings);
      if (filter.testTreatNeutralAsPositive) {
        return fail('nudityFilter.testTreatNeutralAsPositive is on: every ordinary video is blurred as nudity (a setting for tests only)', 'strangerchat config set nudityFilter.testTreatNeutralAsPositive false');
      }
      if (!config.settings.modes.includes('video')) return ok('text only: no video to check');
      if (!filter.minors) return ok("off: nobody's received video is checked (nudityFilter.enabled false)");
      return ok(filter.adults ? 'the video everyone receives is checked on their device' : 'the video under-18s receive is checked on their device (adults: off)');
    },
  },
  websocket: {
    description: 'a session and a real WebSocket connection through the public URL (or the running server)',
    async run({ config, running, deps }) {
      const base = config.settings.publicUrl ?? running?.url;
      if (!base) return skip('no publicUrl and the server is not running: nothing to connect to');
      return checkWebSocket(base, config, deps.timeoutMs);
    },
  },
  redis: {
    description: 'in a cluster (redis.url): Redis answers, is 7.0 or newer, how fast, and the pairing script runs (under a throwaway key prefix)',
    async run({ config, deps }) {
      const url = config.settings.redis.url;
      if (!url) return skip('one process: no redis.url (STRANGERCHAT_REDIS_URL), so no cluster');
      const fixReach = 'start Redis 7 or newer (apt install redis-server, or the redis service of strangerchat deploy docker --nodes 2) and check redis.url / STRANGERCHAT_REDIS_URL';
      let health;
      try {
        health = await checkRedisHealth(url, { connectTimeoutMs: deps.timeoutMs });
      } catch (error) {
        return fail(`cannot reach Redis at ${redactRedisUrl(url)}: ${(error as Error).message}`, fixReach);
      }
      if (!health.versionOk) return fail(`Redis ${health.version} is too old (strangerchat needs ${MIN_REDIS_VERSION} or newer)`, fixReach);
      if (!health.pairingOk) return fail(`Redis ${health.version} answered, but the pairing script did not pair two test people`, 'check that Lua scripting (EVALSHA) is allowed for this Redis user');
      const summary = `Redis ${health.version} at ${redactRedisUrl(url)}: ${health.latencyMs.toFixed(2)} ms round trip, pairing script ${health.pairingMs.toFixed(1)} ms for two finds`;
      if (health.latencyMs > 5) return warn(summary, 'run Redis beside the nodes (the same data centre): every find and every cross-node message waits for it');
      return ok(summary);
    },
  },
  email: {
    description: 'in the email access mode: the SMTP server answers, with TLS, and accepts the login (nothing is sent)',
    run: async ({ config, deps }) => checkSmtp(config, deps.timeoutMs),
  },
  alerts: {
    description: 'safeguarding alerts: where they go (e-mail, webhooks), and whether any delivery failed in the last 7 days',
    run: async ({ config }) => checkAlerts(config),
  },
  oidc: {
    description: "the school sign-in: the provider's discovery document, its signing keys and algorithms, PKCE, and that it accepts the redirect URI for the client id (nobody is signed in)",
    run: async ({ config, deps }) => checkOidc(config, deps.timeoutMs),
  },
};

/** Where the safeguarding alerts go, and the outbox's failures (server/moderation/alerts.ts). */
async function checkAlerts(config: ServerConfig): Promise<Outcome> {
  if (config.database.driver === 'sqlite' && !existsSync(config.database.path)) return skip('no database yet');
  const db = await openDatabase(config.database);
  const services = createServices({ db, config, logger: silentLogger() });
  try {
    if ((await pendingMigrations(db)).length) return skip('migrations are pending (see the migrations check)');
    const email = safeguardingAlertsOn(config.settings);
    const { webhooks } = config.settings.alerts;
    const leads = email
      ? await db.selectFrom('moderators').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'safeguarding').where('disabled_at', 'is', null).where('email', 'is not', null).executeTakeFirstOrThrow()
      : undefined;
    const channels = [...(email ? [`e-mail to ${Number(leads?.n ?? 0)} safeguarding account(s)`] : []), ...(webhooks.length ? [`${webhooks.length} webhook(s)`] : [])];
    const health = await services.alerts.deliveryHealth();
    if (health.failed > 0) {
      const last = health.lastFailure;
      return warn(
        `${health.failed} alert deliver${health.failed === 1 ? 'y' : 'ies'} failed in the last ${DELIVERY_HEALTH_DAYS} days${last ? ` (the last: ${last.target}, ${last.error ?? 'unknown'}, ${formatTime(last.at)})` : ''}; ${health.pending} waiting`,
        'check the receiver of the webhook (it must answer 2xx within 10 s) or the SMTP server (strangerchat doctor email); every alert stays in the dashboard (Alerts) until acknowledged',
      );
    }
    if (email && Number(leads?.n ?? 0) === 0) {
      return warn('alerts are e-mailed to the safeguarding accounts, but none has an address', 'give the safeguarding lead an address: strangerchat mod email <username> <address>');
    }
    const where = channels.length ? channels.join(' and ') : 'the dashboard only (no e-mail: moderation.safeguardingAlerts; no webhook: alerts.webhooks)';
    return ok(`alerts go to ${where}; no failed delivery in the last ${DELIVERY_HEALTH_DAYS} days${health.pending ? `, ${health.pending} waiting` : ''}`);
  } finally {
    services.close();
    await db.destroy();
  }
}

/** Connects to the SMTP server as the magic links will, and says how it went (server/access/email.ts). */
async function checkSmtp(config: ServerConfig, timeoutMs: number): Promise<Outcome> {
  if (config.settings.accessMode !== 'email') return skip(`the access mode is ${config.settings.accessMode}: no e-mail is sent`);
  const { smtp } = config.settings.email;
  const where = `${smtp.host}:${smtp.port}`;
  if (smtp.user !== undefined && !config.secrets.smtpPassword) {
    return fail(`email.smtp.user is ${smtp.user} but STRANGERCHAT_SMTP_PASSWORD is not set`, 'add STRANGERCHAT_SMTP_PASSWORD=… to .env (mode 0600), then strangerchat doctor email');
  }
  const result = await verifySmtp(smtp, config.secrets.smtpPassword, timeoutMs);
  const tls = { implicit: 'TLS', starttls: 'STARTTLS', none: 'no TLS' }[result.tls ?? 'none'];
  const test = 'then send yourself a message: strangerchat email test you@example.org';
  if (result.failure?.stage === 'connect') {
    return fail(`cannot reach the SMTP server ${where}: ${result.failure.message}`, `check email.smtp.host and email.smtp.port (strangerchat config set email.smtp.host smtp.example.org), and that this machine may connect to it; ${test}`);
  }
  if (result.failure?.stage === 'tls') {
    return fail(
      `TLS with ${where} failed: ${result.failure.message}`,
      `the server's certificate must be valid for ${smtp.host}; port 465 needs email.smtp.secure true, port 587 STARTTLS with secure false (strangerchat config set email.smtp.secure false)`,
    );
  }
  if (result.failure) {
    return fail(`${where} (${tls}) refused the login of ${smtp.user}: ${result.failure.message}`, 'check email.smtp.user and STRANGERCHAT_SMTP_PASSWORD in .env (the password of that mailbox, or an app password)');
  }
  const login = result.authenticated ? `logged in as ${smtp.user}` : 'no login (email.smtp.user is not set)';
  if (result.tls === 'none' && !['localhost', '127.0.0.1', '::1'].includes(smtp.host)) {
    return warn(`${where} answers without TLS, ${login}: the links travel unencrypted`, `use a server that offers STARTTLS (port 587) or TLS (port 465, email.smtp.secure true); ${test}`);
  }
  return ok(`${where}: ${tls}, ${login}${result.tls === 'none' ? ' (on this machine)' : ''}`);
}

export const CHECK_NAMES = Object.keys(CHECKS);

/** Gathers ICE candidates with only this TURN server and relay-only policy; true once one is a relay. */
async function gatherRelay(wrtc: WrtcModule, server: IceServer, timeoutMs: number): Promise<boolean> {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = new Promise<boolean>((resolve) => {
      pc.addEventListener('icecandidate', (event) => {
        if (event.candidate?.candidate && / typ relay\b/.test(event.candidate.candidate)) resolve(true);
        else if (!event.candidate) resolve(false);
      });
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve(false);
      });
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    pc.createDataChannel('doctor');
    await pc.setLocalDescription(await pc.createOffer());
    return await found;
  } finally {
    clearTimeout(timer);
    pc.close();
  }
}

/** POST /api/session, then a real WebSocket to /ws with the ticket, waiting for `welcome`. */
async function checkWebSocket(base: string, config: ServerConfig, timeoutMs: number): Promise<Outcome> {
  const origin = new URL(base).origin;
  const proxyFix = 'the reverse proxy must pass WebSocket upgrades (Upgrade and Connection headers) to strangerchat: see strangerchat deploy caddy or deploy nginx';
  let response: Response;
  try {
    response = await fetch(new URL('/api/session', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ acceptRules: true, age: Math.max(config.minAge, 18) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    return fail(`cannot reach ${base}: ${cause}`, 'start the server (strangerchat start) and check that the public URL points at it (DNS, proxy, firewall)');
  }
  const body = (await response.json().catch(() => ({}))) as { ticket?: string; error?: { code?: string } };
  if (response.status === 201 && body.ticket) {
    const result = await openSocket(base, body.ticket, origin, timeoutMs);
    if (result.welcome) return ok(`connected to ${wsUrl(base)} and got welcome`);
    return fail(`the WebSocket to ${wsUrl(base)} failed: ${result.problem}`, proxyFix);
  }
  if (response.status === 403 && body.error?.code && ['invite_required', 'email_required', 'sign_in_required', 'adult_sign_in_required', 'closed', 'paused'].includes(body.error.code)) {
    // Without an invite, a verified address or a school sign-in (or while closed) no session is possible: a made-up ticket must reach strangerchat and get its 401.
    const probe = await openSocket(base, 'doctor-probe', origin, timeoutMs);
    const why = ['closed', 'paused'].includes(body.error.code) ? `the space is ${body.error.code} now` : `a full session needs an invite, an e-mail or a school sign-in in the ${config.settings.accessMode} access mode`;
    if (probe.status === 401) return ok(`the upgrade reaches strangerchat through ${base} (a dummy ticket got 401; ${why})`);
    return fail(`the WebSocket upgrade through ${base} did not reach strangerchat: ${probe.problem}`, proxyFix);
  }
  return fail(`POST ${base}/api/session answered ${response.status}${body.error?.code ? ` (${body.error.code})` : ''}`, 'check that publicUrl points at this instance and that the proxy forwards to it');
}

function wsUrl(base: string): string {
  return `${base.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`;
}

function openSocket(base: string, ticket: string, origin: string, timeoutMs: number): Promise<{ welcome: boolean; status?: number; problem?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${wsUrl(base)}?ticket=${encodeURIComponent(ticket)}`, { headers: { origin }, handshakeTimeout: timeoutMs });
    const done = (result: { welcome: boolean; status?: number; problem?: string }) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => done({ welcome: false, problem: `no welcome within ${timeoutMs} ms` }), timeoutMs);
    ws.on('message', (data) => {
      try {
        const message = JSON.parse(data.toString()) as { type?: string };
        if (message.type === 'welcome') done({ welcome: true });
      } catch {
        done({ welcome: false, problem: 'the first frame was not JSON' });
      }
    });
    ws.on('unexpected-response', (_request, response) => done({ welcome: false, status: response.statusCode, problem: `the upgrade was answered with HTTP ${response.statusCode}` }));
    ws.on('error', (error) => done({ welcome: false, problem: error.message }));
    ws.on('close', (code) => done({ welcome: false, problem: `closed with ${code} before welcome` }));
  });
}

export function registerDoctor(program: Command, ctx: Context): void {
  const command = program
    .command('doctor')
    .argument('[check...]', `checks to run (default: all): ${CHECK_NAMES.join(', ')}`)
    .description('check the instance: config, data folder, file modes, database integrity, migrations, port, HTTPS, TURN relay, WebSocket through the public URL, the SMTP server in the email mode, the school sign-in, safeguarding alert deliveries (exit 4 when a check fails)')
    .option('--fix', 'repair what can be repaired safely: file modes of the data folder and .env')
    .action(async (checks: string[], _o: DoctorOptions, command: Command) => {
      await doctor(ctx, command.optsWithGlobals<DoctorOptions>(), checks);
    });
  withExamples(command, ['strangerchat doctor', 'strangerchat doctor turn websocket', 'strangerchat doctor --json', 'strangerchat doctor files --fix']);
}

export async function doctor(ctx: Context, options: DoctorOptions, only: string[] = [], deps: DoctorDeps = defaultDoctorDeps): Promise<CheckResult[]> {
  const unknown = only.filter((name) => !CHECK_NAMES.includes(name));
  if (unknown.length) throw new CliError(`unknown check ${unknown.join(', ')}: choose from ${CHECK_NAMES.join(', ')}`, ExitCode.Usage);
  const output = new Output(ctx, options);
  const dir = resolveInstanceDir(ctx, options);
  let config: ServerConfig | undefined;
  let configError: string | undefined;
  try {
    config = loadConfig({ dir, env: ctx.env, version: packageVersion() });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = error.message;
  }
  const running = config ? readRunning(config) : undefined;
  const input: CheckInput = { ctx, dir, config, configError, running, deps, fix: options.fix === true };
  const selected = only.length ? CHECK_NAMES.filter((name) => only.includes(name)) : CHECK_NAMES;
  const results: CheckResult[] = [];
  for (const name of selected) {
    output.progress(`checking ${name}…`);
    results.push({ name, fix: null, ...(await runCheck(name, input)) });
  }
  const failed = results.filter((result) => result.status === 'fail');
  output.result({ ok: failed.length === 0, checks: results }, () => formatResults(results, output));
  if (failed.length) throw new CliError(`${failed.length} check(s) failed: ${failed.map((r) => r.name).join(', ')}`, ExitCode.DoctorFailed);
  return results;
}

async function runCheck(name: string, input: CheckInput): Promise<Outcome> {
  if (name === 'config') {
    return input.config ? ok('strangerchat.json, .env and the rules file are valid') : fail(input.configError ?? 'invalid', 'fix the key named above (strangerchat config set <key> <value>, or edit strangerchat.json), then strangerchat config validate');
  }
  if (!input.config) return skip('needs a valid configuration (see the config check)');
  try {
    return await CHECKS[name]!.run({ ...input, config: input.config });
  } catch (error) {
    return fail(`the check itself failed: ${(error as Error).message}`, 'report this as a bug with strangerchat version --json');
  }
}

function formatResults(results: CheckResult[], output: Output): string {
  const c = output.out;
  const label: Record<CheckStatus, string> = { ok: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('fail'), skip: c.dim('skip') };
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => {
      const line = `${label[r.status]}  ${r.name.padEnd(width)}  ${r.message}`;
      return r.fix ? `${line}\n${' '.repeat(6 + width + 2)}${c.dim('fix:')} ${r.fix}` : line;
    })
    .join('\n');
}
