// IP addresses and ranges as bans and rate limits see them. IPv4 is one address (/32); an IPv6
// address stands for its /64 (one home or phone network gets a whole /64, so a single v6
// address is trivially rotated); IPv4-mapped IPv6 is unwrapped to IPv4, whatever its spelling.
import { isIP } from 'node:net';

/** Prefix length an IPv6 address is widened to by default. */
export const IPV6_DEFAULT_PREFIX = 64;

/** One address as a number. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface IpRange {
  family: 4 | 6;
  /** Network address as a bigint (host bits zero). */
  network: bigint;
  prefix: number;
}

/** Brackets (`[::1]`) and a zone id (`fe80::1%eth0`) say nothing about which address it is. */
function clean(text: string): string {
  const address = text.trim().replace(/^\[(.*)\]$/, '$1');
  return address.includes(':') ? address.replace(/%[^%]*$/, '') : address;
}

function parseV4(address: string): bigint {
  return address.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(address: string): bigint {
  let text = address.toLowerCase();
  // A trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseV4(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group || '0', 16)), 0n);
}

/** ::ffff:0:0/96, the IPv4-mapped block. */
function isMapped(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = family === 4 ? 32n : 128n;
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << (bits - BigInt(prefix));
}

/** Parses one address (no prefix); IPv4-mapped IPv6 becomes IPv4. Undefined when invalid. */
export function parseAddress(text: string): IpAddress | undefined {
  const address = clean(text);
  const family = isIP(address);
  if (family === 4) return { family: 4, value: parseV4(address) };
  if (family !== 6) return undefined;
  const value = parseV6(address);
  return isMapped(value) ? { family: 4, value: value & 0xffffffffn } : { family: 6, value };
}

/** `::ffff:1.2.3.4` (or `::ffff:102:304`) → `1.2.3.4`; anything else unchanged. */
export function unwrapMapped(address: string): string {
  const parsed = parseAddress(address);
  return parsed?.family === 4 && isIP(clean(address)) === 6 ? formatAddress(parsed) : address;
}

/**
 * Parses an address or CIDR; a bare IPv6 address becomes its /64. A range written in the mapped
 * form (`::ffff:192.0.2.0/120`) is the IPv4 range it maps; one wider than the mapped block
 * (`::ffff:0:0/95`) is refused, since it is neither IPv4 nor ordinary IPv6. Undefined when invalid.
 */
export function parseRange(text: string, options: { ipv6Prefix?: number } = {}): IpRange | undefined {
  const [rawAddress, rawPrefix, extra] = text.trim().split('/');
  if (!rawAddress || extra !== undefined) return undefined;
  const address = parseAddress(rawAddress);
  if (!address) return undefined;
  const writtenFamily = isIP(clean(rawAddress));
  let prefix = address.family === 4 ? 32 : (options.ipv6Prefix ?? IPV6_DEFAULT_PREFIX);
  if (rawPrefix !== undefined) {
    if (!/^\d{1,3}$/.test(rawPrefix)) return undefined;
    prefix = Number(rawPrefix);
    if (prefix > (writtenFamily === 4 ? 32 : 128)) return undefined;
    if (writtenFamily === 6 && address.family === 4) {
      if (prefix < 96) return undefined;
      prefix -= 96;
    }
  }
  return { family: address.family, prefix, network: address.value & mask(address.family, prefix) };
}

export function formatAddress(address: IpAddress): string {
  return formatRange({ family: address.family, network: address.value, prefix: address.family === 4 ? 32 : 128 }).replace(/\/128$/, '');
}

export function formatRange(range: IpRange): string {
  if (range.family === 4) {
    const n = range.network;
    const text = [24n, 16n, 8n, 0n].map((shift) => ((n >> shift) & 255n).toString()).join('.');
    return range.prefix === 32 ? text : `${text}/${range.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((range.network >> BigInt(112 - i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const text =
    bestStart < 0
      ? groups.join(':')
      : `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
  return `${text}/${range.prefix}`;
}

/** True when the address (not a range) lies in the range. */
export function rangeContains(range: IpRange, address: string): boolean {
  const parsed = parseAddress(address);
  if (!parsed || parsed.family !== range.family) return false;
  return (parsed.value & mask(range.family, range.prefix)) === range.network;
}

/** The key rate limits and "distinct reporters" count by: an IPv4 address, or an IPv6 /64. */
export function addressKey(address: string): string {
  const range = parseRange(address);
  return range ? formatRange(range) : address;
}

/** The index key of the network holding a parsed address at a prefix length (as `rangeKey`). */
export function networkKeyOf(address: IpAddress, prefix: number): string | undefined {
  if (prefix > (address.family === 4 ? 32 : 128)) return undefined;
  return `${address.family}:${prefix}:${(address.value & mask(address.family, prefix)).toString(16)}`;
}

/** Network keys of an address at a prefix length, for index lookups. */
export function networkKey(address: string, prefix: number): string | undefined {
  const parsed = parseAddress(address);
  return parsed && networkKeyOf(parsed, prefix);
}

export function rangeKey(range: IpRange): string {
  return `${range.family}:${range.prefix}:${range.network.toString(16)}`;
}

/** True when two ranges share an address: the wider one holds the other. */
export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  if (a.family !== b.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, prefix);
  return (a.network & m) === (b.network & m);
}

/** An address or CIDR taken exactly as written (a bare IPv6 address is itself, /128, not its /64). */
export function parseExactRange(text: string): IpRange | undefined {
  const value = text.trim();
  if (value.includes('/')) return parseRange(value);
  const address = parseAddress(value);
  return address && { family: address.family, network: address.value, prefix: address.family === 4 ? 32 : 128 };
}
