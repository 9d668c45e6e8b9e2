// Scenario 5, HTTP: GET /api/config and POST /api/session as fast as a fixed number of keep-alive
// connections can send them, one request at a time each (closed loop).
import type { BenchContext } from '../lib/context.ts';
import { CpuMeter, type CpuFigures } from '../lib/proc.ts';
import { summarize, type Summary } from '../lib/stats.ts';

export interface HttpEndpointResult {
  requests: number;
  perSec: number;
  latency: Summary;
  /** Answers other than the expected status, by status. */
  unexpected: Record<string, number>;
  failures: number;
  cpu: CpuFigures;
}

export interface HttpResult {
  concurrency: number;
  seconds: number;
  config: HttpEndpointResult;
  session: HttpEndpointResult;
  errorCount: number;
}

export async function runHttp(ctx: BenchContext): Promise<HttpResult> {
  const { seconds, concurrency } = ctx.preset.http;
  const config = await hammer(ctx, 'GET', '/api/config', undefined, 200);
  ctx.log(`http: GET /api/config ${config.perSec}/s, p99 ${config.latency.p99} ms`);
  const session = await hammer(ctx, 'POST', '/api/session', JSON.stringify({ acceptRules: true, age: 16 }), 201);
  ctx.log(`http: POST /api/session ${session.perSec}/s, p99 ${session.latency.p99} ms`);
  const errorCount = [config, session].reduce((n, r) => n + r.failures + Object.values(r.unexpected).reduce((a, b) => a + b, 0), 0);
  return { concurrency, seconds, config, session, errorCount };
}

async function hammer(ctx: BenchContext, method: string, path: string, body: string | undefined, expected: number): Promise<HttpEndpointResult> {
  const { seconds, concurrency } = ctx.preset.http;
  const latencies: number[] = [];
  const unexpected: Record<string, number> = {};
  let failures = 0;
  const cpu = new CpuMeter(ctx.server.pid);
  cpu.start();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const localAddress = ctx.addresses[worker % ctx.addresses.length];
      while (performance.now() < deadline) {
        const at = performance.now();
        try {
          const res = await ctx.http.send(method, path, { body, localAddress });
          latencies.push(performance.now() - at);
          if (res.status !== expected) unexpected[res.status] = (unexpected[res.status] ?? 0) + 1;
        } catch {
          failures++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { requests: latencies.length, perSec: Math.round(latencies.length / elapsed), latency: summarize(latencies), unexpected, failures, cpu: cpu.read() };
}
