// The client's address, as every rule (bans, rate limits, audit) sees it. X-Forwarded-For is
// believed only from configured trusted proxies, walking from the right: the first hop that is
// not a trusted proxy is the client. One function serves HTTP requests and WebSocket upgrades.
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Unwraps IPv4-mapped IPv6 (`::ffff:1.2.3.4` → `1.2.3.4`) so one person has one address form. */
export function normaliseAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const trimmed = address.trim().replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  return trimmed.toLowerCase();
}

/** Parses "1.2.3.4", "10.0.0.0/8", "::1", "fd00::/8" into a BlockList; throws naming the bad entry. */
export function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (!address || family === 0) throw new TypeError(`trustedProxies: "${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address, type);
    } else {
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) {
        throw new TypeError(`trustedProxies: "${entry}" has an invalid prefix length`);
      }
      list.addSubnet(address, bits, type);
    }
  }
  return list;
}

function isListed(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface ClientAddressResolver {
  /** The client address of a request or upgrade. */
  (req: Pick<IncomingMessage, 'headers' | 'socket'>): string;
  /** True when the request came through a trusted proxy that said it was HTTPS, or over TLS itself. */
  isSecure(req: Pick<IncomingMessage, 'headers' | 'socket'>): boolean;
}

export function createClientAddressResolver(trustedProxies: readonly string[]): ClientAddressResolver {
  const trusted = proxyList(trustedProxies);
  const fromTrusted = (req: Pick<IncomingMessage, 'socket'>) =>
    trustedProxies.length > 0 && isListed(trusted, normaliseAddress(req.socket.remoteAddress));

  const resolve = ((req) => {
    const peer = normaliseAddress(req.socket.remoteAddress);
    if (!fromTrusted(req)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((hop) => normaliseAddress(hop))
      .filter((hop) => hop !== 'unknown' && hop !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      // A hop that is not an address is garbage injected by someone; stop believing the chain there.
      if (isIP(hop) === 0) return peer;
      if (!isListed(trusted, hop)) return hop;
    }
    return hops[0] ?? peer;
  }) as ClientAddressResolver;

  resolve.isSecure = (req) => {
    if ((req.socket as { encrypted?: boolean }).encrypted) return true;
    if (!fromTrusted(req)) return false;
    const proto = req.headers['x-forwarded-proto'];
    const last = (Array.isArray(proto) ? proto.join(',') : (proto ?? '')).split(',').pop()?.trim().toLowerCase();
    return last === 'https';
  };
  return resolve;
}
