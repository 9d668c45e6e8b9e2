// A tiny npm registry on 127.0.0.1, for testing `strangerchat update` offline with a real
// `npm install`: it serves packuments (the registry's JSON documents) and the tarballs of the
// versions a test publishes (made with `npm pack`), and packuments for every other package from
// the repository's package-lock.json, whose recorded integrity lets npm take those tarballs from
// its own cache. With npm_config_registry pointing here, npm speaks the registry protocol to it as
// it would to registry.npmjs.org.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import semver from 'semver';

export interface PublishedVersion {
  /** The package.json inside the tarball. */
  manifest: { name: string; version: string } & Record<string, unknown>;
  /** Path of the .tgz written by `npm pack`. */
  tarball: string;
}

export interface TestRegistry {
  url: string;
  /** Every request's method and path, in order (what npm asked for). */
  requests: string[];
  close(): Promise<void>;
}

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

/** What a version document carries for npm's resolver, as package-lock.json records it. */
const MANIFEST_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines', 'os', 'cpu', 'libc', 'license', 'hasInstallScript', 'deprecated'];

function tarballName(name: string, version: string): string {
  return `${name.split('/').at(-1)}-${version}.tgz`;
}

export async function startRegistry(options: { lockfile: string; published: PublishedVersion[] }): Promise<TestRegistry> {
  const requests: string[] = [];
  const packuments = new Map<string, { versions: Record<string, Record<string, unknown>> }>();
  const tarballs = new Map<string, string>();
  let base = '';

  const lock = JSON.parse(readFileSync(options.lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
  const add = (name: string, version: string, document: Record<string, unknown>) => {
    const entry = packuments.get(name) ?? { versions: {} };
    entry.versions[version] = document;
    packuments.set(name, entry);
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.dev || entry.link || !entry.version || !entry.integrity) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const document: Record<string, unknown> = { name, version: entry.version };
    for (const field of MANIFEST_FIELDS) if (entry[field] !== undefined) document[field] = entry[field];
    document.dist = { integrity: entry.integrity, tarball: `{base}/${name}/-/${tarballName(name, entry.version)}` };
    add(name, entry.version, document);
  }
  for (const { manifest, tarball } of options.published) {
    const bytes = readFileSync(tarball);
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    const shasum = createHash('sha1').update(bytes).digest('hex');
    const file = tarballName(manifest.name, manifest.version);
    tarballs.set(`/${manifest.name}/-/${file}`, tarball);
    add(manifest.name, manifest.version, { ...manifest, dist: { integrity, shasum, tarball: `{base}/${manifest.name}/-/${file}` } });
  }

  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://registry').pathname);
    requests.push(`${request.method} ${path}`);
    const tarball = tarballs.get(path);
    if (tarball) {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(readFileSync(tarball));
      return;
    }
    const packument = packuments.get(path.slice(1));
    if (request.method === 'GET' && packument) {
      const versions = Object.keys(packument.versions);
      const published = options.published.filter((p) => p.manifest.name === path.slice(1)).map((p) => p.manifest.version);
      const latest = published.at(-1) ?? semver.rsort(versions)[0]!;
      const body = JSON.stringify({ name: path.slice(1), 'dist-tags': { latest }, versions: packument.versions }).replaceAll('{base}', base);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: `${path} is not in this test registry (a tarball of a dependency is expected to come from npm's cache)` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: `${base}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The repository's package-lock.json (what the dependencies' packuments come from). */
export const REPO_LOCKFILE = join(import.meta.dirname, '../../package-lock.json');
