// The shared state of an instance's processes, chosen in one place: createServer takes
// `deps.cluster ?? memoryCluster()`, and everything that must agree across nodes goes through it —
// pairing and relay (the Hub), the moderation feed's wake-ups (EventBus), per-address and login
// limits (LimiterStore) and one-runner-at-a-time work (Lock). The memory cluster is one process;
// a Redis cluster (part of the scale-out) implements the same four ports.
import { randomUUID } from 'node:crypto';
import type { Hub, HubOptions } from '../chat/hub.ts';
import { InMemoryHub } from '../chat/memory-hub.ts';
import { memoryEventBus, type EventBus } from './event-bus.ts';
import { memoryLimiterStore, type LimiterStore } from './limiter-store.ts';
import { memoryLock, type Lock } from './lock.ts';

/** The ports of the state an instance's processes share. */
export interface Cluster {
  /** This process's node id, unique in the cluster. */
  readonly nodeId: string;
  /** Builds this node's Hub. */
  createHub(options: Omit<HubOptions, 'nodeId'>): Hub;
  /** Wakes every node's moderation feed when rows were committed. */
  readonly events: EventBus;
  /** Where per-address and login limits are counted. */
  readonly limiters: LimiterStore;
  /** Named locks held by one runner of the cluster at a time. */
  readonly locks: Lock;
  /** Lets go of what the cluster holds (connections to its stores); the Hub is closed by its owner first. */
  close(): Promise<void>;
}

/** One process on its own: every port in memory. */
export function memoryCluster(options: { now?: () => number; nodeId?: string } = {}): Cluster {
  const nodeId = options.nodeId ?? `node-${randomUUID()}`;
  const events = memoryEventBus();
  return {
    nodeId,
    createHub: (hubOptions) => new InMemoryHub({ ...hubOptions, nodeId }),
    events,
    limiters: memoryLimiterStore(options.now ? { now: options.now } : {}),
    locks: memoryLock(),
    close: () => events.close(),
  };
}
