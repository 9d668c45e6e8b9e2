// `strangerchat deploy systemd|docker|caddy|nginx|coturn`: renders templates/deploy/ for this
// instance (its folder, port, public URL, TURN host and secret) and prints them, or writes them
// into the instance's deploy/ folder with --write (never over an existing file without --force).
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import type { ServerConfig } from '../../server/config.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { dataDirOf } from '../paths.ts';
import { packageVersion, templatesDir } from '../version.ts';

export const DEPLOY_TARGETS = ['systemd', 'docker', 'caddy', 'nginx', 'coturn'] as const;
export type DeployTarget = (typeof DEPLOY_TARGETS)[number];

export interface DeployOptions extends GlobalOptions {
  write?: boolean;
  force?: boolean;
  domain?: string;
  turnHost?: string;
  externalIp?: string;
  cert?: string;
  key?: string;
  user?: string;
  /** docker: render a cluster of this many nodes (with PostgreSQL and Redis) instead of one process. */
  nodes?: number;
}

/** Most nodes `deploy docker --nodes` renders (more is a load balancer's and an orchestrator's job). */
const MAX_DOCKER_NODES = 16;

export interface RenderedFile {
  /** Relative to the instance's deploy/ folder. */
  name: string;
  content: string;
  /** 0600 for files that hold a secret. */
  mode: number;
}

export function registerDeploy(program: Command, ctx: Context): void {
  const command = program
    .command('deploy')
    .argument('<target>', `what to render: ${DEPLOY_TARGETS.join(', ')}`)
    .description('render deployment files for this instance: a hardened systemd unit, Docker (with Caddy and coturn), a Caddy or nginx reverse proxy, or coturn; printed, or written to deploy/ with --write')
    .option('--write', "write the files into the instance's deploy/ folder instead of printing them")
    .option('--force', 'with --write, overwrite existing files')
    .option('--domain <host>', 'the public host name (default: from publicUrl)')
    .option('--turn-host <host>', 'the TURN host name (default: from turn.urls)')
    .option('--external-ip <ip>', "coturn: this host's public IPv4 address (as public/private behind 1:1 NAT)")
    .option('--cert <file>', 'nginx, coturn: TLS certificate (full chain) (default: certbot\'s path)')
    .option('--key <file>', 'nginx, coturn: TLS private key (default: certbot\'s path)')
    .option('--nodes <count>', `docker: a cluster of this many nodes behind Caddy, with PostgreSQL and Redis (2 to ${MAX_DOCKER_NODES}; docs/scaling.md)`, (value: string) => {
      const count = Number(value);
      if (!Number.isInteger(count) || count < 2 || count > MAX_DOCKER_NODES) throw new CliError(`--nodes must be an integer from 2 to ${MAX_DOCKER_NODES}`, ExitCode.Usage);
      return count;
    })
    .option('--user <name>', "systemd: the user the service runs as (default: you; as root, the instance folder's owner, and never root unless you say --user root)")
    .action(async (target: string, _o: DeployOptions, command: Command) => deploy(ctx, command.optsWithGlobals<DeployOptions>(), target));
  withExamples(command, [
    'strangerchat deploy systemd --write',
    'strangerchat deploy caddy > /etc/caddy/Caddyfile',
    'strangerchat deploy nginx --domain chat.example.org --write',
    'strangerchat deploy coturn --external-ip 203.0.113.7 --write',
    'strangerchat deploy docker --write --force',
    'strangerchat deploy docker --nodes 2 --write',
  ]);
}

function template(name: string): string {
  return readFileSync(new URL(`deploy/${name}`, templatesDir()), 'utf8');
}

/** Fills {{placeholders}}; a placeholder without a value is a bug, never left in the output. */
export function render(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template placeholder {{${key}}} has no value`);
    return value;
  });
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'instance';
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** The host of a turn:/turns: URL, e.g. turn:turn.example.org:3478?transport=udp. */
function turnHostOf(url: string | undefined): string | undefined {
  const match = url ? /^turns?:(\[[^\]]+\]|[^:?]+)/.exec(url) : null;
  return match?.[1]?.replace(/^\[|\]$/g, '');
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

function checkHost(flag: string, value: string): string {
  if (!HOST.test(value) && !isIP(value)) throw new CliError(`${flag}: "${value}" is not a host name`, ExitCode.Usage);
  return value;
}

/** Where the proxy reaches strangerchat: its listening address, loopback for a wildcard. */
function upstreamOf(config: ServerConfig): string {
  const { host, port } = config.settings.server;
  if (host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::') return `[::1]:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

interface RenderInput {
  ctx: Context;
  dir: string;
  config: ServerConfig;
  options: DeployOptions;
  output: Output;
}

function domainOf({ config, options }: RenderInput): string {
  const domain = options.domain ?? hostOf(config.settings.publicUrl);
  if (!domain) {
    throw new CliError('missing --domain: the public host name (or set publicUrl first: strangerchat config set publicUrl https://chat.example.org)', ExitCode.Usage);
  }
  return checkHost('--domain', domain);
}

function turnHost(c: RenderInput): string {
  const host = c.options.turnHost ?? turnHostOf(c.config.settings.turn.urls[0]);
  if (!host) throw new CliError('missing --turn-host: the TURN server\'s host name (or set turn.urls first)', ExitCode.Usage);
  return checkHost('--turn-host', host);
}

function turnSecret(c: RenderInput): string {
  const secret = c.config.secrets.turnSecret;
  if (!secret) {
    throw new CliError(
      'no STRANGERCHAT_TURN_SECRET in .env: add one (e.g. openssl rand -base64 32 | tr -d "=+/") and set turn.urls; strangerchat init --turn coturn does both',
    );
  }
  return secret;
}

const TRUSTED_LOOPBACK = '["127.0.0.1", "::1"]';

function warnTrustedProxies(c: RenderInput): void {
  const trusted = c.config.settings.trustedProxies;
  if (!trusted.includes('127.0.0.1') && !trusted.includes('::1')) {
    c.output.warn(`trustedProxies does not list the proxy: set it so bans and rate limits see people's addresses, not the proxy's:\n  strangerchat config set trustedProxies '${TRUSTED_LOOPBACK}'`);
  }
  const domain = c.options.domain ?? hostOf(c.config.settings.publicUrl);
  if (!c.config.settings.publicUrl?.startsWith('https://') && domain) {
    c.output.warn(`publicUrl is not https://${domain}: set it so WebSocket origins and links match:\n  strangerchat config set publicUrl https://${domain}`);
  }
}

/** The turnserver.conf for this instance; `docker` leaves the secret to the command line. */
function coturnConf(c: RenderInput, docker: boolean): string {
  const secret = docker ? '' : turnSecret(c);
  const host = turnHost(c);
  let text = template('turnserver.conf');
  // The placeholder documentation is for the template; the rendered file says where it came from.
  text = text
    .split('\n')
    .filter((line) => !/^#\s+\{\{\w+\}\}/.test(line) && !/^# Placeholders/.test(line))
    .join('\n')
    .replace(/^# coturn for strangerchat.*$/m, (line) => `${line}\n# Rendered by \`strangerchat deploy ${docker ? 'docker' : 'coturn'}\` for ${c.dir}.`);
  if (!c.options.externalIp) {
    text = text.replace(/^external-ip=\{\{externalIp\}\}$/m, "# external-ip=<this host's public IPv4> (needed behind NAT: strangerchat deploy coturn --external-ip <ip>)");
  }
  if (docker) {
    text = text.replace(/^static-auth-secret=\{\{secret\}\}$/m, '# static-auth-secret: given on the command line from STRANGERCHAT_TURN_SECRET (docker-compose.yml)');
    // Caddy holds 443 on the same host: TURN over TLS moves to the standard TURNS port.
    text = text.replace(/^tls-listening-port=443$/m, 'tls-listening-port=5349');
  }
  return render(text, {
    realm: host,
    secret,
    externalIp: c.options.externalIp ?? '',
    certFile: c.options.cert ?? (docker ? '/etc/coturn/certs/fullchain.pem' : `/etc/letsencrypt/live/${host}/fullchain.pem`),
    keyFile: c.options.key ?? (docker ? '/etc/coturn/certs/privkey.pem' : `/etc/letsencrypt/live/${host}/privkey.pem`),
  });
}

/**
 * The strangerchat the instance itself runs: node_modules/strangerchat in its folder or the
 * nearest one above it (as Node resolves it), never the copy that happens to run this command
 * (an npx cache, a clone). Undefined when none is installed yet.
 */
export function instanceBin(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const bin = join(at, 'node_modules', 'strangerchat', 'bin', 'strangerchat.js');
    if (existsSync(bin)) return bin;
    if (dirname(at) === at) return undefined;
  }
}

/** The name of a uid on this machine, when it has one. */
function userNameOf(uid: number): string | undefined {
  try {
    if (uid === process.getuid?.()) return userInfo().username;
    const passwd = readFileSync('/etc/passwd', 'utf8');
    return passwd.split('\n').map((line) => line.split(':')).find((fields) => fields[2] === String(uid))?.[0];
  } catch {
    return undefined;
  }
}

/**
 * Who the service runs as: --user, else whoever renders it (they own the files and run the
 * commands that write the same database). As root, the owner of the instance folder instead; a
 * folder root owns needs --user, so a service never runs as root by accident.
 */
function serviceUser(c: RenderInput): string {
  if (c.options.user) return c.options.user;
  if (c.ctx.osUser !== 'root') return c.ctx.osUser;
  const owner = userNameOf(statSync(c.dir).uid);
  if (owner && owner !== 'root') {
    c.output.say(`The unit runs as ${owner}, who owns ${c.dir} (you are root; --user changes it).`);
    return owner;
  }
  throw new CliError(
    `the unit would run as root, who owns ${c.dir}: pass --user <name> (e.g. sudo useradd --system --home-dir ${c.dir} --shell /usr/sbin/nologin strangerchat && sudo chown -R strangerchat: ${dataDirOf(c.config)}, then --user strangerchat), or --user root if you mean it`,
    ExitCode.Usage,
  );
}

export function renderTarget(c: RenderInput, target: DeployTarget): RenderedFile[] {
  const { config, dir } = c;
  const name = config.settings.name;
  switch (target) {
    case 'systemd': {
      const user = serviceUser(c);
      if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(user)) throw new CliError(`--user: "${user}" is not a user name (e.g. strangerchat)`, ExitCode.Usage);
      if (user === 'root') c.output.warn('the unit runs as root: a dedicated user (--user strangerchat) limits what a compromise can reach');
      const installed = instanceBin(dir);
      const bin = installed ?? join(dir, 'node_modules', 'strangerchat', 'bin', 'strangerchat.js');
      if (!installed) c.output.warn(`${bin} does not exist yet: run npm install in ${dir} (the unit runs the strangerchat pinned in its package.json)`);
      const unitName = `strangerchat-${slug(basename(dir))}`;
      const content = render(template('strangerchat.service'), {
        name,
        unitName,
        dir,
        dataDir: dataDirOf(config),
        user,
        group: user,
        node: process.execPath,
        bin,
      });
      return [{ name: `${unitName}.service`, content, mode: 0o644 }];
    }
    case 'caddy': {
      warnTrustedProxies(c);
      const values = { name, domain: domainOf(c), upstream: upstreamOf(config), trustedProxies: TRUSTED_LOOPBACK };
      return [{ name: 'Caddyfile', content: render(template('Caddyfile'), values), mode: 0o644 }];
    }
    case 'nginx': {
      warnTrustedProxies(c);
      const domain = domainOf(c);
      const values = {
        name,
        domain,
        upstream: upstreamOf(config),
        trustedProxies: TRUSTED_LOOPBACK,
        certFile: c.options.cert ?? `/etc/letsencrypt/live/${domain}/fullchain.pem`,
        keyFile: c.options.key ?? `/etc/letsencrypt/live/${domain}/privkey.pem`,
      };
      return [{ name: 'nginx.conf', content: render(template('nginx.conf'), values), mode: 0o644 }];
    }
    case 'coturn': {
      const conf = coturnConf(c, false);
      const host = turnHost(c);
      if (host === hostOf(config.settings.publicUrl)) {
        c.output.warn(`${host} is also the web server's host: coturn's TLS port 443 clashes with HTTPS there; use tls-listening-port=5349 (see the comment in the file) and turns:${host}:5349 in turn.urls`);
      }
      c.output.say('turnserver.conf holds the TURN shared secret: keep it private (mode 0600, readable by the turnserver user).');
      return [{ name: 'turnserver.conf', content: conf, mode: 0o600 }];
    }
    case 'docker': {
      const domain = domainOf(c);
      const host = c.options.turnHost ?? turnHostOf(config.settings.turn.urls[0]) ?? domain;
      const withHost: RenderInput = { ...c, options: { ...c.options, turnHost: host } };
      const values = { name, dir, domain, turnHost: host, project: `strangerchat-${slug(basename(dir))}`, version: packageVersion() };
      const nodeCount = c.options.nodes;
      const nodeNames = nodeCount ? Array.from({ length: nodeCount }, (_, i) => `strangerchat-${i + 1}`) : ['strangerchat'];
      const compose = nodeCount
        ? render(template('docker-compose.cluster.yml'), {
            ...values,
            nodeCount: String(nodeCount),
            nodeServices: nodeNames
              .map((node) => `  ${node}:\n    <<: *node\n    environment:\n      <<: *node-environment\n      STRANGERCHAT_NODE_ID: ${node}\n    volumes:\n      - ../strangerchat.json:/instance/strangerchat.json:ro\n      - ../rules.md:/instance/rules.md:ro\n      - ${node}-data:/instance/data\n`)
              .join('\n'),
            nodeList: nodeNames.map((node) => `      - ${node}`).join('\n'),
            nodeVolumes: nodeNames.map((node) => `  ${node}-data:`).join('\n'),
          })
        : render(template('docker-compose.yml'), values);
      // Caddy spreads requests over every node; a conversation may span two, so no stickiness is needed.
      const caddy = render(template('Caddyfile'), { name, domain, upstream: nodeNames.map((node) => `${node}:8080`).join(' '), trustedProxies: '["172.16.0.0/12"]' });
      return [
        { name: 'Dockerfile', content: render(template('Dockerfile'), values), mode: 0o644 },
        { name: 'docker-compose.yml', content: compose, mode: 0o644 },
        { name: 'Caddyfile.docker', content: caddy, mode: 0o644 },
        { name: 'turnserver.conf', content: coturnConf(withHost, true), mode: 0o644 },
      ];
    }
  }
}

export async function deploy(ctx: Context, options: DeployOptions, target: string): Promise<void> {
  if (!(DEPLOY_TARGETS as readonly string[]).includes(target)) {
    throw new CliError(`unknown deploy target "${target}": choose ${DEPLOY_TARGETS.join(', ')}`, ExitCode.Usage);
  }
  if (options.force && !options.write) throw new CliError('--force only makes sense with --write', ExitCode.Usage);
  if (options.nodes !== undefined && target !== 'docker') throw new CliError('--nodes only makes sense with deploy docker', ExitCode.Usage);
  const output = new Output(ctx, options);
  const { dir, config } = instanceConfig(ctx, options);
  const files = renderTarget({ ctx, dir, config, options, output }, target as DeployTarget);
  const deployDir = join(dir, 'deploy');
  if (options.write) {
    const existing = files.filter((file) => existsSync(join(deployDir, file.name)));
    if (existing.length && !options.force) {
      throw new CliError(`${existing.map((file) => join(deployDir, file.name)).join(', ')} already exist(s); pass --force to overwrite`);
    }
    mkdirSync(deployDir, { recursive: true });
    for (const file of files) {
      const path = join(deployDir, file.name);
      writeFileSync(path, file.content, { mode: file.mode });
      chmodSync(path, file.mode);
    }
  }
  const shape = { target, written: options.write === true, dir: deployDir, files: files.map((file) => ({ name: file.name, path: join(deployDir, file.name), content: file.content })) };
  output.result(shape, () => {
    if (options.write) return files.map((file) => `wrote ${join(deployDir, file.name)}`).join('\n');
    if (files.length === 1) return files[0]!.content;
    return files.map((file) => `# ===== deploy/${file.name} =====\n${file.content}`).join('\n');
  });
}
