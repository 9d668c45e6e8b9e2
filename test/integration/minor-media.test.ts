// Minors' media is always relayed, in every profile, between real `ws` clients on the real server
// of a `community` instance: a minor's welcome is relay-only with TURN servers only, the server
// strips every non-relay candidate and address from a minor's conversation in both directions and
// never forwards the sender's own bytes there; without a TURN server video is refused to minors
// (text still works) while adults keep peer-to-peer video. (test/e2e/minor-relay.test.ts does the
// same with a real coturn and real WebRTC peers.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type TestClient } from '../helpers/client.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import type { ServerMessage, SignalData } from '../../server/protocol/messages.ts';
import { VIDEO_NEEDS_RELAY_FOR_MINORS } from '../../server/chat/media-policy.ts';

const TURN_SECRET = 'turn-shared-secret-for-the-minor-media-test';
const TURN_URLS = ['turn:turn.example.org:3478?transport=udp'];
const STUN_URLS = ['stun:turn.example.org:3478'];
const QUIET_MS = 300;
const MINOR = { acceptRules: true, age: 14 };
const ADULT = { acceptRules: true, age: 34 };

const HOST = 'candidate:1467250027 1 udp 2122260223 192.168.1.23 54400 typ host generation 0 network-id 1';
const SRFLX = 'candidate:842163049 1 udp 1686052607 203.0.113.7 54400 typ srflx raddr 192.168.1.23 rport 54400 generation 0';
const RELAY = 'candidate:3470244393 1 udp 41885439 198.51.100.20 61234 typ relay raddr 0.0.0.0 rport 0 generation 0';
const OFFER = ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=application 54400 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 203.0.113.7', `a=${HOST}`, `a=${SRFLX}`, `a=${RELAY}`, 'a=mid:0', ''].join('\r\n');

type Client = TestClient & { welcome: Extract<ServerMessage, { type: 'welcome' }>; raw: string[] };
type Matched = Extract<ServerMessage, { type: 'matched' }>;

const servers: TestServer[] = [];
const clients: TestClient[] = [];
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

/** A community instance (ages 13+, two bands); with a TURN server when `turn`, peer-to-peer for adults either way. */
async function community(options: { turn: boolean; modes?: string[] }): Promise<TestServer> {
  const settings: Record<string, unknown> = {
    profile: 'community',
    turn: options.turn ? { urls: TURN_URLS, stunUrls: STUN_URLS } : { stunUrls: STUN_URLS },
    ...(options.modes ? { modes: options.modes } : {}),
  };
  const server = await newServer(settings, { secrets: options.turn ? { turnSecret: TURN_SECRET } : {} });
  servers.push(server);
  return server;
}

/** Connects, keeping every raw frame received (to compare bytes, not just parsed messages). */
async function join(server: TestServer, body: Record<string, unknown>): Promise<Client> {
  const client = await connect(server.url, body);
  const raw: string[] = [];
  client.ws.on('message', (data) => raw.push(data.toString()));
  clients.push(client);
  return Object.assign(client, { raw });
}

async function pairVideo(a: Client, b: Client): Promise<[Matched, Matched]> {
  a.send({ type: 'find', mode: 'video' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'video' });
  return Promise.all([a.next('matched'), b.next('matched')]);
}

async function signalsReceived(client: TestClient): Promise<SignalData[]> {
  await new Promise((r) => setTimeout(r, QUIET_MS));
  return client.inbox.filter((m): m is Extract<ServerMessage, { type: 'signal' }> => m.type === 'signal').map((m) => m.data);
}

const urlsOf = (servers: Array<{ urls: string | string[] }>) => servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));

test('with TURN, a minor is relay-only on a community instance whose adults are not: TURN only, no STUN', async () => {
  const server = await community({ turn: true });
  const minor = await join(server, MINOR);
  assert.is(minor.welcome.relayOnly, true);
  assert.equal(urlsOf(minor.welcome.iceServers), TURN_URLS, 'TURN only: STUN would discover the address relay-only hides');
  assert.equal(minor.welcome.modes, ['text', 'video']);
  const adult = await join(server, ADULT);
  assert.is(adult.welcome.relayOnly, false, 'adults keep peer-to-peer unless the operator turns relay-only on');
  assert.equal(urlsOf(adult.welcome.iceServers), [...TURN_URLS, ...STUN_URLS]);
  const config = (await (await fetch(`${server.url}/api/config`)).json()) as { relayOnly: boolean };
  assert.is(config.relayOnly, false, 'the instance itself is not relay-only');

  const other = await join(server, MINOR);
  const [ma, mb] = await pairVideo(minor, other);
  for (const matched of [ma, mb]) {
    assert.is(matched.relayOnly, true, 'the conversation is relay-only');
    assert.equal(urlsOf(matched.iceServers ?? []), TURN_URLS, 'fresh TURN credentials, still no STUN');
  }
});

test("a minor's conversation reaches neither side with a host or srflx candidate, nor a real address in SDP", async () => {
  const server = await community({ turn: true });
  const a = await join(server, MINOR);
  const b = await join(server, MINOR);
  await pairVideo(a, b);
  // Both directions, as a modified client that ignores the relay policy would send.
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    from.send({ type: 'signal', data: { type: 'offer', sdp: OFFER } });
    for (const candidate of [HOST, SRFLX, RELAY]) from.send({ type: 'signal', data: { candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } } });
    const received = await signalsReceived(to);
    to.inbox.length = 0;
    const offer = received.find((data): data is Extract<SignalData, { type: string }> => 'type' in data);
    assert.ok(offer, 'the offer was relayed');
    assert.not.match(offer.sdp, /typ host|typ srflx|192\.168\.1\.23|203\.0\.113\.7/, 'no host or srflx line, no real address');
    assert.match(offer.sdp, /typ relay/);
    const candidates = received.flatMap((data) => ('candidate' in data && data.candidate ? [data.candidate.candidate] : []));
    assert.equal(candidates, [RELAY], 'only the relay candidate');
  }
});

test("in a minor's conversation the partner never receives the sender's own bytes: every signal is the server's serialisation", async () => {
  const server = await community({ turn: true });
  const a = await join(server, MINOR);
  const b = await join(server, MINOR);
  await pairVideo(a, b);
  // Valid JSON with spacing the server never writes: forwarded as sent, it would arrive with it.
  const spaced = `{ "type" : "signal" , "data" : { "candidate" : { "candidate" : ${JSON.stringify(RELAY)} , "sdpMid" : "0" } } }`;
  a.send(spaced);
  a.send('{ "type" : "signal" , "data" : { "candidate" : null } }');
  await signalsReceived(b);
  const signals = b.raw.filter((frame) => frame.includes('"signal"'));
  assert.is(signals.length, 2);
  for (const frame of signals) assert.is(frame, JSON.stringify(JSON.parse(frame)), `re-serialised by the server: ${frame}`);

  // Adults outside relay-only: the frame goes as the sender wrote it (what the check above rules out).
  const x = await join(server, ADULT);
  const y = await join(server, ADULT);
  await pairVideo(x, y);
  x.send(spaced);
  await signalsReceived(y);
  assert.equal(y.raw.filter((frame) => frame.includes('"signal"')), [spaced]);
});

test('without TURN, video is refused to minors with mode_unavailable, text still works, and adults still get video', async () => {
  const server = await community({ turn: false });
  const minor = await join(server, MINOR);
  assert.equal(minor.welcome.modes, ['text'], 'the page is told the minor may use text only');
  assert.is(minor.welcome.relayOnly, true);
  assert.equal(minor.welcome.iceServers, [], 'no STUN for a minor, even where adults get it');
  minor.send({ type: 'find', mode: 'video' });
  const refused = await minor.next('error');
  assert.equal(refused, { type: 'error', code: 'mode_unavailable', message: VIDEO_NEEDS_RELAY_FOR_MINORS, reason: 'no_relay' });
  await minor.none('queued', 0);
  assert.is((await server.stats()).queued, 0, 'not queued for video');

  const other = await join(server, MINOR);
  minor.send({ type: 'find', mode: 'text' });
  await minor.next('queued');
  other.send({ type: 'find', mode: 'text' });
  const [m1, m2] = await Promise.all([minor.next('matched'), other.next('matched')]);
  assert.is(m1.conversationId, m2.conversationId, 'text works');

  const adult = await join(server, ADULT);
  assert.equal(adult.welcome.modes, ['text', 'video']);
  assert.equal(urlsOf(adult.welcome.iceServers), STUN_URLS);
  const partner = await join(server, ADULT);
  const [ma] = await pairVideo(adult, partner);
  assert.is(ma.relayOnly, false, 'adults keep peer-to-peer video');
  adult.send({ type: 'signal', data: { candidate: { candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 } } });
  assert.equal(await signalsReceived(partner), [{ candidate: { candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 } }], "an adult's host candidate is relayed as sent");
});

test('a mode the instance does not offer is refused to everyone', async () => {
  const server = await community({ turn: true, modes: ['text'] });
  const adult = await join(server, ADULT);
  assert.equal(adult.welcome.modes, ['text']);
  adult.send({ type: 'find', mode: 'video' });
  const refused = await adult.next('error');
  assert.is(refused.code, 'mode_unavailable');
  assert.match(refused.message, /does not offer video/);
});

test.run();
