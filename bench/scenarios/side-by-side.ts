// Side by side (issue 19): the saturated-pairing loop (saturated.ts, unchanged) against strangerchat
// and three reference servers that speak the same part of wire protocol v1 (bench/peers/), in one
// run on one machine: rounds of every server in turn, the order rotated each round, each server
// started fresh with its own population. What differs between them is only the server.
//
// - strangerchat: `strangerchat start` with the bench instance (validation, filters, rate limits,
//   moderation, SQLite sessions, all on);
// - ws-floor: a bare `ws` server and a random pairing layer: Node + ws + loopback TCP;
// - ws-corked: the floor with each socket's writes of one event-loop turn in one system call;
// - ws-validated: the same, with every frame JSON-parsed and checked against ClientMessage;
// - peerjs: the stock PeerJS server (`peer` package) with the pairing layer and a thin adapter.
//
// Besides what saturated.ts measures, each run reads the server's read and write system calls from
// /proc/<pid>/io over the measured span (syscr, syscw: writev counts there), and with `strace`
// a breakdown by system call (a separate pass: ptrace slows the server several times).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.ts';
import { HttpClient, sourceAddresses } from '../lib/http.ts';
import { Population } from '../lib/population.ts';
import { PRESETS, type Preset } from '../lib/presets.ts';
import { benchTempDir, startServer, writeBenchInstance, ROOT, type ServerProcess } from '../lib/server.ts';
import { median, round2, sleep, waitFor } from '../lib/stats.ts';
import { runSaturated, type SaturatedRun } from './saturated.ts';

export const SIDE_BY_SIDE_SERVERS = ['strangerchat', 'ws-floor', 'ws-corked', 'ws-validated', 'peerjs'] as const;
export type SideBySideServer = (typeof SIDE_BY_SIDE_SERVERS)[number];
/** The reference servers of bench/peers/ (`node bench/run.ts … --peer NAME` runs any scenario against one). */
export type ReferencePeer = Exclude<SideBySideServer, 'strangerchat'>;
export const REFERENCE_PEERS = SIDE_BY_SIDE_SERVERS.filter((name): name is ReferencePeer => name !== 'strangerchat');

/**
 * The V8 heap settings `strangerchat start` gives itself (bin/strangerchat.js): the reference peers
 * run with the same, so the comparison is of the code, not of the collector's settings.
 */
const SERVER_V8_FLAGS = ['--max-semi-space-size=12', '--heap-growing-percent=100'];

const PEER_COMMANDS: Record<ReferencePeer, string[]> = {
  'ws-floor': [join(ROOT, 'bench', 'peers', 'ws.ts')],
  'ws-corked': [join(ROOT, 'bench', 'peers', 'ws.ts'), '--cork'],
  'ws-validated': [join(ROOT, 'bench', 'peers', 'ws.ts'), '--validate'],
  peerjs: [join(ROOT, 'bench', 'peers', 'peerjs.ts')],
};

/** What startServer's `command` is for a reference peer: strangerchat's V8 flags, then the peer's script. */
export function peerCommand(name: ReferencePeer): string[] {
  return [...SERVER_V8_FLAGS, ...PEER_COMMANDS[name]];
}

export interface SideBySideOptions {
  servers: readonly SideBySideServer[];
  /** Loop sizes, each run against every server in every round. */
  clients: number[];
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  addresses: number;
  /** The strangerchat package to run (a snapshotPackage() root). */
  packageRoot: string;
  /** Also count system calls by name with strace, in one extra run per server in the first round (smallest size). */
  strace?: boolean;
  /**
   * A round is started only if it is expected to end before this moment (performance.now() ms,
   * judged by the previous round's length): the run keeps to a time box on a busy machine.
   */
  deadline?: number;
  log: (line: string) => void;
}

/** System calls of the server during a measured span, per pairing. */
export interface SyscallFigures {
  /** read-family calls (read, readv: what libuv reads sockets with), per pairing. */
  readsPerPair: number;
  /** write-family calls (write, writev), per pairing. */
  writesPerPair: number;
}

export interface SideBySideRun extends SaturatedRun {
  server: SideBySideServer;
  round: number;
  /** The 1-minute load average when the run started. */
  loadAverage: number;
  syscalls: SyscallFigures;
}

export interface StraceRun {
  server: SideBySideServer;
  clients: number;
  /** Pairs per second while traced (much below the untraced rate). */
  pairsPerSec: number;
  /** Calls per pairing by system call name (the ten most frequent), over the traced span. */
  perPair: Record<string, number>;
}

export interface SideBySideResult {
  runs: SideBySideRun[];
  strace: StraceRun[];
  failures: string[];
  errorCount: number;
  /** Rounds asked for and rounds run (fewer when the deadline came first). */
  rounds: { asked: number; run: number };
}

export function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** Read and write system calls of a process so far (/proc/<pid>/io), or zeros when unreadable. */
export function readSyscalls(pid: number): { reads: number; writes: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { reads: Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0), writes: Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0) };
  } catch {
    return { reads: 0, writes: 0 };
  }
}

/**
 * The server as saturated.ts sees it, with a hook on the span: it reads cpuMs() exactly twice per
 * loop, at the start and at the end of the measured span, so those two calls bracket the span.
 */
function spanned(server: ServerProcess, onSpan: (edge: 'start' | 'end') => void): ServerProcess {
  let inSpan = false;
  return {
    ...server,
    cpuMs: () => {
      onSpan((inSpan = !inSpan) ? 'start' : 'end');
      return server.cpuMs();
    },
  };
}

async function startOne(name: SideBySideServer, options: SideBySideOptions): Promise<{ server: ServerProcess; dir: string }> {
  const dir = benchTempDir(`strangerchat-side-${name}-`);
  try {
    if (name === 'strangerchat') {
      writeBenchInstance(dir, { heartbeatMs: PRESETS.full.heartbeatMs });
      return { server: await startServer({ dir, packageRoot: options.packageRoot }), dir };
    }
    return { server: await startServer({ dir, command: peerCommand(name) }), dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export async function runSideBySide(options: SideBySideOptions): Promise<SideBySideResult> {
  const result: SideBySideResult = { runs: [], strace: [], failures: [], errorCount: 0, rounds: { asked: options.rounds, run: 0 } };
  const population = Math.max(...options.clients);
  let lastRoundMs = 0;
  for (let round = 1; round <= options.rounds; round++) {
    const roundStart = performance.now();
    if (options.deadline !== undefined && round > 1 && roundStart + lastRoundMs > options.deadline) {
      options.log(`round ${round} would end after the time box (a round takes ${Math.round(lastRoundMs / 1000)} s): stopping after ${round - 1}`);
      break;
    }
    // Rotated each round: no server always runs first (on a cooler machine) or last.
    const shift = (round - 1) % options.servers.length;
    const order = [...options.servers.slice(shift), ...options.servers.slice(0, shift)];
    for (const name of order) {
      try {
        await runServer(name, round, round === 1 && options.strace === true);
        // The last server's exit must not land in the next one's figures.
        await sleep(500);
      } catch (error) {
        const message = `${name} (round ${round}): ${(error as Error).message.split('\n')[0]}`;
        result.failures.push(message);
        options.log(`failed: ${(error as Error).stack ?? message}`);
      }
    }
    lastRoundMs = performance.now() - roundStart;
    result.rounds.run = round;
  }
  result.errorCount = result.runs.reduce((sum, run) => sum + run.errorCount, 0);
  return result;

  async function runServer(name: SideBySideServer, round: number, traced: boolean): Promise<void> {
    const { server, dir } = await startOne(name, options);
    const http = new HttpClient(server.url);
    const addresses = sourceAddresses(options.addresses);
    const people = new Population({ baseUrl: server.url, addresses, http });
    try {
      const grown = await people.grow(population, 64);
      if (grown.failed) options.log(`${name}: ${grown.failed} clients failed to connect`);
      options.log(`${name} (round ${round}): pid ${server.pid}, ${grown.connected} clients in ${Math.round(grown.ms)} ms`);
      for (const clients of options.clients) {
        let before = { reads: 0, writes: 0 };
        let after = before;
        const metered = spanned(server, (edge) => {
          if (edge === 'start') before = readSyscalls(server.pid);
          else after = readSyscalls(server.pid);
        });
        const load = loadAverage();
        const [run] = (await runSaturated(contextFor(metered, people, http, addresses, clients, options))).runs;
        if (!run) continue;
        const perPair = (n: number) => (run.pairs ? round2(n / run.pairs) : 0);
        const syscalls = { readsPerPair: perPair(after.reads - before.reads), writesPerPair: perPair(after.writes - before.writes) };
        result.runs.push({ ...run, server: name, round, loadAverage: load, syscalls });
        options.log(
          `${name} (round ${round}, load ${load}): ${run.clients} clients → ${run.pairsPerSec} pairs/s, p50 ${run.timeToPaired.p50} p99 ${run.timeToPaired.p99} ms, ` +
            `${run.serverCpuMsPerPair} ms CPU/pairing, ${syscalls.writesPerPair} writes ${syscalls.readsPerPair} reads/pairing, RSS ${run.rssMB} MB, errors ${run.errorCount}`,
        );
      }
      if (traced) result.strace.push(await traceOne(name, server, people, http, addresses));
      // Every socket dropped at once: the server must forget every one of them.
      people.closeAll();
      if (!(await waitFor(async () => (await server.stats()).hub.online === 0, 10_000, 100))) {
        result.failures.push(`${name} (round ${round}): ${(await server.stats()).hub.online} still online 10 s after every client closed`);
      }
    } finally {
      people.closeAll();
      http.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function traceOne(name: SideBySideServer, server: ServerProcess, people: Population, http: HttpClient, addresses: string[]): Promise<StraceRun> {
    const clients = Math.min(...options.clients);
    const output = join(mkdtempSync(join(tmpdir(), 'strangerchat-strace-')), 'counts');
    let tracer: ChildProcess | undefined;
    let attachedAt = 0;
    let detachedAt = 0;
    let spanStart = 0;
    const metered = spanned(server, (edge) => {
      if (edge === 'start') {
        spanStart = performance.now();
        tracer = spawn('strace', ['-c', '-f', '-o', output, '-p', String(server.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
        tracer.stderr!.on('data', () => (attachedAt ||= performance.now()));
        tracer.once('error', (error) => options.log(`strace: ${error.message} (is it installed? apt-get install strace)`));
      } else {
        detachedAt = performance.now();
        // SIGTERM, not SIGINT: a process started in the background may have SIGINT ignored, and strace keeps that.
        tracer?.kill('SIGTERM');
      }
    });
    try {
      const [run] = (await runSaturated(contextFor(metered, people, http, addresses, clients, options))).runs;
      if (tracer && tracer.exitCode === null && tracer.signalCode === null) {
        const exited = new Promise((resolve) => tracer!.once('exit', resolve));
        if ((await Promise.race([exited, sleep(10_000).then(() => 'late')])) === 'late') {
          tracer.kill('SIGKILL');
          throw new Error('strace did not stop within 10 s');
        }
      }
      // Pairs while traced: the span's rate times the part of the span the tracer was attached.
      const traced = run ? (run.pairs * (detachedAt - (attachedAt || spanStart))) / (detachedAt - spanStart) : 0;
      const perPair: Record<string, number> = {};
      for (const [call, count] of parseStraceCounts(readFileSync(output, 'utf8')).slice(0, 10)) perPair[call] = traced ? round2(count / traced) : 0;
      options.log(`${name} (strace): ${run?.pairsPerSec ?? 0} pairs/s traced, per pairing ${JSON.stringify(perPair)}`);
      return { server: name, clients, pairsPerSec: run?.pairsPerSec ?? 0, perPair };
    } finally {
      rmSync(join(output, '..'), { recursive: true, force: true });
    }
  }
}

/** The rows of `strace -c` output: [name, calls], most frequent first. */
export function parseStraceCounts(text: string): Array<[string, number]> {
  const rows: Array<[string, number]> = [];
  for (const line of text.split('\n')) {
    // % time, seconds, usecs/call, calls, [errors], syscall
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !/^\d/.test(fields[0]!) || fields.at(-1) === 'total') continue;
    const calls = Number(fields[3]);
    if (Number.isFinite(calls)) rows.push([fields.at(-1)!, calls]);
  }
  return rows.sort((a, b) => b[1] - a[1]);
}

function contextFor(server: ServerProcess, population: Population, http: HttpClient, addresses: string[], clients: number, options: SideBySideOptions): BenchContext {
  const preset: Preset = {
    ...PRESETS.full,
    clients,
    addresses: addresses.length,
    saturated: { clients: [clients], seconds: options.seconds, warmupSeconds: options.warmupSeconds },
  };
  return { server, population, http, addresses, preset, log: options.log };
}

/** One server at one loop size, over the rounds: medians, and the load averages the runs saw. */
export interface SideBySideSummary {
  server: SideBySideServer;
  clients: number;
  runs: number;
  pairsPerSec: number;
  p50: number;
  p99: number;
  serverCpuMsPerPair: number;
  writesPerPair: number;
  readsPerPair: number;
  rssMB: number;
  serverCores: number;
  generatorCores: number;
  otherCores: number;
  loadAverages: number[];
}

export function summarizeSideBySide(runs: readonly SideBySideRun[]): SideBySideSummary[] {
  const summaries: SideBySideSummary[] = [];
  const sizes = [...new Set(runs.map((run) => run.clients))].sort((a, b) => a - b);
  for (const clients of sizes) {
    for (const server of SIDE_BY_SIDE_SERVERS) {
      const these = runs.filter((run) => run.clients === clients && run.server === server);
      if (!these.length) continue;
      const mid = (pick: (run: SideBySideRun) => number) => round2(median(these.map(pick)));
      summaries.push({
        server,
        clients,
        runs: these.length,
        pairsPerSec: Math.round(median(these.map((run) => run.pairsPerSec))),
        p50: mid((run) => run.timeToPaired.p50),
        p99: mid((run) => run.timeToPaired.p99),
        serverCpuMsPerPair: Math.round(median(these.map((run) => run.serverCpuMsPerPair)) * 1000) / 1000,
        writesPerPair: mid((run) => run.syscalls.writesPerPair),
        readsPerPair: mid((run) => run.syscalls.readsPerPair),
        rssMB: Math.round(median(these.map((run) => run.rssMB))),
        serverCores: mid((run) => run.cpu.server),
        generatorCores: mid((run) => run.cpu.generator),
        otherCores: mid((run) => run.cpu.others),
        loadAverages: these.map((run) => run.loadAverage),
      });
    }
  }
  return summaries;
}

/** The figures as docs/benchmarks.md shows them: one table, then each server against strangerchat. */
export function renderSideBySide(result: SideBySideResult): string {
  const summaries = summarizeSideBySide(result.runs);
  const lines = [
    '| clients | server | pairs/s | time-to-paired p50 / p99 | server CPU per pairing | writes / reads per pairing | RSS | cores: server / generator / others | load average |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.clients.toLocaleString('en-US')} | ${s.server} | ${s.pairsPerSec.toLocaleString('en-US')} | ${s.p50} / ${s.p99} ms | ${s.serverCpuMsPerPair} ms | ${s.writesPerPair} / ${s.readsPerPair} | ${s.rssMB} MB | ${s.serverCores} / ${s.generatorCores} / ${s.otherCores} | ${s.loadAverages.join(', ')} |`,
    );
  }
  lines.push('', 'Against strangerchat (CPU per pairing is the figure that survives a busy machine best):', '');
  for (const s of summaries) {
    const ours = summaries.find((o) => o.server === 'strangerchat' && o.clients === s.clients);
    if (!ours || s.server === 'strangerchat' || !s.serverCpuMsPerPair || !s.pairsPerSec) continue;
    lines.push(
      `- ${s.clients.toLocaleString('en-US')} clients, ${s.server}: strangerchat pairs ${round2(ours.pairsPerSec / s.pairsPerSec)}× as fast and spends ${round2(ours.serverCpuMsPerPair / s.serverCpuMsPerPair)}× its CPU per pairing (${s.server} is ${Math.round((s.serverCpuMsPerPair / ours.serverCpuMsPerPair) * 100)}% of ours)`,
    );
  }
  if (result.strace.length) {
    lines.push('', 'System calls per pairing by name (strace -c -f, a separate traced run; ptrace slows the server):', '');
    for (const run of result.strace) {
      const calls = Object.entries(run.perPair).map(([call, n]) => `${call} ${n}`).join(', ');
      lines.push(`- ${run.server} (${run.clients} clients, ${run.pairsPerSec} pairs/s traced): ${calls}`);
    }
  }
  if (result.rounds.run < result.rounds.asked) lines.push('', `Rounds: ${result.rounds.run} of ${result.rounds.asked} (the time box ended the run).`);
  if (result.failures.length) lines.push('', `Failures: ${result.failures.join('; ')}`);
  return lines.join('\n');
}
