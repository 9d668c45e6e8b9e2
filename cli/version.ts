import { readFileSync } from 'node:fs';

/** The package's version, read from package.json (two levels up in the sources and in dist/). */
export function packageVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'strangerchat' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** templates/ of the package (beside cli/ in the sources, beside dist/ when installed). */
export function templatesDir(): URL {
  const here = new URL('.', import.meta.url);
  return here.pathname.includes('/dist/') ? new URL('../../templates/', here) : new URL('../templates/', here);
}
