// What a starting server must know before it serves anyone: the active bans (into this process's
// ban index) and the "never pair again" entries of past reports (into the Hub). On a populated
// instance they take over a second to read, so they load a page at a time with the event loop
// free in between, while the server already listens: until they are in, every request but
// /healthz and /readyz, and every upgrade, waits (the readiness gate), so nobody is served before
// their bans are known or paired with someone they reported. The load starts after the feed's
// starting point is fixed: a ban written in between arrives as an event (put and remove are
// idempotent) instead of being missed until the next restart.
import type { Hub } from '../chat/hub.ts';
import type { Logger } from '../logger.ts';
import type { BanIndex } from './ban-index.ts';
import type { BanService } from './bans.ts';
import type { PairAvoidStore } from './pair-avoids.ts';

/** Bans or avoided pairs read per query at start: a page holds the event loop for some 20 ms. */
export const LOAD_PAGE_ROWS = 1000;

export interface BanLoaderDeps {
  bans: Pick<BanService, 'activeInPages'>;
  avoids: Pick<PairAvoidStore, 'liveInPages'>;
  index: BanIndex;
  hub: Pick<Hub, 'avoid'>;
  logger: Logger;
}

/** The start-up load and the readiness it gates. */
export class BanLoader {
  readonly #deps: BanLoaderDeps;
  #loaded = false;
  #stopping = false;
  #loading: Promise<void> | undefined;

  constructor(deps: BanLoaderDeps) {
    this.#deps = deps;
  }

  /** True once the bans and the avoided pairs are in memory. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Settles when the load has finished; rejects when it failed (nothing is served then). */
  get ready(): Promise<void> {
    return (this.#loading ??= this.#load());
  }

  /** Begins the load (once); its failure is logged, and leaves the server unready. */
  start(): void {
    this.ready.catch((error: unknown) => this.#deps.logger.error({ err: error }, 'loading the bans and reported pairs failed'));
  }

  /** Waits for the load; false when the server began to stop first (then nothing may be served). Rejects when the load failed. */
  async untilLoaded(): Promise<boolean> {
    if (!this.#loaded) await this.ready;
    return this.#loaded;
  }

  /** Stops loading at the next page and waits for the load to end. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loading?.catch(() => undefined);
  }

  async #load(): Promise<void> {
    const { bans, avoids, index, hub, logger } = this.#deps;
    for await (const page of bans.activeInPages(LOAD_PAGE_ROWS)) {
      if (this.#stopping) return;
      for (const ban of page) index.put(ban);
      await nextTurn();
    }
    // Reporter and reported are never paired again (by device, identity, and address for a
    // window), across restarts too.
    let avoided = 0;
    for await (const page of avoids.liveInPages(LOAD_PAGE_ROWS)) {
      if (this.#stopping) return;
      await hub.avoid(page);
      avoided += page.length;
      await nextTurn();
    }
    this.#loaded = true;
    logger.info({ bans: index.size, avoids: avoided }, 'bans and reported pairs loaded');
  }
}

/** Lets pending I/O (requests, timers) run before the next page of a long load. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
