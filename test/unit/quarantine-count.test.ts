// Counting distinct reporters: no device (or person, joined by identity) and no network (IPv4
// address, IPv6 /56: a household's allocation) may stand for two reporters. Checked on hand-made cases and against a
// brute-force search over every subset of reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { distinctReporterWeight, reporterNetwork, type PersonKeys, type ReporterRow } from '../../server/moderation/quarantine.ts';

const one = () => 1;
const row = (deviceId: string, address: string, identityHash: string | null = null): ReporterRow => ({ deviceId, address, identityHash });

test('tabs of one device on several networks are one reporter', () => {
  assert.is(distinctReporterWeight([row('d1', '192.0.2.1'), row('d1', '192.0.2.2'), row('d1', '2001:db8::1')], one), 1);
});

test('several devices behind one IPv4 address, or one IPv6 /56, are one reporter', () => {
  assert.is(distinctReporterWeight([row('d1', '192.0.2.1'), row('d2', '192.0.2.1'), row('d3', '192.0.2.1')], one), 1);
  assert.is(distinctReporterWeight([row('d1', '2001:db8:1:2::1'), row('d2', '2001:db8:1:2:aaaa::2'), row('d3', '2001:db8:1:2::3')], one), 1);
  // One household's /56 hands out 256 /64s: a browser on each is still one network.
  assert.is(distinctReporterWeight([row('d1', '2001:db8:1:2::1'), row('d2', '2001:db8:1:3::1'), row('d3', '2001:db8:1:ff::1')], one), 1, 'other /64s of one /56');
  assert.is(distinctReporterWeight([row('d1', '2001:db8:1:2::1'), row('d2', '2001:db8:1:102::1')], one), 2, 'another /56');
  assert.is(distinctReporterWeight([row('d1', '192.0.2.1'), row('d2', '192.0.2.2')], one), 2, 'IPv4 counts by address (/32)');
  assert.is(distinctReporterWeight([row('d1', '192.0.2.1'), row('d2', '::ffff:192.0.2.1')], one), 1, 'a mapped address is the IPv4 one');
});

test('the reporter network key: IPv4 /32, IPv6 /56', () => {
  assert.is(reporterNetwork('192.0.2.7'), '192.0.2.7');
  assert.is(reporterNetwork('2001:db8:aa:bb01::7'), '2001:db8:aa:bb00::/56');
  assert.is(reporterNetwork('::ffff:192.0.2.7'), '192.0.2.7');
});

test('devices sharing a verified identity are one person', () => {
  assert.is(distinctReporterWeight([row('d1', '192.0.2.1', 'id-a'), row('d2', '192.0.2.2', 'id-a'), row('d3', '192.0.2.3', 'id-b')], one), 2);
  // d1 and d2 joined through identity a, d2 and d3 through identity b: one person.
  assert.is(distinctReporterWeight([row('d1', '192.0.2.1', 'a'), row('d2', '192.0.2.2', 'a'), row('d2', '192.0.2.3', 'b'), row('d3', '192.0.2.4', 'b')], one), 1);
});

test('the best assignment is found, not the first one', () => {
  // d1 reported from n1 and n2, d2 only from n1: d1→n2, d2→n1.
  assert.is(distinctReporterWeight([row('d1', '192.0.2.1'), row('d1', '192.0.2.2'), row('d2', '192.0.2.1')], one), 2);
});

test('a discounted reporter counts half, and the heaviest assignment wins', () => {
  const weight = (person: PersonKeys) => (person.devices.has('low') ? 0.5 : 1);
  assert.is(distinctReporterWeight([row('low', '192.0.2.1'), row('d2', '192.0.2.2'), row('d3', '192.0.2.3')], weight), 2.5);
  // Only one network: the full-weight reporter takes it.
  assert.is(distinctReporterWeight([row('low', '192.0.2.1'), row('d2', '192.0.2.1')], weight), 1);
});

/** Every subset of reports in which no person and no network repeats; the heaviest. */
function bruteForce(rows: ReporterRow[], weightOf: (device: string) => number): number {
  // People: devices joined by identity, as the implementation does, computed naively.
  const personOf = rows.map((r) => r.deviceId!);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < rows.length; j++) {
        const same = personOf[i] !== personOf[j] && (rows[i]!.deviceId === rows[j]!.deviceId || (rows[i]!.identityHash && rows[i]!.identityHash === rows[j]!.identityHash));
        if (same) {
          const [keep, drop] = [personOf[i]!, personOf[j]!].sort();
          for (let k = 0; k < personOf.length; k++) if (personOf[k] === drop) personOf[k] = keep!;
          changed = true;
        }
      }
    }
  }
  const personWeight = new Map<string, number>();
  rows.forEach((r, i) => personWeight.set(personOf[i]!, Math.min(personWeight.get(personOf[i]!) ?? 1, weightOf(r.deviceId!))));
  let best = 0;
  for (let mask = 0; mask < 1 << rows.length; mask++) {
    const people = new Set<string>();
    const networks = new Set<string>();
    let total = 0;
    let ok = true;
    for (let i = 0; i < rows.length && ok; i++) {
      if (!(mask & (1 << i))) continue;
      const network = reporterNetwork(rows[i]!.address!);
      if (people.has(personOf[i]!) || networks.has(network)) ok = false;
      people.add(personOf[i]!);
      networks.add(network);
      total += personWeight.get(personOf[i]!)!;
    }
    if (ok) best = Math.max(best, total);
  }
  return best;
}

test('matches a brute-force search on random reports', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const addresses = ['192.0.2.1', '192.0.2.2', '198.51.100.7', '2001:db8:1:1::1', '2001:db8:1:1::2', '2001:db8:1:2::1', '2001:db8:1:102::1', '2001:db8:9::5'];
  for (let round = 0; round < 300; round++) {
    const rows = Array.from({ length: 1 + Math.floor(random() * 9) }, () =>
      row(pick(['d1', 'd2', 'd3', 'd4', 'd5']), pick(addresses), random() < 0.3 ? pick(['i1', 'i2']) : null),
    );
    const discounted = new Set(['d1', 'd2', 'd3', 'd4', 'd5'].filter(() => random() < 0.3));
    // A person made of several devices is discounted when any of them is (as the service counts dismissals per person).
    const weightOfDevice = (device: string) => (discounted.has(device) ? 0.5 : 1);
    const weightOfPerson = (person: PersonKeys) => ([...person.devices].some((d) => discounted.has(d)) ? 0.5 : 1);
    assert.is(distinctReporterWeight(rows, weightOfPerson), bruteForce(rows, weightOfDevice), JSON.stringify({ rows, discounted: [...discounted] }));
  }
});

test.run();
