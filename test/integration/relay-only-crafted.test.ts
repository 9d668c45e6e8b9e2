// A modified client between two minors on a `school` instance (relay-only) sends crafted `signal`
// frames over a real socket: repeated keys, `raddr` twice, line breaks and controls inside
// candidates and SDP, extra SDP attributes and `c=` lines, oversized fields. The partner's socket
// is read byte for byte: every frame it gets is the server's own serialisation of allow-listed
// content, never the sender's bytes, and names no address of the sender.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type TestClient } from '../helpers/client.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { Limits } from '../../server/protocol/messages.ts';

/** How long a frame that should not arrive gets to arrive anyway. */
const QUIET_MS = 300;
/** The sender's own addresses: its LAN, its public address, its mDNS name. */
const HOST_V4 = '192.168.1.23';
const PUBLIC_V4 = '203.0.113.7';
const MDNS = '4a7c6c8e-5f3a-4a7e-9c2b-1f0d2e3c4b5a.local';
const SENDER_ADDRESSES = [HOST_V4, PUBLIC_V4, MDNS];
const RELAY_V4 = '198.51.100.20';

const HOST = `candidate:1467250027 1 udp 2122260223 ${HOST_V4} 54400 typ host generation 0 network-id 1`;
const RELAY = `candidate:3470244393 1 udp 41885439 ${RELAY_V4} 61234 typ relay raddr ${PUBLIC_V4} rport 54400 generation 0 network-id 1`;
const RELAY_BLANKED = `candidate:3470244393 1 udp 41885439 ${RELAY_V4} 61234 typ relay raddr 0.0.0.0 rport 0 generation 0 network-id 1`;

const OFFER_LINES = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic: WMS',
  'm=application 54400 UDP/DTLS/SCTP webrtc-datachannel',
  `c=IN IP4 ${PUBLIC_V4}`,
  `a=${RELAY}`,
  'a=ice-ufrag:EsAw',
  'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
  'a=ice-options:trickle',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
];
const offer = (...extra: string[]) => [...OFFER_LINES, ...extra, ''].join('\r\n');
/** OFFER_LINES as the partner may receive them. */
const CLEAN_OFFER = [...OFFER_LINES.map((line) => line.replace(`c=IN IP4 ${PUBLIC_V4}`, 'c=IN IP4 0.0.0.0').replace(RELAY, RELAY_BLANKED).replace('54400 UDP', '9 UDP')), ''].join('\r\n');

const servers: TestServer[] = [];
const clients: TestClient[] = [];
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

interface Pair {
  sender: TestClient;
  partner: TestClient;
  /** Every text frame the partner's socket received after the match, exactly as it arrived. */
  raw: string[];
}

/** Two minors in a video conversation on a school instance (relay-only by its profile). */
async function minorPair(): Promise<Pair> {
  // A burst allowance for the many crafted frames each test sends at once; a TURN server (never
  // contacted) because minors are offered video only where their media can be relayed; video
  // without a moderator on duty (a school offers it only while one is, by default).
  const server = await newServer(
    { profile: 'school', limits: { messageBurst: 1000 }, turn: { urls: ['turn:turn.example.org:3478'] }, moderation: { videoOnlyOnDuty: false } },
    { secrets: { turnSecret: 'turn-secret-for-the-crafted-signal-test' } },
  );
  servers.push(server);
  const sender = await connect(server.url, { acceptRules: true, age: 14 });
  const partner = await connect(server.url, { acceptRules: true, age: 15 });
  clients.push(sender, partner);
  assert.is(sender.welcome.relayOnly, true, 'a school instance is relay-only');
  sender.send({ type: 'find', mode: 'video' });
  await sender.next('queued');
  partner.send({ type: 'find', mode: 'video' });
  await Promise.all([sender.next('matched'), partner.next('matched')]);
  const raw: string[] = [];
  partner.ws.on('message', (data) => raw.push(data.toString()));
  return { sender, partner, raw };
}

/** Sends raw text frames, then a marker the partner must receive last (the relay keeps order). */
async function sendRaw({ sender, partner, raw }: Pair, frames: string[]): Promise<string[]> {
  const from = raw.length;
  for (const frame of frames) sender.ws.send(frame);
  sender.send({ type: 'typing', on: true });
  await partner.next('typing');
  return raw.slice(from, -1);
}

const signalFrame = (data: unknown) => JSON.stringify({ type: 'signal', data });
const candidateFrame = (candidate: string, extra: Record<string, unknown> = {}) => signalFrame({ candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0, ...extra } });

/** What every relayed frame must be: the server's canonical JSON, with clean lines and no sender address. */
function assertRebuilt(frames: string[]): void {
  for (const frame of frames) {
    for (const address of SENDER_ADDRESSES) assert.not.ok(frame.includes(address), `${address} reached the partner: ${frame}`);
    const parsed = JSON.parse(frame) as { type: string; data: Record<string, unknown> };
    assert.is(JSON.stringify(parsed), frame, 'one canonical serialisation: no repeated key, no escape of the sender');
    assert.equal(Object.keys(parsed), ['type', 'data']);
    const text = 'sdp' in parsed.data ? String(parsed.data.sdp) : String((parsed.data.candidate as { candidate?: string } | null)?.candidate ?? '');
    assert.not.match(text.replace(/\r\n/g, ''), /[^\x20-\x7e]/, `only printable ASCII: ${JSON.stringify(text)}`);
  }
}

test('a repeated "data" key: the partner gets the parsed, filtered value, never the frame as sent', async () => {
  const pair = await minorPair();
  const hostData = JSON.stringify({ candidate: { candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 } });
  const relayData = JSON.stringify({ candidate: { candidate: RELAY_BLANKED, sdpMid: '0', sdpMLineIndex: 0 } });
  const received = await sendRaw(pair, [
    `{"type":"signal","data":${hostData},"data":${relayData}}`,
    `{"type":"signal","data":{"candidate":{"candidate":"${HOST}","candidate":"${RELAY_BLANKED}","sdpMid":"0","sdpMLineIndex":0}}}`,
    `{"type":"signal","data":{"type":"offer","sdp":${JSON.stringify(offer(`a=candidate:${HOST.slice(10)}`))},"sdp":${JSON.stringify(offer())}}}`,
  ]);
  const expected = [
    signalFrame({ candidate: { candidate: RELAY_BLANKED, sdpMid: '0', sdpMLineIndex: 0 } }),
    signalFrame({ candidate: { candidate: RELAY_BLANKED, sdpMid: '0', sdpMLineIndex: 0 } }),
    signalFrame({ type: 'offer', sdp: CLEAN_OFFER }),
  ];
  assert.equal(received, expected);
  assertRebuilt(received);
});

test('a clean frame is re-serialised too: key order, spacing and escapes are the server’s', async () => {
  const pair = await minorPair();
  const escaped = RELAY_BLANKED.replace('candidate:', '\\u0063andidate:');
  const received = await sendRaw(pair, [`{ "data" : { "candidate" : { "sdpMLineIndex" : 0, "candidate" : "${escaped}", "sdpMid" : "0" } }, "type" : "signal" }`]);
  assert.equal(received, [signalFrame({ candidate: { candidate: RELAY_BLANKED, sdpMid: '0', sdpMLineIndex: 0 } })]);
});

test('raddr twice, or hidden after other extensions, is blanked once', async () => {
  const pair = await minorPair();
  const base = `candidate:5 1 udp 41885439 ${RELAY_V4} 61234 typ relay`;
  const received = await sendRaw(pair, [
    candidateFrame(`${base} raddr ${PUBLIC_V4} rport 54400 raddr ${HOST_V4} rport 54401`),
    candidateFrame(`${base} generation 0 raddr 0.0.0.0 rport 0 network-id 1 raddr ${HOST_V4} rport 54401`),
    candidateFrame(`${base} x-related ${HOST_V4} generation 0`),
  ]);
  assert.equal(received, [
    candidateFrame(`${base} raddr 0.0.0.0 rport 0`),
    candidateFrame(`${base} raddr 0.0.0.0 rport 0 generation 0 network-id 1`),
    candidateFrame(`${base} generation 0`),
  ]);
  assertRebuilt(received);
});

test('CR, LF, U+2028, U+2029, VT, NUL inside a candidate or an SDP: nothing reaches the partner', async () => {
  const pair = await minorPair();
  const breaks = ['\r', '\n', '\r\n', '\u2028', '\u2029', '\v', '\f', '\u0000', '\u0085', '\t'];
  const frames: string[] = [];
  for (const char of breaks) {
    frames.push(candidateFrame(`${RELAY_BLANKED}${char}a=${HOST}`));
    frames.push(candidateFrame(`${RELAY_BLANKED}${char}${HOST}`));
    frames.push(candidateFrame(RELAY_BLANKED, { sdpMid: `0${char}` }));
    frames.push(candidateFrame(RELAY_BLANKED, { usernameFragment: `EsAw${char}` }));
    if (char !== '\n' && char !== '\r\n') {
      frames.push(signalFrame({ type: 'offer', sdp: offer(`a=mid:0${char}a=${HOST}`) }));
      frames.push(signalFrame({ type: 'answer', sdp: offer(`a=${RELAY_BLANKED}${char}a=${HOST}`) }));
    }
  }
  const received = await sendRaw(pair, frames);
  assert.equal(received, [], `relayed: ${received.join('\n')}`);
  // Dropped signals are no error to the sender: a browser without the relay policy sends such candidates.
  assert.not.ok(pair.sender.inbox.some((m) => m.type === 'error'), JSON.stringify(pair.sender.inbox));
});

test('extra SDP attributes, lines and c= lines are dropped; what is needed arrives rebuilt', async () => {
  const pair = await minorPair();
  const received = await sendRaw(pair, [
    signalFrame({
      type: 'offer',
      sdp: offer(
        `c=IN IP4 ${HOST_V4}`,
        `c=IN IP6 ${MDNS}`,
        `a=remote-candidates:1 ${HOST_V4} 54400`,
        `a=x-home:${HOST_V4}`,
        `i=${PUBLIC_V4}`,
        `u=http://${HOST_V4}/`,
        `a=${HOST}`,
        `a=candidate:1 1 udp 41885439 ${MDNS} 61234 typ relay`,
        'a=mid:1',
        `a=ice-ufrag:${HOST_V4}`,
      ),
    }),
  ]);
  assert.equal(received, [signalFrame({ type: 'offer', sdp: CLEAN_OFFER })]);
  assertRebuilt(received);
});

test('oversized fields are refused with too_large and nothing reaches the partner', async () => {
  const pair = await minorPair();
  const received = await sendRaw(pair, [
    candidateFrame(`${RELAY_BLANKED} generation ${'1'.repeat(Limits.candidateMaxLength)}`),
    candidateFrame(RELAY_BLANKED, { sdpMid: 'm'.repeat(65) }),
    candidateFrame(RELAY_BLANKED, { usernameFragment: 'u'.repeat(257) }),
    signalFrame({ type: 'offer', sdp: offer(`a=fmtp:111 ${'x'.repeat(Limits.sdpMaxLength)}`) }),
  ]);
  assert.equal(received, []);
  const errors = pair.sender.inbox.filter((m) => m.type === 'error');
  assert.equal(errors.map((m) => m.type === 'error' && m.code), ['too_large', 'too_large', 'too_large', 'too_large']);
  // Within the schema's limits but longer than any browser's line: dropped by the filter.
  assert.equal(await sendRaw(pair, [signalFrame({ type: 'offer', sdp: offer(`a=fmtp:111 ${'x'.repeat(2000)}`) })]), []);
});

test('relayed candidates and descriptions still arrive, and the conversation goes on', async () => {
  const pair = await minorPair();
  const received = await sendRaw(pair, [candidateFrame(RELAY), signalFrame({ candidate: null }), signalFrame({ type: 'offer', sdp: offer() })]);
  assert.equal(received, [candidateFrame(RELAY_BLANKED), signalFrame({ candidate: null }), signalFrame({ type: 'offer', sdp: CLEAN_OFFER })]);
  pair.sender.send({ type: 'message', text: 'still here' });
  assert.is((await pair.partner.next('message')).text, 'still here');
});

test.run();
