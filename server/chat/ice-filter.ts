// Relay-only signalling: the server, not the client, makes sure no peer learns the other's address.
// A candidate of any type but `relay` carries a real address (host: the LAN or an mDNS name,
// srflx/prflx: the public address), so it is dropped; the SDP of an offer or answer loses the same
// candidate lines and has its other address fields (c=, a=rtcp:, o=, raddr) blanked. Anything the
// filter cannot parse is treated as non-relay: it fails closed.
import type { SignalData } from '../protocol/messages.ts';

/** The blank address libwebrtc itself puts where no candidate is chosen yet. */
const BLANK = { IP4: '0.0.0.0', IP6: '::' } as const;

interface ParsedCandidate {
  /** The candidate's own address (for `relay`: the TURN server's relayed address). */
  address: string;
  type: string;
  tokens: string[];
  /** Index of the `raddr` keyword in `tokens`, or -1. */
  raddrIndex: number;
}

/**
 * Parses a candidate attribute (`candidate:…`, with or without `a=`) by position, as RFC 8839
 * defines it: foundation, component, transport, priority, address, port, `typ`, type. A `typ`
 * hidden later in the extension attributes therefore cannot pass a host candidate off as relay.
 */
function parseCandidate(value: string): ParsedCandidate | undefined {
  const match = /^\s*(?:a=)?candidate:(.*)$/is.exec(value);
  if (!match) return undefined;
  const tokens = (match[1] ?? '').trim().split(/\s+/);
  if (tokens.length < 8 || tokens[6]?.toLowerCase() !== 'typ') return undefined;
  return {
    address: (tokens[4] ?? '').toLowerCase(),
    type: (tokens[7] ?? '').toLowerCase(),
    tokens,
    raddrIndex: tokens.findIndex((token, index) => index >= 8 && token.toLowerCase() === 'raddr'),
  };
}

/** The candidate type (`host`, `srflx`, `prflx`, `relay`), or undefined when the line does not parse. */
export function candidateType(candidate: string): string | undefined {
  return parseCandidate(candidate)?.type;
}

/**
 * The candidate as it may be relayed in relay-only mode, or undefined to drop it. A relay
 * candidate's related address is the client's public (mapped) address, so it is blanked the way
 * libwebrtc blanks it under `iceTransportPolicy: "relay"`: `raddr 0.0.0.0 rport 0`.
 */
export function sanitizeRelayCandidate(candidate: string): string | undefined {
  const parsed = parseCandidate(candidate);
  if (!parsed || parsed.type !== 'relay' || parsed.address.endsWith('.local')) return undefined;
  const { tokens, raddrIndex } = parsed;
  if (raddrIndex < 0) return candidate;
  const related = tokens[raddrIndex + 1] ?? '';
  tokens[raddrIndex + 1] = related.includes(':') ? BLANK.IP6 : BLANK.IP4;
  const rportIndex = tokens.findIndex((token, index) => index >= 8 && token.toLowerCase() === 'rport');
  if (rportIndex >= 0 && rportIndex + 1 < tokens.length) tokens[rportIndex + 1] = '0';
  const prefix = /^\s*a=/i.test(candidate) ? 'a=candidate:' : 'candidate:';
  return `${prefix}${tokens.join(' ')}`;
}

/**
 * Strips an SDP for relay-only mode: non-relay `a=candidate:` lines go, relay ones lose their
 * related address, and the `c=`, `a=rtcp:` and `o=` addresses become blank unless they are one of
 * the relay addresses. Line endings are kept (CRLF, as SDP requires, or bare LF).
 */
export function stripSdpForRelayOnly(sdp: string): string {
  const eol = sdp.includes('\r\n') || !sdp.includes('\n') ? '\r\n' : '\n';
  // Every break any parser might honour, so no candidate hides behind a lone CR.
  const lines = sdp.split(/\r\n|\n|\r/);
  const relayAddresses = new Set<string>();
  for (const line of lines) {
    const parsed = parseCandidate(line);
    if (parsed?.type === 'relay' && !parsed.address.endsWith('.local')) relayAddresses.add(parsed.address);
  }
  const out: string[] = [];
  for (const line of lines) {
    const trimmed = line.trimStart();
    if (/^a=candidate:/i.test(trimmed)) {
      const kept = sanitizeRelayCandidate(trimmed);
      if (kept !== undefined) out.push(kept);
      continue;
    }
    if (/^c=/i.test(trimmed)) {
      out.push(blankConnectionLine(trimmed, relayAddresses));
      continue;
    }
    if (/^a=rtcp:/i.test(trimmed)) {
      out.push(blankRtcpLine(trimmed, relayAddresses));
      continue;
    }
    if (/^o=/i.test(trimmed)) {
      out.push(blankOriginLine(trimmed, relayAddresses));
      continue;
    }
    out.push(line);
  }
  return out.join(eol);
}

/** `c=IN IP4 <address>[/ttl…]` → the blank address of its family unless it is a relay address. */
function blankConnectionLine(line: string, relay: ReadonlySet<string>): string {
  const [, nettype = 'IN', addrtype = '', address = ''] = /^c=(\S+)\s+(\S+)\s+(\S+)/i.exec(line) ?? [];
  if (relay.has(address.split('/')[0]?.toLowerCase() ?? '')) return line;
  const family = addrtype.toUpperCase() === 'IP6' ? 'IP6' : 'IP4';
  return `c=${nettype} ${family} ${BLANK[family]}`;
}

/** `a=rtcp:<port> IN IP4 <address>` → the same with a blank address unless it is a relay address. */
function blankRtcpLine(line: string, relay: ReadonlySet<string>): string {
  const match = /^a=rtcp:(\d+)(?:\s+(\S+)\s+(\S+)\s+(\S+))?\s*$/i.exec(line);
  if (!match) return `a=rtcp:9 IN IP4 ${BLANK.IP4}`;
  const [, port, nettype, addrtype, address] = match;
  if (address === undefined) return line; // a port alone reveals no address
  if (relay.has(address.toLowerCase())) return line;
  const family = addrtype?.toUpperCase() === 'IP6' ? 'IP6' : 'IP4';
  return `a=rtcp:${port} ${nettype ?? 'IN'} ${family} ${BLANK[family]}`;
}

/** `o=<user> <id> <version> IN IP4 <address>`: browsers put 127.0.0.1 there, other stacks the host address. */
function blankOriginLine(line: string, relay: ReadonlySet<string>): string {
  const tokens = line.split(/\s+/);
  if (tokens.length < 6) return line;
  const address = tokens[5]?.toLowerCase() ?? '';
  const family = tokens[4]?.toUpperCase() === 'IP6' ? 'IP6' : 'IP4';
  const loopback = family === 'IP6' ? '::1' : '127.0.0.1';
  if (relay.has(address) || address === loopback || address === BLANK[family]) return line;
  tokens[4] = family;
  tokens[5] = loopback;
  return tokens.slice(0, 6).join(' ');
}

/**
 * The signal to relay in relay-only mode, or undefined to drop it: non-relay candidates are
 * dropped, end-of-candidates (`null`, or an empty candidate line) is kept, and offers and answers
 * are stripped with stripSdpForRelayOnly. Returns `data` itself when nothing had to change.
 */
export function filterSignalForRelayOnly(data: SignalData): SignalData | undefined {
  // `data` itself when nothing changed: the relay may then forward the frame as it arrived.
  if ('type' in data) {
    const sdp = stripSdpForRelayOnly(data.sdp);
    return sdp === data.sdp ? data : { type: data.type, sdp };
  }
  if (data.candidate === null || data.candidate.candidate.trim() === '') return data;
  const candidate = sanitizeRelayCandidate(data.candidate.candidate);
  if (candidate === undefined) return undefined;
  return candidate === data.candidate.candidate ? data : { candidate: { ...data.candidate, candidate } };
}
