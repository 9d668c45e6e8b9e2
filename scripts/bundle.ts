// Bundles what bin/strangerchat.js runs: the CLI with every command, the server it starts and the
// packages they import, into dist/cli/ (main.js and its chunks), and the migrations into
// dist/migrations/, in place of tsc's output there. `start` then reads a few dozen files instead
// of the 784 modules it loaded from dist/ and node_modules (docs/benchmarks.md, issue 19, round 3).
// dist/server stays as tsc writes it: the package's library export. Run by scripts/build.sh after tsc.
// For the measurements of docs/benchmarks.md: STRANGERCHAT_BUNDLE_PACKAGES=external leaves the
// packages in node_modules, STRANGERCHAT_BUNDLE_MINIFY=0 keeps comments and blank space.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

/** Our modules that read `import.meta.url`, found while bundling (checked after it). */
const locating = new Set<string>();

/**
 * `import.meta.url` in our modules names the module's place in dist/ as tsc lays it out
 * (static.ts finds dist/web from it, migrate.ts dist/migrations, version.ts package.json,
 * restart.ts bin/): in the bundle it becomes that place, seen from dist/cli/, where main.js and
 * every chunk are.
 */
const distLocation: Plugin = {
  name: 'dist-location',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const path = relative(ROOT, args.path);
      if (path.startsWith('..') || path.startsWith('node_modules')) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      locating.add(path.split(sep).join('/'));
      const inDist = `../${path.split(sep).join('/').replace(/\.ts$/, '.js')}`;
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(inDist)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

/**
 * Node's built-in modules through require, not `import`: an ES import of a built-in reads every
 * export it has, and node:http's include the WebSocket and EventSource getters that load undici
 * (fetch) — about 60 ms and 13 MB for a server that never calls it.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      args.kind === 'import-statement' && isBuiltin(args.path) ? { path: args.path.replace(/^(node:)?/, 'node:'), namespace: 'builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * Koa asks `instanceof Response` and `instanceof ReadableStream` of every body that is not a
 * string, buffer or stream — every JSON answer — in response.body's setter and in respond(); the
 * first read of the global `Response` loads undici, Node's fetch (about 13 MB of a server that
 * never fetches), that of `ReadableStream` the web streams. The same tests, asked of the value's
 * tag first, read the globals only for a value that is one (subclasses keep the tag).
 */
const koaWithoutFetch: Plugin = {
  name: 'koa-without-fetch',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]koa[\\/]lib[\\/](response|application)\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      let count = 0;
      const contents = source.replace(/\b(val|body) instanceof (Response|ReadableStream)\b/g, (test, value: string, type: string) => {
        count++;
        return `(Object.prototype.toString.call(${value}) === '[object ${type}]' && ${test})`;
      });
      if (count !== 2) throw new Error(`${args.path}: expected two instanceof Response/ReadableStream tests, found ${count} (a new Koa? see koaWithoutFetch in scripts/bundle.ts)`);
      return { contents, loader: 'js' };
    });
  },
};

const migrations = readdirSync(join(ROOT, 'migrations')).filter((file) => file.endsWith('.ts'));
rmSync(join(DIST, 'cli'), { recursive: true, force: true });
rmSync(join(DIST, 'migrations'), { recursive: true, force: true });

const result = await build({
  absWorkingDir: ROOT,
  // The migrations are entry points too, so that they share the bundle's Kysely instead of loading the package's.
  entryPoints: ['cli/main.ts', ...migrations.map((file) => `migrations/${file}`)],
  outbase: ROOT,
  outdir: DIST,
  // Every chunk beside main.js, so that one rewritten import.meta.url fits them all.
  chunkNames: 'cli/[name]-[hash]',
  bundle: true,
  // A dynamic import() stays lazy: its module and what only it needs become a chunk of their own.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22.16',
  packages: process.env.STRANGERCHAT_BUNDLE_PACKAGES === 'external' ? 'external' : 'bundle',
  // Packages only a cluster, e-mail, a sign-in, a prompt or a backup loads, on demand: bundling
  // them would not speed up a start, and the package would carry them twice (they stay dependencies).
  external: ['@redis/client', 'nodemailer', 'openid-client', '@inquirer/prompts', 'tar'],
  // Comments and blank space go (less source to read and hold: V8 keeps each module's text), names stay, for stack traces.
  minifyWhitespace: process.env.STRANGERCHAT_BUNDLE_MINIFY !== '0',
  minifySyntax: process.env.STRANGERCHAT_BUNDLE_MINIFY !== '0',
  sourcemap: 'linked',
  // Positions only: the sources themselves are in the repository (and the packages in node_modules).
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  // The CommonJS packages inside ES modules: their require() of Node's modules and of files found at run time.
  banner: { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  plugins: [distLocation, builtinsByRequire, koaWithoutFetch],
});

// A module that locates files must have landed in dist/cli/ (a migration's file is one level
// elsewhere, where the rewritten path would be wrong): fail the build rather than the start.
for (const [output, { inputs }] of Object.entries(result.metafile.outputs)) {
  const misplaced = Object.keys(inputs).filter((input) => locating.has(input));
  if (misplaced.length && dirname(output) !== 'dist/cli') throw new Error(`${misplaced.join(', ')} bundled into ${output}, outside dist/cli/: its file paths would be wrong`);
}

// V8 holds a module's source for as long as it runs, two bytes a character if one is not ASCII.
// esbuild escapes strings, but not String.raw templates or regular expression literals: write
// those characters as \u escapes (server/moderation/handles.ts does).
for (const output of Object.keys(result.metafile.outputs).filter((path) => path.endsWith('.js'))) {
  const index = readFileSync(join(ROOT, output), 'latin1').search(/[^\x00-\x7f]/);
  if (index >= 0) console.warn(`${output}: a character that is not ASCII at offset ${index}: the whole file is held as two bytes a character`);
}
