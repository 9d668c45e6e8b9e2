// Automatic quarantine: when enough distinct people report the same person within a window,
// that person stops being paired (`no_matching`) until a moderator reviews it. Never an
// automatic permanent or `no_access` ban: automation only holds someone for a human to decide.
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { SYSTEM_ACTOR, type Actor } from '../access/actor.ts';
import { formatRange, parseRange } from '../access/ip.ts';
import { memoryLock, type Lock } from '../cluster/lock.ts';
import type { AuditLog } from './audit.ts';
import type { BanService } from './bans.ts';
import type { BanTargetKind } from './ban-index.ts';
import type { ReportFiledHook } from './reports.ts';
import type { AlertService } from './alerts.ts';

/** Who writes automatic quarantines in the audit log and the bans table. */
export const QUARANTINE_ACTOR: Actor = { ...SYSTEM_ACTOR, name: 'system:quarantine' };

/** Shown to the quarantined person. */
export const QUARANTINE_REASON =
  'Several people reported you recently. You will not be matched with anyone until a moderator has reviewed the reports.';

/** The lock under which quarantine decisions are made: one at a time in the whole cluster. */
export const QUARANTINE_LOCK = 'quarantine-decisions';

/** The weight of a reporter whose reports were dismissed repeatedly. */
export const DISCOUNTED_WEIGHT = 0.5;

export interface QuarantineSettings {
  /** K: distinct reporters needed. */
  reporters: number;
  /** T: the window, in milliseconds. */
  windowMs: number;
  /** Dismissed reports after which a reporter counts as half. */
  dismissedReportsBeforeDiscount: number;
}

/**
 * The network a reporter counts from: an IPv4 address, or an IPv6 /56 (a household or a small
 * site is commonly given a /56 and can hand each browser its own /64, so /64s would let one home
 * stand for 256 reporters).
 */
export const REPORTER_IPV6_PREFIX = 56;

export function reporterNetwork(address: string): string {
  const range = parseRange(address, { ipv6Prefix: REPORTER_IPV6_PREFIX });
  return range ? formatRange(range) : address;
}

/** One report as the count sees it: who filed it, from where. */
export interface ReporterRow {
  deviceId: string | null;
  identityHash: string | null;
  address: string | null;
}

/**
 * How many distinct reporters a set of reports stands for. A reporter is one person (devices
 * joined by a shared verified identity) on one network (an IPv4 address or an IPv6 /56), and no
 * person nor network may stand for two reporters: the answer is the largest set of reports that
 * pairs distinct people with distinct networks (a bipartite matching), each person weighted
 * (1, or 0.5 when discounted). Ten tabs of one browser, or ten browsers behind one /56, are one.
 * The weight depends only on the person, so taking the heaviest people first and keeping each one
 * that can still be matched (augmenting paths) yields the heaviest matching (a transversal matroid).
 */
export function distinctReporterWeight(rows: readonly ReporterRow[], weightOf: (person: PersonKeys) => number): number {
  const people = groupPeople(rows);
  const networksOf = new Map<number, Set<string>>();
  rows.forEach((row, i) => {
    const person = people.personOfRow[i]!;
    let networks = networksOf.get(person);
    if (!networks) networksOf.set(person, (networks = new Set()));
    // A report without an address (never expected within the window) stands for a network of its own.
    networks.add(row.address ? reporterNetwork(row.address) : `row:${i}`);
  });
  const order = [...networksOf.keys()]
    .map((person) => ({ person, weight: weightOf(people.keys.get(person)!) }))
    .sort((a, b) => b.weight - a.weight);
  const holder = new Map<string, number>();
  const tryAssign = (person: number, seen: Set<string>): boolean => {
    for (const network of networksOf.get(person)!) {
      if (seen.has(network)) continue;
      seen.add(network);
      const current = holder.get(network);
      if (current === undefined || tryAssign(current, seen)) {
        holder.set(network, person);
        return true;
      }
    }
    return false;
  };
  let total = 0;
  for (const { person, weight } of order) {
    if (weight > 0 && tryAssign(person, new Set())) total += weight;
  }
  return total;
}

/** The devices and identities that make up one reporting person. */
export interface PersonKeys {
  devices: Set<string>;
  identities: Set<string>;
}

/** Joins reports into people: two reports are one person when they share a device or an identity. */
function groupPeople(rows: readonly ReporterRow[]): { personOfRow: number[]; keys: Map<number, PersonKeys> } {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root)! !== root) root = parent.get(root)!;
    // Path compression keeps repeated lookups flat.
    for (let at = key; at !== root; ) {
      const next = parent.get(at)!;
      parent.set(at, root);
      at = next;
    }
    return root;
  };
  const rowKeys = rows.map((row, i) => {
    const keys = [row.deviceId ? `device:${row.deviceId}` : `row:${i}`];
    if (row.identityHash) keys.push(`identity:${row.identityHash}`);
    for (const key of keys) if (!parent.has(key)) parent.set(key, key);
    if (keys.length === 2) parent.set(find(keys[1]!), find(keys[0]!));
    return keys;
  });
  const ids = new Map<string, number>();
  const keys = new Map<number, PersonKeys>();
  const personOfRow = rowKeys.map((rowKey, i) => {
    const root = find(rowKey[0]!);
    let id = ids.get(root);
    if (id === undefined) {
      ids.set(root, (id = ids.size));
      keys.set(id, { devices: new Set(), identities: new Set() });
    }
    const person = keys.get(id)!;
    if (rows[i]!.deviceId) person.devices.add(rows[i]!.deviceId!);
    if (rows[i]!.identityHash) person.identities.add(rows[i]!.identityHash!);
    return id;
  });
  return { personOfRow, keys };
}

export class QuarantineService implements ReportFiledHook {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #bans: BanService;
  readonly #now: () => number;
  readonly #settings: QuarantineSettings;
  readonly #logger: Logger;
  readonly #alerts: Pick<AlertService, 'raiseIn' | 'raised'> | undefined;
  /** Reviews run one at a time in the cluster, so two simultaneous reports never stack two quarantines. */
  readonly #locks: Lock;

  constructor(deps: { db: Db; audit: AuditLog; bans: BanService; alerts?: Pick<AlertService, 'raiseIn' | 'raised'>; now: () => number; settings: QuarantineSettings; logger: Logger; locks?: Lock }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#alerts = deps.alerts;
    this.#bans = deps.bans;
    this.#now = deps.now;
    this.#settings = deps.settings;
    this.#logger = deps.logger;
    this.#locks = deps.locks ?? memoryLock();
  }

  afterReport(reportId: string): Promise<void> {
    return this.#locks.withLock(QUARANTINE_LOCK, () => this.#review(reportId));
  }

  async #review(reportId: string): Promise<void> {
    const report = await this.#db
      .selectFrom('reports')
      .select(['reported_device_id', 'reported_identity_hash'])
      .where('id', '=', reportId)
      .executeTakeFirst();
    const deviceId = report?.reported_device_id;
    if (!deviceId) return;
    const identityHash = report.reported_identity_hash;
    const targets: Array<{ kind: BanTargetKind; target: string }> = [{ kind: 'device', target: deviceId }];
    if (identityHash) targets.push({ kind: 'identity', target: identityHash });

    const now = this.#now();
    // A moderator's review resets the count: only reports still open, and filed after the last
    // quarantine of this person was lifted, can quarantine them again.
    const lastLift = await this.#db
      .selectFrom('bans')
      .select((eb) => eb.fn.max('lifted_at').as('at'))
      .where('quarantine', '=', 1)
      .where((eb) => eb.or(targets.map((t) => eb.and([eb('target_kind', '=', t.kind), eb('target', '=', t.target)]))))
      .executeTakeFirst();
    const since = Math.max(now - this.#settings.windowMs, Number(lastLift?.at ?? 0) + 1);
    const rows = await this.#db
      .selectFrom('reports')
      .select(['reporter_device_id', 'reporter_identity_hash', 'reporter_address'])
      .where('status', '=', 'open')
      .where('created_at', '>=', since)
      // Reports between two sessions on one network are flagged and never count (reports.ts).
      .where('same_network', '=', 0)
      .where((eb) =>
        identityHash
          ? eb.or([eb('reported_device_id', '=', deviceId), eb('reported_identity_hash', '=', identityHash)])
          : eb('reported_device_id', '=', deviceId),
      )
      .execute();
    const reporters: ReporterRow[] = rows.map((r) => ({ deviceId: r.reporter_device_id, identityHash: r.reporter_identity_hash, address: r.reporter_address }));
    // Without K reports there cannot be K reporters: skip the dismissal lookups.
    if (reporters.length < this.#settings.reporters) return;
    const dismissed = await this.#dismissedCounts(reporters);
    const weight = distinctReporterWeight(reporters, (person) => {
      let count = 0;
      for (const device of person.devices) count += dismissed.byDevice.get(device) ?? 0;
      for (const identity of person.identities) count += dismissed.byIdentity.get(identity) ?? 0;
      return count >= this.#settings.dismissedReportsBeforeDiscount ? DISCOUNTED_WEIGHT : 1;
    });
    if (weight < this.#settings.reporters) return;

    // The device's and the identity's quarantines are one transaction: both or neither.
    const added = await this.#audit.transaction(async (trx, _record, write) => {
      const added: string[] = [];
      for (const target of targets) {
        const existing = await trx
          .selectFrom('bans')
          .select('id')
          .where('target_kind', '=', target.kind)
          .where('target', '=', target.target)
          .where('quarantine', '=', 1)
          .where('lifted_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .executeTakeFirst();
        if (existing) continue;
        const ban = await this.#bans.addIn(
          write,
          {
            target,
            reason: QUARANTINE_REASON,
            severity: 'no_matching',
            durationMs: null,
            reportId,
            quarantine: true,
            note: `Automatic: ${weight} distinct reporters within ${Math.round(this.#settings.windowMs / 60_000)} minutes; awaiting review.`,
          },
          QUARANTINE_ACTOR,
        );
        added.push(ban.id);
      }
      // The safeguarding lead hears of it now, not at the next look at the queue: the alert commits
      // with the quarantine, and its sender is woken after the commit.
      const alerts = this.#alerts;
      if (added.length && alerts) {
        await alerts.raiseIn(trx, { kind: 'quarantine', subject: `device:${deviceId}`, reportId, banId: added[0]!, details: { banIds: added, reporters: weight } });
        write.afterCommit(() => alerts.raised());
      }
      return added;
    });
    if (added.length) this.#logger.info({ reportId, banIds: added, reporters: weight }, 'quarantined after repeated reports');
  }

  /** Dismissed reports filed by these reporters' devices and identities, ever. */
  async #dismissedCounts(rows: readonly ReporterRow[]): Promise<{ byDevice: Map<string, number>; byIdentity: Map<string, number> }> {
    const devices = [...new Set(rows.map((r) => r.deviceId).filter((d): d is string => !!d))];
    const identities = [...new Set(rows.map((r) => r.identityHash).filter((i): i is string => !!i))];
    const byDevice = new Map<string, number>();
    const byIdentity = new Map<string, number>();
    if (devices.length) {
      const counts = await this.#db
        .selectFrom('reports')
        .select(['reporter_device_id as key', (eb) => eb.fn.countAll<number>().as('n')])
        .where('resolution', '=', 'dismiss')
        .where('reporter_device_id', 'in', devices)
        .groupBy('reporter_device_id')
        .execute();
      for (const c of counts) if (c.key) byDevice.set(c.key, Number(c.n));
    }
    if (identities.length) {
      let query = this.#db
        .selectFrom('reports')
        .select(['reporter_identity_hash as key', (eb) => eb.fn.countAll<number>().as('n')])
        .where('resolution', '=', 'dismiss')
        .where('reporter_identity_hash', 'in', identities)
        .groupBy('reporter_identity_hash');
      // Counted once per report: a report already counted by its device is not counted again.
      if (devices.length) query = query.where((eb) => eb.or([eb('reporter_device_id', 'is', null), eb('reporter_device_id', 'not in', devices)]));
      const counts = await query.execute();
      for (const c of counts) if (c.key) byIdentity.set(c.key, Number(c.n));
    }
    return { byDevice, byIdentity };
  }
}
