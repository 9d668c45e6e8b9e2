// Limits on moderator logins, counted before the password is hashed: each attempt reserves its
// place in every limit first, so a burst of guesses sent at once is refused beyond the limit
// instead of all passing a check made before any of them had failed. The counters are
// rate-limiter-flexible's, in the cluster's LimiterStore (server/cluster/limiter-store.ts): in
// memory for one process, in Redis for several, under the same rules.
//
// The policy (docs/security.md): an account is guessed at from one place (an IPv4 address, an
// IPv6 /64, or one browser the account has signed in from) at most 5 times per 15 minutes; one
// network tries at most 20 logins per 15 minutes, whatever the accounts; an account is tried at
// most 30 times an hour from everywhere else. Each lock lasts a bounded time. A browser the
// account signed in from before is exempt from the network and account-wide locks, so a stranger
// cannot keep the owner out of their own browser; and the locks of an account are keyed by its
// password, so `strangerchat mod reset-password` clears them at once.
import { createHash } from 'node:crypto';
import { AppError } from '../errors.ts';
import { memoryLimiterStore, type KeyedLimit, type LimiterStore } from '../cluster/limiter-store.ts';
import { addressKey } from './ip.ts';

const MINUTE_S = 60;

/** The numbers of the policy above; each `lockSeconds` is how long a place waits once over. */
export const LOGIN_LIMITS = {
  /** Attempts on one account from one network or one known browser. */
  perAccountPlace: { attempts: 5, windowSeconds: 15 * MINUTE_S, lockSeconds: 15 * MINUTE_S },
  /** Attempts from one network on any accounts (password spraying). */
  perNetwork: { attempts: 20, windowSeconds: 15 * MINUTE_S, lockSeconds: 15 * MINUTE_S },
  /** Attempts on one account from all networks together, its known browsers aside (a botnet). */
  perAccount: { attempts: 30, windowSeconds: 60 * MINUTE_S, lockSeconds: 60 * MINUTE_S },
  /** Password checks in progress at once: scrypt takes 32 MiB and tens of milliseconds each. */
  concurrentPerAccount: 2,
  concurrentPerNetwork: 4,
} as const;

/** Which limit refused an attempt. */
export type LoginLimitScope = 'account_place' | 'network' | 'account' | 'busy';

/** Where an attempt comes from. */
export interface LoginPlace {
  /** The client address (after the trusted-proxy rule). */
  address: string;
  /** Set when the browser holds a valid known-browser token of this very account. */
  knownBrowser?: string;
}

/** One reserved attempt: say whether it succeeded, and always release it. */
export interface LoginAttempt {
  /** The password was right: this attempt is given back (only failures count, and they still do). */
  succeeded(): Promise<void>;
  /** Ends the check (call in `finally`). */
  release(): void;
}

/** A refusal, and whether this very attempt is the one that locked (worth one audit entry). */
export class LoginLimited extends AppError {
  readonly scope: LoginLimitScope;
  readonly justLocked: boolean;
  constructor(scope: LoginLimitScope, retryAfterMs: number, justLocked: boolean) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(
      429,
      'rate_limited',
      scope === 'busy'
        ? 'A login for this account is already being checked; try again in a moment.'
        : `Too many failed logins; try again in ${Math.ceil(seconds / 60)} minute(s).`,
      { retryAfter: seconds },
    );
    this.scope = scope;
    this.justLocked = justLocked;
  }
}

/**
 * What an account's counters are keyed by besides its name: a digest of its password hash, which
 * a reset (or a change) of the password replaces. Unknown names share `none`.
 */
export function passwordEpoch(passwordHash: string | undefined): string {
  return passwordHash ? createHash('sha256').update(passwordHash).digest('base64url').slice(0, 16) : 'none';
}

function limit(store: LimiterStore, name: string, rule: { attempts: number; windowSeconds: number; lockSeconds: number }): KeyedLimit {
  return store.limit({ name, points: rule.attempts, durationSeconds: rule.windowSeconds, blockSeconds: rule.lockSeconds });
}

export class LoginLimits {
  readonly #perAccountPlace: KeyedLimit;
  readonly #perNetwork: KeyedLimit;
  readonly #perAccount: KeyedLimit;
  /** Checks in progress, by `account:<name>` and `network:<key>` (this process's: scrypt runs here). */
  readonly #inFlight = new Map<string, number>();

  constructor(store: LimiterStore = memoryLimiterStore()) {
    this.#perAccountPlace = limit(store, 'login-account-place', LOGIN_LIMITS.perAccountPlace);
    this.#perNetwork = limit(store, 'login-network', LOGIN_LIMITS.perNetwork);
    this.#perAccount = limit(store, 'login-account', LOGIN_LIMITS.perAccount);
  }

  /**
   * Reserves one attempt on `account` (its name and password epoch) before its password is
   * checked. Throws LoginLimited (429) when a limit is reached or too many checks are under way;
   * the attempt counts either way.
   */
  async reserve(account: { name: string; epoch: string }, place: LoginPlace): Promise<LoginAttempt> {
    const network = addressKey(place.address);
    const accountKey = `${account.name}:${account.epoch}`;
    const placeKey = `${accountKey}|${place.knownBrowser ? `browser:${place.knownBrowser}` : `network:${network}`}`;
    // Every attempt counts, the refused ones included. A known browser answers only for its own
    // attempts; anywhere else also counts for the network and for the account.
    const counted: Array<[LoginLimitScope, KeyedLimit, string]> = [['account_place', this.#perAccountPlace, placeKey]];
    if (!place.knownBrowser) counted.push(['network', this.#perNetwork, network], ['account', this.#perAccount, accountKey]);
    for (const [scope, counter, key] of counted) {
      const verdict = await counter.consume(key);
      if (!verdict.allowed) throw new LoginLimited(scope, verdict.msBeforeNext, verdict.consumed === counter.rule.points + 1);
    }

    const slots = [`account:${account.name}`, `network:${network}`];
    const caps = [LOGIN_LIMITS.concurrentPerAccount, LOGIN_LIMITS.concurrentPerNetwork];
    // Checked and taken without an await in between: concurrent requests see each other's slots.
    if (slots.some((slot, i) => (this.#inFlight.get(slot) ?? 0) >= caps[i]!)) throw new LoginLimited('busy', 1000, false);
    for (const slot of slots) this.#inFlight.set(slot, (this.#inFlight.get(slot) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const slot of slots) {
        const left = (this.#inFlight.get(slot) ?? 1) - 1;
        if (left > 0) this.#inFlight.set(slot, left);
        else this.#inFlight.delete(slot);
      }
    };
    return {
      succeeded: async () => {
        // Only failures count: the right password gives its own attempt back. The failures before
        // it stay counted, so guesses sent beside a right one never get past the limit.
        await this.#perAccountPlace.reward(placeKey);
        if (!place.knownBrowser) {
          await this.#perNetwork.reward(network);
          await this.#perAccount.reward(accountKey);
        }
      },
      release,
    };
  }
}
