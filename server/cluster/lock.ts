// Work that one runner of the whole cluster does at a time: the automatic quarantine's decisions
// (two reports at once must not stack two quarantines), the retention purge and the recount of the
// daily usage figures. In memory the runners are this process's; a Redis lock (SET NX PX with a
// token, renewed while the work runs) makes them the cluster's.

/** The outcome of `ifFree`: whether the work ran, and what it returned. */
export type IfFree<T> = { ran: true; value: T } | { ran: false };

/** A named lock held by one runner of the cluster at a time. */
export interface Lock {
  /** Runs `work` holding `name`, after whoever holds it now has finished; released however `work` ends. */
  withLock<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Runs `work` holding `name` only when nobody holds it now (a periodic job another runner is already doing). */
  ifFree<T>(name: string, work: () => Promise<T>): Promise<IfFree<T>>;
}

/** The locks of one process: a queue per name. */
export function memoryLock(): Lock {
  /** Per name, the end of the queue of runs (the last holder's promise, never rejecting). */
  const tails = new Map<string, Promise<void>>();
  /** Per name, the runs queued or running: a name is free exactly when it has none. */
  const holders = new Map<string, number>();
  const run = <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const before = tails.get(name) ?? Promise.resolve();
    holders.set(name, (holders.get(name) ?? 0) + 1);
    const result = before.then(work);
    // Attached before the caller awaits `result`, so the name is free by the time the caller resumes.
    const release = () => {
      const left = holders.get(name)! - 1;
      if (left > 0) return void holders.set(name, left);
      // The last run of the name ended: forget it, so a lock per person does not pile up.
      holders.delete(name);
      tails.delete(name);
    };
    tails.set(name, result.then(release, release));
    return result;
  };
  return {
    withLock: run,
    async ifFree(name, work) {
      if (holders.has(name)) return { ran: false };
      return { ran: true, value: await run(name, work) };
    },
  };
}
