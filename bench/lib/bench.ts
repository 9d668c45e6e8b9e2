// Runs the chosen scenarios and collects their figures. Start-up runs first, on a quiet machine,
// against its own instances; the others share one server process and one population of clients,
// in order, each ending with a check that nothing was left queued or in a conversation.
import { rmSync } from 'node:fs';
import { HttpClient, sourceAddresses } from './http.ts';
import { DEFAULT_MINORS_SHARE, Population } from './population.ts';
import { SCENARIOS, type Preset, type ScenarioName } from './presets.ts';
import { machineInfo, stopGeneratorLoop } from './proc.ts';
import { checkTargets, type BenchResults } from './results.ts';
import { benchTempDir, snapshotPackage, startServer, writeBenchInstance, type ServerProcess } from './server.ts';
import { sleep, waitFor } from './stats.ts';
import type { BenchContext } from './context.ts';
import { memoryAfterGc, runIdle } from '../scenarios/idle.ts';
import { runPairing } from '../scenarios/pairing.ts';
import { runSaturated } from '../scenarios/saturated.ts';
import { runRelay } from '../scenarios/relay.ts';
import { runChurn } from '../scenarios/churn.ts';
import { runHttp } from '../scenarios/http.ts';
import { runStartup } from '../scenarios/startup.ts';
import { peerCommand, type ReferencePeer } from '../scenarios/side-by-side.ts';

export interface BenchOptions {
  preset: Preset;
  scenarios?: readonly ScenarioName[];
  label?: string;
  /** Keep the server's instance folder (and its CPU profile) instead of deleting it. */
  keep?: boolean;
  /** Write a V8 CPU profile of the shared server into this folder. */
  cpuProfDir?: string;
  /** Run this built tree (bin/, dist/, templates/, package.json) instead of the working tree's. */
  packageDir?: string;
  /**
   * Run the scenarios against a reference peer of bench/peers/ instead of strangerchat: the floor
   * of a scenario (relay, idle memory) on this machine, under the same generator.
   */
  peer?: ReferencePeer;
  /** The share of the population who are 15 (DEFAULT_MINORS_SHARE when absent). */
  minorsShare?: number;
  log?: (line: string) => void;
}

/** File descriptors the generator needs beyond one per client (HTTP agents, stdio, the server's pipes). */
const FD_MARGIN = 300;

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { preset } = options;
  const log = options.log ?? (() => {});
  const scenarios = SCENARIOS.filter((name) => !options.scenarios?.length || options.scenarios.includes(name));
  const results: Omit<BenchResults, 'targets'> = {
    schema: 1,
    preset: preset.name,
    ...(options.label ? { label: options.label } : {}),
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: machineInfo(),
    options: { clients: preset.clients, addresses: preset.addresses, heartbeatMs: preset.heartbeatMs, minorsShare: options.minorsShare ?? DEFAULT_MINORS_SHARE, scenarios: [...scenarios] },
    scenarios: {},
    failures: [],
    warnings: [],
  };
  if (results.machine.loadAverage > results.machine.cpus / 2) {
    const warning = `the machine was busy when the run started (load average ${results.machine.loadAverage} on ${results.machine.cpus} cores): the figures measure the contention too`;
    results.warnings.push(warning);
    log(`warning: ${warning}`);
  }
  const needed = preset.clients + FD_MARGIN;
  const fdLimit = results.machine.fdLimit;
  if (fdLimit !== null && fdLimit < needed && scenarios.some((s) => s !== 'startup' && s !== 'http')) {
    const warning = `the open-file limit (ulimit -n) is ${fdLimit}; ${preset.clients} clients need about ${needed} in each of the generator and the server: raise it (ulimit -n 65536) or use --clients`;
    results.warnings.push(warning);
    log(`warning: ${warning}`);
  }
  const attempt = async (name: ScenarioName, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      const message = `${name}: ${(error as Error).message.split('\n')[0]}`;
      results.failures.push(message);
      log(`failed: ${(error as Error).stack ?? message}`);
    }
  };

  const snapshot = await snapshotPackage(options.packageDir);
  try {
    if (scenarios.includes('startup')) {
      await attempt('startup', async () => {
        results.scenarios.startup = await runStartup(preset, log, snapshot.root);
      });
    }
    const shared = scenarios.filter((s) => s !== 'startup');
    if (shared.length) await runShared(shared);
  } finally {
    snapshot.remove();
    stopGeneratorLoop();
  }
  results.finishedAt = new Date().toISOString();
  return { ...results, targets: checkTargets(results) };

  /** The scenarios that share one server and one population, in order. */
  async function runShared(shared: ScenarioName[]): Promise<void> {
    const dir = benchTempDir();
    writeBenchInstance(dir, { heartbeatMs: preset.heartbeatMs });
    let server: ServerProcess;
    try {
      const command = options.peer ? peerCommand(options.peer) : undefined;
      server = await startServer({ dir, cpuProfDir: options.cpuProfDir, packageRoot: snapshot.root, command });
    } catch (error) {
      for (const name of shared) results.failures.push(`${name}: the server did not start: ${(error as Error).message.split('\n')[0]}`);
      log(`failed: ${(error as Error).message}`);
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    log(`server${options.peer ? ` (reference peer ${options.peer})` : ''}: pid ${server.pid} at ${server.url} (instance ${dir})`);
    const http = new HttpClient(server.url);
    const addresses = sourceAddresses(preset.addresses);
    const population = new Population({ baseUrl: server.url, addresses, http, minorsShare: options.minorsShare });
    const ctx: BenchContext = { server, population, http, addresses, preset, log };
    try {
      await sleep(500);
      const baseline = await memoryAfterGc(ctx);
      if (shared.includes('idle')) {
        await attempt('idle', async () => {
          results.scenarios.idle = await runIdle(ctx, baseline);
        });
      }
      if (shared.some((s) => s === 'pairing' || s === 'saturated' || s === 'relay' || s === 'churn')) {
        const grown = await population.grow(preset.clients, preset.connectConcurrency);
        if (grown.failed) log(`population: ${grown.failed} clients failed to connect`);
      }
      if (shared.includes('pairing')) {
        await attempt('pairing', async () => {
          results.scenarios.pairing = await runPairing(ctx);
        });
      }
      if (shared.includes('saturated')) {
        await attempt('saturated', async () => {
          results.scenarios.saturated = await runSaturated(ctx);
        });
      }
      if (shared.includes('relay')) {
        await attempt('relay', async () => {
          results.scenarios.relay = await runRelay(ctx);
        });
      }
      if (shared.includes('churn')) {
        await attempt('churn', async () => {
          results.scenarios.churn = await runChurn(ctx);
        });
      }
      if (shared.includes('http')) {
        await attempt('http', async () => {
          results.scenarios.http = await runHttp(ctx);
        });
      }
      // Every socket dropped at once: the server must forget every one of them.
      population.closeAll();
      let online = -1;
      if (server.alive()) {
        await waitFor(async () => (online = (await server.stats()).hub.online) === 0, 10_000, 100);
      }
      const serverLogErrors = server.logs.errors.length;
      const serverExitCode = await server.stop();
      results.final = { onlineAfterClose: online, serverExitCode, serverLogErrors };
      if (server.logs.errors.length) log(`server errors:\n${server.logs.errors.slice(0, 10).join('\n')}`);
    } finally {
      population.closeAll();
      http.close();
      await server.stop();
      if (!options.keep) rmSync(dir, { recursive: true, force: true });
      else log(`kept the instance in ${dir}`);
    }
  }
}
