// The ban check when someone asks for a partner (`find`, `next`). A ban or an automatic quarantine
// written by another process reaches this one through the moderation feed, read every second; a
// person who asks for a partner in that second must not be paired on the strength of an old
// index. So the feed is read first — a read that begins after the request, shared by every request
// arriving meanwhile — and only then is the person matched against the bans.
import type { Ban, BanIndex, BanSubject } from './ban-index.ts';

/** The part of the moderation feed the gate needs (ModerationFeed.catchUp). */
export interface FeedCatchUp {
  catchUp(): Promise<boolean>;
}

/** The feed could not be read: the person is not paired on a guess (fail closed). */
export class FeedUnavailableError extends Error {
  constructor() {
    super('the moderation feed could not be read');
    this.name = 'FeedUnavailableError';
  }
}

export class PairingGate {
  readonly #feed: FeedCatchUp;
  readonly #index: BanIndex;

  constructor(deps: { feed: FeedCatchUp; index: BanIndex }) {
    this.#feed = deps.feed;
    this.#index = deps.index;
  }

  /** The ban (any severity: `no_matching` is exactly "never paired") that forbids pairing this person now, if any. */
  async check(subject: BanSubject): Promise<Ban | undefined> {
    if (!(await this.#feed.catchUp())) throw new FeedUnavailableError();
    return this.#index.match(subject);
  }

  /** The same check against what is already known, without reading the feed (the Hub's last look before pairing). */
  knownBan(subject: BanSubject): Ban | undefined {
    return this.#index.match(subject);
  }
}
