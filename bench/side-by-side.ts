// The side-by-side run (issue 19): the saturated-pairing loop against strangerchat and three
// reference servers (bench/peers/) in one run, interleaved; prints the table for docs/benchmarks.md
// and writes bench/results/side-by-side-<timestamp>.json. See bench/scenarios/side-by-side.ts.
//
//   node bench/side-by-side.ts [--clients 1000,5000] [--rounds 2] [--seconds 5] [--budget 260] [--strace] [--no-build]
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { machineInfo, stopGeneratorLoop } from './lib/proc.ts';
import { build, ROOT, snapshotPackage } from './lib/server.ts';
import { renderSideBySide, runSideBySide, SIDE_BY_SIDE_SERVERS, type SideBySideServer } from './scenarios/side-by-side.ts';

/** The generator's heap settings, as bench/run.ts gives itself (see the reason there). */
const GENERATOR_V8_FLAGS = ['--max-semi-space-size=32', '--heap-growing-percent=100'];
const missingFlags = GENERATOR_V8_FLAGS.filter((flag) => !process.execArgv.some((given) => given.startsWith(flag.slice(0, flag.indexOf('=')))));
if (missingFlags.length > 0 && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...missingFlags, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}

const startedAtMs = performance.now();

const USAGE = `usage: node bench/side-by-side.ts [options]

  --clients LIST     loop sizes, comma-separated (default 1000,5000)
  --rounds N         rounds of every server in turn, order rotated each round (default 2)
  --seconds N        measured span of each loop (default 5); --warmup N before it (default 1)
  --servers LIST     any of ${SIDE_BY_SIDE_SERVERS.join(',')} (default: all)
  --addresses N      loopback source addresses to spread clients over (default 20)
  --budget SECONDS   no round starts that would end later than this after the start (default 260)
  --strace           one more run per server under strace -c: system calls by name (slow)
  --label TEXT       written into the results
  --out DIR          where the JSON goes (default bench/results)
  --no-build         use dist/ as it is instead of running scripts/build.sh first
`;

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000,5000' },
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    servers: { type: 'string', default: SIDE_BY_SIDE_SERVERS.join(',') },
    addresses: { type: 'string', default: '20' },
    budget: { type: 'string', default: '260' },
    strace: { type: 'boolean', default: false },
    label: { type: 'string' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const fail = (message: string): never => {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
};
const positive = (flag: string, text: string): number => {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) fail(`--${flag} must be a positive number, got "${text}"`);
  return value;
};
const clients = values.clients.split(',').map((text) => Math.round(positive('clients', text)));
const servers = values.servers.split(',') as SideBySideServer[];
const unknown = servers.filter((name) => !(SIDE_BY_SIDE_SERVERS as readonly string[]).includes(name));
if (unknown.length) fail(`unknown server: ${unknown.join(', ')}`);
if (Math.min(...clients) < 4) fail('--clients: the loop needs at least 4 clients');

const log = (line: string) => process.stderr.write(`[side-by-side] ${line}\n`);
if (!values['no-build']) {
  log('building (scripts/build.sh)');
  build();
}
const machine = machineInfo();
const startedAt = new Date().toISOString();
log(`load average ${machine.loadAverage} on ${machine.cpus} cores at the start`);
const snapshot = await snapshotPackage();
let result;
try {
  result = await runSideBySide({
    servers,
    clients,
    rounds: Math.round(positive('rounds', values.rounds)),
    seconds: positive('seconds', values.seconds),
    warmupSeconds: positive('warmup', values.warmup),
    addresses: Math.round(positive('addresses', values.addresses)),
    packageRoot: snapshot.root,
    strace: values.strace,
    deadline: startedAtMs + positive('budget', values.budget) * 1000,
    log,
  });
} finally {
  snapshot.remove();
  stopGeneratorLoop();
}
const outDir = values.out ?? join(ROOT, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `side-by-side-${startedAt.replace(/[:.]/g, '-')}.json`);
const record = { schema: 1, kind: 'side-by-side', ...(values.label ? { label: values.label } : {}), startedAt, finishedAt: new Date().toISOString(), machine, ...result };
writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
process.stdout.write(`\n${renderSideBySide(result)}\n`);
log(`results written to ${file}`);
process.exitCode = result.failures.length > 0 || result.errorCount > 0 ? 1 : 0;
