// The in-memory ban index against brute force: thousands of random IPv4 and IPv6 addresses,
// in every spelling a socket or a proxy may give, checked against hundreds of random bans
// (exact IPv4, IPv4 CIDRs, IPv6 /64 defaults, IPv6 CIDRs, IPv4-mapped forms). The oracle knows
// each address and ban as numbers from the generator and compares them bit by bit; Node's
// net.BlockList checks the oracle. Seeded: a failure prints BAN_INDEX_SEED to replay it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomInt } from 'node:crypto';
import { BlockList } from 'node:net';
import { BanIndex, type Ban, type BanSeverity } from '../../server/moderation/ban-index.ts';
import { MIN_BAN_PREFIX, parseBanTarget } from '../../server/moderation/bans.ts';
import { banRecord } from '../helpers/bans.ts';
import { seededRandom } from '../helpers/random.ts';

const SEED = Number(process.env.BAN_INDEX_SEED ?? randomInt(2 ** 31));
const ROUNDS = 4;
const BANS_PER_ROUND = 300;
const ADDRESSES_PER_ROUND = 4000;

type Family = 4 | 6;
const BITS = { 4: 32, 6: 128 } as const;

function bits(random: () => number, n: number): bigint {
  let value = 0n;
  for (let i = 0; i < n; i += 16) value = (value << 16n) | BigInt(Math.floor(random() * 0x10000));
  return value & ((1n << BigInt(n)) - 1n);
}

/** Network mask, computed here and not borrowed from the code under test. */
function netMask(family: Family, prefix: number): bigint {
  const width = BigInt(BITS[family]);
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
}

function isMappedV6(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

/** A random IPv6 value outside the mapped block, with a sprinkling of zero groups. */
function v6(random: () => number): bigint {
  for (;;) {
    let value = 0n;
    for (let g = 0; g < 8; g++) value = (value << 16n) | (random() < 0.2 ? 0n : bits(random, 16));
    if (!isMappedV6(value)) return value;
  }
}

const dotted = (value: bigint) => [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 255n).toString()).join('.');
const groups = (value: bigint, count = 8) =>
  Array.from({ length: count }, (_, i) => ((value >> BigInt((count - 1 - i) * 16)) & 0xffffn).toString(16));
const fullV6 = (value: bigint) => groups(value).map((g) => g.padStart(4, '0')).join(':');
/** The compressed form, as Node's WHATWG URL parser writes it. */
const compressedV6 = (value: bigint) => new URL(`http://[${fullV6(value)}]/`).hostname.slice(1, -1);

/** The spellings one address arrives in. */
function spell(random: () => number, family: Family, value: bigint): string {
  const pick = random();
  if (family === 4) {
    if (pick < 0.55) return dotted(value);
    if (pick < 0.7) return `::ffff:${dotted(value)}`;
    if (pick < 0.8) return `::FFFF:${dotted(value)}`;
    if (pick < 0.9) return `0:0:0:0:0:ffff:${dotted(value)}`;
    return `::ffff:${groups(value, 2).join(':')}`;
  }
  if (pick < 0.6) return compressedV6(value);
  if (pick < 0.8) return fullV6(value);
  return compressedV6(value).toUpperCase();
}

interface Truth {
  ban: Ban;
  family: Family;
  network: bigint;
  prefix: number;
  /** The range in canonical text for BlockList. */
  blockList: BlockList;
}

function makeBan(target: string, severity: BanSeverity, extra: Partial<Ban> = {}): Ban {
  const parsed = parseBanTarget(target);
  return banRecord(parsed.kind, parsed.target, severity, extra);
}

/** One random ban of each shape, with what it must cover as numbers. */
function randomBan(random: () => number): Truth {
  const shape = Math.floor(random() * 7);
  let family: Family;
  let value: bigint;
  let prefix: number;
  let text: string;
  switch (shape) {
    case 0: // an exact IPv4 address
      family = 4;
      value = bits(random, 32);
      prefix = 32;
      text = dotted(value);
      break;
    case 1: // an IPv4 CIDR of random length (host bits left in, as people type them)
      family = 4;
      value = bits(random, 32);
      prefix = MIN_BAN_PREFIX[4] + Math.floor(random() * (33 - MIN_BAN_PREFIX[4]));
      text = `${dotted(value)}/${prefix}`;
      break;
    case 2: // a bare IPv6 address: its /64
      family = 6;
      value = v6(random);
      prefix = 64;
      text = random() < 0.5 ? compressedV6(value) : fullV6(value);
      break;
    case 3: // an IPv6 CIDR of random length
      family = 6;
      value = v6(random);
      prefix = MIN_BAN_PREFIX[6] + Math.floor(random() * (129 - MIN_BAN_PREFIX[6]));
      text = `${compressedV6(value)}/${prefix}`;
      break;
    case 4: // an IPv4 address in the mapped form
      family = 4;
      value = bits(random, 32);
      prefix = 32;
      text = random() < 0.5 ? `::ffff:${dotted(value)}` : `::ffff:${groups(value, 2).join(':')}`;
      break;
    case 5: // an IPv4 range in the mapped form
      family = 4;
      value = bits(random, 32);
      prefix = MIN_BAN_PREFIX[4] + Math.floor(random() * (33 - MIN_BAN_PREFIX[4]));
      text = `::ffff:${dotted(value)}/${96 + prefix}`;
      break;
    default: // a narrow IPv4 range: many addresses near it
      family = 4;
      value = bits(random, 32);
      prefix = 24 + Math.floor(random() * 9);
      text = `${dotted(value)}/${prefix}`;
  }
  const network = value & netMask(family, prefix);
  const blockList = new BlockList();
  blockList.addSubnet(family === 4 ? dotted(network) : compressedV6(network), prefix, family === 4 ? 'ipv4' : 'ipv6');
  const severity: BanSeverity = random() < 0.7 ? 'no_access' : 'no_matching';
  return { ban: makeBan(text, severity), family, network, prefix, blockList };
}

/** An address near a ban (inside its network, or just outside it), or anywhere. */
function randomAddress(random: () => number, truths: Truth[]): { family: Family; value: bigint } {
  const pick = random();
  if (pick < 0.6 && truths.length) {
    const truth = truths[Math.floor(random() * truths.length)]!;
    const width = BITS[truth.family];
    let value = truth.network | (bits(random, width) & ~netMask(truth.family, truth.prefix) & ((1n << BigInt(width)) - 1n));
    // Flip one bit of the network part: the neighbouring network, which must not match.
    if (pick < 0.2 && truth.prefix > 0) value ^= 1n << BigInt(width - 1 - Math.floor(random() * truth.prefix));
    if (truth.family === 6 && isMappedV6(value)) return { family: 6, value: v6(random) };
    return { family: truth.family, value };
  }
  return random() < 0.5 ? { family: 4, value: bits(random, 32) } : { family: 6, value: v6(random) };
}

function replayable(name: string, fn: (seed: number) => void) {
  test(name, () => {
    for (let round = 0; round < ROUNDS; round++) {
      const seed = SEED + round;
      try {
        fn(seed);
      } catch (error) {
        console.error(`ban-index.test.ts: "${name}" failed; replay with BAN_INDEX_SEED=${seed}`);
        throw error;
      }
    }
  });
}

replayable('BanIndex.match agrees with brute force over random addresses and bans', (seed) => {
  const random = seededRandom(seed);
  const truths = Array.from({ length: BANS_PER_ROUND }, () => randomBan(random));
  const index = new BanIndex(() => 1_000);
  for (const truth of truths) index.put(truth.ban);
  assert.is(index.size, truths.length);
  let matched = 0;
  for (let i = 0; i < ADDRESSES_PER_ROUND; i++) {
    const { family, value } = randomAddress(random, truths);
    const text = spell(random, family, value);
    const canonical = family === 4 ? dotted(value) : compressedV6(value);
    const expected = truths.filter((t) => t.family === family && (value & netMask(family, t.prefix)) === t.network);
    // The oracle itself, checked by Node's BlockList (same family only: BlockList maps IPv4 into IPv6).
    for (const t of truths) {
      if (t.family !== family) continue;
      assert.is(t.blockList.check(canonical, family === 4 ? 'ipv4' : 'ipv6'), expected.includes(t), `oracle vs BlockList: ${canonical} in ${t.ban.target}`);
    }
    const found = index.matchAll({ address: text });
    assert.equal(
      found.map((m) => m.ban.id).sort(),
      expected.map((t) => t.ban.id).sort(),
      `${text} (${canonical}): matched ${found.map((m) => m.ban.target).join(', ') || 'nothing'}, expected ${expected.map((t) => t.ban.target).join(', ') || 'nothing'}`,
    );
    const decided = index.match({ address: text });
    if (expected.length === 0) {
      assert.is(decided, undefined, text);
      continue;
    }
    matched++;
    assert.ok(decided && expected.some((t) => t.ban === decided), text);
    // The deciding ban is the most severe one.
    if (expected.some((t) => t.ban.severity === 'no_access')) assert.is(decided!.severity, 'no_access', text);
    for (const match of found) assert.ok(match.why.includes(match.ban.target), match.why);
  }
  // The generator aims near bans: a round in which nothing matched tested nothing.
  assert.ok(matched > ADDRESSES_PER_ROUND / 5, `only ${matched} addresses matched a ban`);
});

replayable('removing bans one by one keeps the index equal to brute force', (seed) => {
  const random = seededRandom(seed ^ 0x5bd1e995);
  const truths = Array.from({ length: 60 }, () => randomBan(random));
  const index = new BanIndex(() => 1_000);
  for (const truth of truths) index.put(truth.ban);
  const live = new Set(truths);
  const probes = Array.from({ length: 400 }, () => randomAddress(random, truths));
  for (const truth of [...truths].sort(() => random() - 0.5)) {
    index.remove(truth.ban.id);
    live.delete(truth);
    for (const { family, value } of probes.slice(0, 40)) {
      const expected = [...live].filter((t) => t.family === family && (value & netMask(family, t.prefix)) === t.network).map((t) => t.ban.id).sort();
      assert.equal(index.matchAll({ address: spell(random, family, value) }).map((m) => m.ban.id).sort(), expected);
    }
    probes.push(...probes.splice(0, 40));
  }
  assert.is(index.size, 0);
});

replayable('match is matchAll\'s first, and a ban put after an address was asked about applies to it at once', (seed) => {
  const random = seededRandom(seed ^ 0x2545f491);
  let clock = 1_000;
  const index = new BanIndex(() => clock);
  const truths: Truth[] = [];
  // The same addresses are asked again and again, as the gate and the Hub do for each find.
  const probes = Array.from({ length: 200 }, () => ({ seen: randomAddress(random, []), spelling: random() }));
  for (let step = 0; step < 120; step++) {
    const truth = randomBan(random);
    truths.push(truth);
    // Some bans expire while the probes are asked (an expired one must stop applying).
    const ban = random() < 0.3 ? { ...truth.ban, expiresAt: clock + Math.floor(random() * 50) } : truth.ban;
    index.put(ban);
    // A probe inside the new ban's network: asked before (cached), it must match now.
    const inside = randomAddress(random, [truth]);
    probes.push({ seen: inside, spelling: random() });
    for (const probe of probes.slice(-60)) {
      const text = spell(seededRandom(Math.floor(probe.spelling * 2 ** 31)), probe.seen.family, probe.seen.value);
      const decided = index.match({ address: text });
      assert.is(decided?.id, index.matchAll({ address: text })[0]?.ban.id, text);
    }
    clock += 10;
  }
});

test('an expiring ban applies until its expiry and not from that instant, without a reload', () => {
  let clock = 10_000;
  const index = new BanIndex(() => clock);
  const ban = makeBan('198.51.100.0/24', 'no_access', { expiresAt: 20_000 });
  index.put(ban);
  assert.is(index.match({ address: '198.51.100.7' })?.id, ban.id);
  clock = 19_999;
  assert.is(index.match({ address: '198.51.100.7' })?.id, ban.id);
  clock = 20_000;
  assert.is(index.match({ address: '198.51.100.7' }), undefined);
  assert.equal(index.matchAll({ address: '198.51.100.7' }), []);
  // A ban already expired when it arrives is not kept.
  index.put(makeBan('203.0.113.1', 'no_access', { expiresAt: 15_000 }));
  assert.is(index.match({ address: '203.0.113.1' }), undefined);
});

test('a lifted ban stops applying, whether removed or re-put as lifted', () => {
  const index = new BanIndex(() => 1_000);
  const device = '0b3c8f52-6a8e-4e58-9d37-6f1f2a7c1d10';
  const a = makeBan(`device:${device}`, 'no_access');
  const b = makeBan('2001:db8:aa:bb::1', 'no_matching');
  index.put(a);
  index.put(b);
  assert.is(index.match({ deviceId: device })?.id, a.id);
  assert.is(index.match({ address: '2001:db8:aa:bb:ffff::9' })?.id, b.id);
  index.remove(a.id);
  assert.is(index.match({ deviceId: device }), undefined);
  index.put({ ...b, liftedAt: 900, liftedBy: 'moderator:mona' });
  assert.is(index.match({ address: '2001:db8:aa:bb:ffff::9' }), undefined);
  assert.is(index.size, 0);
});

test('re-putting a ban with a changed target replaces the old target', () => {
  const index = new BanIndex(() => 1_000);
  const ban = makeBan('192.0.2.0/24', 'no_access');
  index.put(ban);
  const moved = makeBan('198.51.100.0/24', 'no_access', { id: ban.id });
  index.put(moved);
  assert.is(index.match({ address: '192.0.2.1' }), undefined);
  assert.is(index.match({ address: '198.51.100.1' })?.id, ban.id);
  assert.is(index.size, 1);
});

test('devices and identities match exactly, each alongside the address', () => {
  const index = new BanIndex(() => 1_000);
  const device = makeBan('device:6f1f2a7c-1d10-4e58-9d37-0b3c8f526a8e', 'no_matching');
  const identity = makeBan('identity:Xq3b9h0sPz0dQeK5mB2rU7vC1yN4tL8wA6jG_-fHsE0', 'no_access');
  const address = makeBan('203.0.113.0/24', 'no_matching', { expiresAt: 5_000 });
  for (const ban of [device, identity, address]) index.put(ban);
  assert.is(index.match({ deviceId: '6f1f2a7c-1d10-4e58-9d37-0b3c8f526a8f' }), undefined);
  assert.is(index.match({ identityHash: 'Xq3b9h0sPz0dQeK5mB2rU7vC1yN4tL8wA6jG_-fHsE1' }), undefined);
  const all = index.matchAll({ deviceId: device.target, identityHash: identity.target, address: '203.0.113.50' });
  assert.equal(all.map((m) => m.ban.id), [identity.id, device.id, address.id], 'no_access first, then the permanent before the expiring');
  assert.match(all[0]!.why, /^identity /);
  assert.match(all[1]!.why, /^device /);
  assert.is(all[2]!.why, 'address 203.0.113.50 in 203.0.113.0/24');
});

test.run();
