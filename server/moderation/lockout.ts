// Would a ban lock the instance out? The one home of that rule, for the terminal (which refuses
// such a ban without --force) and the dashboard's ban API (which warns). A ban on an address or
// range is risky when it covers: loopback (the reverse proxy beside the server, and `localhost`),
// a trusted proxy (every person arrives through it), one of the server's own addresses, a private
// or carrier-grade NAT range while no trusted proxy is configured (then a proxy or NAT in front
// looks like every person), or a range wider than a /16 (IPv4) or /32 (IPv6).
import { networkInterfaces } from 'node:os';
import { formatRange, parseExactRange, parseRange, rangesOverlap, type IpRange } from '../access/ip.ts';
import type { BanTarget } from './bans.ts';

/** The widest ranges a ban may cover without --force (MIN_BAN_PREFIX is the hard limit). */
export const WIDEST_UNFORCED_PREFIX = { 4: 16, 6: 32 } as const;

import type { LockoutRisk } from '../protocol/moderation.ts';

export { LOCKOUT_RISKS, type LockoutRisk, type LockoutRiskCode } from '../protocol/moderation.ts';


const LOOPBACK = ['127.0.0.0/8', '::1/128'];
/** RFC 1918, link-local, carrier-grade NAT (RFC 6598), unique-local and link-local IPv6. */
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10'];

function ranges(texts: readonly string[]): IpRange[] {
  return texts.map((text) => parseExactRange(text)).filter((range): range is IpRange => range !== undefined);
}

export interface LockoutContext {
  /** `trustedProxies` of the instance. */
  trustedProxies: readonly string[];
  /** The addresses the server is reached at on this machine (see serverAddresses). */
  ownAddresses: readonly string[];
}

/** The risks of banning `target` on this instance; empty when it is an ordinary ban. */
export function lockoutRisks(target: BanTarget, context: LockoutContext): LockoutRisk[] {
  if (target.kind !== 'ip' && target.kind !== 'cidr') return [];
  const range = parseRange(target.target);
  if (!range) return [];
  const shown = target.target;
  const risks: LockoutRisk[] = [];
  const hits = (list: IpRange[]) => list.filter((other) => rangesOverlap(range, other));
  if (hits(ranges(LOOPBACK)).length) {
    risks.push({ code: 'loopback', message: `${shown} covers loopback: a reverse proxy on this machine, and everyone it forwards, would be banned` });
  }
  const proxies = hits(ranges(context.trustedProxies));
  if (proxies.length) {
    risks.push({ code: 'trusted_proxy', message: `${shown} covers the trusted proxy ${proxies.map(formatRange).join(', ')}: everyone who arrives through it would be banned` });
  }
  const own = hits(ranges(context.ownAddresses)).filter((other) => !hits(ranges(LOOPBACK)).some((loop) => rangesOverlap(loop, other)));
  if (own.length) {
    risks.push({ code: 'own_address', message: `${shown} covers this server's own address ${own.map((r) => formatRange(r).replace(/\/(32|128)$/, '')).join(', ')}` });
  }
  if (context.trustedProxies.length === 0 && hits(ranges(PRIVATE)).length) {
    risks.push({
      code: 'private_range',
      message: `${shown} is a private or carrier-grade NAT address and no trusted proxy is configured: a proxy or NAT in front of the server would make it everyone's address`,
    });
  }
  if (range.prefix < WIDEST_UNFORCED_PREFIX[range.family]) {
    risks.push({ code: 'wide_range', message: `${shown} is wider than a /${WIDEST_UNFORCED_PREFIX[range.family]}: it covers ${range.family === 4 ? `${2 ** (32 - range.prefix)} addresses` : 'whole providers'}, not one network` });
  }
  return risks;
}

/**
 * The addresses the server is reached at on this machine: every network interface's, and the
 * configured listening host (when it is an address rather than a name or a wildcard).
 */
export function serverAddresses(host: string, interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] {
  const addresses = new Set<string>();
  for (const entries of Object.values(interfaces)) for (const entry of entries ?? []) addresses.add(entry.address);
  if (parseExactRange(host) && host !== '0.0.0.0' && host !== '::') addresses.add(host);
  return [...addresses];
}
