// What compressing the site's text answers costs and saves: for the largest answers (the chat and
// dashboard pages filled in, their scripts and styles, /api/config), the bytes and the time per
// answer of gzip and brotli at several levels. Each time is the best of a few repetitions (a
// shared machine disturbs the others). Build the site first. Usage: node bench/compression.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { makeConfig } from '../server/config.ts';
import { publicConfig } from '../server/http/public-config.ts';
import { pageValues } from '../server/http/static.ts';
import { SITE_DIR } from '../scripts/measure-web.ts';

const REPETITIONS = 7;
const RULES = readFileSync(join(import.meta.dirname, '..', 'templates', 'instance', 'rules', 'community.md'), 'utf8');
const config = makeConfig({ settings: { name: 'Maple Chat' }, rules: RULES });
const values = pageValues(config, 'en');
const fill = (file: string) => readFileSync(join(SITE_DIR, file), 'utf8').replace(/%%SC:(\w+)%%/g, (token, k: string) => values[k] ?? token);
const assets = (page: string) => [...fill(page).matchAll(/(?:src|href)="(\/_astro\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);

const answers: Array<[string, Buffer]> = [
  ['/chat (HTML)', Buffer.from(fill('en/chat.html'))],
  ['/mod (HTML)', Buffer.from(fill('en/mod.html'))],
  ...[...new Set([...assets('en/chat.html'), ...assets('en/mod.html')])].map((url): [string, Buffer] => [`${url.split('/').pop()!.split('.')[0]}.${url.split('.').pop()}`, readFileSync(join(SITE_DIR, url))]),
  ['/api/config', Buffer.from(JSON.stringify(publicConfig(config)))],
].filter(([, body]) => body.length >= 1024) as Array<[string, Buffer]>;

const methods: Array<[string, (body: Buffer) => Buffer]> = [
  ['gzip 6', (body) => gzipSync(body, { level: 6 })],
  ['gzip 9', (body) => gzipSync(body, { level: 9 })],
  ['brotli 4', (body) => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })],
  ['brotli 5', (body) => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } })],
  ['brotli 11', (body) => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })],
];

function best(fn: () => void, runs: number): number {
  let fastest = Infinity;
  for (let r = 0; r < REPETITIONS; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / runs / 1e6);
  }
  return fastest;
}

console.log(`answer${' '.repeat(22)}raw      ${methods.map(([name]) => name.padEnd(18)).join('')}`);
const totals = methods.map(() => ({ bytes: 0, ms: 0 }));
let raw = 0;
for (const [name, body] of answers) {
  raw += body.length;
  const cells = methods.map(([, compress], i) => {
    const size = compress(body).length;
    const ms = best(() => compress(body), 20);
    totals[i]!.bytes += size;
    totals[i]!.ms += ms;
    return `${(size / 1024).toFixed(1)} KB ${ms.toFixed(2)} ms`.padEnd(18);
  });
  console.log(`${name.padEnd(28)}${(body.length / 1024).toFixed(1).padStart(5)} KB  ${cells.join('')}`);
}
console.log(`${'all of them'.padEnd(28)}${(raw / 1024).toFixed(1).padStart(5)} KB  ${totals.map((t) => `${(t.bytes / 1024).toFixed(1)} KB ${t.ms.toFixed(2)} ms`.padEnd(18)).join('')}`);
