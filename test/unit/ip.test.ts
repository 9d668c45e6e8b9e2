// Addresses and ranges as bans and rate limits read them: parsing and formatting round trips,
// IPv4-mapped IPv6 in every spelling, the /64 widening of IPv6, and what is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomInt } from 'node:crypto';
import {
  addressKey,
  formatAddress,
  formatRange,
  networkKey,
  parseAddress,
  parseRange,
  rangeContains,
  rangeKey,
  unwrapMapped,
  type IpRange,
} from '../../server/access/ip.ts';
import { seededRandom } from '../helpers/random.ts';

const SEED = Number(process.env.IP_TEST_SEED ?? randomInt(2 ** 31));

function randomBits(random: () => number, bits: number): bigint {
  let value = 0n;
  for (let i = 0; i < bits; i += 16) value = (value << 16n) | BigInt(Math.floor(random() * 0x10000));
  return value & ((1n << BigInt(bits)) - 1n);
}

/** Random IPv6 values with runs of zero groups (what compression is about), never in the mapped block. */
function randomV6(random: () => number): bigint {
  for (;;) {
    let value = 0n;
    for (let group = 0; group < 8; group++) value = (value << 16n) | (random() < 0.4 ? 0n : randomBits(random, 16));
    if (value >> 32n !== 0xffffn) return value;
  }
}

function fullV6(value: bigint): string {
  return Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - i * 16)) & 0xffffn).toString(16).padStart(4, '0')).join(':');
}

function dottedV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 255n).toString()).join('.');
}

function hostMask(bits: number, prefix: number): bigint {
  return (1n << BigInt(bits - prefix)) - 1n;
}

const seeded = (name: string, fn: () => void) =>
  test(name, () => {
    try {
      fn();
    } catch (error) {
      console.error(`ip.test.ts failed with IP_TEST_SEED=${SEED}`);
      throw error;
    }
  });

seeded('IPv6 addresses format as RFC 5952 text (checked against the WHATWG URL parser)', () => {
  const random = seededRandom(SEED);
  for (let i = 0; i < 3000; i++) {
    const value = randomV6(random);
    const canonical = new URL(`http://[${fullV6(value)}]/`).hostname.slice(1, -1);
    assert.is(formatAddress({ family: 6, value }), canonical, fullV6(value));
    assert.is(formatRange({ family: 6, network: value, prefix: 128 }), `${canonical}/128`);
  }
});

seeded('ranges survive format → parse → format unchanged, v4 and v6, every prefix length', () => {
  const random = seededRandom(SEED + 1);
  for (let i = 0; i < 3000; i++) {
    const family = random() < 0.5 ? 4 : 6;
    const bits = family === 4 ? 32 : 128;
    const prefix = Math.floor(random() * (bits + 1));
    const raw = family === 4 ? randomBits(random, 32) : randomV6(random);
    const network = raw & ~hostMask(bits, prefix) & ((1n << BigInt(bits)) - 1n);
    // A v6 network in the mapped block would (rightly) come back as IPv4.
    if (family === 6 && network >> 32n === 0xffffn) continue;
    const range: IpRange = { family, network, prefix };
    const text = formatRange(range);
    assert.equal(parseRange(text), range, text);
    assert.is(formatRange(parseRange(text)!), text);
    // The host bits of an address typed with a prefix are dropped.
    const withHost = family === 4 ? `${dottedV4(raw)}/${prefix}` : `${fullV6(raw)}/${prefix}`;
    assert.equal(parseRange(withHost), range, withHost);
  }
});

test('a bare IPv4 address is a /32 and prints without a prefix', () => {
  assert.equal(parseRange('203.0.113.7'), { family: 4, network: 0xcb007107n, prefix: 32 });
  assert.is(formatRange(parseRange('203.0.113.7')!), '203.0.113.7');
  assert.is(formatRange(parseRange('203.0.113.7/24')!), '203.0.113.0/24');
  assert.is(formatRange(parseRange(' 10.1.2.3/8 ')!), '10.0.0.0/8');
});

test('a bare IPv6 address widens to its /64 unless asked otherwise', () => {
  assert.is(formatRange(parseRange('2001:db8:1:2:3:4:5:6')!), '2001:db8:1:2::/64');
  assert.is(formatRange(parseRange('2001:DB8:1:2:3:4:5:6')!), '2001:db8:1:2::/64');
  assert.is(formatRange(parseRange('[2001:db8:1:2::99]')!), '2001:db8:1:2::/64');
  assert.is(formatRange(parseRange('2001:db8:1:2:3:4:5:6', { ipv6Prefix: 128 })!), '2001:db8:1:2:3:4:5:6/128');
  assert.is(formatRange(parseRange('2001:db8:1:2:3:4:5:6/48')!), '2001:db8:1::/48');
  assert.is(formatRange(parseRange('::1')!), '::/64');
  assert.is(formatRange(parseRange('fe80::1%eth0')!), 'fe80::/64', 'a zone id does not change the address');
  // Every address of one /64 has one key; the neighbouring /64 another.
  assert.is(addressKey('2001:db8:0:7::1'), addressKey('2001:db8:0:7:ffff:ffff:ffff:ffff'));
  assert.is.not(addressKey('2001:db8:0:7::1'), addressKey('2001:db8:0:8::1'));
  assert.is(addressKey('198.51.100.4'), '198.51.100.4');
  assert.is.not(addressKey('198.51.100.4'), addressKey('198.51.100.5'));
});

test('IPv4-mapped IPv6 is unwrapped to IPv4 in every spelling', () => {
  const v4 = { family: 4, network: 0xc0000201n, prefix: 32 };
  for (const text of ['::ffff:192.0.2.1', '::FFFF:192.0.2.1', '0:0:0:0:0:ffff:192.0.2.1', '::ffff:c000:201', '0000:0000:0000:0000:0000:FFFF:C000:0201', '[::ffff:192.0.2.1]']) {
    assert.equal(parseRange(text), v4, text);
    assert.equal(parseAddress(text), { family: 4, value: 0xc0000201n }, text);
    assert.is(unwrapMapped(text), '192.0.2.1', text);
    assert.is(addressKey(text), '192.0.2.1', text);
  }
  assert.is(unwrapMapped('2001:db8::1'), '2001:db8::1');
  assert.is(unwrapMapped('192.0.2.1'), '192.0.2.1');
  // Not mapped: IPv4-compatible (deprecated) and NAT64 addresses are IPv6.
  assert.is(parseAddress('::192.0.2.1')?.family, 6);
  assert.is(parseAddress('64:ff9b::192.0.2.1')?.family, 6);
});

test('a range written in the mapped form is the IPv4 range it maps; a wider one is refused', () => {
  assert.is(formatRange(parseRange('::ffff:10.0.0.0/104')!), '10.0.0.0/8');
  assert.is(formatRange(parseRange('::ffff:192.0.2.77/120')!), '192.0.2.0/24');
  assert.is(formatRange(parseRange('::ffff:192.0.2.77/128')!), '192.0.2.77');
  assert.is(formatRange(parseRange('::ffff:0:0/96')!), '0.0.0.0/0');
  assert.is(parseRange('::ffff:0:0/95'), undefined);
  assert.is(parseRange('::ffff:192.0.2.1/32'), undefined, 'a /32 of IPv6 space is not an IPv4 /32');
  assert.is(parseRange('::ffff:192.0.2.1/129'), undefined);
});

test('invalid addresses and ranges are refused', () => {
  for (const text of [
    '', ' ', '/', '/24', 'abc', 'localhost', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 5', '1.2.3.4%eth0',
    '1.2.3.4/33', '1.2.3.4/-1', '1.2.3.4/+8', '1.2.3.4/ 8', '1.2.3.4/8/8', '1.2.3.4/', '1.2.3.4/1000', '1.2.3.4/x',
    '::1/129', '1::2::3', 'gggg::1', '1:2:3:4:5:6:7:8:9', '12345::1', ':::', '2001:db8::/64/1', 'device:1.2.3.4',
  ]) {
    assert.is(parseRange(text), undefined, JSON.stringify(text));
  }
  assert.is(parseAddress('203.0.113.0/24'), undefined, 'an address is not a range');
  assert.is(networkKey('not an address', 8), undefined);
  assert.is(addressKey('unknown'), 'unknown');
});

seeded('containment and index keys agree with a plain bigint comparison', () => {
  const random = seededRandom(SEED + 2);
  for (let i = 0; i < 2000; i++) {
    const family = random() < 0.5 ? 4 : 6;
    const bits = family === 4 ? 32 : 128;
    const prefix = Math.floor(random() * (bits + 1));
    const base = family === 4 ? randomBits(random, 32) : randomV6(random);
    const range = parseRange(`${family === 4 ? dottedV4(base) : fullV6(base)}/${prefix}`)!;
    // An address inside (same network bits), or a random one.
    const inside = random() < 0.5;
    const value = inside ? (base & ~hostMask(bits, prefix)) | (randomBits(random, bits) & hostMask(bits, prefix)) : family === 4 ? randomBits(random, 32) : randomV6(random);
    if (family === 6 && value >> 32n === 0xffffn) continue;
    const text = family === 4 ? dottedV4(value) : fullV6(value);
    const expected = value >> BigInt(bits - prefix) === base >> BigInt(bits - prefix) || prefix === 0;
    if (inside) assert.ok(expected);
    assert.is(rangeContains(range, text), expected, `${text} in ${formatRange(range)}`);
    assert.is(networkKey(text, prefix) === rangeKey(range), expected, `key of ${text} at /${prefix}`);
  }
  assert.not.ok(rangeContains(parseRange('0.0.0.0/0')!, '::1'), 'families never mix');
  assert.not.ok(rangeContains(parseRange('::/0')!, '192.0.2.1'));
  assert.ok(rangeContains(parseRange('::/0')!, '2001:db8::1'));
  assert.ok(rangeContains(parseRange('192.0.2.0/24')!, '::ffff:192.0.2.9'));
});

test.run();
