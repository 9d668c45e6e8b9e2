// The ban check when someone asks for a partner (`find`, `next`). A ban or an automatic quarantine
// written by another process reaches this one through the moderation feed, read every second; a
// person who asks for a partner in that second must not be paired on the strength of an old
// index. So the feed is read first — a read that begins after the request, shared by every request
// arriving meanwhile — and only then is the person matched against the bans.
import type { Ban, BanIndex, BanSubject } from './ban-index.ts';

/** The part of the moderation feed the gate needs (ModerationFeed.catchUp). */
export interface FeedCatchUp {
  /** Resolves once a read that began after the call is done: true when it succeeded; one promise for all the callers it serves. */
  catchUp(): Promise<boolean>;
}

/** The feed could not be read: the person is not paired on a guess (fail closed). */
export class FeedUnavailableError extends Error {
  constructor() {
    super('the moderation feed could not be read');
    this.name = 'FeedUnavailableError';
  }
}

/** Someone waiting for the gate's answer to a request (a connection's `find` or `next`), numbered by the asker. */
export interface PairingWaiter {
  /** Who asks: the ban subject (address, device, identity). */
  readonly participant: BanSubject;
  /** The answer to request `turn`: the ban (any severity: `no_matching` is exactly "never paired") that forbids pairing now, if any. */
  admitted(turn: number, ban: Ban | undefined): void;
  /** The feed could not be read for request `turn`: nobody is paired on a guess. */
  refused(turn: number, error: Error): void;
}

export class PairingGate {
  readonly #feed: FeedCatchUp;
  readonly #index: BanIndex;
  /** The feed read the waiters below share, and who waits for it (with their request numbers). */
  #read: Promise<boolean> | undefined;
  #waiters: PairingWaiter[] = [];
  #turns: number[] = [];

  constructor(deps: { feed: FeedCatchUp; index: BanIndex }) {
    this.#feed = deps.feed;
    this.#index = deps.index;
  }

  /**
   * Answers the waiter's request `turn` once a feed read that began after this call is done. The
   * requests that share a read (every one of an event-loop turn) are answered together, in the
   * order they asked, by one callback: a busy server asks hundreds of times a second, and a
   * promise and an async function per request were a few per cent of it.
   */
  ask(waiter: PairingWaiter, turn: number): void {
    const read = this.#feed.catchUp();
    if (read !== this.#read) {
      this.#read = read;
      const waiters: PairingWaiter[] = (this.#waiters = []);
      const turns: number[] = (this.#turns = []);
      void read.then((ok) => this.#answer(waiters, turns, ok));
    }
    this.#waiters.push(waiter);
    this.#turns.push(turn);
  }

  /** Answers everyone who shared a read; one waiter's failure does not keep the others waiting (it is thrown after). */
  #answer(waiters: PairingWaiter[], turns: number[], ok: boolean): void {
    let failure: unknown;
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i]!;
      try {
        if (ok) waiter.admitted(turns[i]!, this.#index.match(waiter.participant));
        else waiter.refused(turns[i]!, new FeedUnavailableError());
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** The same check against what is already known, without reading the feed (the Hub's last look before pairing). */
  knownBan(subject: BanSubject): Ban | undefined {
    return this.#index.match(subject);
  }
}
