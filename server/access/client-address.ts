// The client's address, as every rule (bans, rate limits) sees it. Forwarded headers are
// ignored here: the trusted-proxy setting comes with the access issue, and an untrusted
// X-Forwarded-For is a client-supplied lie.
import { isIPv4 } from 'node:net';

/** Unwraps IPv4-mapped IPv6 (`::ffff:1.2.3.4` → `1.2.3.4`) so one person has one address form. */
export function normaliseAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  return address.toLowerCase();
}

/** The address of the peer of this socket. */
export function clientAddress(remoteAddress: string | undefined): string {
  return normaliseAddress(remoteAddress);
}
