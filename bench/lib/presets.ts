// How long and how hard each scenario runs. `full` is what docs/benchmarks.md records; `quick`
// checks a change in a couple of minutes; `smoke` is the CI run that keeps the harness alive.

export const SCENARIOS = ['idle', 'pairing', 'saturated', 'relay', 'churn', 'http', 'startup'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Preset {
  name: 'full' | 'quick' | 'smoke';
  /** Connected clients (scenario 1's N, and the population of 2 and 4). */
  clients: number;
  /** Loopback source addresses the clients are spread over (127.0.0.2 …). */
  addresses: number;
  /** Server ping interval; the idle scenario holds for two of them. */
  heartbeatMs: number;
  connectConcurrency: number;
  pairing: {
    /** Pair rates tried in turn (pairs per second); stops after two steps over the latency bound. */
    rates: number[];
    stepSeconds: number;
    warmupSeconds: number;
    /** A conversation is at least this old before a `next` ends it. */
    minHoldMs: number;
  };
  saturated: {
    /** Loop sizes run in turn (each capped by the connected population). */
    clients: number[];
    seconds: number;
    warmupSeconds: number;
  };
  relay: {
    /** Conversations carrying the traffic. */
    pairs: number;
    /** Rates always measured (messages per second). */
    fixedRates: number[];
    /** Rates tried above them until the server no longer keeps up. */
    ceilingRates: number[];
    stepSeconds: number;
  };
  churn: {
    seconds: number;
    /** Mean time a person stays in a conversation before they skip (each side independently). */
    skipMeanMs: number;
    /** Mean time between one person's messages while in a conversation. */
    messageMeanMs: number;
    /** Mean time between one person's reconnects (closing the tab, a network change). */
    reconnectMeanMs: number;
    /** Share of conversation ends that are reports, and that are `leave` (the rest are `next`). */
    reportShare: number;
    leaveShare: number;
    /** Share of `find`s after which the person closes the tab within a moment (usually still queued). */
    abandonShare: number;
    /** A conversation only one side heard of for this long, never ended, is a ghost (the other had gone). */
    ghostAfterMs: number;
  };
  http: { seconds: number; concurrency: number };
  startup: { runs: number; bans: number; reports: number };
}

export const PRESETS: Record<Preset['name'], Preset> = {
  full: {
    name: 'full',
    clients: 10_000,
    addresses: 20,
    heartbeatMs: 10_000,
    connectConcurrency: 64,
    pairing: { rates: [250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000], stepSeconds: 5, warmupSeconds: 2, minHoldMs: 200 },
    saturated: { clients: [1000, 5000], seconds: 10, warmupSeconds: 2 },
    relay: { pairs: 1000, fixedRates: [1000, 5000], ceilingRates: [7500, 10_000, 12_500, 15_000, 20_000, 25_000, 30_000, 40_000], stepSeconds: 5 },
    churn: { seconds: 60, skipMeanMs: 20_000, messageMeanMs: 5000, reconnectMeanMs: 120_000, reportShare: 0.02, leaveShare: 0.1, abandonShare: 0.03, ghostAfterMs: 5000 },
    http: { seconds: 5, concurrency: 32 },
    startup: { runs: 3, bans: 100_000, reports: 100_000 },
  },
  quick: {
    name: 'quick',
    clients: 2000,
    addresses: 8,
    heartbeatMs: 5000,
    connectConcurrency: 64,
    pairing: { rates: [250, 500, 1000, 2000, 3000, 4000], stepSeconds: 2, warmupSeconds: 1, minHoldMs: 200 },
    saturated: { clients: [1000], seconds: 5, warmupSeconds: 1 },
    relay: { pairs: 500, fixedRates: [1000, 5000], ceilingRates: [10_000, 15_000, 20_000, 30_000], stepSeconds: 2 },
    churn: { seconds: 20, skipMeanMs: 20_000, messageMeanMs: 5000, reconnectMeanMs: 120_000, reportShare: 0.02, leaveShare: 0.1, abandonShare: 0.03, ghostAfterMs: 5000 },
    http: { seconds: 2, concurrency: 32 },
    startup: { runs: 1, bans: 100_000, reports: 100_000 },
  },
  smoke: {
    name: 'smoke',
    clients: 300,
    addresses: 4,
    heartbeatMs: 3000,
    connectConcurrency: 32,
    pairing: { rates: [50, 100], stepSeconds: 1, warmupSeconds: 0.5, minHoldMs: 100 },
    saturated: { clients: [100, 300], seconds: 1, warmupSeconds: 0.5 },
    relay: { pairs: 50, fixedRates: [200], ceilingRates: [400], stepSeconds: 1 },
    // Faster than life, so a few seconds still hold every kind of event.
    churn: { seconds: 4, skipMeanMs: 1500, messageMeanMs: 400, reconnectMeanMs: 6000, reportShare: 0.1, leaveShare: 0.2, abandonShare: 0.15, ghostAfterMs: 3000 },
    http: { seconds: 1, concurrency: 8 },
    startup: { runs: 1, bans: 2000, reports: 2000 },
  },
};
