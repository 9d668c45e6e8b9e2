// `strangerchat deploy` renders templates/deploy/ for an instance: a hardened systemd unit that can
// write only the data folder, Caddy and nginx with the WebSocket upgrade and forwarded headers,
// coturn with this instance's secret, Docker with secrets required from the environment; printed,
// or written to deploy/ without ever overwriting by surprise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { packageVersion } from '../../cli/version.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

let here = '';
let dir = '';
const cli = (args: string[], osUser = 'tester') => runCli([...args, '-C', dir], { cwd: here, osUser });

test.before.each(async () => {
  here = tempDir('strangerchat-deploy-');
  dir = join(here, 'chat');
  const made = await runCli(
    ['init', 'chat', '--yes', '--port', '8181', '--public-url', 'https://chat.example.org', '--turn', 'coturn', '--turn-url', 'turn:turn.example.org:3478'],
    { cwd: here },
  );
  assert.is(made.code, 0, made.stderr);
});
test.after.each(() => rmSync(here, { recursive: true, force: true }));

/** `key=value` directives of an ini-like file, comments left out. */
function directives(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('['))
    .map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
    });
}

function noPlaceholders(text: string): void {
  assert.not.match(text, /\{\{\w+\}\}/, 'every placeholder is filled');
}

test('systemd: a hardened unit that runs start and can write only the data folder', async () => {
  const result = await cli(['deploy', 'systemd']);
  assert.is(result.code, 0, result.stderr);
  const unit = result.stdout;
  noPlaceholders(unit);
  const d = directives(unit);
  const values = (key: string) => d.filter(([k]) => k === key).map(([, v]) => v);
  assert.equal(values('ReadWritePaths'), [join(dir, 'data')], 'only the data folder is writable');
  for (const [key, value] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['PrivateTmp', 'yes'],
    ['PrivateDevices', 'yes'],
    ['ProtectHome', 'read-only'],
    ['CapabilityBoundingSet', ''],
    ['RestrictSUIDSGID', 'yes'],
    ['ProtectKernelTunables', 'yes'],
    ['UMask', '0077'],
    ['User', 'tester'],
    ['WorkingDirectory', dir],
  ] as const) {
    assert.equal(values(key), [value], `${key}=${value}`);
  }
  assert.equal(values('ExecStart'), [`${process.execPath} ${join(dir, 'node_modules', 'strangerchat', 'bin', 'strangerchat.js')} start`]);
  assert.not.ok(values('MemoryDenyWriteExecute').length, "Node's JIT needs writable code pages");
  assert.match(result.stderr, /run npm install/);

  const user = (text: string) => directives(text).filter(([k]) => k === 'User').map(([, v]) => v);
  // As root: the instance folder's owner, never root by accident.
  if (process.getuid?.() === 0) chownSync(dir, 65534, 65534);
  const owner = process.getuid?.() === 0 ? readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.split(':')[2] === '65534')!.split(':')[0]! : userInfo().username;
  const asRoot = await cli(['deploy', 'systemd'], 'root');
  assert.is(asRoot.code, 0, asRoot.stderr);
  assert.equal(user(asRoot.stdout), [owner]);
  assert.match(asRoot.stderr, new RegExp(`The unit runs as ${owner}, who owns`));
  if (process.getuid?.() === 0) {
    chownSync(dir, 0, 0);
    const rootOwned = await cli(['deploy', 'systemd'], 'root');
    assert.is(rootOwned.code, 2, 'a folder root owns needs --user');
    assert.match(rootOwned.stderr, /the unit would run as root.*pass --user <name>.*useradd --system/);
  }
  const named = await cli(['deploy', 'systemd', '--user', 'strangerchat'], 'root');
  assert.equal(user(named.stdout), ['strangerchat']);
  assert.is((await cli(['deploy', 'systemd', '--user', 'bad name!'])).code, 2);
});

test("systemd: ExecStart runs the instance's own installed strangerchat, found as Node finds it", async () => {
  // Installed beside the instance, as `npm install <tarball>` in the folder above does.
  const bin = join(here, 'node_modules', 'strangerchat', 'bin', 'strangerchat.js');
  mkdirSync(join(here, 'node_modules', 'strangerchat', 'bin'), { recursive: true });
  writeFileSync(bin, '');
  const result = await cli(['deploy', 'systemd']);
  assert.is(result.code, 0, result.stderr);
  assert.equal(directives(result.stdout).filter(([k]) => k === 'ExecStart').map(([, v]) => v), [`${process.execPath} ${bin} start`]);
  assert.not.match(result.stderr, /run npm install/);
});

test('caddy and nginx: HTTPS for the public host, the WebSocket upgrade, X-Forwarded-For and -Proto', async () => {
  const caddy = await cli(['deploy', 'caddy']);
  assert.is(caddy.code, 0, caddy.stderr);
  noPlaceholders(caddy.stdout);
  assert.match(caddy.stdout, /^chat\.example\.org \{$/m);
  assert.match(caddy.stdout, /reverse_proxy 127\.0\.0\.1:8181 \{/);
  assert.match(caddy.stdout, /header_up X-Forwarded-For \{remote_host\}/);
  assert.match(caddy.stdout, /header_up X-Forwarded-Proto \{scheme\}/);
  assert.match(caddy.stderr, /trustedProxies does not list the proxy/);

  const nginx = await cli(['deploy', 'nginx']);
  assert.is(nginx.code, 0, nginx.stderr);
  const conf = nginx.stdout;
  noPlaceholders(conf);
  for (const line of [
    'map $http_upgrade $connection_upgrade {',
    'proxy_pass http://127.0.0.1:8181;',
    'proxy_http_version 1.1;',
    'proxy_set_header Upgrade $http_upgrade;',
    'proxy_set_header Connection $connection_upgrade;',
    'proxy_set_header X-Forwarded-For $remote_addr;',
    'proxy_set_header X-Forwarded-Proto $scheme;',
    'server_name chat.example.org;',
    'ssl_certificate     /etc/letsencrypt/live/chat.example.org/fullchain.pem;',
    'return 301 https://$host$request_uri;',
  ]) {
    assert.ok(conf.split('\n').some((l) => l.trim() === line), `nginx.conf has: ${line}`);
  }
  const braces = [...conf.replace(/#.*$/gm, '')].reduce((depth, ch) => depth + (ch === '{' ? 1 : ch === '}' ? -1 : 0), 0);
  assert.is(braces, 0, 'balanced braces');

  assert.is((await cli(['config', 'set', 'trustedProxies', '["127.0.0.1","::1"]'])).code, 0);
  assert.not.match((await cli(['deploy', 'caddy'])).stderr, /trustedProxies/);
  assert.is((await cli(['config', 'unset', 'publicUrl'])).code, 0);
  const noDomain = await cli(['deploy', 'nginx']);
  assert.is(noDomain.code, 2);
  assert.match(noDomain.stderr, /missing --domain/);
  assert.match((await cli(['deploy', 'nginx', '--domain', 'other.example.org'])).stdout, /server_name other\.example\.org;/);
  assert.is((await cli(['deploy', 'nginx', '--domain', 'bad domain'])).code, 2);
});

test("coturn: this instance's realm and secret, no placeholder, a safe relay, the external IP when given", async () => {
  const secret = parseEnv(readFileSync(join(dir, '.env'), 'utf8')).STRANGERCHAT_TURN_SECRET!;
  const result = await cli(['deploy', 'coturn']);
  assert.is(result.code, 0, result.stderr);
  noPlaceholders(result.stdout);
  const d = new Map<string, string[]>();
  for (const [key, value] of directives(result.stdout)) d.set(key, [...(d.get(key) ?? []), value]);
  assert.equal(d.get('static-auth-secret'), [secret], 'the same secret as the server mints with');
  assert.equal(d.get('realm'), ['turn.example.org']);
  assert.equal(d.get('cert'), ['/etc/letsencrypt/live/turn.example.org/fullchain.pem']);
  assert.ok(d.has('use-auth-secret'));
  assert.not.ok(d.has('allow-loopback-peers'));
  assert.not.ok(d.has('external-ip'), 'no guessed address');
  assert.match(result.stdout, /^# external-ip=.*--external-ip/m);
  assert.match(result.stderr, /holds the TURN shared secret/);
  const withIp = await cli(['deploy', 'coturn', '--external-ip', '203.0.113.7']);
  assert.match(withIp.stdout, /^external-ip=203\.0\.113\.7$/m);

  const env = readFileSync(join(dir, '.env'), 'utf8').replace(/^STRANGERCHAT_TURN_SECRET=.*\n/m, '');
  writeFileSync(join(dir, '.env'), env, { mode: 0o600 });
  assert.is((await cli(['config', 'unset', 'turn'])).code, 0);
  const noSecret = await cli(['deploy', 'coturn']);
  assert.is(noSecret.code, 1);
  assert.match(noSecret.stderr, /no STRANGERCHAT_TURN_SECRET/);
});

test('docker: a pinned image, compose with strangerchat, Caddy and coturn, secrets required with ${VAR:?}', async () => {
  const result = await cli(['deploy', 'docker', '--json']);
  assert.is(result.code, 0, result.stderr);
  const files = Object.fromEntries(result.json().files.map((f: { name: string; content: string }) => [f.name, f.content]));
  assert.equal(Object.keys(files).sort(), ['Caddyfile.docker', 'Dockerfile', 'docker-compose.yml', 'turnserver.conf']);
  for (const content of Object.values(files) as string[]) noPlaceholders(content);
  assert.match(files.Dockerfile, new RegExp(`ARG STRANGERCHAT_VERSION=${packageVersion().replaceAll('.', '\\.')}`));
  assert.match(files.Dockerfile, /^USER node$/m);
  const compose = files['docker-compose.yml'] as string;
  for (const service of ['strangerchat', 'caddy', 'coturn']) assert.match(compose, new RegExp(`^  ${service}:$`, 'm'));
  assert.match(compose, /STRANGERCHAT_SESSION_SECRET: \$\{STRANGERCHAT_SESSION_SECRET:\?/);
  assert.match(compose, /STRANGERCHAT_TURN_SECRET: \$\{STRANGERCHAT_TURN_SECRET:\?/);
  assert.match(compose, /--static-auth-secret=\$\{STRANGERCHAT_TURN_SECRET:\?/);
  const secret = parseEnv(readFileSync(join(dir, '.env'), 'utf8')).STRANGERCHAT_TURN_SECRET!;
  assert.not.ok(result.stdout.includes(secret), 'no secret is written into the Docker files');
  assert.not.match(files['turnserver.conf'], /^static-auth-secret=/m);
  assert.match(files['turnserver.conf'], /^tls-listening-port=5349$/m, 'Caddy holds 443');
  assert.match(files['Caddyfile.docker'], /reverse_proxy strangerchat:8080/);
});

test('docker --nodes 2: PostgreSQL, Redis, two nodes with their own ids, and Caddy spreading people over both', async () => {
  const result = await cli(['deploy', 'docker', '--nodes', '2', '--json']);
  assert.is(result.code, 0, result.stderr);
  const files = Object.fromEntries(result.json().files.map((f: { name: string; content: string }) => [f.name, f.content]));
  for (const content of Object.values(files) as string[]) noPlaceholders(content);
  const compose = files['docker-compose.yml'] as string;
  for (const service of ['strangerchat-1', 'strangerchat-2', 'postgres', 'redis', 'caddy', 'coturn']) assert.match(compose, new RegExp(`^  ${service}:$`, 'm'));
  assert.not.match(compose, /^  strangerchat:$/m, 'no single-process service beside the nodes');
  assert.match(compose, /STRANGERCHAT_NODE_ID: strangerchat-1$/m);
  assert.match(compose, /STRANGERCHAT_NODE_ID: strangerchat-2$/m);
  assert.match(compose, /STRANGERCHAT_REDIS_URL: redis:\/\/redis:6379/);
  assert.match(compose, /STRANGERCHAT_DATABASE_URL: postgres:\/\/strangerchat:\$\{STRANGERCHAT_POSTGRES_PASSWORD:\?/);
  assert.match(compose, /"--save", "", "--appendonly", "no"/);
  assert.match(files['Caddyfile.docker'], /reverse_proxy strangerchat-1:8080 strangerchat-2:8080/);
  for (const bad of [['--nodes', '1'], ['--nodes', 'x']]) assert.is((await cli(['deploy', 'docker', ...bad])).code, 2);
  assert.is((await cli(['deploy', 'caddy', '--nodes', '2'])).code, 2);
});

test('--write writes into deploy/, refuses to overwrite without --force, and keeps secrets private', async () => {
  const first = await cli(['deploy', 'coturn', '--write', '--json']);
  assert.is(first.code, 0, first.stderr);
  assert.is(first.json().written, true);
  const path = join(dir, 'deploy', 'turnserver.conf');
  assert.is(first.json().files[0].path, path);
  assert.is(statSync(path).mode & 0o777, 0o600);
  writeFileSync(path, 'edited by hand');
  const again = await cli(['deploy', 'coturn', '--write']);
  assert.is(again.code, 1);
  assert.match(again.stderr, /already exist.*--force/);
  assert.is(readFileSync(path, 'utf8'), 'edited by hand');
  const forced = await cli(['deploy', 'coturn', '--write', '--force']);
  assert.is(forced.code, 0);
  assert.match(readFileSync(path, 'utf8'), /use-auth-secret/);
  assert.match(forced.stdout, /wrote .*turnserver\.conf/);
  assert.is((await cli(['deploy', 'systemd', '--write'])).code, 0);
  assert.is(statSync(join(dir, 'deploy', 'strangerchat-chat.service')).mode & 0o777, 0o644);
  assert.is((await cli(['deploy', 'kubernetes'])).code, 2);
  assert.is((await cli(['deploy', 'caddy', '--force'])).code, 2, '--force without --write is a mistake');
});

test.run();
