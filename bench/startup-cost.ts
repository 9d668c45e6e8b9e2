// Start-up cost of `strangerchat start` on an empty migrated instance, as figures that hold on a
// busy machine: CPU time (all threads, user + system, from /proc) from spawn to the URL on stdout
// (also for the first start, which created and migrated the database), and RSS 3 s after
// listening (nothing connected, no forced GC), with its anonymous / file-backed split from
// /proc/<pid>/smaps_rollup. Wall times are printed too, for a quiet machine.
//   node bench/startup-cost.ts [--runs N] [--hold MS] [--package DIR]…   (several: an interleaved A/B)
// A --package is a built tree (bin/, dist/, templates/, package.json, node_modules); this one's by default.
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchTempDir, ROOT, startServer, writeBenchInstance } from './lib/server.ts';
import { median, round2, sleep } from './lib/stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, package: { type: 'string', multiple: true }, hold: { type: 'string', default: '3000' } } });
const packages = values.package?.length ? values.package : [ROOT];
const runs = Number(values.runs);

function smaps(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const match = /^(\w+):\s+(\d+) kB/.exec(line);
    if (match) out[match[1]!] = Number(match[2]) / 1024;
  }
  return out;
}

const results = new Map<string, Array<{ freshCpu: number; wall: number; cpu: number; rss: number; anon: number; file: number; threads: number }>>();
for (let i = 0; i < runs; i++) {
  for (const root of packages) {
    const dir = benchTempDir('strangerchat-startup-cost-');
    try {
      writeBenchInstance(dir, { heartbeatMs: 30_000 });
      // The first start creates and migrates the database; the measured one finds it migrated.
      const first = await startServer({ dir, benchStats: false, packageRoot: root });
      const freshCpu = first.cpuMs();
      await first.stop();
      const server = await startServer({ dir, benchStats: false, packageRoot: root });
      const cpu = server.cpuMs();
      await sleep(Number(values.hold));
      const s = smaps(server.pid);
      const threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]);
      const run = { freshCpu: round2(freshCpu), wall: round2(server.listeningAfterMs), cpu: round2(cpu), rss: round2(s.Rss!), anon: round2(s.Anonymous!), file: round2(s.Rss! - s.Anonymous!), threads };
      await server.stop();
      (results.get(root) ?? results.set(root, []).get(root)!).push(run);
      console.error(`${root}: ${JSON.stringify(run)} load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
for (const [root, list] of results) {
  const m = (key: keyof (typeof list)[0]) => round2(median(list.map((r) => r[key])));
  console.log(`${root}\n  listening ${m('wall')} ms wall, ${m('cpu')} ms CPU (new instance, migrated by the start: ${m('freshCpu')} ms CPU); RSS ${m('rss')} MB (anonymous ${m('anon')}, file ${m('file')}); threads ${m('threads')} — medians of ${list.length}`);
}
