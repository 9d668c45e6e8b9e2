// Figures of another process read from outside, through /proc (Linux): resident memory and CPU time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, release, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Resident set size in bytes (VmRSS), or 0 when the process is gone. */
export function readRss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let clockTicks: number | undefined;

/** CPU time (user + system) of a process in milliseconds, or 0 when it is gone. */
export function readCpuMs(pid: number): number {
  clockTicks ??= readClockTicks();
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1000;
  } catch {
    return 0;
  }
}

/** Machine-wide CPU time from /proc/stat, in milliseconds: busy (any process) and stolen by the hypervisor. */
function readMachineCpu(): { busyMs: number; stealMs: number } {
  clockTicks ??= readClockTicks();
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const tick = 1000 / clockTicks;
    return { busyMs: (user! + nice! + system! + irq! + softirq!) * tick, stealMs: (steal ?? 0) * tick };
  } catch {
    return { busyMs: 0, stealMs: 0 };
  }
}

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** The soft limit on open files of this process (what `ulimit -n` shows), or null when unknown. */
export function openFileLimit(): number | null {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!match) return null;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return null;
  }
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  platform: string;
  kernel: string;
  /** 1-minute load average when the run started: a busy machine makes every figure worse. */
  loadAverage: number;
  fdLimit: number | null;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  let load = 0;
  try {
    load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    // not Linux
  }
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    loadAverage: load,
    fdLimit: openFileLimit(),
  };
}

const GENERATOR_LOOP_RESOLUTION_MS = 10;
let generatorLoop: ReturnType<typeof monitorEventLoopDelay> | undefined;

/**
 * Measures, over an interval, the CPU of the server and of the generator (as cores used: 1.0 is
 * one core busy) and the generator's own event-loop delay: every latency the clients observe
 * includes the generator's stalls, so a step reports both.
 */
export class CpuMeter {
  readonly #pid: number;
  #startCpu = 0;
  #startSelf = 0;
  #startAt = 0;
  #startMachine = { busyMs: 0, stealMs: 0 };

  constructor(pid: number) {
    this.#pid = pid;
  }

  start(): void {
    this.#startCpu = readCpuMs(this.#pid);
    const self = process.cpuUsage();
    this.#startSelf = (self.user + self.system) / 1000;
    this.#startAt = performance.now();
    this.#startMachine = readMachineCpu();
    if (!generatorLoop) {
      generatorLoop = monitorEventLoopDelay({ resolution: GENERATOR_LOOP_RESOLUTION_MS });
      generatorLoop.enable();
    }
    generatorLoop.reset();
  }

  /** Server and generator CPU since start(), each as cores used, and the generator's loop delay p99 (ms). */
  read(): CpuFigures {
    const elapsed = performance.now() - this.#startAt || 1;
    const self = process.cpuUsage();
    const machine = readMachineCpu();
    const delay = (ns: number) => Math.round(Math.max(0, ns / 1e6 - GENERATOR_LOOP_RESOLUTION_MS) * 100) / 100;
    const cores = (ms: number) => Math.round((ms / elapsed) * 100) / 100;
    const server = readCpuMs(this.#pid) - this.#startCpu;
    const generator = (self.user + self.system) / 1000 - this.#startSelf;
    return {
      server: cores(server),
      generator: cores(generator),
      others: Math.max(0, cores(machine.busyMs - this.#startMachine.busyMs - server - generator)),
      steal: cores(machine.stealMs - this.#startMachine.stealMs),
      generatorLoopP99: generatorLoop?.count ? delay(generatorLoop.percentile(99)) : 0,
      generatorLoopMax: generatorLoop?.count ? delay(generatorLoop.max) : 0,
    };
  }
}

/** CPU over a step, in cores (1.0 = one core busy), and the generator's own event-loop delay. */
export interface CpuFigures {
  server: number;
  generator: number;
  /** Every other process on the machine: when it is not near 0, the step measured contention too. */
  others: number;
  /** Time the hypervisor gave this VM's virtual CPUs to someone else. */
  steal: number;
  generatorLoopP99: number;
  generatorLoopMax: number;
}

/** Stops the generator's loop histogram (so the process can exit). */
export function stopGeneratorLoop(): void {
  generatorLoop?.disable();
  generatorLoop = undefined;
}
