// Active bans in memory, so enforcement is a lookup and never a query per message or upgrade.
// Devices and identities are exact keys; address ranges are grouped by prefix length, so an
// address is checked with one map lookup per distinct prefix length in use.
import { networkKeyOf, parseAddress, parseRange, rangeKey, type IpAddress } from '../access/ip.ts';

import type { Ban } from '../protocol/moderation.ts';

export type { Ban, BanSeverity, BanTargetKind } from '../protocol/moderation.ts';


/** Who is asking: any of these may match a ban. */
export interface BanSubject {
  address?: string | null;
  deviceId?: string | null;
  identityHash?: string | null;
}

export interface BanMatch {
  ban: Ban;
  /** Which part of the subject matched, e.g. `address 203.0.113.7 in 203.0.113.0/24`. */
  why: string;
}

/** Bans under one key: nearly always one, so an array and not a Set (70,000 of them at start). */
type Bucket = Map<string, Ban[]>;

/** An address as the index reads it: parsed once, with its network key per prefix length asked. */
interface ParsedAddress {
  address: IpAddress;
  keys: Map<number, string | undefined>;
}

/** Addresses remembered parsed (one per connected person, about): past this many, forgotten at once. */
const PARSED_ADDRESSES_MAX = 50_000;

export class BanIndex {
  readonly #now: () => number;
  readonly #byId = new Map<string, Ban>();
  readonly #devices: Bucket = new Map();
  readonly #identities: Bucket = new Map();
  /** prefix length → (network key → bans), per family. */
  readonly #ranges = { 4: new Map<number, Bucket>(), 6: new Map<number, Bucket>() };
  /**
   * Every find asks about the same few thousand addresses again (the gate, then the Hub's last
   * look, for both sides): each is parsed once, not per question; null for text that is no address.
   */
  readonly #parsed = new Map<string, ParsedAddress | null>();
  /** Set when match met an expired ban (matchAll then removes it). */
  #metExpired = false;

  constructor(now: () => number) {
    this.#now = now;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Adds or replaces a ban; lifted or expired bans are simply removed. */
  put(ban: Ban): void {
    this.remove(ban.id);
    if (ban.liftedAt !== null || (ban.expiresAt !== null && ban.expiresAt <= this.#now())) return;
    this.#byId.set(ban.id, ban);
    const [bucket, key] = this.#slot(ban, true);
    if (!bucket) return;
    const bans = bucket.get(key);
    if (bans) bans.push(ban);
    else bucket.set(key, [ban]);
  }

  remove(id: string): void {
    const ban = this.#byId.get(id);
    if (!ban) return;
    this.#byId.delete(id);
    const [bucket, key] = this.#slot(ban, false);
    const bans = bucket?.get(key);
    if (!bucket || !bans) return;
    const rest = bans.filter((other) => other !== ban);
    if (rest.length) bucket.set(key, rest);
    else bucket.delete(key);
    // An empty prefix length would still cost a lookup per address.
    for (const byPrefix of [this.#ranges[4], this.#ranges[6]]) {
      for (const [prefix, ranges] of byPrefix) if (ranges.size === 0) byPrefix.delete(prefix);
    }
  }

  /** Where a ban is kept: its bucket (made when `create`) and its key there; no bucket for a target that does not parse. */
  #slot(ban: Ban, create: boolean): [Bucket | undefined, string] {
    if (ban.targetKind === 'device') return [this.#devices, ban.target];
    if (ban.targetKind === 'identity') return [this.#identities, ban.target];
    const range = parseRange(ban.target);
    if (!range) return [undefined, ''];
    const byPrefix = this.#ranges[range.family];
    let bucket = byPrefix.get(range.prefix);
    if (!bucket && create) byPrefix.set(range.prefix, (bucket = new Map()));
    return [bucket, rangeKey(range)];
  }

  /** Every active ban matching the subject, the most severe and longest first. */
  matchAll(subject: BanSubject): BanMatch[] {
    const now = this.#now();
    const found: BanMatch[] = [];
    const expired: Ban[] = [];
    const consider = (bans: Ban[] | undefined, why: (ban: Ban) => string) => {
      for (const ban of bans ?? []) {
        if (ban.expiresAt !== null && ban.expiresAt <= now) expired.push(ban);
        else found.push({ ban, why: why(ban) });
      }
    };
    if (subject.deviceId) consider(this.#devices.get(subject.deviceId), () => `device ${subject.deviceId}`);
    if (subject.identityHash) consider(this.#identities.get(subject.identityHash), () => `identity ${subject.identityHash}`);
    const parsed = subject.address ? this.#parse(subject.address) : undefined;
    if (parsed) {
      for (const [prefix, bucket] of this.#ranges[parsed.address.family]) {
        const key = this.#networkKey(parsed, prefix);
        if (key) consider(bucket.get(key), (ban) => `address ${subject.address} in ${ban.target}`);
      }
    }
    // An expired ban stops applying at its expiry, not at the next restart; it is dropped when met.
    for (const ban of expired) this.remove(ban.id);
    return found.sort(byPrecedence);
  }

  /**
   * The ban that decides for this subject, if any: matchAll's first, without building the list
   * (it is asked several times per pairing, nearly always to find nothing).
   */
  match(subject: BanSubject): Ban | undefined {
    const now = this.#now();
    this.#metExpired = false;
    let best: Ban | undefined;
    if (subject.deviceId) best = this.#better(this.#devices.get(subject.deviceId), now, best);
    if (subject.identityHash) best = this.#better(this.#identities.get(subject.identityHash), now, best);
    // Without any address ban, an address needs no reading at all.
    if (subject.address && (this.#ranges[4].size > 0 || this.#ranges[6].size > 0)) {
      const parsed = this.#parse(subject.address);
      if (parsed) {
        for (const [prefix, bucket] of this.#ranges[parsed.address.family]) {
          const key = this.#networkKey(parsed, prefix);
          if (key) best = this.#better(bucket.get(key), now, best);
        }
      }
    }
    // The rare case: matchAll removes what has expired, and decides the same way.
    if (this.#metExpired) return this.matchAll(subject)[0]?.ban;
    return best;
  }

  /** The one of `best` and the active bans in `bans` that takes precedence. */
  #better(bans: Ban[] | undefined, now: number, best: Ban | undefined): Ban | undefined {
    if (bans === undefined) return best;
    for (const ban of bans) {
      if (ban.expiresAt !== null && ban.expiresAt <= now) this.#metExpired = true;
      else if (best === undefined || compareBans(ban, best) < 0) best = ban;
    }
    return best;
  }

  #parse(text: string): ParsedAddress | undefined {
    let parsed = this.#parsed.get(text);
    if (parsed === undefined) {
      if (this.#parsed.size >= PARSED_ADDRESSES_MAX) this.#parsed.clear();
      const address = parseAddress(text);
      parsed = address ? { address, keys: new Map() } : null;
      this.#parsed.set(text, parsed);
    }
    return parsed ?? undefined;
  }

  #networkKey(parsed: ParsedAddress, prefix: number): string | undefined {
    let key = parsed.keys.get(prefix);
    if (key === undefined && !parsed.keys.has(prefix)) parsed.keys.set(prefix, (key = networkKeyOf(parsed.address, prefix)));
    return key;
  }

  all(): Iterable<Ban> {
    return this.#byId.values();
  }
}

function severityRank(ban: Ban): number {
  return ban.severity === 'no_access' ? 1 : 0;
}

/** The most severe first; then the longest (permanent before any expiry); then the oldest. */
function compareBans(a: Ban, b: Ban): number {
  const until = (ban: Ban) => ban.expiresAt ?? Number.MAX_SAFE_INTEGER;
  return severityRank(b) - severityRank(a) || until(b) - until(a) || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);
}

function byPrecedence(a: BanMatch, b: BanMatch): number {
  return compareBans(a.ban, b.ban);
}
