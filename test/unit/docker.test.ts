// No Docker engine runs in CI, so the container files are kept correct by reading them: the root
// Dockerfile (multi-stage, official Node 24 slim, non-root, a volume, a healthcheck that really
// works against the server) with its .dockerignore, and the docker-compose.yml that
// `strangerchat deploy docker` renders (Caddy and coturn beside strangerchat, secrets required).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { writeInstance } from '../../cli/instance.ts';
import { runCli } from '../helpers/cli.ts';
import { newServer, tempDir } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '../..');
const NODE_IMAGE = 'node:24-bookworm-slim';

interface Instruction {
  keyword: string;
  args: string;
}

/** A Dockerfile as instructions per stage: continuation lines joined, comments left out. */
function parseDockerfile(text: string): Instruction[][] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    // Docker drops comment lines, also between the lines of a continued instruction.
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${current}${line}`.trim());
    current = '';
  }
  if (current.trim()) logical.push(current.trim());
  const stages: Instruction[][] = [];
  for (const line of logical.filter(Boolean)) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') stages.push([]);
    const stage = stages.at(-1);
    if (!stage) throw new Error(`"${line}" comes before the first FROM`);
    stage.push(instruction);
  }
  return stages;
}

const all = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).map((i) => i.args);
const one = (stage: Instruction[], keyword: string) => {
  const found = all(stage, keyword);
  assert.is(found.length, 1, `exactly one ${keyword}`);
  return found[0]!;
};
/** CMD ["a", "b"] (exec form) as an array. */
const execForm = (args: string) => JSON.parse(args) as string[];

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const build = stages[0]!;
const runtime = stages.at(-1)!;

test('the parser joins continued lines, skips comments and splits stages', () => {
  const parsed = parseDockerfile('# hi\nFROM a AS b\nRUN x \\\n  # note\n  && y\nFROM c\nUSER 1000\n');
  assert.equal(parsed, [
    [
      { keyword: 'FROM', args: 'a AS b' },
      { keyword: 'RUN', args: 'x && y' },
    ],
    [
      { keyword: 'FROM', args: 'c' },
      { keyword: 'USER', args: '1000' },
    ],
  ]);
  assert.throws(() => parseDockerfile('RUN x\nFROM a'), /before the first FROM/);
});

test('Dockerfile: multi-stage on the official Node 24 slim image', () => {
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  for (const stage of stages) assert.match(stage[0]!.args, new RegExp(`^${NODE_IMAGE.replaceAll('.', '\\.')}( AS \\w+)?$`, 'i'));
  const runs = all(build, 'RUN').join('\n');
  assert.match(runs, /\bnpm ci\b/, 'installs exactly the lockfile');
  assert.match(runs, /\bnpm run build\b/, 'builds with the package script');
  assert.match(runs, /\bnpm prune --omit=dev\b/, 'keeps production dependencies only');
  assert.ok(all(build, 'COPY').some((args) => /package-lock\.json/.test(args)), 'the lockfile is copied before npm ci');
});

test('Dockerfile: the runtime stage holds only what the package ships, from the build stage', () => {
  const copies = all(runtime, 'COPY');
  assert.ok(copies.length > 0);
  for (const copy of copies) assert.match(copy, /^--from=\w+ /, `"COPY ${copy}" comes from the build stage, not the build context`);
  const copied = copies.join(' ');
  for (const path of ['/bin', '/dist', '/templates', '/node_modules', 'package.json']) assert.ok(copied.includes(path), `copies ${path}`);
  for (const path of ['/test', '/src ', '/server', '/cli ', '/web', '.env']) assert.not.ok(copied.includes(path), `does not copy ${path}`);
  assert.is(all(runtime, 'RUN').some((args) => /npm (ci|install)/.test(args)), false, 'nothing is installed at run time');
});

test('Dockerfile: a non-root user, the /data volume, port 8080, STRANGERCHAT_DIR and start on every interface', () => {
  const user = one(runtime, 'USER');
  assert.not.match(user, /^(root|0)(:|$)/, 'not root');
  const keywords = runtime.map((i) => i.keyword);
  assert.ok(keywords.indexOf('USER') < keywords.indexOf('CMD'), 'USER comes before the command');
  assert.match(one(runtime, 'VOLUME'), /^(\/data|\["\/data"\])$/);
  assert.match(one(runtime, 'EXPOSE'), /^8080(\/tcp)?$/);
  assert.match(all(runtime, 'ENV').join(' '), /\bSTRANGERCHAT_DIR=\/data\b/);
  assert.ok(all(runtime, 'RUN').some((args) => /chown [^ ]*node[^ ]* \/data/.test(args)), 'the volume belongs to the unprivileged user');
  const entrypoint = all(runtime, 'ENTRYPOINT').flatMap(execForm);
  const command = [...entrypoint, ...execForm(one(runtime, 'CMD'))];
  assert.ok(command.some((part) => /(^|\/)(strangerchat|bin\/strangerchat\.js)$/.test(part)), 'runs the strangerchat command');
  assert.ok(command.includes('start'), 'starts the server');
  assert.equal(command.slice(command.indexOf('--host'), command.indexOf('--host') + 2), ['--host', '0.0.0.0'], 'reachable from outside the container');
});

/** The HEALTHCHECK's `node -e` script. */
function healthScript(): string {
  const args = one(runtime, 'HEALTHCHECK');
  const command = execForm(args.slice(args.indexOf('CMD ') + 4));
  assert.equal(command.slice(0, 2), ['node', '-e'], 'the slim image has no curl: Node itself checks');
  return command[2]!;
}

function runHealth(port: number): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', healthScript()], { env: { ...process.env, STRANGERCHAT_PORT: String(port) }, timeout: 20_000 }, (error) =>
      resolve(error ? (typeof error.code === 'number' ? error.code : 1) : 0),
    );
  });
}

test('Dockerfile: the HEALTHCHECK passes against the real server and fails when /healthz does not answer 200', async () => {
  assert.match(one(runtime, 'HEALTHCHECK'), /\/healthz/);
  const server = await newServer();
  try {
    assert.is(await runHealth(server.port), 0, 'healthy');
  } finally {
    await server.stop();
  }
  // Nothing listening there any more.
  assert.is(await runHealth(server.port), 1, 'nothing listening');
  // A database that does not answer makes /healthz answer 503.
  const sick = createHttpServer((_req, res) => res.writeHead(503).end('{"status":"error"}'));
  await new Promise<void>((resolve) => sick.listen(0, '127.0.0.1', resolve));
  try {
    assert.is(await runHealth((sick.address() as { port: number }).port), 1, '503 is unhealthy');
  } finally {
    sick.close();
  }
});

test('.dockerignore: an allowlist holding every source the build needs, and never secrets or node_modules', () => {
  const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  assert.is(lines[0], '*', 'everything is left out unless listed');
  const allowed = new Set(lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, '')));
  const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { include: string[] };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  const shippedSources = pkg.files.map((path) => path.replace(/\/$/, '')).filter((path) => !path.startsWith('dist'));
  const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'web', 'README.md', 'LICENSE', ...buildConfig.include, ...shippedSources];
  for (const path of needed) assert.ok(allowed.has(path), `${path} is in the build context`);
  for (const path of ['test', 'bench', 'docs', '.dev-instance', '.git', 'node_modules', 'dist']) assert.not.ok(allowed.has(path), `${path} stays out`);
  for (const pattern of ['**/node_modules', '**/.env']) assert.ok(lines.includes(pattern), `${pattern} is excluded inside allowed folders`);
});

// ---- docker-compose.yml, as `strangerchat deploy docker` renders it ----------------------------

type Yaml = string | Yaml[] | { [key: string]: Yaml };

/**
 * The block-style YAML subset compose files use (mappings, sequences of scalars, quoted or plain
 * scalars, comments). Anything else throws, so the test fails instead of misreading the file.
 */
function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .map((raw) => ({ indent: raw.length - raw.trimStart().length, text: stripComment(raw).trimEnd().trimStart() }))
    .filter((line) => line.text !== '');
  let at = 0;
  const scalar = (value: string): string => {
    if (/^".*"$/.test(value)) return JSON.parse(value) as string;
    if (/^'.*'$/.test(value)) return value.slice(1, -1).replaceAll("''", "'");
    if (/^[[{&*!|>]/.test(value)) throw new Error(`unsupported YAML value: ${value}`);
    return value;
  };
  const block = (indent: number): Yaml => {
    const first = lines[at]!;
    if (first.text.startsWith('- ') || first.text === '-') {
      const items: Yaml[] = [];
      while (at < lines.length && lines[at]!.indent === indent && lines[at]!.text.startsWith('-')) {
        const item = lines[at]!.text.slice(1).trim();
        if (!item || /^[\w.-]+:(\s|$)/.test(item)) throw new Error(`unsupported YAML: a mapping inside a sequence at "${lines[at]!.text}"`);
        items.push(scalar(item));
        at++;
      }
      return items;
    }
    const map: Record<string, Yaml> = {};
    while (at < lines.length && lines[at]!.indent === indent) {
      const match = /^("[^"]*"|[^:\s][^:]*?):(?:\s+(.*))?$/.exec(lines[at]!.text);
      if (!match) throw new Error(`unsupported YAML line: "${lines[at]!.text}"`);
      const key = scalar(match[1]!);
      if (key in map) throw new Error(`duplicate key ${key}`);
      at++;
      if (match[2] !== undefined) map[key] = scalar(match[2]);
      else if (at < lines.length && lines[at]!.indent > indent) map[key] = block(lines[at]!.indent);
      else if (at < lines.length && lines[at]!.indent === indent && lines[at]!.text.startsWith('- ')) map[key] = block(indent);
      else map[key] = '';
    }
    if (at < lines.length && lines[at]!.indent > indent) throw new Error(`unexpected indentation at "${lines[at]!.text}"`);
    return map;
  };
  const root = block(0);
  if (at !== lines.length) throw new Error(`could not read past "${lines[at]!.text}"`);
  return root;
}

/** Cuts a comment: `#` at the start or after a space, outside quotes. */
function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

const map = (value: Yaml | undefined, what: string): Record<string, Yaml> => {
  assert.ok(value && typeof value === 'object' && !Array.isArray(value), `${what} is a mapping`);
  return value as Record<string, Yaml>;
};
const list = (value: Yaml | undefined, what: string): string[] => {
  assert.ok(Array.isArray(value), `${what} is a list`);
  return value as string[];
};

test('the YAML reader reads mappings, lists and quotes, and refuses what it does not know', () => {
  assert.equal(parseYaml('a:\n  b: "x # y" # note\n  c:\n    - "1"\n    - two\nd:\n- e\n'), { a: { b: 'x # y', c: ['1', 'two'] }, d: ['e'] });
  assert.throws(() => parseYaml('a: {b: 1}'), /unsupported/);
  assert.throws(() => parseYaml('a:\n  - b: 1'), /mapping inside a sequence/);
});

let here = '';

async function renderedCompose(): Promise<{ compose: string; dockerfile: string }> {
  here = tempDir('strangerchat-docker-');
  const dir = join(here, 'chat');
  writeInstance(
    dir,
    { name: 'Test chat', profile: 'school', accessMode: 'invite', port: 8080, publicUrl: 'https://chat.example.org', turnUrls: ['turn:turn.example.org:3478'] },
    { turnSecret: 'turn-secret-that-must-never-appear-in-files' },
  );
  const result = await runCli(['deploy', 'docker', '--json', '-C', dir], { cwd: here });
  assert.is(result.code, 0, result.stderr);
  const files = Object.fromEntries((result.json().files as Array<{ name: string; content: string }>).map((file) => [file.name, file.content]));
  return { compose: files['docker-compose.yml']!, dockerfile: files.Dockerfile! };
}

test('docker-compose.yml: strangerchat behind Caddy (80, 443) with coturn; every variable required with ${VAR:?…}', async () => {
  try {
    const { compose, dockerfile: deployDockerfile } = await renderedCompose();
    assert.not.ok(compose.includes('turn-secret-that-must-never-appear-in-files'), 'no secret value in the file');
    const doc = map(parseYaml(compose), 'the file');
    const services = map(doc.services, 'services');
    assert.equal(Object.keys(services).sort(), ['caddy', 'coturn', 'strangerchat']);

    // Every interpolation is required: compose refuses to start without it, and nothing defaults.
    const references = [...compose.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]!);
    assert.ok(references.length > 0);
    for (const reference of references) assert.match(reference, /^[A-Z_][A-Z0-9_]*:\?.+$/, `\${${reference}} is required with a message, never defaulted`);
    assert.not.match(compose, /\$[A-Z_]/, 'no bare $VAR (it could be empty)');
    const required = new Set(references.map((reference) => reference.split(':?')[0]));
    for (const secret of ['STRANGERCHAT_SESSION_SECRET', 'STRANGERCHAT_TURN_SECRET']) assert.ok(required.has(secret), `${secret} is required`);

    const app = map(services.strangerchat, 'strangerchat');
    const environment = map(app.environment, 'strangerchat.environment');
    for (const [name, value] of Object.entries(environment)) {
      if (/SECRET|PASSWORD|TOKEN/.test(name)) assert.match(value as string, new RegExp(`^\\$\\{${name}:\\?`), `${name} comes from the environment, required`);
    }
    assert.is(app.ports, undefined, 'strangerchat is not published: only Caddy faces the network');
    assert.ok(list(app.expose, 'strangerchat.expose').includes('8080'));
    assert.ok(list(app.volumes, 'strangerchat.volumes').some((volume) => /^\.\.\/data:\/instance\/data$/.test(volume)), 'the data folder is mounted writable');
    assert.is(app.read_only, 'true');
    assert.ok(list(app.cap_drop, 'cap_drop').includes('ALL'));
    assert.ok(list(app.security_opt, 'security_opt').includes('no-new-privileges:true'));

    const caddyPorts = list(map(services.caddy, 'caddy').ports, 'caddy.ports');
    for (const port of ['80:80', '443:443']) assert.ok(caddyPorts.includes(port), `Caddy publishes ${port}`);
    const coturn = map(services.coturn, 'coturn');
    assert.is(coturn.network_mode, 'host', 'coturn reaches its relay port range directly');
    assert.ok(list(coturn.command, 'coturn.command').some((arg) => arg.startsWith('--static-auth-secret=${STRANGERCHAT_TURN_SECRET:?')));

    // The image compose builds: non-root, with a healthcheck on /healthz, serving 8080.
    const image = parseDockerfile(deployDockerfile).at(-1)!;
    assert.not.match(one(image, 'USER'), /^(root|0)(:|$)/);
    assert.match(one(image, 'HEALTHCHECK'), /\/healthz/);
    assert.match(one(image, 'EXPOSE'), /^8080\b/);
    assert.match(image[0]!.args, /^node:24-/);
  } finally {
    rmSync(here, { recursive: true, force: true });
  }
});

test.run();
