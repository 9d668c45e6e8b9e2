// The relay-only filter on its own: what a partner may learn from a relayed candidate or SDP, and
// that nothing the sender wrote passes as written. The fixtures are shaped like what browsers send
// (an offer captured from Debian's Chromium, Firefox's origin line, mDNS host names, IPv4 and
// IPv6), using documentation addresses only; the hostile ones are what a modified client could send.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wrtc from '@roamhq/wrtc';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  candidateType,
  filterSignalForRelayOnly,
  sanitizeRelayCandidate,
  stripSdpForRelayOnly,
} from '../../server/chat/ice-filter.ts';
import type { SignalData } from '../../server/protocol/messages.ts';

/** Addresses that identify the sender: its LAN, its public address, its mDNS name. */
const HOST_V4 = '192.168.1.23';
const HOST_V6 = '2001:db8:85a3::8a2e:370:7334';
const HOST_ULA = 'fd12:3456:789a::1';
const MDNS = '4a7c6c8e-5f3a-4a7e-9c2b-1f0d2e3c4b5a.local';
const PUBLIC_V4 = '203.0.113.7';
const PRFLX_V6 = '2001:db8:cafe::17';
const SENDER_ADDRESSES = [HOST_V4, HOST_V6, HOST_ULA, MDNS, PUBLIC_V4, PRFLX_V6];
/** The TURN server's relayed addresses: safe to show. */
const RELAY_V4 = '198.51.100.20';
const RELAY_V6 = '2001:db8:beef::20';

const CANDIDATES = {
  hostV4: `candidate:1467250027 1 udp 2122260223 ${HOST_V4} 54400 typ host generation 0 network-id 1 network-cost 10`,
  hostV6: `candidate:2305891851 1 udp 2122262783 ${HOST_V6} 54401 typ host generation 0 network-id 2 network-cost 10`,
  hostUla: `candidate:2999745851 1 udp 2122197247 ${HOST_ULA} 54406 typ host generation 0 network-id 4`,
  hostMdns: `candidate:3890314543 1 udp 2122194687 ${MDNS} 54402 typ host generation 0 network-id 3`,
  hostTcp: `candidate:1234567890 1 tcp 1518280447 ${HOST_V4} 9 typ host tcptype active generation 0 network-id 1 network-cost 10`,
  srflx: `candidate:842163049 1 udp 1686052607 ${PUBLIC_V4} 54400 typ srflx raddr ${HOST_V4} rport 54400 generation 0 network-id 1 network-cost 10`,
  prflx: `candidate:1853887674 1 udp 1845501695 ${PRFLX_V6} 54405 typ prflx raddr ${HOST_V6} rport 54401 generation 0`,
  relayV4: `candidate:3470244393 1 udp 41885439 ${RELAY_V4} 61234 typ relay raddr ${PUBLIC_V4} rport 54400 generation 0 network-id 1 network-cost 10`,
  relayV6: `candidate:2868914001 1 udp 41886463 ${RELAY_V6} 61300 typ relay raddr ${HOST_V6} rport 54401 generation 0 network-id 2`,
  /** Firefox: no extension attributes, upper-case transport. */
  relayFirefox: `candidate:4 1 UDP 8331263 ${RELAY_V4} 61240 typ relay raddr ${RELAY_V4} rport 61240`,
} as const;
/** relayV4 as it may reach the partner. */
const RELAY_V4_BLANKED = `candidate:3470244393 1 udp 41885439 ${RELAY_V4} 61234 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1 network-cost 10`;

/** Line breaks and controls that one parser or another honours, or that hide one. */
const BREAKS = {
  CR: '\r',
  LF: '\n',
  CRLF: '\r\n',
  VT: '\v',
  FF: '\f',
  NUL: '\u0000',
  TAB: '\t',
  DEL: '\u007f',
  NEL: '\u0085',
  'U+2028': '\u2028',
  'U+2029': '\u2029',
  'U+FEFF': '\ufeff',
} as const;

const FINGERPRINT = 'sha-256 ' + Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');

/** An offer captured from Chromium 156 (audio, video, data channel), with host, srflx and relay candidates. */
function chromiumOffer(): string {
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'chromium-offer.sdp'), 'utf8');
  return `${text.trimEnd().split(/\r?\n/).join('\r\n')}\r\n`;
}

/**
 * A data-channel-only offer with every candidate type (IPv4 and IPv6) in its one section. The
 * libwebrtc check uses it: @roamhq/wrtc crashes at process exit once an audio section was applied.
 */
function dataChannelOffer(): string {
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS',
    'm=application 54400 UDP/DTLS/SCTP webrtc-datachannel',
    `c=IN IP4 ${PUBLIC_V4}`,
    `a=rtcp:54400 IN IP4 ${PUBLIC_V4}`,
    ...Object.values(CANDIDATES).filter((c) => c !== CANDIDATES.relayFirefox).map((c) => `a=${c}`),
    'a=ice-ufrag:EsAw',
    'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
    'a=ice-options:trickle',
    `a=fingerprint:${FINGERPRINT}`,
    'a=setup:actpass',
    'a=mid:0',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    '',
  ].join('\r\n');
}

/** A minimal valid description around some lines of a hostile client's choosing. */
function sdpWith(...lines: string[]): string {
  return ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'a=mid:0', ...lines, ''].join('\r\n');
}

const linesOf = (sdp: string) => sdp.split('\r\n');
const candidateLines = (sdp: string) => linesOf(sdp).filter((line) => line.startsWith('a=candidate:'));
const trickle = (candidate: string, extra: Record<string, unknown> = {}): SignalData => ({ candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0, ...extra } });

function assertNoSenderAddress(text: string): void {
  for (const address of SENDER_ADDRESSES) assert.not.ok(text.toLowerCase().includes(address.toLowerCase()), `${address} was not removed`);
}

/** Only CRLF line ends, and nothing but printable ASCII between them. */
function assertCleanLines(sdp: string): void {
  assert.ok(sdp.endsWith('\r\n'));
  for (const line of linesOf(sdp).slice(0, -1)) assert.match(line, /^[\x20-\x7e]+$/, JSON.stringify(line));
}

test('candidateType reads the type by position, whatever the prefix', () => {
  assert.is(candidateType(CANDIDATES.hostV4), 'host');
  assert.is(candidateType(`a=${CANDIDATES.srflx}`), 'srflx');
  assert.is(candidateType(CANDIDATES.prflx), 'prflx');
  assert.is(candidateType(CANDIDATES.relayFirefox), 'relay');
  assert.is(candidateType('candidate:garbage'), undefined);
  assert.is(candidateType(`${CANDIDATES.hostV4} typ relay`), 'host');
});

test('trickled host, mDNS, srflx and prflx candidates are dropped, IPv4 and IPv6', () => {
  for (const name of ['hostV4', 'hostV6', 'hostUla', 'hostMdns', 'hostTcp', 'srflx', 'prflx'] as const) {
    assert.is(filterSignalForRelayOnly(trickle(CANDIDATES[name], { usernameFragment: 'EsAw' })), undefined, `${name} was relayed`);
  }
});

test('unparsable or disguised candidates are dropped: the filter fails closed', () => {
  const relay = CANDIDATES.relayV4;
  const disguised = [
    `candidate:1 1 udp 2122260223 ${HOST_V4} 54400 typ`, // no type
    `candidate:1 1 udp 2122260223 ${HOST_V4} 54400 host relay`, // no `typ` keyword in place
    `${HOST_V4} 54400 typ relay`, // not a candidate attribute at all
    `candidate:1 1 udp 2122260223 ${HOST_V4} 54400 typ host generation 0 typ relay`,
    `candidate:1 1 udp 41885439 ${MDNS} 61234 typ relay`, // a relay is never an mDNS name
    `candidate:1 1 udp 41885439 relay.example.org 61234 typ relay`, // nor a host name
    `candidate:1 1 udp 41885439 ${RELAY_V4} 99999 typ relay`, // no such port
    `candidate:1 1 sctp 41885439 ${RELAY_V4} 61234 typ relay`, // no such transport
    `candidate:1:2 1 udp 41885439 ${RELAY_V4} 61234 typ relay`, // a foundation is ice-chars
    `candidate:1 1 udp 41885439 ${RELAY_V4} 61234 TYP relay`,
    `${relay} generation`, // an extension without its value
    `${relay} generation ${HOST_V4}`, // a known extension with a value of the wrong shape
    `${relay} ufrag a:b`,
    `${relay} tcptype ${HOST_V4}`,
    `${relay} ${HOST_V4}/x 1`, // an extension name that is not one
    `A=CANDIDATE:${relay.slice('candidate:'.length)}`,
    `foo ${relay}`,
  ];
  for (const candidate of disguised) assert.is(filterSignalForRelayOnly(trickle(candidate)), undefined, candidate);
});

test('a line break or control character anywhere in a candidate or its fields drops it', () => {
  for (const [name, char] of Object.entries(BREAKS)) {
    const smuggled = [
      `${CANDIDATES.relayV4}${char}a=${CANDIDATES.hostV4}`,
      `${CANDIDATES.relayV4}${char}${CANDIDATES.hostV4}`,
      `${CANDIDATES.relayV4}${char}`,
      `${char}${CANDIDATES.relayV4}`,
      CANDIDATES.relayV4.replace(' typ ', ` typ${char}`),
      CANDIDATES.relayV4.replace(RELAY_V4, `${RELAY_V4}${char}${HOST_V4}`),
      char,
    ];
    for (const candidate of smuggled) assert.is(filterSignalForRelayOnly(trickle(candidate)), undefined, `${name}: ${JSON.stringify(candidate)}`);
    assert.is(sanitizeRelayCandidate(`${CANDIDATES.relayV4}${char}x`), undefined, name);
    assert.is(filterSignalForRelayOnly(trickle(CANDIDATES.relayV4, { sdpMid: `0${char}a=mid:1` })), undefined, `${name} in sdpMid`);
    assert.is(filterSignalForRelayOnly(trickle(CANDIDATES.relayV4, { usernameFragment: `EsAw${char}` })), undefined, `${name} in usernameFragment`);
  }
  assert.is(filterSignalForRelayOnly(trickle(CANDIDATES.relayV4, { sdpMid: '0 1' })), undefined, 'sdpMid is one token');
  assert.is(filterSignalForRelayOnly(trickle(CANDIDATES.relayV4, { usernameFragment: HOST_V4 })), undefined, 'a ufrag is ice-chars');
  assert.is(filterSignalForRelayOnly(trickle(`candidate:1 1 udp 41885439 ${RELAY_V4} 61234 typ relay raddr é rport 0`)), undefined, 'non-ASCII');
});

test('relay candidates are rebuilt: related address blanked once, unknown extensions left out', () => {
  assert.equal(filterSignalForRelayOnly(trickle(CANDIDATES.relayV4, { usernameFragment: 'EsAw' })), {
    candidate: { candidate: RELAY_V4_BLANKED, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'EsAw' },
  });
  assert.is(sanitizeRelayCandidate(CANDIDATES.relayV6), `candidate:2868914001 1 udp 41886463 ${RELAY_V6} 61300 typ relay raddr :: rport 0 generation 0 network-id 2`);
  assert.is(sanitizeRelayCandidate(CANDIDATES.relayFirefox), `candidate:4 1 UDP 8331263 ${RELAY_V4} 61240 typ relay raddr 0.0.0.0 rport 0`);
  const noRelated = `candidate:5 1 udp 41885439 ${RELAY_V4} 61234 typ relay generation 0`;
  assert.is(sanitizeRelayCandidate(noRelated), noRelated);

  const base = `candidate:5 1 udp 41885439 ${RELAY_V4} 61234 typ relay`;
  const rebuilt: Array<[string, string]> = [
    // `raddr` twice (the second used to survive), and in upper case.
    [`${base} raddr ${PUBLIC_V4} rport 1 raddr ${HOST_V4} rport 2`, `${base} raddr 0.0.0.0 rport 0`],
    [`${base} raddr ${PUBLIC_V4} rport 1 generation 0 RADDR ${HOST_V4} Rport 3`, `${base} raddr 0.0.0.0 rport 0 generation 0`],
    [`${base} rport 54400`, `${base} raddr 0.0.0.0 rport 0`],
    // Unknown extensions could hold anything: left out; known ones keep their first value.
    [`${base} generation 0 x-addr ${HOST_V4} network-id 1 generation 7`, `${base} generation 0 network-id 1`],
    [`${base} ufrag EsAw tcptype passive`, `${base} ufrag EsAw tcptype passive`],
    // Spacing and prefix are the filter's, not the sender's.
    [`  a=${base}   generation   0  `, `${base} generation 0`],
    [`candidate:5 1 udp 41885439 ${RELAY_V4} 61234 typ RELAY`, base],
  ];
  for (const [input, expected] of rebuilt) assert.is(sanitizeRelayCandidate(input), expected, input);
  for (const input of rebuilt.map(([input]) => input)) assertNoSenderAddress(sanitizeRelayCandidate(input) ?? '');
});

test('end-of-candidates passes, and every result is a new object built only from known fields', () => {
  const end = { candidate: null };
  const relayedEnd = filterSignalForRelayOnly(end);
  assert.equal(relayedEnd, { candidate: null });
  assert.is.not(relayedEnd, end);
  const empty = trickle('');
  assert.equal(filterSignalForRelayOnly(empty), empty);
  assert.is.not(filterSignalForRelayOnly(empty), empty);
  assert.equal(filterSignalForRelayOnly(trickle('   ')), trickle(''), 'blank is the empty candidate');

  const candidate = trickle(RELAY_V4_BLANKED, { usernameFragment: 'EsAw' });
  const relayed = filterSignalForRelayOnly(candidate);
  assert.equal(relayed, candidate, 'an already clean candidate is unchanged in value');
  assert.is.not(relayed, candidate);
  assert.is.not((relayed as { candidate: object }).candidate, (candidate as { candidate: object }).candidate);
  // Extra keys the schema would have refused never survive the rebuild either.
  const extra = { candidate: { candidate: RELAY_V4_BLANKED, sdpMid: '0', extra: HOST_V4 } } as unknown as SignalData;
  assert.equal(filterSignalForRelayOnly(extra), { candidate: { candidate: RELAY_V4_BLANKED, sdpMid: '0' } });
  const description = { type: 'answer', sdp: stripSdpForRelayOnly(sdpWith())!, extra: HOST_V4 } as unknown as SignalData;
  const rebuilt = filterSignalForRelayOnly(description);
  assert.equal(rebuilt, { type: 'answer', sdp: stripSdpForRelayOnly(sdpWith()) });
  assert.is.not(rebuilt, description);
});

test("Chromium's offer keeps every line it needs, byte for byte, and only relay candidates and no address", () => {
  const offer = chromiumOffer();
  const stripped = filterSignalForRelayOnly({ type: 'offer', sdp: offer });
  assert.ok(stripped && 'type' in stripped, 'an offer stays an offer');
  assert.is(stripped.type, 'offer');
  const sdp = stripped.sdp;
  assertCleanLines(sdp);
  assertNoSenderAddress(sdp);
  assert.equal(candidateLines(sdp), [
    `a=candidate:3470244393 1 udp 41885439 ${RELAY_V4} 50059 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1`,
    `a=candidate:3470244393 1 udp 41885439 ${RELAY_V4} 38911 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1`,
    `a=candidate:3470244393 1 udp 41885439 ${RELAY_V4} 41514 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1`,
  ]);
  const lines = linesOf(sdp);
  assert.equal(lines.filter((line) => line.startsWith('m=')).map((line) => line.split(' ').slice(0, 3).join(' ')), [
    'm=audio 9 UDP/TLS/RTP/SAVPF',
    'm=video 9 UDP/TLS/RTP/SAVPF',
    'm=application 9 UDP/DTLS/SCTP',
  ]);
  assert.equal(lines.filter((line) => line.startsWith('c=')), ['c=IN IP4 0.0.0.0', 'c=IN IP4 0.0.0.0', 'c=IN IP4 0.0.0.0']);
  // Every other line Chromium wrote is kept as it was, in order: the allow-list covers them all.
  const addressed = (line: string) => /^(a=candidate:|c=|m=)/.test(line);
  assert.equal(lines.filter((line) => !addressed(line)), linesOf(offer).filter((line) => !addressed(line)));
});

test('a Firefox-shaped answer: origin, IPv6 connection and rtcp addresses blanked, end-of-candidates kept', () => {
  const answer = [
    'v=0',
    `o=mozilla...THIS_IS_SDPARTA-128.0 5417394734223454617 0 IN IP4 ${HOST_V4}`,
    's=-',
    't=0 0',
    'a=sendrecv',
    `a=fingerprint:${FINGERPRINT}`,
    'a=group:BUNDLE 0',
    'a=ice-options:trickle',
    'a=msid-semantic:WMS *',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    `c=IN IP6 ${HOST_V6}`,
    `a=rtcp:54401 IN IP6 ${PRFLX_V6}`,
    `a=${CANDIDATES.relayFirefox}`,
    `a=${CANDIDATES.hostV6}`,
    'a=end-of-candidates',
    'a=ice-pwd:e3ba6b6de7e1a1c0e8bb2cd2a9d0d1c5',
    'a=ice-ufrag:9e4a1b2c',
    'a=mid:0',
    'a=setup:active',
    'a=sctp-port:5000',
    'a=max-message-size:1073741823',
    '',
  ].join('\n');
  const stripped = filterSignalForRelayOnly({ type: 'answer', sdp: answer });
  assert.ok(stripped && 'type' in stripped);
  assert.is(stripped.type, 'answer');
  assertCleanLines(stripped.sdp);
  assert.equal(linesOf(stripped.sdp), [
    'v=0',
    'o=mozilla...THIS_IS_SDPARTA-128.0 5417394734223454617 0 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=sendrecv',
    `a=fingerprint:${FINGERPRINT}`,
    'a=group:BUNDLE 0',
    'a=ice-options:trickle',
    'a=msid-semantic:WMS *',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP6 ::',
    'a=rtcp:9 IN IP6 ::',
    `a=candidate:4 1 UDP 8331263 ${RELAY_V4} 61240 typ relay raddr 0.0.0.0 rport 0`,
    'a=end-of-candidates',
    'a=ice-pwd:e3ba6b6de7e1a1c0e8bb2cd2a9d0d1c5',
    'a=ice-ufrag:9e4a1b2c',
    'a=mid:0',
    'a=setup:active',
    'a=sctp-port:5000',
    'a=max-message-size:1073741823',
    '',
  ]);
});

test('a line break or control character anywhere in an SDP refuses the whole description', () => {
  for (const [name, char] of Object.entries(BREAKS)) {
    if (name === 'LF' || name === 'CRLF') continue; // the two line ends SDP has
    for (const sdp of [
      sdpWith(`a=${CANDIDATES.relayV4}${char}a=${CANDIDATES.hostV4}`),
      sdpWith(`a=ice-ufrag:EsAw${char}a=${CANDIDATES.hostV4}`),
      sdpWith(`a=mid:0${char}`),
      sdpWith(`${char}a=${CANDIDATES.hostV4}`),
      `v=0${char}`,
    ]) {
      assert.is(stripSdpForRelayOnly(sdp), undefined, `${name}: ${JSON.stringify(sdp)}`);
      assert.is(filterSignalForRelayOnly({ type: 'offer', sdp }), undefined, name);
    }
  }
});

test('attributes outside the allow-list, repeats and other line types are dropped; what stays is rebuilt', () => {
  const sdp = sdpWith(
    'i=session info',
    `u=http://${HOST_V4}/`,
    `e=someone@${HOST_V4}`,
    'p=+44 20 7946 0000',
    'k=clear:secret',
    'z=0 0',
    'r=604800 3600 0 90000',
    'x=anything',
    `o=- 1 2 IN IP4 ${HOST_V4}`, // o= belongs to the session part, once
    `c=IN IP4 ${HOST_V4}`, // a second c= in the section
    `C=IN IP4 ${HOST_V4}`,
    `a=remote-candidates:1 ${HOST_V4} 54400`,
    `a=x-google-flag:${HOST_V4}`,
    `a=tool:${HOST_V4}`,
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc',
    `a=mid:1`, // a second mid
    `a=ice-ufrag:${HOST_V4}`, // not ice-chars
    'a=ice-ufrag:EsAw',
    'a=ice-ufrag:Other',
    `a=setup:actpass ${HOST_V4}`,
    'a=setup:actpass',
    `a=sctp-port:5000 ${HOST_V4}`,
    'a=sctp-port:5000',
    'a=rtcp-mux:yes', // a flag carries no value
    'a=rtcp-mux',
    'a=rtcp-mux',
    `a=rtpmap:111 opus/48000/2 ${HOST_V4}`,
    'a=rtpmap:111 opus/48000/2',
    `a=ssrc:1 cname:x  ${HOST_V4}`,
    `a=${CANDIDATES.hostV4}`,
    `a=${CANDIDATES.relayV4} x-raddr ${HOST_V4}`,
    'b=AS:30',
    `b=X-ADDR:${HOST_V4}`,
    `a=mid`,
    `a:mid:0`,
    'junk',
  );
  const stripped = stripSdpForRelayOnly(sdp);
  assert.ok(stripped !== undefined);
  assertCleanLines(stripped);
  assertNoSenderAddress(stripped);
  assert.equal(linesOf(stripped), [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    'a=ice-ufrag:EsAw',
    'a=setup:actpass',
    'a=sctp-port:5000',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    `a=${RELAY_V4_BLANKED}`,
    'b=AS:30',
    '',
  ]);
});

test('descriptions that cannot be read are refused, not guessed at', () => {
  for (const sdp of [
    '',
    'o=- 1 2 IN IP4 127.0.0.1\r\nv=0\r\n', // v=0 must come first
    ' v=0\r\n',
    'v=1\r\n',
    sdpWith(`m=audio ${HOST_V4} RTP/AVP 0`), // an m= line that cannot be read hides which section follows
    sdpWith(`a=fmtp:111 ${'x'.repeat(1100)}`), // longer than any browser writes
    sdpWith('a=msid:é'),
  ]) {
    assert.is(stripSdpForRelayOnly(sdp), undefined, JSON.stringify(sdp.slice(0, 80)));
  }
  // An m= section refused by the answerer keeps port 0: that is what refuses it.
  assert.ok(linesOf(stripSdpForRelayOnly(sdpWith('m=video 0 UDP/TLS/RTP/SAVPF 96'))!).includes('m=video 0 UDP/TLS/RTP/SAVPF 96'));
});

test('the stripped offer is still one that libwebrtc accepts, with the relay candidates in it', async () => {
  const pc = new wrtc.RTCPeerConnection();
  try {
    const stripped = stripSdpForRelayOnly(dataChannelOffer());
    assert.ok(stripped !== undefined);
    assert.is(candidateLines(stripped).length, 2, 'the two relay candidates are left');
    await pc.setRemoteDescription({ type: 'offer', sdp: stripped });
    const remote = pc.remoteDescription?.sdp ?? '';
    assert.ok(remote.includes(`${RELAY_V4} 61234 typ relay`), 'the IPv4 relay candidate was parsed');
    assert.ok(remote.includes(`${RELAY_V6} 61300 typ relay`), 'the IPv6 relay candidate was parsed');
    assertNoSenderAddress(remote);
  } finally {
    pc.close();
  }
});

test.run();
