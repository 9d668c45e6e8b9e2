// The moderation feed's wake-up: a change committed by one process (a ban, a killed session, an
// announcement) is read by every server process from the moderation_events table, which stays
// the source of truth (the outbox, read in commit order, payloads validated). A bus carries no
// event: it only tells the readers to read now rather than at their next poll, so a lost wake-up
// costs the poll's delay and nothing else. In memory it wakes this process's own readers; a Redis
// bus (pub/sub) wakes every node's.

/** Wakes the readers of the moderation feed sooner than their poll. */
export interface EventBus {
  /** Says that feed rows were committed (call it after the commit). Never throws. */
  notify(): void;
  /** Calls `wake` after every notify, from any process the bus reaches (this one included); returns the unsubscribe. */
  subscribe(wake: () => void): () => void;
  /** Stops delivering wake-ups. */
  close(): Promise<void>;
}

/** Calls every subscriber once: a subscriber's failure is its own to report, the others are still woken. */
export function wakeAll(subscribers: ReadonlySet<() => void>): void {
  for (const wake of [...subscribers]) {
    try {
      wake();
    } catch {
      // Reported (or not) by the subscriber itself.
    }
  }
}

/** The bus of one process: a notify wakes this process's subscribers, on a later turn of the event loop. */
export function memoryEventBus(): EventBus {
  const subscribers = new Set<() => void>();
  let scheduled = false;
  let closed = false;
  const deliver = () => {
    scheduled = false;
    if (!closed) wakeAll(subscribers);
  };
  return {
    notify() {
      // Several commits in one turn wake each reader once.
      if (closed || scheduled) return;
      scheduled = true;
      setImmediate(deliver);
    },
    subscribe(wake) {
      subscribers.add(wake);
      return () => void subscribers.delete(wake);
    },
    async close() {
      closed = true;
      subscribers.clear();
    },
  };
}
