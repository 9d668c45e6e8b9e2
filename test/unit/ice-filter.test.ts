// The relay-only filter on its own: what a partner may learn from a relayed candidate or SDP.
// The fixtures are shaped like what browsers send (Chrome's offer layout, Firefox's origin line,
// mDNS host names, IPv4 and IPv6), using documentation addresses only.
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
  /** Firefox: no extension attributes, upper-case hex foundation. */
  relayFirefox: `candidate:4 1 UDP 8331263 ${RELAY_V4} 61240 typ relay raddr ${RELAY_V4} rport 61240`,
} as const;

const FINGERPRINT = 'sha-256 ' + Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');

/** A Chrome-shaped offer: audio and a data channel, bundled, with every candidate type in it. */
function chromeOffer(eol: string): string {
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
    'm=audio 54400 UDP/TLS/RTP/SAVPF 111 0',
    `c=IN IP4 ${PUBLIC_V4}`,
    `a=rtcp:54400 IN IP4 ${PUBLIC_V4}`,
    `a=${CANDIDATES.hostV4}`,
    `a=${CANDIDATES.hostV6}`,
    `a=${CANDIDATES.hostMdns}`,
    `a=${CANDIDATES.hostTcp}`,
    `a=${CANDIDATES.srflx}`,
    `a=${CANDIDATES.prflx}`,
    `a=${CANDIDATES.relayV4}`,
    'a=ice-ufrag:EsAw',
    'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
    'a=ice-options:trickle',
    `a=fingerprint:${FINGERPRINT}`,
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=msid:- 1b0d6b7e-5f3a-4a7e-9c2b-1f0d2e3c4b5a',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:0 PCMU/8000',
    'a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6',
    'm=application 61300 UDP/DTLS/SCTP webrtc-datachannel',
    `c=IN IP6 ${RELAY_V6}`,
    `a=${CANDIDATES.relayV6}`,
    `a=${CANDIDATES.hostUla}`,
    'a=ice-ufrag:EsAw',
    'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
    'a=ice-options:trickle',
    `a=fingerprint:${FINGERPRINT}`,
    'a=setup:actpass',
    'a=mid:1',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    '',
  ].join(eol);
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

const linesOf = (sdp: string) => sdp.split(/\r\n|\n/);
const candidateLines = (sdp: string) => linesOf(sdp).filter((line) => line.startsWith('a=candidate:'));

function assertNoSenderAddress(text: string): void {
  for (const address of SENDER_ADDRESSES) assert.not.ok(text.toLowerCase().includes(address.toLowerCase()), `${address} was not removed`);
}

test('candidateType reads the type by position, whatever the prefix', () => {
  assert.is(candidateType(CANDIDATES.hostV4), 'host');
  assert.is(candidateType(`a=${CANDIDATES.srflx}`), 'srflx');
  assert.is(candidateType(CANDIDATES.prflx), 'prflx');
  assert.is(candidateType(CANDIDATES.relayFirefox), 'relay');
  assert.is(candidateType('candidate:garbage'), undefined);
  // `typ relay` smuggled into the extension attributes does not make a host candidate a relay one.
  assert.is(candidateType(`${CANDIDATES.hostV4} typ relay`), 'host');
});

test('trickled host, mDNS, srflx and prflx candidates are dropped, IPv4 and IPv6', () => {
  for (const name of ['hostV4', 'hostV6', 'hostUla', 'hostMdns', 'hostTcp', 'srflx', 'prflx'] as const) {
    const data: SignalData = { candidate: { candidate: CANDIDATES[name], sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'EsAw' } };
    assert.is(filterSignalForRelayOnly(data), undefined, `${name} was relayed`);
  }
});

test('unparsable or disguised candidates are dropped: the filter fails closed', () => {
  const disguised = [
    `candidate:1 1 udp 2122260223 ${HOST_V4} 54400 typ`, // no type
    `candidate:1 1 udp 2122260223 ${HOST_V4} 54400 host relay`, // no `typ` keyword in place
    `${HOST_V4} 54400 typ relay`, // not a candidate attribute at all
    `candidate:1 1 udp 2122260223 ${HOST_V4} 54400 typ host generation 0 typ relay`,
    `candidate:1 1 udp 41885439 ${MDNS} 61234 typ relay`, // a relay is never an mDNS name
  ];
  for (const candidate of disguised) {
    assert.is(filterSignalForRelayOnly({ candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } }), undefined);
  }
});

test('relay candidates pass with their related (public) address blanked; end-of-candidates passes', () => {
  const relayed = filterSignalForRelayOnly({ candidate: { candidate: CANDIDATES.relayV4, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'EsAw' } });
  assert.equal(relayed, {
    candidate: {
      candidate: `candidate:3470244393 1 udp 41885439 ${RELAY_V4} 61234 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1 network-cost 10`,
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'EsAw',
    },
  });
  assert.is(sanitizeRelayCandidate(CANDIDATES.relayV6), `candidate:2868914001 1 udp 41886463 ${RELAY_V6} 61300 typ relay raddr :: rport 0 generation 0 network-id 2`);
  const noRelated = `candidate:5 1 udp 41885439 ${RELAY_V4} 61234 typ relay generation 0`;
  assert.is(sanitizeRelayCandidate(noRelated), noRelated);

  assert.equal(filterSignalForRelayOnly({ candidate: null }), { candidate: null });
  const empty: SignalData = { candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0 } };
  assert.equal(filterSignalForRelayOnly(empty), empty);
});

for (const [name, eol] of [['CRLF', '\r\n'], ['LF', '\n']] as const) {
  test(`an offer (${name}) keeps only relay candidates and no address of the sender`, () => {
    const stripped = filterSignalForRelayOnly({ type: 'offer', sdp: chromeOffer(eol) });
    assert.ok(stripped && 'type' in stripped, 'an offer stays an offer');
    assert.is(stripped.type, 'offer');
    const sdp = stripped.sdp;

    assert.equal(candidateLines(sdp), [
      `a=candidate:3470244393 1 udp 41885439 ${RELAY_V4} 61234 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1 network-cost 10`,
      `a=candidate:2868914001 1 udp 41886463 ${RELAY_V6} 61300 typ relay raddr :: rport 0 generation 0 network-id 2`,
    ]);
    assertNoSenderAddress(sdp);
    const lines = linesOf(sdp);
    assert.ok(lines.includes('c=IN IP4 0.0.0.0'), 'the srflx connection address is blanked');
    assert.ok(lines.includes('a=rtcp:54400 IN IP4 0.0.0.0'), 'the rtcp address is blanked');
    assert.ok(lines.includes(`c=IN IP6 ${RELAY_V6}`), 'a relay connection address is kept');

    // Line endings are kept, and every line that holds no address is untouched.
    if (eol === '\r\n') assert.not.match(sdp.replaceAll('\r\n', ''), /[\r\n]/);
    else assert.not.ok(sdp.includes('\r'));
    assert.ok(sdp.endsWith(eol));
    const untouched = (line: string) => !/^(a=candidate:|c=|a=rtcp:)/.test(line);
    assert.equal(lines.filter(untouched), linesOf(chromeOffer(eol)).filter(untouched));
  });
}

test('an answer with Firefox origin, IPv6 rtcp and a host-addressed origin line is stripped too', () => {
  const answer = [
    `o=mozilla...THIS_IS_SDPARTA-128.0 5417394734223454617 0 IN IP4 ${HOST_V4}`,
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    `c=IN IP6 ${HOST_V6}`,
    `a=rtcp:9 IN IP6 ${PRFLX_V6}`,
    `a=${CANDIDATES.relayFirefox}`,
    `a=${CANDIDATES.hostV6}`,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
  const stripped = filterSignalForRelayOnly({ type: 'answer', sdp: answer });
  assert.ok(stripped && 'type' in stripped);
  assert.is(stripped.type, 'answer');
  assert.equal(linesOf(stripped.sdp), [
    'o=mozilla...THIS_IS_SDPARTA-128.0 5417394734223454617 0 IN IP4 127.0.0.1',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP6 ::',
    'a=rtcp:9 IN IP6 ::',
    `a=candidate:4 1 UDP 8331263 ${RELAY_V4} 61240 typ relay raddr 0.0.0.0 rport 0`,
    'a=end-of-candidates',
    '',
  ]);
});

test('a candidate behind a lone CR, an upper-case attribute or leading space does not slip through', () => {
  const sdp = [
    'v=0',
    `a=mid:0\ra=${CANDIDATES.hostV4}`,
    `A=CANDIDATE:${CANDIDATES.srflx.slice('candidate:'.length)}`,
    ` a=${CANDIDATES.hostMdns}`,
    `C=IN IP4 ${HOST_V4}`,
    '',
  ].join('\r\n');
  const stripped = stripSdpForRelayOnly(sdp);
  assertNoSenderAddress(stripped);
  assert.ok(linesOf(stripped).includes('a=mid:0'), 'the line before the hidden candidate stays');
});

test('the stripped offer is still one that libwebrtc accepts, with the relay candidates in it', async () => {
  const pc = new wrtc.RTCPeerConnection();
  try {
    const stripped = stripSdpForRelayOnly(dataChannelOffer());
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
