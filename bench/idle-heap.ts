// What one idle connection holds in the server's heap, by constructor: heap snapshots of the
// server (strangerchat, or a reference peer with --peer) after a full GC with nobody connected and
// again with N idle clients, the difference divided by N. The snapshots are taken by the server
// itself on SIGUSR2 (`--heapsnapshot-signal`, through NODE_OPTIONS: nothing in the server changes)
// and written into its instance folder, which is deleted afterwards.
//
//   node bench/idle-heap.ts [--clients 2000] [--peer ws-floor] [--top 40] [--retainers] [--no-build]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HttpClient, sourceAddresses } from './lib/http.ts';
import { Population } from './lib/population.ts';
import { PRESETS } from './lib/presets.ts';
import { stopGeneratorLoop } from './lib/proc.ts';
import { benchTempDir, build, snapshotPackage, startServer, writeBenchInstance } from './lib/server.ts';
import { sleep, waitFor } from './lib/stats.ts';
import { peerCommand, REFERENCE_PEERS, type ReferencePeer } from './scenarios/side-by-side.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    peer: { type: 'string' },
    top: { type: 'string', default: '40' },
    /** Also group the objects new in the second snapshot by what holds them (owner's name and the edge). */
    retainers: { type: 'boolean', default: false },
    addresses: { type: 'string', default: '8' },
    'no-build': { type: 'boolean', default: false },
  },
});
const clients = Number(values.clients);
const peer = values.peer as ReferencePeer | undefined;
if (peer !== undefined && !REFERENCE_PEERS.includes(peer)) throw new TypeError(`--peer must be one of ${REFERENCE_PEERS.join(', ')}`);
const log = (line: string) => process.stderr.write(`[idle-heap] ${line}\n`);
if (!values['no-build'] && !peer) build();

/** Self size and count by node name ("constructor"), for the node types that are objects of the program. */
interface Tally {
  count: number;
  bytes: number;
}

function tallyHeap(file: string): { byName: Map<string, Tally>; total: number } {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const { node_fields: fields, node_types: types } = snapshot.snapshot.meta;
  const width = fields.length;
  const TYPE = fields.indexOf('type');
  const NAME = fields.indexOf('name');
  const SIZE = fields.indexOf('self_size');
  const typeNames = types[0];
  const byName = new Map<string, Tally>();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = typeNames[snapshot.nodes[i + TYPE]!]!;
    const size = snapshot.nodes[i + SIZE]!;
    total += size;
    // Strings, numbers and code are tallied by type (their names are their contents).
    const name = type === 'object' || type === 'closure' || type === 'native' ? `${type === 'closure' ? 'closure ' : ''}${snapshot.strings[snapshot.nodes[i + NAME]!]}` : `(${type})`;
    const tally = byName.get(name) ?? { count: 0, bytes: 0 };
    tally.count++;
    tally.bytes += size;
    byName.set(name, tally);
  }
  return { byName, total };
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/**
 * The objects of `after` that `before` did not have (node ids are stable within a process),
 * grouped by their first two strong retainers: "Holder's holder.edge → Holder.edge → what". Bytes are self sizes.
 */
function newObjectsByRetainer(before: string, after: string): Array<{ key: string; count: number; bytes: number }> {
  const a = JSON.parse(readFileSync(before, 'utf8')) as RawSnapshot;
  const b = JSON.parse(readFileSync(after, 'utf8')) as RawSnapshot;
  const meta = b.snapshot.meta;
  const width = meta.node_fields.length;
  const ID = meta.node_fields.indexOf('id');
  const oldIds = new Set<number>();
  for (let i = 0; i < a.nodes.length; i += a.snapshot.meta.node_fields.length) oldIds.add(a.nodes[i + a.snapshot.meta.node_fields.indexOf('id')]!);
  const TYPE = meta.node_fields.indexOf('type');
  const NAME = meta.node_fields.indexOf('name');
  const SIZE = meta.node_fields.indexOf('self_size');
  const EDGES = meta.node_fields.indexOf('edge_count');
  const edgeWidth = meta.edge_fields.length;
  const E_TYPE = meta.edge_fields.indexOf('type');
  const E_NAME = meta.edge_fields.indexOf('name_or_index');
  const E_TO = meta.edge_fields.indexOf('to_node');
  const edgeTypes = meta.edge_types[0];
  const nodeTypes = meta.node_types[0];
  const label = (node: number) => {
    const type = nodeTypes[b.nodes[node + TYPE]!]!;
    return type === 'object' || type === 'closure' || type === 'native' ? b.strings[b.nodes[node + NAME]!]!.slice(0, 40) : `(${type})`;
  };
  const owner = new Map<number, string>();
  const parent = new Map<number, number>();
  let edge = 0;
  for (let node = 0; node < b.nodes.length; node += width) {
    const count = b.nodes[node + EDGES]!;
    for (let k = 0; k < count; k++, edge += edgeWidth) {
      const type = edgeTypes[b.edges[edge + E_TYPE]!]!;
      if (type === 'weak' || type === 'shortcut') continue;
      const to = b.edges[edge + E_TO]!;
      if (owner.has(to)) continue;
      const name = type === 'element' || type === 'hidden' ? `[${type}]` : String(b.strings[b.edges[edge + E_NAME]!] ?? b.edges[edge + E_NAME]);
      owner.set(to, `${label(node)}.${name}`);
      parent.set(to, node);
    }
  }
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let node = 0; node < b.nodes.length; node += width) {
    if (oldIds.has(b.nodes[node + ID]!)) continue;
    // Two levels: what holds the holder, then the holder ("Connection.participant → Object.address → (string)").
    const up = parent.get(node);
    const key = `${up === undefined ? '' : `${owner.get(up) ?? '(root)'} → `}${owner.get(node) ?? '(root)'} → ${label(node)}`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += b.nodes[node + SIZE]!;
    groups.set(key, group);
  }
  return [...groups].map(([key, g]) => ({ key, ...g })).sort((x, y) => y.bytes - x.bytes);
}

const dir = benchTempDir('strangerchat-idle-heap-');
const snapshotPkg = peer ? undefined : await snapshotPackage();
writeBenchInstance(dir, { heartbeatMs: PRESETS.full.heartbeatMs });
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2`.trim();
const server = await startServer({ dir, packageRoot: snapshotPkg?.root, command: peer ? peerCommand(peer) : undefined });
const http = new HttpClient(server.url);
const people = new Population({ baseUrl: server.url, addresses: sourceAddresses(Number(values.addresses)), http });

function parses(path: string): boolean {
  const text = readFileSync(path, 'utf8');
  if (!text.trimEnd().endsWith('}')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function snapshot(label: string): Promise<string> {
  await server.gc();
  const before = new Set(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')));
  process.kill(server.pid, 'SIGUSR2');
  let file: string | undefined;
  await waitFor(() => (file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f))) !== undefined, 60_000, 200);
  if (!file) throw new Error(`no heap snapshot (${label})`);
  // Written once it parses (the server writes it in pieces, pausing between them).
  const path = join(dir, file);
  if (!(await waitFor(() => parses(path), 120_000, 1000))) throw new Error(`the heap snapshot (${label}) was never complete`);
  log(`${label}: ${file}, rss ${(server.rss() / 2 ** 20).toFixed(1)} MB`);
  return join(dir, file);
}

try {
  await sleep(1000);
  const empty = await snapshot('empty');
  const rssEmpty = server.rss();
  const grown = await people.grow(clients, 64);
  log(`${grown.connected} connected (${grown.failed} failed)`);
  await sleep(3000);
  const full = await snapshot(`${grown.connected} idle`);
  const rssFull = server.rss();
  const a = tallyHeap(empty);
  const b = tallyHeap(full);
  const n = grown.connected;
  const rows = [...new Set([...a.byName.keys(), ...b.byName.keys()])]
    .map((name) => {
      const x = a.byName.get(name) ?? { count: 0, bytes: 0 };
      const y = b.byName.get(name) ?? { count: 0, bytes: 0 };
      return { name, perConnection: (y.bytes - x.bytes) / n, countPerConnection: (y.count - x.count) / n };
    })
    .sort((p, q) => q.perConnection - p.perConnection);
  const out = [
    `${peer ?? 'strangerchat'}: ${n} idle connections; heap snapshot total ${(a.total / 2 ** 20).toFixed(1)} → ${(b.total / 2 ** 20).toFixed(1)} MB, ` +
      `${Math.round((b.total - a.total) / n)} B per connection; RSS ${(rssEmpty / 2 ** 20).toFixed(1)} → ${(rssFull / 2 ** 20).toFixed(1)} MB, ${Math.round((rssFull - rssEmpty) / n)} B per connection`,
    '',
    '| bytes per connection | objects per connection | constructor |',
    '| ---: | ---: | --- |',
    ...rows.slice(0, Number(values.top)).map((r) => `| ${Math.round(r.perConnection)} | ${r.countPerConnection.toFixed(2)} | ${r.name.replace(/\|/g, '\\|').slice(0, 80)} |`),
  ];
  if (values.retainers) {
    out.push('', '| bytes per connection | objects per connection | held by → what (objects new with the connections) |', '| ---: | ---: | --- |');
    for (const row of newObjectsByRetainer(empty, full).slice(0, Number(values.top))) {
      out.push(`| ${Math.round(row.bytes / n)} | ${(row.count / n).toFixed(2)} | ${row.key.replace(/\|/g, '\\|')} |`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  people.closeAll();
  http.close();
  await server.stop();
  snapshotPkg?.remove();
  stopGeneratorLoop();
  rmSync(dir, { recursive: true, force: true });
}
