// Relay-only signalling: the server, not the client, makes sure no peer learns the other's address.
// A candidate of any type but `relay` carries a real address (host: the LAN or an mDNS name,
// srflx/prflx: the public address), so it is dropped. Nothing the sender wrote is passed on as
// written: every signal is rebuilt from fields parsed against an allow-list, so a second line
// hidden behind a CR, LF, VT, NUL or U+2028, a repeated `raddr`, an unknown SDP attribute or an
// address in a field a parser might read never reaches the partner. Anything the filter cannot
// parse is dropped: it fails closed.
import { isIP } from 'node:net';
import type { SignalData } from '../protocol/messages.ts';

/** The blank address libwebrtc itself puts where no candidate is chosen yet. */
const BLANK = { IP4: '0.0.0.0', IP6: '::' } as const;
/** The port browsers put in `m=` and `a=rtcp:` before any candidate is chosen (RFC 8839). */
const BLANK_PORT = '9';
/**
 * What a candidate or an SDP line may hold: printable ASCII. Every other character (CR, LF, VT,
 * FF, NUL, NEL, U+2028, U+2029, …) is a line break to some parser, or hides one.
 */
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Longest SDP line kept: browsers' longest (fmtp, ssrc msid) are a few hundred characters. */
const SDP_LINE_MAX = 1024;

// --- Candidates ---

const FOUNDATION = /^[A-Za-z0-9+/]{1,32}$/;
const DIGITS = (max: number) => new RegExp(`^\\d{1,${max}}$`);
const COMPONENT = DIGITS(3);
const TRANSPORT = /^(?:udp|tcp)$/i;
const PRIORITY = DIGITS(10);
/** ice-char (RFC 8839): what a username fragment is made of. */
const UFRAG = /^[A-Za-z0-9+/]{1,256}$/;
/** An SDP token (RFC 4566): what `a=mid:` and a candidate's sdpMid hold. */
const MID = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;

/** Candidate extensions that are kept (each value checked); any other extension is left out. */
const CANDIDATE_EXTENSIONS: ReadonlyMap<string, RegExp> = new Map([
  ['tcptype', /^(?:active|passive|so)$/],
  ['generation', DIGITS(10)],
  ['ufrag', UFRAG],
  ['network-id', DIGITS(10)],
  ['network-cost', DIGITS(10)],
]);
const EXTENSION_NAME = /^[A-Za-z0-9-]{1,32}$/;

/** The loosely read type of a candidate line (`host`, `srflx`, `prflx`, `relay`), for tests and logs; not a filter. */
export function candidateType(candidate: string): string | undefined {
  const tokens = /^\s*(?:a=)?candidate:(.*)$/is.exec(candidate)?.[1]?.trim().split(/\s+/) ?? [];
  return tokens.length >= 8 && tokens[6]?.toLowerCase() === 'typ' ? tokens[7]?.toLowerCase() : undefined;
}

/**
 * The candidate as it may be relayed in relay-only mode (`candidate:…`, rebuilt token by token), or
 * undefined to drop it. It is parsed by position, as RFC 8839 defines it (foundation, component,
 * transport, priority, address, port, `typ`, type), so a `typ relay` hidden in the extensions
 * cannot pass a host candidate off as relay, and its address must be an IP address (a relay is
 * never an mDNS name). Its related address — the client's public address — is blanked the way
 * libwebrtc blanks it under `iceTransportPolicy: "relay"` (`raddr 0.0.0.0 rport 0`), once,
 * however often the sender wrote it.
 */
export function sanitizeRelayCandidate(candidate: string): string | undefined {
  if (!PRINTABLE.test(candidate)) return undefined;
  const body = /^(?:a=)?candidate:(.*)$/.exec(candidate.trim())?.[1];
  if (body === undefined) return undefined;
  const tokens = body.split(/ +/);
  if (tokens.length < 8 || tokens.length % 2 !== 0) return undefined;
  const [foundation = '', component = '', transport = '', priority = '', address = '', port = '', typ = '', type = ''] = tokens;
  if (!FOUNDATION.test(foundation) || !COMPONENT.test(component) || !TRANSPORT.test(transport) || !PRIORITY.test(priority)) return undefined;
  if (isIP(address) === 0 || !isPort(port) || typ !== 'typ' || type.toLowerCase() !== 'relay') return undefined;

  let related: string | undefined;
  const extensions = new Map<string, string>();
  for (let index = 8; index < tokens.length; index += 2) {
    const name = tokens[index]!;
    const value = tokens[index + 1]!;
    if (!EXTENSION_NAME.test(name)) return undefined;
    if (name === 'raddr' || name === 'rport') {
      // Only the family is kept, of the first one written (an `rport` alone: the candidate's own).
      const ipv6 = name === 'raddr' ? value.includes(':') : isIP(address) === 6;
      related ??= ipv6 ? BLANK.IP6 : BLANK.IP4;
      continue;
    }
    const valid = CANDIDATE_EXTENSIONS.get(name);
    if (!valid) continue; // an extension we do not know could hold anything: left out
    if (!valid.test(value)) return undefined;
    if (!extensions.has(name)) extensions.set(name, value);
  }
  const out = [foundation, component, transport, priority, address, port, 'typ', 'relay'];
  if (related !== undefined) out.push('raddr', related, 'rport', '0');
  for (const [name, value] of extensions) out.push(name, value);
  return `candidate:${out.join(' ')}`;
}

function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) <= 65_535;
}

// --- Session descriptions ---

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
 * What a section has already kept, one bit each: the line kinds that appear once (`v`, `o`, `s`,
 * `t`, `c`), `a=rtcp:`, and every `once` group of ATTRIBUTES (a number, not a Set: this runs for
 * every line of every offer and answer of a minor's conversation).
 */
const SEEN_V = 1 << 0;
const SEEN_O = 1 << 1;
const SEEN_S = 1 << 2;
const SEEN_T = 1 << 3;
const SEEN_C = 1 << 4;
const SEEN_RTCP = 1 << 5;
/** The session part's kinds, which a media section cannot have again. */
const SESSION_ONLY = SEEN_V | SEEN_O | SEEN_S | SEEN_T;

/** ATTRIBUTES with each `once` group as its bit. */
const RULES: ReadonlyMap<string, { value: RegExp | null; once: number }> = (() => {
  const bits = new Map<string, number>();
  const rules = new Map<string, { value: RegExp | null; once: number }>();
  for (const [name, rule] of ATTRIBUTES) {
    let once = 0;
    if (rule.once) {
      if (!bits.has(rule.once)) bits.set(rule.once, 1 << (6 + bits.size));
      once = bits.get(rule.once)!;
    }
    rules.set(name, { value: rule.value, once });
  }
  if (bits.size > 24) throw new TypeError('ice-filter: too many once-per-section attribute groups for one number');
  return rules;
})();

/** What a section has kept so far (SEEN_* bits), passed to the line readers. */
interface Section {
  seen: number;
}

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
export function stripSdpForRelayOnly(sdp: string): string | undefined {
  // One pass over the text, with character tests instead of a split and a pattern per line (it
  // runs for every offer and answer of a minor's conversation). The whole text is printable ASCII
  // and line ends, or it is refused: checked once here, so no line needs checking again.
  if (!isPrintableSdp(sdp) || !sdp.startsWith('v=0')) return undefined;
  const end = sdp.length;
  let stop = sdp.indexOf('\n');
  if (stop < 0) stop = end;
  // The first line is exactly `v=0` (a `v=0\r` is that line, ended by CRLF).
  if (stop !== 3 && !(stop === 4 && sdp.charCodeAt(3) === CR)) return undefined;
  // A browser's description comes out as it went in: a line kept exactly as written, with its
  // CRLF, is not copied on its own. `out` is the text rebuilt before `copyFrom`; from there to
  // the line being read, the input is kept as it is. Unchanged throughout: the input itself.
  let out = stop === 3 ? 'v=0\r\n' : '';
  let copyFrom = stop === 3 ? 4 : 0;
  const section: Section = { seen: SEEN_V };
  for (let start = stop + 1; start < end; ) {
    stop = sdp.indexOf('\n', start);
    if (stop < 0) stop = end;
    // Every CR is followed by an LF (isPrintableSdp): a line ends in CRLF or in LF (or at the end).
    const crlf = stop > start && sdp.charCodeAt(stop - 1) === CR;
    const line = sdp.slice(start, crlf ? stop - 1 : stop);
    if (line.length > SDP_LINE_MAX) return undefined;
    let kept: string | undefined;
    const kind = line.charCodeAt(0);
    // `x=…` with x a lower-case letter; any other line is dropped.
    if (kind === 0x61 /* a */ && line.charCodeAt(1) === 0x3d) {
      kept = attributeLine(line, section);
    } else if (kind >= 0x61 && kind <= 0x7a && line.charCodeAt(1) === 0x3d) {
      const value = line.slice(2);
      if (kind === 0x6d /* m */) {
        const media = MEDIA.exec(value);
        if (!media) return undefined; // the sections after it could not be told apart
        section.seen = SESSION_ONLY;
        kept = `m=${media[1]} ${media[2] === '0' ? '0' : BLANK_PORT} ${media[3]}${media[4] ?? ''}`;
      } else {
        kept = otherLine(kind, value, section);
      }
    }
    if (kept !== line || !crlf) {
      // Dropped or changed: what was kept as written before it is copied, then the rebuilt line.
      out += sdp.slice(copyFrom, start);
      if (kept !== undefined) out += `${kept}\r\n`;
      copyFrom = stop + 1;
    }
    start = stop + 1;
  }
  if (copyFrom === 0) return sdp;
  return copyFrom < end ? out + sdp.slice(copyFrom) : out;
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

/** A session or media line that is not an attribute or `m=` (its kind's character code), rebuilt; undefined to drop it. */
function otherLine(kind: number, value: string, section: Section): string | undefined {
  if (kind === 0x62 /* b */) return BANDWIDTH.test(value) ? `b=${value}` : undefined;
  // The rest may appear once per section (o, s and t only in the session part).
  const bit = kind === 0x6f ? SEEN_O : kind === 0x73 ? SEEN_S : kind === 0x74 ? SEEN_T : kind === 0x63 ? SEEN_C : 0;
  if (bit === 0 || (section.seen & bit) !== 0) return undefined;
  section.seen |= bit;
  switch (bit) {
    case SEEN_O: {
      // Browsers put 127.0.0.1 (Chrome) or 0.0.0.0 (Firefox) there; other stacks the host address.
      const [, user = '-', id = '0', version = '0', family = 'IP4', address = ''] = ORIGIN.exec(value) ?? [];
      const blank = family === 'IP6' ? ['::1', '::'] : ['127.0.0.1', '0.0.0.0'];
      return `o=${user} ${id} ${version} IN ${family} ${blank.includes(address) ? address : blank[0]}`;
    }
    case SEEN_S:
      return 's=-';
    case SEEN_T:
      return `t=${TIMING.test(value) ? value : '0 0'}`;
    default: {
      // With ICE the connection address is never used; it would only show the default candidate's.
      const family = value.startsWith('IN IP6 ') ? 'IP6' : 'IP4';
      return `c=IN ${family} ${BLANK[family]}`;
    }
  }
}

/** An `a=` line rebuilt, or undefined to drop it (its name and value read in place: most lines are kept as they are). */
function attributeLine(line: string, section: Section): string | undefined {
  const colon = line.indexOf(':', 2);
  const name = colon < 0 ? line.slice(2) : line.slice(2, colon);
  const content = colon < 0 ? undefined : line.slice(colon + 1);
  if (name === 'candidate') {
    const candidate = sanitizeRelayCandidate(`candidate:${content}`);
    return candidate === undefined ? undefined : `a=${candidate}`;
  }
  if (name === 'rtcp') {
    if ((section.seen & SEEN_RTCP) !== 0 || content === undefined || !RTCP.test(content)) return undefined;
    section.seen |= SEEN_RTCP;
    const family = content.includes(' IN IP6 ') ? 'IP6' : 'IP4';
    return `a=rtcp:${BLANK_PORT} IN ${family} ${BLANK[family]}`;
  }
  const rule = RULES.get(name);
  if (!rule) return undefined;
  if (rule.value === null ? content !== undefined : content === undefined || !rule.value.test(content)) return undefined;
  if (rule.once !== 0) {
    if ((section.seen & rule.once) !== 0) return undefined;
    section.seen |= rule.once;
  }
  // Name and value as checked: the line is exactly `a=<name>` or `a=<name>:<value>`.
  return line;
}

const RTCP = /^\d{1,5}(?: IN IP[46] \S{1,64})?$/;

// --- Signals ---

/** How a canonical `signal` frame with a description begins (JSON.stringify's order and spelling), and ends. */
const DESCRIPTION_FRAME_HEAD = {
  offer: Buffer.from('{"type":"signal","data":{"type":"offer","sdp":"'),
  answer: Buffer.from('{"type":"signal","data":{"type":"answer","sdp":"'),
} as const;
const DESCRIPTION_FRAME_TAIL = Buffer.from('"}}');

/**
 * True when `frame`, which parsed to a `signal` holding exactly `description`, is byte for byte
 * `JSON.stringify({ type: 'signal', data: description })`: then a description the relay-only
 * filter gave back unchanged (stripSdpForRelayOnly returns its input) can be relayed as it came
 * instead of being serialised again. The proof is by length. The frame begins and ends as the
 * canonical text does, so what lies between holds the SDP's string; JSON.stringify spells each
 * printable character as itself and CR and LF as `\r` and `\n`, the shortest spelling there is,
 * so any other — a `\u` escape, `\/`, white space, a key written twice — is longer than the
 * length counted here. A quote, a backslash, another control or a non-ASCII character is not
 * counted (the count is then short of the canonical length and nothing matches): the answer is
 * false, never a wrong true.
 */
export function isCanonicalDescriptionFrame(frame: Uint8Array, description: { type: 'offer' | 'answer'; sdp: string }): boolean {
  const { sdp } = description;
  const head = DESCRIPTION_FRAME_HEAD[description.type];
  if (sdp.indexOf('"') >= 0 || sdp.indexOf('\\') >= 0) return false;
  // Each CR and LF is written as two characters.
  let escapes = 0;
  for (let at = sdp.indexOf('\n'); at >= 0; at = sdp.indexOf('\n', at + 1)) escapes++;
  for (let at = sdp.indexOf('\r'); at >= 0; at = sdp.indexOf('\r', at + 1)) escapes++;
  if (frame.byteLength !== head.length + sdp.length + escapes + DESCRIPTION_FRAME_TAIL.length) return false;
  for (let i = 0; i < head.length; i++) if (frame[i] !== head[i]) return false;
  const tail = frame.byteLength - DESCRIPTION_FRAME_TAIL.length;
  for (let i = 0; i < DESCRIPTION_FRAME_TAIL.length; i++) if (frame[tail + i] !== DESCRIPTION_FRAME_TAIL[i]) return false;
  return true;
}

/**
 * The signal to relay in relay-only mode, or undefined to drop it: always a new object built from
 * checked fields, never the sender's. Non-relay and unreadable candidates are dropped;
 * end-of-candidates (`null`, or an empty candidate line) is kept; offers and answers are rebuilt
 * with stripSdpForRelayOnly. A candidate's `sdpMid` and `usernameFragment` must be tokens.
 */
export function filterSignalForRelayOnly(data: SignalData): SignalData | undefined {
  if ('type' in data) {
    const sdp = stripSdpForRelayOnly(data.sdp);
    return sdp === undefined ? undefined : { type: data.type, sdp };
  }
  if (data.candidate === null) return { candidate: null };
  const { candidate: line, sdpMid, sdpMLineIndex, usernameFragment } = data.candidate;
  if (typeof sdpMid === 'string' && !MID.test(sdpMid)) return undefined;
  if (typeof usernameFragment === 'string' && !UFRAG.test(usernameFragment)) return undefined;
  if (!PRINTABLE.test(line)) return undefined;
  const candidate = line.trim() === '' ? '' : sanitizeRelayCandidate(line);
  if (candidate === undefined) return undefined;
  return {
    candidate: {
      candidate,
      ...(sdpMid !== undefined ? { sdpMid } : {}),
      ...(sdpMLineIndex !== undefined ? { sdpMLineIndex } : {}),
      ...(usernameFragment !== undefined ? { usernameFragment } : {}),
    },
  };
}
