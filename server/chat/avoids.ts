// "Never paired again" after a report, as keys rather than cookies: a person is their device, their
// verified identity (when there is one) and their network address (an IPv4 address or an IPv6
// /64), and an avoid forbids pairing anyone holding one key with anyone holding the other. A
// reported person who drops the cookie comes back with a new device but the same address and,
// in the e-mail mode, the same identity. The index is consulted for every candidate of a find, so
// a check is a handful of map lookups whatever the number of avoids.
import { addressKey } from '../access/ip.ts';

/** `device:<id>`, `identity:<hash>` or `address:<IPv4 address or IPv6 /64>`. */
export type AvoidKey = string;

/** One forbidden pairing: nobody holding key `a` is paired with anybody holding key `b`. */
export interface Avoid {
  a: AvoidKey;
  b: AvoidKey;
  /** When the report was filed. */
  createdAt: number;
  /** Null: for ever (devices and identities); addresses are avoided for a window. */
  expiresAt: number | null;
  /**
   * `b` is an address that was shared when the report was filed (a school's NAT): it then only
   * keeps apart the devices first seen after `createdAt` (a reported person's new cookie), not
   * everyone behind the address.
   */
  shared: boolean;
}

/** What the avoid rules know of a person: their keys and since when their device is known. */
export interface AvoidSubject {
  keys: readonly AvoidKey[];
  /** The `address:` key among `keys`, if any. */
  address: AvoidKey | undefined;
  /** When the device was first seen (its first session); undefined counts as new. */
  deviceSince: number | undefined;
}

export const deviceKey = (deviceId: string): AvoidKey => `device:${deviceId}`;
export const identityKey = (identityHash: string): AvoidKey => `identity:${identityHash}`;
export const networkAvoidKey = (address: string): AvoidKey => `address:${addressKey(address)}`;

/** The keys of a connected person (the device always; identity and address when known). */
export function avoidSubject(person: { deviceId: string; identityHash?: string | null; address?: string; deviceSince?: number }): AvoidSubject {
  const address = person.address ? networkAvoidKey(person.address) : undefined;
  const device = deviceKey(person.deviceId);
  // Built at its final length: a pushed-to array keeps room for 17 keys, per connected person.
  const identity = person.identityHash ? identityKey(person.identityHash) : undefined;
  const keys = identity ? (address ? [device, identity, address] : [device, identity]) : address ? [device, address] : [device];
  return { keys, address, deviceSince: person.deviceSince };
}

export interface ReportAvoidOptions {
  now: number;
  /** How long the reported side's address is avoided; 0 for not at all. */
  addressWindowMs: number;
  /** The reported side's address looked shared when the report was filed. */
  reportedAddressShared: boolean;
}

/**
 * The avoids a report creates: every key of the reporter (device, identity) against every key of
 * the reported side (device and identity for ever, address for the window). The reporter's own
 * address is not a key: a child reporting from a school must stay pairable with the school.
 */
export function avoidsAfterReport(reporter: AvoidSubject, reported: AvoidSubject, options: ReportAvoidOptions): Avoid[] {
  const avoids: Avoid[] = [];
  for (const a of reporter.keys) {
    if (a === reporter.address) continue;
    for (const b of reported.keys) {
      const isAddress = b === reported.address;
      if (isAddress && options.addressWindowMs <= 0) continue;
      avoids.push({
        a,
        b,
        createdAt: options.now,
        expiresAt: isAddress ? options.now + options.addressWindowMs : null,
        shared: isAddress && options.reportedAddressShared,
      });
    }
  }
  return avoids;
}

/** Two avoids of the same pair as one: the longer and the stricter of the two. */
export function mergeAvoids(x: Avoid, y: Avoid): Avoid {
  return {
    a: x.a,
    b: x.b,
    createdAt: Math.min(x.createdAt, y.createdAt),
    expiresAt: x.expiresAt === null || y.expiresAt === null ? null : Math.max(x.expiresAt, y.expiresAt),
    shared: x.shared && y.shared,
  };
}

/** The avoids in memory, indexed by key in both directions. */
export class AvoidIndex {
  readonly #byKey = new Map<AvoidKey, Map<AvoidKey, Avoid>>();
  #size = 0;

  /** Pairs held (expired ones are dropped when met). */
  get size(): number {
    return this.#size;
  }

  add(avoid: Avoid): void {
    const existing = this.#byKey.get(avoid.a)?.get(avoid.b);
    const merged = existing ? mergeAvoids(existing, avoid) : avoid;
    if (!existing) this.#size++;
    this.#side(avoid.a).set(avoid.b, merged);
    this.#side(avoid.b).set(avoid.a, merged);
  }

  #side(key: AvoidKey): Map<AvoidKey, Avoid> {
    let side = this.#byKey.get(key);
    if (!side) this.#byKey.set(key, (side = new Map()));
    return side;
  }

  #delete(avoid: Avoid): void {
    for (const [from, to] of [
      [avoid.a, avoid.b],
      [avoid.b, avoid.a],
    ] as const) {
      const side = this.#byKey.get(from);
      side?.delete(to);
      if (side?.size === 0) this.#byKey.delete(from);
    }
    this.#size--;
  }

  /** True when some avoid in force forbids pairing these two. */
  forbids(x: AvoidSubject, y: AvoidSubject, now: number): boolean {
    for (const kx of x.keys) {
      const side = this.#byKey.get(kx);
      if (!side) continue;
      for (const ky of y.keys) {
        const avoid = side.get(ky);
        if (!avoid) continue;
        if (avoid.expiresAt !== null && avoid.expiresAt <= now) {
          this.#delete(avoid);
          continue;
        }
        if (!avoid.shared) return true;
        // A shared address keeps apart only devices that appeared there after the report.
        const holder = ky === y.address ? y : kx === x.address ? x : undefined;
        if (!holder || holder.deviceSince === undefined || holder.deviceSince >= avoid.createdAt) return true;
      }
    }
    return false;
  }
}
