// Prints the JavaScript each page of the built site (dist/web) loads, gzipped: the page's module
// scripts and every chunk they import, each counted once. The chat page's budget is 25 KB and
// static pages (rules, privacy) load none. Then what a first visit to each page transfers — its
// HTML, stylesheets and scripts — as the server sends them (brotli, quality 5) and uncompressed.
// Usage: node scripts/measure-web.ts [--check]   (--check exits 1 when a budget is exceeded)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = join(import.meta.dirname, '..');
export const SITE_DIR = join(ROOT, 'dist', 'web');
/** Gzipped bytes of JavaScript allowed per page (absent: no limit). */
export const BUDGETS: Record<string, number> = { chat: 25 * 1024, rules: 0, privacy: 0 };

export interface PageWeight {
  page: string;
  /** The JavaScript files the page loads. */
  files: string[];
  /** Its JavaScript, raw and gzipped. */
  rawBytes: number;
  gzipBytes: number;
  /** Everything a first visit loads from the site (HTML, CSS, JS), raw and as served (brotli 5). */
  transferRawBytes: number;
  transferBrotliBytes: number;
}

/** As server/app.ts compresses text answers. */
const brotli = (bytes: Buffer) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }).length;

/** `/_astro/x.js` → its own bytes plus, recursively, the chunks it imports statically. */
function collect(siteDir: string, url: string, seen: Set<string>): void {
  if (seen.has(url)) return;
  seen.add(url);
  const code = readFileSync(join(siteDir, url), 'utf8');
  for (const match of code.matchAll(/(?:import|from)\s*["']([^"']+\.js)["']/g)) {
    collect(siteDir, posix.join(posix.dirname(url), match[1]!), seen);
  }
}

/** The JavaScript weight of each page of one language of the built site. */
export function measurePages(siteDir = SITE_DIR, lang = 'en'): PageWeight[] {
  const dir = join(siteDir, lang);
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: build the site first (scripts/build.sh)`);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.html'))
    .sort()
    .map((file) => {
      const html = readFileSync(join(dir, file), 'utf8');
      const seen = new Set<string>();
      for (const match of html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) collect(siteDir, match[1]!, seen);
      const files = [...seen];
      const bytes = files.map((url) => readFileSync(join(siteDir, url)));
      const styles = [...html.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*href="(\/_astro\/[^"]+)"/g)].map((m) => readFileSync(join(siteDir, m[1]!)));
      // Each file is its own response, so each is compressed on its own (below 1 KB, not at all).
      const served = [Buffer.from(html), ...styles, ...bytes];
      return {
        page: file.replace(/\.html$/, ''),
        files,
        rawBytes: bytes.reduce((n, b) => n + b.length, 0),
        gzipBytes: bytes.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0),
        transferRawBytes: served.reduce((n, b) => n + b.length, 0),
        transferBrotliBytes: served.reduce((n, b) => n + (b.length < 1024 ? b.length : brotli(b)), 0),
      };
    });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pages = measurePages();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  let over = false;
  console.log('page      JS (gzip)  JS (raw)   files');
  for (const { page, files, rawBytes, gzipBytes } of pages) {
    const budget = BUDGETS[page];
    const exceeded = budget !== undefined && gzipBytes > budget;
    over ||= exceeded;
    const note = budget === undefined ? '' : exceeded ? `  OVER the ${kb(budget)} budget` : `  (budget ${kb(budget)})`;
    console.log(`${page.padEnd(9)} ${kb(gzipBytes).padStart(9)}  ${kb(rawBytes).padStart(9)}  ${files.length}${note}`);
  }
  console.log('\npage      first visit (brotli)  (uncompressed)');
  for (const { page, transferRawBytes, transferBrotliBytes } of pages) {
    console.log(`${page.padEnd(9)} ${kb(transferBrotliBytes).padStart(20)}  ${kb(transferRawBytes).padStart(14)}`);
  }
  if (process.argv.includes('--check') && over) process.exitCode = 1;
}
