// An InMemoryHub with everything it depends on replaced by something the test controls: a fake
// clock whose timers fire only when the test moves time forward, a seeded random, sequential ids,
// and sinks that record what each person receives. No network, no real timers.
import { HUB_DEFAULTS, type AgeBand, type HubOptions, type Participant } from '../../server/chat/hub.ts';
import { InMemoryHub } from '../../server/chat/memory-hub.ts';
import type { ServerMessage } from '../../server/protocol/messages.ts';

/** A fixed, realistic epoch so times never start at zero. */
export const START_TIME = Date.UTC(2026, 0, 5, 9, 0, 0);

import { seededRandom } from './random.ts';

export { seededRandom };

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
   * due time (earliest first), including timers that those timers set.
   */
  advance(ms: number): void {
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
    // A copy, so a later mutation by the Hub cannot rewrite what was "sent".
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

export interface HubHarness {
  hub: InMemoryHub;
  time: FakeTime;
  inboxes: Map<string, Inbox>;
  /** Connects `id` (session `session-<id>`, device `device-<id>` unless given; address, identity and the rest as given) and returns its inbox. */
  connect(id: string, identity?: Partial<Omit<Participant, 'id'>>): Inbox;
  inbox(id: string): Inbox;
}

export function createHubHarness(
  options: Partial<
    Pick<HubOptions, 'interestWaitMs' | 'reportGraceMs' | 'transcriptLinesPerSide' | 'reportedAddressAvoidMs' | 'sharedAddressDevices' | 'mayPair'>
  > & { seed?: number } = {},
): HubHarness {
  const time = new FakeTime();
  const { seed = 1, ...overrides } = options;
  const hub = new InMemoryHub({
    ...TEST_HUB_OPTIONS,
    ...overrides,
    now: time.now,
    random: seededRandom(seed),
    newId: sequentialIds(),
    setTimer: time.setTimer,
    clearTimer: time.clearTimer,
  });
  const inboxes = new Map<string, Inbox>();
  return {
    hub,
    time,
    inboxes,
    connect(id, identity = {}) {
      const inbox = new Inbox(time.now);
      const band: AgeBand = identity.band ?? 'adult';
      hub.connect({ ...identity, id, sessionId: identity.sessionId ?? `session-${id}`, deviceId: identity.deviceId ?? `device-${id}`, band }, inbox);
      inboxes.set(id, inbox);
      return inbox;
    },
    inbox(id) {
      const inbox = inboxes.get(id);
      if (!inbox) throw new TypeError(`no inbox for ${id}: connect it first`);
      return inbox;
    },
  };
}
