// Where this strangerchat was installed from, so that an instance's package.json pins something
// `npm install` can fetch again: the registry's version, the very tarball it came from (a
// `npm pack` file installed by path, as docs/install.md's from-source steps do), or, for a clone
// run directly, the version with advice to pack and install the tarball.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion, templatesDir } from './version.ts';

export interface InstallSource {
  kind: 'registry' | 'file' | 'source';
  /** The dependency an instance's package.json gives strangerchat: a version, or file:<absolute tarball>. */
  spec: string;
  /** For `file`: the tarball; for `source`: the clone. */
  path?: string;
}

/** This package's folder (the one holding package.json, templates/ and dist/ or cli/). */
export function packageRoot(): string {
  return dirname(fileURLToPath(new URL('.', templatesDir())));
}

/**
 * How the package at `root` was installed. Inside a node_modules, npm's hidden lockfile
 * (node_modules/.package-lock.json) says what it was resolved from; anything else is a clone.
 */
export function installSource(root: string = packageRoot(), version: string = packageVersion()): InstallSource {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // a folder that is gone is read as it was given
  }
  const modules = dirname(real);
  if (basename(modules) !== 'node_modules') return { kind: 'source', spec: version, path: real };
  const project = dirname(modules);
  const lockfile = join(modules, '.package-lock.json');
  try {
    const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, { resolved?: string }> };
    const resolved = lock.packages?.[`node_modules/${basename(real)}`]?.resolved;
    if (resolved?.startsWith('file:')) {
      const target = resolved.slice('file:'.length);
      const path = isAbsolute(target) ? target : resolve(project, target);
      // A folder install is a link to a clone, found above; a tarball is installed again from its path.
      if (/\.(tgz|tar\.gz)$/.test(path) && existsSync(path)) return { kind: 'file', spec: `file:${path}`, path };
    }
  } catch {
    // no hidden lockfile (an older npm, another package manager): take it for the registry's
  }
  return { kind: 'registry', spec: version };
}

/** The `npm install` line of init's next steps, true to where this strangerchat came from. */
export function npmInstallStep(source: InstallSource): string {
  switch (source.kind) {
    case 'registry':
      return '  npm install                 # installs the strangerchat version pinned in package.json';
    case 'file':
      return `  npm install                 # installs strangerchat from ${source.path} (as package.json says)`;
    case 'source':
      return `  npm install <tarball>       # this strangerchat runs from a clone (${source.path}): npm pack there, then install the .tgz it makes`;
  }
}
