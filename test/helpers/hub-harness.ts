// What the Hub contract suite (hub-contract.ts) drives a Hub with: everything the Hub depends on
// replaced by something the test controls — a fake clock whose timers fire only when the test
// moves time forward, a seeded random, sequential ids, and sinks that record what each person
// receives — and, for the Hub itself, a factory any implementation can meet (`MakeHub`). Every
// command is followed by `settle()`, so an asynchronous Hub (Redis) is checked only once its
// effects have arrived; for the memory Hub that costs nothing.
import type { AgeBand, ConversationRecord, FindRequest, Hub, HubOptions, HubStats, Participant, PartnerMessage } from '../../server/chat/hub.ts';
import { HUB_DEFAULTS } from '../../server/chat/hub.ts';
import type { Avoid } from '../../server/chat/avoids.ts';
import { InMemoryHub } from '../../server/chat/memory-hub.ts';
import type { EndedReason, ServerMessage } from '../../server/protocol/messages.ts';
import { seededRandom } from './random.ts';

export { seededRandom };

/** A fixed, realistic epoch so times never start at zero. */
export const START_TIME = Date.UTC(2026, 0, 5, 9, 0, 0);

/** `conv-1`, `conv-2`, …: readable in failure output and predictable in assertions. */
export function sequentialIds(prefix = 'conv'): () => string {
  let next = 0;
  return () => `${prefix}-${++next}`;
}

interface PendingTimer {
  due: number;
  /** Creation order, so timers due at the same instant fire in the order they were set. */
  order: number;
  fn: () => void;
}

/** A clock and timers that move only when `advance` is called. */
export class FakeTime {
  #now: number;
  #timers = new Map<number, PendingTimer>();
  #nextHandle = 1;

  constructor(start = START_TIME) {
    this.#now = start;
  }

  // Arrow properties so they can be handed to the Hub as plain functions.
  readonly now = (): number => this.#now;

  readonly setTimer = (fn: () => void, ms: number): unknown => {
    const handle = this.#nextHandle++;
    this.#timers.set(handle, { due: this.#now + Math.max(0, ms), order: handle, fn });
    return handle;
  };

  readonly clearTimer = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves the clock forward by `ms`, firing every timer that falls due on the way at its own
   * due time (earliest first), including timers that those timers set; after each, `settle`
   * lets an asynchronous Hub finish what the timer began before the clock moves on.
   */
  async advance(ms: number, settle: () => Promise<void> = async () => undefined): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      let nextHandle: number | undefined;
      let next: PendingTimer | undefined;
      for (const [handle, timer] of this.#timers) {
        if (timer.due > target) continue;
        if (!next || timer.due < next.due || (timer.due === next.due && timer.order < next.order)) {
          next = timer;
          nextHandle = handle;
        }
      }
      if (!next || nextHandle === undefined) break;
      this.#timers.delete(nextHandle);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
      await settle();
    }
    this.#now = target;
  }
}

/** A sink that keeps every message a person received, in order, and when (by the fake clock). */
export class Inbox {
  readonly messages: ServerMessage[] = [];
  /** `receivedAt[i]` is the clock when `messages[i]` arrived: a timer may fire mid-`advance`. */
  readonly receivedAt: number[] = [];
  readonly #now: () => number;

  constructor(now: () => number = () => NaN) {
    this.#now = now;
  }

  readonly send = (message: ServerMessage): void => {
    // A copy, so a later mutation by the Hub cannot rewrite what was "sent"; and what crosses
    // nodes must survive serialisation anyway.
    this.messages.push(structuredClone(message));
    this.receivedAt.push(this.#now());
  };

  /** Returns and forgets everything received so far. */
  take(): ServerMessage[] {
    this.receivedAt.length = 0;
    return this.messages.splice(0, this.messages.length);
  }

  /** Like `take`, with the time each message arrived. */
  takeTimed(): Array<{ message: ServerMessage; at: number }> {
    const at = this.receivedAt.splice(0, this.receivedAt.length);
    return this.messages.splice(0, this.messages.length).map((message, i) => ({ message, at: at[i]! }));
  }

  /** Everything received so far of one type (without consuming). */
  of<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }
}

export const TEST_HUB_OPTIONS = {
  interestWaitMs: 3000,
  reportGraceMs: 120_000,
  transcriptLinesPerSide: HUB_DEFAULTS.transcriptLinesPerSide,
  reportedAddressAvoidMs: 7 * 24 * 3600_000,
  sharedAddressDevices: 5,
} as const;

/**
 * What a Hub holds, as the suite checks it: every connection, every queue entry (`key` is
 * `<mode>:<band>`, the queue it waits in) and every conversation (`a` is the initiator).
 */
export interface HubSnapshot {
  online: string[];
  queued: Array<{ id: string; key: string }>;
  conversations: Array<{ id: string; a: string; b: string; mode: string }>;
}

/** A Hub as the suite drives it. */
export interface HubUnderTest {
  hub: Hub;
  /** Resolves once every effect of the commands given so far has been delivered to the sinks. */
  settle(): Promise<void>;
  /** What the Hub holds now (after settle). */
  snapshot(): Promise<HubSnapshot>;
  /** Releases what the Hub holds (its store, its connections), after `hub.close()`. */
  dispose(): Promise<void>;
}

/** Builds a fresh, empty Hub with these options (every option the suite controls: clock, timers, random, ids). */
export type MakeHub = (options: HubOptions) => Promise<HubUnderTest> | HubUnderTest;

/** The in-memory Hub, which is synchronous inside: settled at once. */
export const memoryHub: MakeHub = (options) => {
  const hub = new InMemoryHub(options);
  return {
    hub,
    settle: async () => undefined,
    snapshot: async () => hub.snapshot(),
    dispose: async () => undefined,
  };
};

export interface HubHarness {
  hub: Hub;
  time: FakeTime;
  inboxes: Map<string, Inbox>;
  /** Failures the Hub reported to onError. */
  errors: unknown[];
  /** Connects `id` (session `session-<id>`, device `device-<id>` unless given; address, identity and the rest as given) and returns its inbox. */
  connect(id: string, identity?: Partial<Omit<Participant, 'id'>>): Promise<Inbox>;
  inbox(id: string): Inbox;
  enqueue(id: string, request: FindRequest): Promise<void>;
  next(id: string): Promise<void>;
  leave(id: string): Promise<void>;
  sendToPartner(id: string, message: PartnerMessage): Promise<void>;
  kick(id: string, reason: Extract<EndedReason, 'ban' | 'moderator' | 'closed'>): Promise<void>;
  disconnect(id: string): Promise<void>;
  /** endForReport: the record, or undefined when there was nothing to report. */
  report(id: string): Promise<ConversationRecord | undefined>;
  avoid(...avoids: Avoid[]): Promise<void>;
  stats(): Promise<HubStats>;
  snapshot(): Promise<HubSnapshot>;
  settle(): Promise<void>;
  /** Moves the fake clock forward, settling after every timer that fires. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export type HarnessOptions = Partial<
  Pick<HubOptions, 'interestWaitMs' | 'reportGraceMs' | 'transcriptLinesPerSide' | 'reportedAddressAvoidMs' | 'sharedAddressDevices' | 'mayPair'>
> & { seed?: number };

export async function createHubHarness(makeHub: MakeHub, options: HarnessOptions = {}): Promise<HubHarness> {
  const time = new FakeTime();
  const { seed = 1, ...overrides } = options;
  const errors: unknown[] = [];
  const under = await makeHub({
    nodeId: 'node-test',
    ...TEST_HUB_OPTIONS,
    ...overrides,
    onError: (error) => void errors.push(error),
    now: time.now,
    random: seededRandom(seed),
    newId: sequentialIds(),
    setTimer: time.setTimer,
    clearTimer: time.clearTimer,
  });
  const { hub, settle } = under;
  const inboxes = new Map<string, Inbox>();
  const settled = async (command: () => void): Promise<void> => {
    command();
    await settle();
  };
  return {
    hub,
    time,
    inboxes,
    errors,
    async connect(id, identity = {}) {
      const inbox = new Inbox(time.now);
      const band: AgeBand = identity.band ?? 'adult';
      inboxes.set(id, inbox);
      await settled(() => hub.connect({ ...identity, id, sessionId: identity.sessionId ?? `session-${id}`, deviceId: identity.deviceId ?? `device-${id}`, band }, inbox));
      return inbox;
    },
    inbox(id) {
      const inbox = inboxes.get(id);
      if (!inbox) throw new TypeError(`no inbox for ${id}: connect it first`);
      return inbox;
    },
    enqueue: (id, request) => settled(() => hub.enqueue(id, request)),
    next: (id) => settled(() => hub.next(id)),
    leave: (id) => settled(() => hub.leave(id)),
    sendToPartner: (id, message) => settled(() => hub.sendToPartner(id, message)),
    kick: (id, reason) => settled(() => hub.kick(id, reason)),
    disconnect: (id) => settled(() => hub.disconnect(id)),
    async report(id) {
      const outcome = await hub.endForReport(id);
      await settle();
      if (outcome.kind === 'failed') throw new Error(`endForReport(${id}) failed`);
      return outcome.kind === 'record' ? outcome.record : undefined;
    },
    async avoid(...avoids) {
      await hub.avoid(avoids);
      await settle();
    },
    stats: () => hub.stats(),
    snapshot: () => under.snapshot(),
    settle,
    advance: (ms) => time.advance(ms, settle),
    async close() {
      await hub.close();
      await under.dispose();
    },
  };
}
