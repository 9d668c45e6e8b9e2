// Summarises a V8 CPU profile (from `node bench/run.ts --cpu-prof DIR`, or `node --cpu-prof`):
// where the time went, by function and by package, without opening DevTools.
//
//   node bench/profile.ts <file.cpuprofile> [--top N] [--from S] [--to S]
//
// --from/--to keep only the samples taken between those seconds after the profile began (the
// steady part of a scenario, without start-up and the connection storm).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: Array<{ name: string; ms: number; share: number }>;
  byPackage: Array<{ name: string; ms: number; share: number }>;
}

/** Where a frame's code lives: a package, node's internals, the project, or V8 itself. */
function owner(url: string): string {
  if (!url) return '(v8 / native)';
  if (url.startsWith('node:')) return 'node:internal';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/(dist\/)?(server|cli|migrations|bench)\/(.*)$/.exec(url);
  return own ? `${own[2]}/${own[3]!.split('/')[0]}` : url;
}

export function summarizeProfile(profile: CpuProfile, top = 25, window: { fromMs?: number; toMs?: number } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  const fromUs = (window.fromMs ?? 0) * 1000;
  const toUs = (window.toMs ?? Number.POSITIVE_INFINITY) * 1000;
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) return;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*\/(node_modules|dist|server|cli)\//, '$1/');
    const name = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + micros);
    const pkg = owner(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
  }
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: Math.round(micros / 100) / 10, share: Math.round((micros / total) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), byFunction: rank(functions), byPackage: rank(packages) };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, from: { type: 'string' }, to: { type: 'string' } } });
  if (!positionals[0]) {
    process.stderr.write('usage: node bench/profile.ts <file.cpuprofile> [--top N] [--from S] [--to S]\n');
    process.exit(2);
  }
  const summary = summarizeProfile(JSON.parse(readFileSync(positionals[0], 'utf8')) as CpuProfile, Number(values.top), {
    fromMs: values.from === undefined ? undefined : Number(values.from) * 1000,
    toMs: values.to === undefined ? undefined : Number(values.to) * 1000,
  });
  const print = (title: string, rows: ProfileSummary['byFunction']) => {
    process.stdout.write(`\n${title}\n`);
    for (const row of rows) process.stdout.write(`${String(row.share).padStart(6)} %  ${String(row.ms).padStart(9)} ms  ${row.name}\n`);
  };
  process.stdout.write(`sampled ${summary.totalMs} ms\n`);
  print('self time by package', summary.byPackage);
  print('self time by function', summary.byFunction);
}
