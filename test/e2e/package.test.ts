// The npm package, as `npx strangerchat` gets it: `npm pack` of the built tree ships the compiled
// server and CLI, the prebuilt site, the compiled migrations, the templates, bin, README and
// LICENSE, the nudity classifier's worker, WASM and model — and no tests, no TypeScript sources,
// no secrets — in at most 5 MB. Installed into an empty folder (from the npm cache, no network), it
// has no native addon to compile, and its `init --yes` and `start` give a working instance.
// Needs the build (npm run build); prints the tarball size for docs/benchmarks.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir } from '../helpers/server.ts';

const ROOT = join(import.meta.dirname, '../..');
const MAX_TARBALL_BYTES = 5 * 1024 * 1024;
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackFile {
  path: string;
  size: number;
}
interface PackResult {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackFile[];
}
interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  gypfile?: boolean;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

function exec(file: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Files below `dir` (relative, "/"-separated), not entering nested node_modules. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path, base);
    return [relative(base, path).split('\\').join('/')];
  });
}

const work = tempDir('strangerchat-package-');
let packed: PackResult;
let paths: string[];
let tarball: string;

test.before(async () => {
  const missing = ['dist/cli/main.js', 'dist/server/index.js', 'dist/web'].filter((path) => !existsSync(join(ROOT, path)));
  if (missing.length) throw new Error(`the build is missing (${missing.join(', ')}): run npm run build before this test`);
  // A real pack (the same listing as --dry-run, plus the tarball to install); --ignore-scripts so
  // a future prepack step cannot rebuild dist/ under other tests.
  const result = await exec(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT);
  assert.is(result.code, 0, result.stderr);
  [packed] = JSON.parse(result.stdout) as [PackResult];
  paths = packed.files.map((file) => file.path);
  tarball = join(work, packed.filename);
  console.log(`package: ${packed.filename} is ${packed.size} bytes (${(packed.size / 1024).toFixed(0)} KiB) packed, ${packed.unpackedSize} bytes unpacked, ${packed.entryCount} files`);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test('ships the compiled server and CLI, bin, README, LICENSE and package.json', () => {
  for (const path of ['package.json', 'README.md', 'LICENSE', 'bin/strangerchat.js', 'dist/cli/main.js', 'dist/server/index.js', 'dist/server/app.js', 'dist/server/config.js']) {
    assert.ok(paths.includes(path), `${path} is in the package`);
  }
  // Everything the sources hold, compiled: a service missing from dist/ is a stale build.
  for (const source of walk(join(ROOT, 'server')).filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))) {
    const compiled = `dist/server/${source.replace(/\.ts$/, '.js')}`;
    assert.ok(paths.includes(compiled), `${compiled} is in the package (run npm run build if server/${source} is new)`);
  }
  // The CLI is bundled (scripts/bundle.ts): each command main.ts imports is a chunk of its own, loaded when it runs.
  const commands = [...readFileSync(join(ROOT, 'cli', 'main.ts'), 'utf8').matchAll(/import\('\.\/commands\/([\w-]+)\.ts'\)/g)].map((match) => match[1]!);
  assert.ok(commands.length > 20, 'the commands were found in cli/main.ts');
  for (const command of new Set(commands)) {
    const chunk = new RegExp(`^dist/cli/${command}-[A-Z0-9]+\\.js$`);
    assert.ok(paths.some((path) => chunk.test(path)), `cli/commands/${command}.ts has its chunk in dist/cli/ (run npm run build if it is new)`);
  }
});

test('ships every migration, compiled, and every template', () => {
  const migrations = readdirSync(join(ROOT, 'migrations')).filter((name) => name.endsWith('.ts'));
  assert.ok(migrations.length > 0);
  for (const migration of migrations) assert.ok(paths.includes(`dist/migrations/${migration.replace(/\.ts$/, '.js')}`), `${migration}, compiled`);
  const templates = walk(join(ROOT, 'templates'));
  assert.ok(templates.length > 0);
  for (const template of templates) assert.ok(paths.includes(`templates/${template}`), `templates/${template}`);
});

test('ships the prebuilt site (dist/web) but not its sources', () => {
  const site = paths.filter((path) => path.startsWith('dist/web/'));
  assert.ok(site.some((path) => /^dist\/web\/[a-z-]+\/index\.html$/.test(path)), 'a home page per language');
  assert.ok(site.some((path) => /^dist\/web\/_astro\/.+\.js$/.test(path)), 'the client scripts');
  // The on-device nudity check runs from the instance alone: its worker, WASM and model ship here.
  assert.ok(site.some((path) => /^dist\/web\/_astro\/nudity-worker-[\w-]+\.js$/.test(path)), 'the classifier worker');
  assert.ok(site.some((path) => /^dist\/web\/_astro\/tfjs-backend-wasm-simd-[\w-]+\.wasm$/.test(path)), 'the SIMD WASM build');
  assert.ok(site.some((path) => /^dist\/web\/_astro\/tfjs-backend-wasm-[\w-]{8}\.wasm$/.test(path)), 'the plain WASM build');
  assert.ok(site.some((path) => /^dist\/web\/_astro\/nsfw-mobilenet_v2-[\w-]+\.bin$/.test(path)), 'the MobileNetV2 weights');
  assert.not.ok(paths.some((path) => path.startsWith('web/')), 'no Astro sources');
  assert.not.ok(site.some((path) => /\.(astro|ts|tsx|mts)$/.test(path) && !path.endsWith('.d.ts')), 'no sources inside dist/web');
});

test('ships no tests, no TypeScript sources, no secrets and nothing from development', () => {
  for (const path of paths) {
    assert.not.match(path, /(^|\/)(test|tests|__tests__)\//, `${path}: no tests`);
    assert.not.match(path, /\.test\.[jt]s(\.map)?$/, `${path}: no test files`);
    assert.not.match(path, /(^|\/)\.env(\.|$)/, `${path}: no .env`);
    assert.not.match(path, /^(server|cli|migrations|web|scripts|bench|test|docs|\.cache|\.dev-instance|node_modules)\//, `${path}: not a source or development folder`);
    if (path.startsWith('dist/') && !path.startsWith('dist/web/')) assert.match(path, /\.(js|d\.ts|js\.map|d\.ts\.map)$/, `${path}: only compiled output in dist/`);
    if (!path.startsWith('dist/')) assert.not.match(path, /\.(ts|tsx|mts)$/, `${path}: no TypeScript source`);
  }
});

test(`the tarball is at most ${MAX_TARBALL_BYTES / 1024 / 1024} MB`, () => {
  assert.is(statSync(tarball).size, packed.size);
  assert.ok(packed.size <= MAX_TARBALL_BYTES, `${packed.size} bytes`);
});

test('every package the compiled code imports is a production dependency (or Node built-in, or loaded on demand)', () => {
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
  const production = new Set(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }));
  const imported = new Map<string, string>();
  for (const path of paths.filter((p) => p.startsWith('dist/') && !p.startsWith('dist/web/') && p.endsWith('.js'))) {
    const code = readFileSync(join(ROOT, path), 'utf8');
    // Static imports and re-exports, and import('literal'). Optional modules (pg, @roamhq/wrtc) are
    // imported through a variable on purpose, with a message when absent.
    for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = match[1] ?? match[2] ?? match[3]!;
      if (spec.startsWith('.') || builtins.has(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if (!imported.has(name)) imported.set(name, path);
    }
  }
  assert.ok(imported.size > 5, 'the scan finds the imports');
  for (const [name, path] of imported) assert.ok(production.has(name), `${path} imports ${name}, which is not in dependencies`);
  assert.not.ok(pkg.dependencies?.['@roamhq/wrtc'], '@roamhq/wrtc is a native addon: optional or dev only');
});

// ---- installed into an empty folder ------------------------------------------------------------

const app = join(work, 'app');

test('installs into an empty folder without compiling anything: no native addon among its dependencies', async () => {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
  // --offline: from the npm cache that `npm ci` filled, so the test needs no network.
  const install = await exec(NPM, ['install', '--offline', '--no-audit', '--no-fund', tarball], app, 240_000);
  if (install.code !== 0 && /ENOTCACHED/.test(install.stderr)) {
    throw new Error(`a dependency is not in the npm cache: run npm ci (with network) once, then this test again\n${install.stderr}`);
  }
  assert.is(install.code, 0, install.stderr);

  const listed = await exec(NPM, ['ls', '--omit=dev', '--all', '--json', '--long'], app);
  interface Node {
    version?: string;
    path?: string;
    optional?: boolean;
    dependencies?: Record<string, Node>;
  }
  const tree = JSON.parse(listed.stdout) as Node;
  const seen = new Map<string, Node>();
  const visit = (node: Node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (child.path && !seen.has(child.path)) {
        seen.set(child.path, { ...child, version: `${name}@${child.version}` });
        visit(child);
      }
    }
  };
  visit(tree);
  assert.ok(seen.size > 20, `the production tree was read (${seen.size} packages)`);
  for (const [path, node] of seen) {
    const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as PackageJson;
    if (node.optional && manifest.name.startsWith('@roamhq/wrtc')) continue;
    const what = node.version!;
    assert.not.ok(existsSync(join(path, 'binding.gyp')), `${what} has a binding.gyp`);
    assert.not.ok(manifest.gypfile, `${what} needs node-gyp`);
    for (const script of ['preinstall', 'install', 'postinstall']) assert.not.ok(manifest.scripts?.[script], `${what} runs an ${script} script`);
    assert.not.ok(walk(path).some((file) => file.endsWith('.node')), `${what} ships a native addon (.node)`);
  }
});

test('the installed package runs: init --yes, then start serves /healthz, the site and the API', async () => {
  const bin = join(app, 'node_modules', 'strangerchat', 'bin', 'strangerchat.js');
  assert.ok(existsSync(bin), 'bin/strangerchat.js is installed');
  const init = await exec(process.execPath, [bin, 'init', 'my-chat', '--yes', '--name', 'Packaged chat'], app);
  assert.is(init.code, 0, init.stderr);
  for (const file of ['strangerchat.json', '.env', 'rules.md', 'package.json', 'data/strangerchat.db']) assert.ok(existsSync(join(app, 'my-chat', file)), `init wrote ${file}`);

  const child = spawn(process.execPath, [bin, 'start', '-C', 'my-chat', '--port', '0'], { cwd: app, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`start printed no URL; stderr:\n${stderr}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /^(http:\/\/\S+)$/m.exec(stdout)?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      void exited.then((code) => reject(new Error(`start exited with ${code}; stderr:\n${stderr}`)));
    });
    const health = await fetch(`${url}/healthz`);
    assert.is(health.status, 200);
    assert.equal(await health.json(), { status: 'ok' });
    const config = (await (await fetch(`${url}/api/config`)).json()) as { name: string; version: string };
    assert.is(config.name, 'Packaged chat');
    assert.is(config.version, pkg.version);
    const home = await fetch(`${url}/`);
    assert.is(home.status, 200);
    assert.match(await home.text(), /Packaged chat/, 'the prebuilt site is served with the instance name');
  } finally {
    child.kill('SIGTERM');
  }
  assert.is(await exited, 0, `start exits cleanly on SIGTERM; stderr:\n${stderr}`);
});

test.run();
