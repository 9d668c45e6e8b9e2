// The load harness (issue 7): drives a real `strangerchat start` with real `ws` clients, prints
// the figures next to the targets and writes them to bench/results/<timestamp>.json.
//
//   node bench/run.ts [scenario…] [--clients N] [--quick] [options]
//
// Scenarios: idle pairing relay churn http startup (default: all). See docs/benchmarks.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from './lib/bench.ts';
import { PRESETS, SCENARIOS, type Preset, type ScenarioName } from './lib/presets.ts';
import { renderResults } from './lib/render.ts';
import { build, ROOT } from './lib/server.ts';
import { REFERENCE_PEERS, type ReferencePeer } from './scenarios/side-by-side.ts';

/**
 * The generator's own V8 heap. It holds as many sockets as the server and timestamps every frame:
 * each of its collection pauses delays the frames it receives meanwhile, which the figures would
 * charge to the server (a 19 ms generator pause gave a 27 ms relay p99 with the server's event
 * loop at 4 ms). A larger young generation and old-generation headroom make its pauses rare; the
 * server runs with its own, shipped settings (bin/strangerchat.js).
 */
const GENERATOR_V8_FLAGS = ['--max-semi-space-size=32', '--heap-growing-percent=100'];
const missingFlags = GENERATOR_V8_FLAGS.filter((flag) => !process.execArgv.some((given) => given.startsWith(flag.slice(0, flag.indexOf('=')))));
if (missingFlags.length > 0 && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...missingFlags, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}

const USAGE = `usage: node bench/run.ts [${SCENARIOS.join('|')} …] [options]

  --clients N        connected clients (default 10000; --quick 2000)
  --quick            shorter steps and fewer clients: a check in a few minutes, not a record
  --preset NAME      full (default), quick (= --quick) or smoke (the CI size: seconds)
  --addresses N      loopback source addresses to spread clients over (127.0.0.2 …)
  --label TEXT       written into the results (e.g. "preliminary, noisy machine")
  --out DIR          where the JSON goes (default bench/results)
  --no-build         use dist/ as it is instead of running scripts/build.sh first
  --cpu-prof DIR     write a V8 CPU profile of the server into DIR (open it in Chrome DevTools)
  --keep             keep the server's instance folder
  --package DIR      run another built tree (bin/, dist/, templates/) instead of this one's dist/:
                     an A/B run against an older build (implies --no-build)
  --minors SHARE     the share of people who are 15, 0 to 1 (default 0.7): a minor's messages are
                     screened for contact details, alone and with their last ones; 0 measures without
  --peer NAME        run against a reference server of bench/peers/ instead (${REFERENCE_PEERS.join(', ')}):
                     the floor of idle memory and of the relay on this machine (start-up and http not meaningful)
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: 'string' },
    quick: { type: 'boolean', default: false },
    preset: { type: 'string' },
    addresses: { type: 'string' },
    label: { type: 'string' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    keep: { type: 'boolean', default: false },
    package: { type: 'string' },
    peer: { type: 'string' },
    minors: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const unknown = positionals.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknown.length) {
  process.stderr.write(`unknown scenario: ${unknown.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}
if (values.peer !== undefined && !(REFERENCE_PEERS as readonly string[]).includes(values.peer)) {
  process.stderr.write(`--peer must be one of ${REFERENCE_PEERS.join(', ')}, got "${values.peer}"\n`);
  process.exit(2);
}
const integer = (flag: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${flag} must be a positive integer, got "${text}"\n`);
    process.exit(2);
  }
  return value;
};

const minorsShare = values.minors === undefined ? undefined : Number(values.minors);
if (minorsShare !== undefined && !(minorsShare >= 0 && minorsShare <= 1)) {
  process.stderr.write(`--minors must be a share from 0 to 1, got "${values.minors}"\n`);
  process.exit(2);
}

const presetName = values.preset ?? (values.quick ? 'quick' : 'full');
if (!Object.hasOwn(PRESETS, presetName)) {
  process.stderr.write(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${presetName}"\n`);
  process.exit(2);
}
const base = PRESETS[presetName as Preset['name']];
const preset: Preset = {
  ...base,
  clients: integer('clients', values.clients, base.clients),
  addresses: integer('addresses', values.addresses, base.addresses),
};
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

if (!values['no-build'] && !values.package) {
  log('building (scripts/build.sh)');
  build();
}
const results = await runBench({
  preset,
  label: values.label ?? (values.peer ? `reference peer ${values.peer}` : undefined),
  scenarios: positionals as ScenarioName[],
  keep: values.keep,
  cpuProfDir: values['cpu-prof'],
  packageDir: values.package,
  peer: values.peer as ReferencePeer | undefined,
  minorsShare,
  log,
});
const outDir = values.out ?? join(ROOT, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\n${renderResults(results)}\n`);
log(`results written to ${file}`);

const errorCounts = Object.values(results.scenarios).map((s) => (s && 'errorCount' in s ? s.errorCount : 0));
const failed = results.failures.length > 0 || errorCounts.some((n) => n > 0) || (results.final?.onlineAfterClose ?? 0) !== 0;
process.exitCode = failed ? 1 : 0;
