// Renders a results JSON as markdown: the targets table (checked again from the figures, so an
// older file reads with today's definitions), then one table per scenario. The same text is
// printed by `bench/run.ts` and written into docs/benchmarks.md by `bench/report.ts`.
import { checkTargets, type BenchResults } from './results.ts';
import { formatMs } from './stats.ts';

const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));
const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : '**not met**');

function table(head: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Cores used by the server, the generator and everything else (and stolen by the hypervisor). */
function cpuText(cpu: { server: number; generator: number; others?: number; steal?: number }): string {
  return `${cpu.server} / ${cpu.generator} / ${cpu.others ?? '–'} (${cpu.steal ?? '–'})`;
}

function errorsText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length ? entries.map(([k, v]) => `${k} ×${v}`).join(', ') : 'none';
}

export function renderResults(results: BenchResults, source?: string): string {
  const out: string[] = [];
  const m = results.machine;
  const { idle, pairing, saturated, relay, churn, http, startup } = results.scenarios;
  out.push(
    `Run of ${results.startedAt.replace('T', ' ').slice(0, 16)} UTC, preset \`${results.preset}\`` +
      (results.label ? ` — **${results.label}**` : '') +
      (source ? ` (\`${source}\`)` : '') +
      '.',
  );
  out.push('');
  out.push(
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, kernel ${m.kernel}; ` +
      `load average ${m.loadAverage} at the start; open-file limit ${m.fdLimit === null ? 'unknown' : fmt(m.fdLimit)}. ` +
      `${fmt(results.options.clients)} clients over ${results.options.addresses} loopback source addresses; server ping every ${results.options.heartbeatMs / 1000} s.`,
  );
  out.push('');
  out.push('### Targets');
  out.push('');
  out.push(table(['measure', 'target', 'result', ''], checkTargets(results).map((t) => [t.measure, t.target, t.result, verdict(t.met)])));

  if (idle) {
    out.push('', '### 1. Idle', '');
    out.push(
      table(
        ['clients', 'connect time', 'online after hold', 'RSS empty → half → all', 'heap empty → half → all', 'per 1,000 (vs. empty)', 'per 1,000 more (half → all)', 'errors'],
        [
          [
            `${fmt(idle.connected)} / ${fmt(idle.clients)}`,
            `${idle.connectSeconds} s (${fmt(idle.connectsPerSec)}/s)`,
            `${fmt(idle.onlineAfterHold)} after ${idle.holdSeconds} s`,
            `${idle.baseline.rssMB} → ${idle.half.rssMB} → ${idle.loaded.rssMB} MB`,
            `${idle.baseline.heapUsedMB} → ${idle.half.heapUsedMB} → ${idle.loaded.heapUsedMB} MB`,
            `**${idle.perThousand.rssMB} MB RSS**, ${idle.perThousand.heapMB} MB heap`,
            `${idle.marginalPerThousand.rssMB} MB RSS, ${idle.marginalPerThousand.heapMB} MB heap`,
            errorsText(idle.errors),
          ],
        ],
      ),
    );
  }
  if (pairing) {
    out.push('', `### 2. Pairing (${fmt(pairing.population)} clients)`, '');
    out.push(
      table(
        ['rate asked (pairs/s)', 'pairs/s', 'find+next/s', 'time-to-match p50', 'p99', 'max', 'server loop delay p99 (max)', 'CPU server / generator / others (steal)', 'generator loop delay p99 (max)'],
        pairing.steps.map((s) => [
          fmt(s.targetPairsPerSec),
          fmt(s.achievedPairsPerSec),
          fmt(s.findsPerSec),
          `${formatMs(s.timeToMatch.p50)}`,
          `${formatMs(s.timeToMatch.p99)}`,
          `${formatMs(s.timeToMatch.max)}`,
          `${formatMs(s.eventLoop.p99)} (max ${formatMs(s.eventLoop.max)})`,
          cpuText(s.cpu),
          `${formatMs(s.cpu.generatorLoopP99 ?? 0)} (max ${formatMs(s.cpu.generatorLoopMax ?? 0)})`,
        ]),
      ),
    );
    out.push('');
    out.push(
      `Highest rate with p99 ≤ 25 ms: **${pairing.bestPairsPerSec === null ? 'none' : `${fmt(pairing.bestPairsPerSec)} pairs/s`}**. ` +
        `Afterwards: ${pairing.settle.queued} queued, ${pairing.settle.conversations} conversations left; errors: ${errorsText(pairing.errors)}.`,
    );
  }
  if (saturated) {
    out.push('', '### 2b. Saturated pairing (closed loop: find → matched → offer arrives → next)', '');
    out.push(
      table(
        ['clients', 'pairs/s', 'time-to-paired p50', 'p99', 'max', 'server loop delay p99 (max)', 'CPU server / generator / others (steal)', 'server CPU per pairing', 'server RSS', 'errors'],
        saturated.runs.map((r) => [
          fmt(r.clients),
          `**${fmt(r.pairsPerSec)}**`,
          formatMs(r.timeToPaired.p50),
          formatMs(r.timeToPaired.p99),
          formatMs(r.timeToPaired.max),
          `${formatMs(r.eventLoop.p99)} (max ${formatMs(r.eventLoop.max)})`,
          cpuText(r.cpu),
          r.serverCpuMsPerPair === undefined ? '–' : `${r.serverCpuMsPerPair} ms`,
          `${r.rssMB} MB`,
          errorsText(r.errors) + (r.settle.leaked ? `, ${r.settle.leaked} leaked` : ''),
        ]),
      ),
    );
  }
  if (relay) {
    out.push('', `### 3. Relay (${fmt(relay.pairs)} video conversations, half messages, half signals)`, '');
    out.push(
      table(
        ['rate asked (/s)', 'sent/s', 'delivered/s', 'message p50', 'p99', 'signal p50', 'p99', 'server loop delay p99 (max)', 'CPU server / generator / others (steal)', 'generator loop delay p99 (max)', 'kept up'],
        relay.steps.map((s) => [
          fmt(s.targetPerSec),
          fmt(s.sentPerSec),
          fmt(s.deliveredPerSec),
          `${formatMs(s.message.p50)}`,
          `${formatMs(s.message.p99)}`,
          `${formatMs(s.signal.p50)}`,
          `${formatMs(s.signal.p99)}`,
          `${formatMs(s.eventLoop.p99)} (max ${formatMs(s.eventLoop.max)})`,
          cpuText(s.cpu),
          `${formatMs(s.cpu.generatorLoopP99 ?? 0)} (max ${formatMs(s.cpu.generatorLoopMax ?? 0)})`,
          s.keptUp ? 'yes' : s.generatorLimited ? 'no (generator)' : `no${s.lost ? ` (${fmt(s.lost)} lost)` : ''}`,
        ]),
      ),
    );
    out.push('');
    out.push(
      `Ceiling: **${relay.ceilingPerSec === null ? 'none' : `${fmt(relay.ceilingPerSec)} messages/s`}**. Corrupted or misordered: ${relay.corrupted}; errors: ${errorsText(relay.errors)}.`,
    );
  }
  if (churn) {
    const a = churn.actions;
    out.push('', `### 4. Churn (${fmt(churn.population)} people, ${churn.seconds} s)`, '');
    out.push(
      table(
        ['conversations', 'find / next / leave', 'reports (acknowledged)', 'messages sent / received', 'signals sent / received', 'reconnects', 'server loop delay p99 (max)', 'CPU server / generator / others (steal)', 'generator loop delay p99 (max)'],
        [
          [
            fmt(Math.floor((a.matches ?? 0) / 2)),
            `${fmt(a.finds)} / ${fmt(a.nexts)} / ${fmt(a.leaves)}`,
            `${fmt(a.reports)} (${fmt(a.reportedAcks)})`,
            `${fmt(a.messagesSent)} / ${fmt(a.messagesReceived)}`,
            `${fmt(a.signalsSent)} / ${fmt(a.signalsReceived)}`,
            fmt(a.reconnects),
            `${formatMs(churn.eventLoop.p99)} (max ${formatMs(churn.eventLoop.max)})`,
            cpuText(churn.cpu),
            `${formatMs(churn.cpu.generatorLoopP99 ?? 0)} (max ${formatMs(churn.cpu.generatorLoopMax ?? 0)})`,
          ],
        ],
      ),
    );
    out.push('');
    out.push(
      `Afterwards: ${churn.settle.queued} queued, ${churn.settle.conversations} conversations, ${churn.settle.online} online for ${churn.settle.open} open sockets ` +
        `(**${churn.settle.leaked} leaked**); ${churn.ghostMatches ?? 0} matches with someone already gone. Errors: **${errorsText(churn.errors)}**; crossed ends (a frame that met the partner's \`ended\`, answered \`not_matched\`): ${fmt(churn.crossedEnds)}.`,
    );
  }
  if (http) {
    out.push('', `### 5. HTTP (${http.concurrency} keep-alive connections, ${http.seconds} s each)`, '');
    out.push(
      table(
        ['request', 'requests/s', 'p50', 'p99', 'unexpected answers', 'CPU server / generator / others (steal)'],
        [
          ['GET /api/config', fmt(http.config.perSec), `${formatMs(http.config.latency.p50)}`, `${formatMs(http.config.latency.p99)}`, errorsText(http.config.unexpected), cpuText(http.config.cpu)],
          ['POST /api/session', fmt(http.session.perSec), `${formatMs(http.session.latency.p50)}`, `${formatMs(http.session.latency.p99)}`, errorsText(http.session.unexpected), cpuText(http.session.cpu)],
        ],
      ),
    );
  }
  if (startup) {
    out.push('', '### 6. Start-up (spawn → 200 from /healthz, then from /readyz)', '');
    const row = (label: string, c: typeof startup.fresh): string[] => [
      label,
      c.runs.map(Math.round).join(', '),
      formatMs(c.median),
      formatMs(c.max),
      formatMs(c.listeningMedian),
      c.readyMedian === undefined ? 'not measured' : formatMs(c.readyMedian),
    ];
    out.push(
      table(
        ['database', 'healthy, runs (ms)', 'healthy, median', 'max', 'listening (median)', 'ready (median)'],
        [
          row('new instance (created and migrated)', startup.fresh),
          row('empty, migrated', startup.empty),
          row(`${fmt(startup.bans)} bans (${fmt(startup.activeBans)} active), ${fmt(startup.reports)} reports, ${startup.databaseMB} MB`, startup.populated),
        ],
      ),
    );
  }
  if (results.final) {
    out.push('');
    out.push(
      `After every client was dropped: ${results.final.onlineAfterClose} online; the server stopped with exit code ${results.final.serverExitCode}; ` +
        `${results.final.serverLogErrors} error lines in its log over the whole run.`,
    );
  }
  if (results.failures.length || results.warnings.length) {
    out.push('', '### Problems during the run', '');
    for (const failure of results.failures) out.push(`- failed: ${failure}`);
    for (const warning of results.warnings) out.push(`- ${warning}`);
  }
  return `${out.join('\n')}\n`;
}
