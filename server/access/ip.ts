// IP addresses and ranges as bans and rate limits see them. IPv4 is one address (/32); an IPv6
// address stands for its /64 (one home or phone network gets a whole /64, so a single v6
// address is trivially rotated); IPv4-mapped IPv6 is unwrapped to IPv4.
import { isIP, isIPv4 } from 'node:net';

/** Prefix length an IPv6 address is widened to by default. */
export const IPV6_DEFAULT_PREFIX = 64;

export interface IpRange {
  family: 4 | 6;
  /** Network address as a bigint (host bits zero). */
  network: bigint;
  prefix: number;
}

export function unwrapMapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped && isIPv4(mapped[1]!) ? mapped[1]! : address;
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

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = family === 4 ? 32n : 128n;
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << (bits - BigInt(prefix));
}

/** Parses an address or CIDR; a bare IPv6 address becomes its /64. Undefined when invalid. */
export function parseRange(text: string, options: { ipv6Prefix?: number } = {}): IpRange | undefined {
  const [rawAddress, rawPrefix, extra] = text.trim().split('/');
  if (!rawAddress || extra !== undefined) return undefined;
  const address = unwrapMapped(rawAddress.replace(/^\[(.*)\]$/, '$1'));
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  const maxPrefix = family === 4 ? 32 : 128;
  let prefix = family === 4 ? 32 : (options.ipv6Prefix ?? IPV6_DEFAULT_PREFIX);
  if (rawPrefix !== undefined) {
    if (!/^\d{1,3}$/.test(rawPrefix)) return undefined;
    prefix = Number(rawPrefix);
    if (prefix > maxPrefix) return undefined;
    // A range given for a mapped address is a range of IPv4.
    if (family === 4 && rawAddress.includes(':')) prefix = Math.max(0, prefix - 96);
  }
  const value = family === 4 ? parseV4(address) : parseV6(address);
  return { family, prefix, network: value & mask(family, prefix) };
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
  const parsed = parseRange(address, { ipv6Prefix: 128 });
  if (!parsed || parsed.family !== range.family) return false;
  return (parsed.network & mask(range.family, range.prefix)) === range.network;
}

/** The key rate limits and "distinct reporters" count by: an IPv4 address, or an IPv6 /64. */
export function addressKey(address: string): string {
  const range = parseRange(address);
  return range ? formatRange(range) : address;
}

/** Network keys of an address at a prefix length, for index lookups. */
export function networkKey(address: string, prefix: number): string | undefined {
  const parsed = parseRange(address, { ipv6Prefix: 128 });
  if (!parsed || (parsed.family === 4 && prefix > 32)) return undefined;
  return `${parsed.family}:${prefix}:${(parsed.network & mask(parsed.family, prefix)).toString(16)}`;
}

export function rangeKey(range: IpRange): string {
  return `${range.family}:${range.prefix}:${range.network.toString(16)}`;
}
