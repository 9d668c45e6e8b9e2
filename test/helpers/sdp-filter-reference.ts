// The relay-only SDP filter as it was after round 2 (2026-12-02, a split-free pass with a Set of
// what each section kept), kept unchanged as the reference its faster successor in
// server/chat/ice-filter.ts is fuzzed against (test/unit/ice-filter-properties.test.ts): the two
// must give the same text, or both refuse, for every damaged offer.
import { sanitizeRelayCandidate } from '../../server/chat/ice-filter.ts';

/** The blank address libwebrtc itself puts where no candidate is chosen yet. */
const BLANK = { IP4: '0.0.0.0', IP6: '::' } as const;
/** The port browsers put in `m=` and `a=rtcp:` before any candidate is chosen (RFC 8839). */
const BLANK_PORT = '9';
/** Longest SDP line kept: browsers' longest (fmtp, ssrc msid) are a few hundred characters. */
const SDP_LINE_MAX = 1024;

const DIGITS = (max: number) => new RegExp(`^\\d{1,${max}}$`);
const MID = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;

/** Words of printable ASCII separated by single spaces: the loose shape of a value we keep. */
const words = (max: number, count: number) => new RegExp(`^[\\x21-\\x7e]{1,${max}}(?: [\\x21-\\x7e]{1,${max}}){0,${count - 1}}$`);
const TOKEN = "[!#$%&'*+\\-.0-9A-Z^_`a-z{|}~]";

interface AttributeRule {
  /** The value's shape; null for a flag (`a=rtcp-mux`), which has none. */
  value: RegExp | null;
  /** Kept at most once per section (the session part counts as one); repeats are dropped. */
  once?: string;
}

/**
 * The SDP attributes a browser's offer or answer needs for relayed audio, video and data channels
 * (RFC 8829/8866 and what Chrome, Firefox and Safari send). Any other attribute is dropped.
 * `a=candidate:` and `a=rtcp:` are rebuilt separately.
 */
const ATTRIBUTES: ReadonlyMap<string, AttributeRule> = new Map<string, AttributeRule>([
  ['group', { value: new RegExp(`^[A-Za-z]{1,16}(?: ${TOKEN}{1,64}){0,64}$`) }],
  ['msid-semantic', { value: /^ ?WMS(?: [\x21-\x7e]{1,64}){0,16}$/, once: 'msid-semantic' }],
  ['extmap-allow-mixed', { value: null, once: 'extmap-allow-mixed' }],
  ['ice-ufrag', { value: /^[A-Za-z0-9+/]{4,256}$/, once: 'ice-ufrag' }],
  ['ice-pwd', { value: /^[A-Za-z0-9+/]{22,256}$/, once: 'ice-pwd' }],
  ['ice-options', { value: /^[A-Za-z0-9+/.-]{1,64}(?: [A-Za-z0-9+/.-]{1,64}){0,7}$/, once: 'ice-options' }],
  ['fingerprint', { value: /^[A-Za-z0-9-]{1,16} [0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15,63}$/ }],
  ['setup', { value: /^(?:actpass|active|passive|holdconn)$/, once: 'setup' }],
  ['tls-id', { value: /^[A-Za-z0-9+/_-]{20,255}$/, once: 'tls-id' }],
  ['mid', { value: MID, once: 'mid' }],
  ['sendrecv', { value: null, once: 'direction' }],
  ['sendonly', { value: null, once: 'direction' }],
  ['recvonly', { value: null, once: 'direction' }],
  ['inactive', { value: null, once: 'direction' }],
  ['bundle-only', { value: null, once: 'bundle-only' }],
  ['msid', { value: words(64, 2) }],
  ['rtcp-mux', { value: null, once: 'rtcp-mux' }],
  ['rtcp-mux-only', { value: null, once: 'rtcp-mux-only' }],
  ['rtcp-rsize', { value: null, once: 'rtcp-rsize' }],
  ['rtcp-xr', { value: words(128, 8) }],
  ['extmap', { value: /^\d{1,5}(?:\/(?:sendrecv|sendonly|recvonly|inactive))? [\x21-\x7e]{1,256}(?: [\x21-\x7e]{1,256}){0,7}$/ }],
  ['rtpmap', { value: /^\d{1,3} [A-Za-z0-9._-]{1,32}\/\d{1,6}(?:\/\d{1,2})?$/ }],
  ['fmtp', { value: /^\d{1,3} [\x21-\x7e]{1,512}(?: [\x21-\x7e]{1,512}){0,7}$/ }],
  ['rtcp-fb', { value: /^(?:\d{1,3}|\*) [A-Za-z0-9._-]{1,32}(?: [A-Za-z0-9._=-]{1,32}){0,3}$/ }],
  ['ssrc', { value: /^\d{1,10} [A-Za-z][A-Za-z0-9_-]{0,31}(?::[\x21-\x7e]{1,256}(?: [\x21-\x7e]{1,256}){0,3})?$/ }],
  ['ssrc-group', { value: /^[A-Za-z-]{1,16}(?: \d{1,10}){1,16}$/ }],
  ['ptime', { value: DIGITS(5), once: 'ptime' }],
  ['maxptime', { value: DIGITS(5), once: 'maxptime' }],
  ['rid', { value: /^[A-Za-z0-9_-]{1,32} (?:send|recv)(?: [\x21-\x7e]{1,256})?$/ }],
  ['simulcast', { value: words(256, 4), once: 'simulcast' }],
  ['sctp-port', { value: DIGITS(5), once: 'sctp-port' }],
  ['max-message-size', { value: DIGITS(12), once: 'max-message-size' }],
  ['sctpmap', { value: /^\d{1,5} webrtc-datachannel \d{1,5}$/, once: 'sctpmap' }],
  ['end-of-candidates', { value: null, once: 'end-of-candidates' }],
]);

const ORIGIN = /^(\S{1,64}) (\d{1,20}) (\d{1,20}) IN (IP4|IP6) (\S{1,64})$/;
const TIMING = /^\d{1,20} \d{1,20}$/;
const BANDWIDTH = /^(?:AS|TIAS|CT|RR|RS):\d{1,10}$/;
/**
 * An `m=` line. Its formats are payload types (`111`) or a name (`webrtc-datachannel`): no dot,
 * so no address or host name can ride in them (an `m=` line run into a `c=` line once carried
 * `IN IP4 192.0.2.1` through as three "formats").
 */
const MEDIA = /^(audio|video|application|text|message) (\d{1,5})(?:\/\d{1,5})? ([A-Za-z0-9/]{1,32})((?: [A-Za-z0-9-]{1,32}){0,128})$/;

/**
 * The SDP of an offer or answer rebuilt for relay-only mode, or undefined when it cannot be read
 * (then the whole description is dropped). Only printable ASCII and line breaks are accepted, and
 * the lines are split on CRLF or LF alone, so nothing can hide behind a lone CR or another break.
 * What is kept: `v=0`; `o=` with a loopback address; `s=-`; `t=`; `b=`; `m=` with port 9 (0, a
 * refused section, stays 0); one blank `c=` per section; `a=rtcp:` with a blank address; the
 * attributes of ATTRIBUTES whose value has the expected shape; relay candidates, rebuilt by
 * sanitizeRelayCandidate. Everything else — other line types, other attributes, repeats of what
 * may appear once, non-relay candidates — is dropped. Lines end in CRLF, as SDP requires.
 */
export function referenceStripSdp(sdp: string): string | undefined {
  // One pass over the text, with character tests instead of a split and a pattern per line (it
  // runs for every offer and answer of a minor's conversation). The whole text is printable ASCII
  // and line ends, or it is refused: checked once here, so no line needs checking again.
  if (!isPrintableSdp(sdp) || !sdp.startsWith('v=0')) return undefined;
  const end = sdp.length;
  let start = sdp.indexOf('\n');
  if (start < 0) start = end;
  // The first line is exactly `v=0` (a `v=0\r` is that line, ended by CRLF).
  if (start !== 3 && !(start === 4 && sdp.charCodeAt(3) === CR)) return undefined;
  const out = ['v=0'];
  let seen = new Set<string>(['v']);
  for (start++; start < end; ) {
    let stop = sdp.indexOf('\n', start);
    if (stop < 0) stop = end;
    const lineEnd = stop > start && sdp.charCodeAt(stop - 1) === CR ? stop - 1 : stop;
    const line = sdp.slice(start, lineEnd);
    start = stop + 1;
    if (line.length > SDP_LINE_MAX) return undefined;
    const kind = line.charCodeAt(0);
    // `x=…` with x a lower-case letter; any other line is dropped.
    if (kind < 0x61 || kind > 0x7a || line.charCodeAt(1) !== 0x3d) continue;
    const value = line.slice(2);
    if (kind === 0x6d /* m */) {
      const media = MEDIA.exec(value);
      if (!media) return undefined; // the sections after it could not be told apart
      seen = new Set(['v', 'o', 's', 't']);
      out.push(`m=${media[1]} ${media[2] === '0' ? '0' : BLANK_PORT} ${media[3]}${media[4] ?? ''}`);
      continue;
    }
    const kept = kind === 0x61 /* a */ ? attributeLine(line, value, seen) : otherLine(line[0]!, value, seen);
    if (kept !== undefined) out.push(kept);
  }
  return `${out.join('\r\n')}\r\n`;
}

const CR = 0x0d;
/** A character that is neither printable ASCII nor part of a line end (LF, or CR before LF). */
const NOT_PRINTABLE_SDP = /[^\x20-\x7e\r\n]|\r(?!\n)/;

/**
 * True when the text is printable ASCII (PRINTABLE) in lines ended by LF or CRLF: a CR anywhere
 * else, or any other control or non-ASCII character, refuses the whole description.
 */
function isPrintableSdp(text: string): boolean {
  return !NOT_PRINTABLE_SDP.test(text);
}

/** A session or media line that is not an attribute or `m=`, rebuilt; undefined to drop it. */
function otherLine(kind: string, value: string, seen: Set<string>): string | undefined {
  if (kind === 'b') return BANDWIDTH.test(value) ? `b=${value}` : undefined;
  // The rest may appear once per section (o, s and t only in the session part).
  if ((kind !== 'o' && kind !== 's' && kind !== 't' && kind !== 'c') || seen.has(kind)) return undefined;
  seen.add(kind);
  switch (kind) {
    case 'o': {
      // Browsers put 127.0.0.1 (Chrome) or 0.0.0.0 (Firefox) there; other stacks the host address.
      const [, user = '-', id = '0', version = '0', family = 'IP4', address = ''] = ORIGIN.exec(value) ?? [];
      const blank = family === 'IP6' ? ['::1', '::'] : ['127.0.0.1', '0.0.0.0'];
      return `o=${user} ${id} ${version} IN ${family} ${blank.includes(address) ? address : blank[0]}`;
    }
    case 's':
      return 's=-';
    case 't':
      return `t=${TIMING.test(value) ? value : '0 0'}`;
    default: {
      // With ICE the connection address is never used; it would only show the default candidate's.
      const family = /^IN IP6 /.test(value) ? 'IP6' : 'IP4';
      return `c=IN ${family} ${BLANK[family]}`;
    }
  }
}

/** An `a=` line rebuilt (`value` is what follows `a=`), or undefined to drop it. */
function attributeLine(line: string, value: string, seen: Set<string>): string | undefined {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  const content = colon < 0 ? undefined : value.slice(colon + 1);
  if (name === 'candidate') {
    const candidate = sanitizeRelayCandidate(`candidate:${content}`);
    return candidate === undefined ? undefined : `a=${candidate}`;
  }
  if (name === 'rtcp') {
    if (seen.has('rtcp') || content === undefined || !/^\d{1,5}(?: IN IP[46] \S{1,64})?$/.test(content)) return undefined;
    seen.add('rtcp');
    const family = content.includes(' IN IP6 ') ? 'IP6' : 'IP4';
    return `a=rtcp:${BLANK_PORT} IN ${family} ${BLANK[family]}`;
  }
  const rule = ATTRIBUTES.get(name);
  if (!rule) return undefined;
  if (rule.value === null ? content !== undefined : content === undefined || !rule.value.test(content)) return undefined;
  if (rule.once) {
    if (seen.has(rule.once)) return undefined;
    seen.add(rule.once);
  }
  // Name and value as checked: the line is exactly `a=<name>` or `a=<name>:<value>`.
  return line;
}
