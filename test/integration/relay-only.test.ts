// Relay-only mode between real `ws` clients on the real server: what the partner receives, the TURN
// credentials handed out in `welcome` and `matched`, and which settings turn the mode on or off.
import { createHmac } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type TestClient } from '../helpers/client.ts';
import { captureLogs } from '../helpers/logs.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import type { IceServer, ServerMessage, SignalData } from '../../server/protocol/messages.ts';

const TURN_SECRET = 'turn-shared-secret-for-the-relay-only-test';
const TURN_URLS = ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp'];
const STUN_URLS = ['stun:turn.example.org:3478'];
const TTL_SECONDS = 600;
const QUIET_MS = 300;

const HOST = 'candidate:1467250027 1 udp 2122260223 192.168.1.23 54400 typ host generation 0 network-id 1';
const MDNS_HOST = 'candidate:3890314543 1 udp 2122194687 4a7c6c8e-5f3a-4a7e-9c2b-1f0d2e3c4b5a.local 54402 typ host generation 0';
const SRFLX = 'candidate:842163049 1 udp 1686052607 203.0.113.7 54400 typ srflx raddr 192.168.1.23 rport 54400 generation 0';
const RELAY = 'candidate:3470244393 1 udp 41885439 198.51.100.20 61234 typ relay raddr 0.0.0.0 rport 0 generation 0';
const OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=application 54400 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 203.0.113.7',
  `a=${HOST}`,
  `a=${SRFLX}`,
  `a=${RELAY}`,
  'a=ice-ufrag:EsAw',
  'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
  'a=mid:0',
  'a=sctp-port:5000',
  '',
].join('\r\n');

type Client = TestClient & { welcome: Extract<ServerMessage, { type: 'welcome' }> };
type Matched = Extract<ServerMessage, { type: 'matched' }>;

const servers: TestServer[] = [];
const clients: TestClient[] = [];
test.after.each(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

/** A clock the test moves by hand (credentials carry its time). */
let clock = Date.UTC(2026, 0, 5, 9, 0, 0);

async function start(settings: Record<string, unknown>, secrets: { turnSecret?: string } = {}, logger?: ReturnType<typeof captureLogs>['logger']): Promise<TestServer> {
  const server = await newServer(settings, { now: () => clock, secrets, ...(logger ? { logger } : {}) });
  servers.push(server);
  return server;
}

async function join(server: TestServer): Promise<Client> {
  const client = await connect(server.url);
  clients.push(client);
  return client;
}

async function pairVideo(server: TestServer): Promise<{ a: Client; b: Client; matchA: Matched; matchB: Matched }> {
  const a = await join(server);
  const b = await join(server);
  a.send({ type: 'find', mode: 'video' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'video' });
  const [matchA, matchB] = await Promise.all([a.next('matched'), b.next('matched')]);
  return { a, b, matchA, matchB };
}

const relayOnlyTurn = () => start({ relayOnly: true, turn: { urls: TURN_URLS, stunUrls: STUN_URLS, credentialTtlSeconds: TTL_SECONDS } }, { turnSecret: TURN_SECRET });

/** Checks a TURN entry as coturn would: the HMAC of the username, an expiry, the person's id. */
function assertTurnCredentials(servers: IceServer[], participantId: string, expectedExpiry: number): void {
  assert.is(servers.length, 1, `only the TURN entry (no STUN in relay-only): ${JSON.stringify(servers.map((s) => s.urls))}`);
  const [turn] = servers;
  assert.equal(turn?.urls, TURN_URLS);
  assert.is(turn?.username, `${expectedExpiry}:${participantId}`);
  const expected = createHmac('sha1', TURN_SECRET).update(turn?.username ?? '').digest('base64');
  assert.is(turn?.credential, expected, 'the credential is base64(HMAC-SHA1(secret, username))');
}

async function configOf(server: TestServer): Promise<{ relayOnly: unknown }> {
  const res = await fetch(`${server.url}/api/config`);
  assert.is(res.status, 200);
  return (await res.json()) as { relayOnly: unknown };
}

/** Everything of type `signal` that reached the client within a quiet window. */
async function signalsReceived(client: TestClient): Promise<SignalData[]> {
  await new Promise((r) => setTimeout(r, QUIET_MS));
  return client.inbox.filter((m): m is Extract<ServerMessage, { type: 'signal' }> => m.type === 'signal').map((m) => m.data);
}

test('welcome says relay-only and carries TURN credentials that verify; /api/config agrees', async () => {
  const server = await relayOnlyTurn();
  assert.is((await configOf(server)).relayOnly, true);
  const a = await join(server);
  assert.is(a.welcome.relayOnly, true);
  assertTurnCredentials(a.welcome.iceServers, a.welcome.id, Math.floor(clock / 1000) + TTL_SECONDS);
  const b = await join(server);
  assert.is.not(b.welcome.iceServers[0]?.username, a.welcome.iceServers[0]?.username, 'credentials are per person');
});

test('a video match refreshes the credentials from the time of the match', async () => {
  const server = await relayOnlyTurn();
  const a = await join(server);
  const b = await join(server);
  const welcomeExpiry = Math.floor(clock / 1000) + TTL_SECONDS;
  clock += 45 * 60_000;
  const matchExpiry = Math.floor(clock / 1000) + TTL_SECONDS;
  assert.is.not(matchExpiry, welcomeExpiry);
  a.send({ type: 'find', mode: 'video' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'video' });
  const [matchA, matchB] = await Promise.all([a.next('matched'), b.next('matched')]);
  assertTurnCredentials(matchA.iceServers ?? [], a.welcome.id, matchExpiry);
  assertTurnCredentials(matchB.iceServers ?? [], b.welcome.id, matchExpiry);
});

test('host, mDNS and srflx candidates never reach the partner; relay candidates and end-of-candidates do', async () => {
  const logs = captureLogs('debug');
  const server = await start({ relayOnly: true, turn: { urls: TURN_URLS }, profile: 'community' }, { turnSecret: TURN_SECRET }, logs.logger);
  const { a, b, matchA, matchB } = await pairVideo(server);
  assert.ok(matchA.initiator !== matchB.initiator);
  b.inbox.splice(0);

  for (const candidate of [HOST, MDNS_HOST, SRFLX, RELAY]) a.send({ type: 'signal', data: { candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } } });
  a.send({ type: 'signal', data: { candidate: null } });
  a.send({ type: 'signal', data: { type: 'offer', sdp: OFFER } });

  const received = await signalsReceived(b);
  assert.is(received.length, 3, `relay candidate, end-of-candidates and the offer arrive: ${received.length} signals`);
  assert.equal(received[0], { candidate: { candidate: RELAY, sdpMid: '0', sdpMLineIndex: 0 } });
  assert.equal(received[1], { candidate: null });
  const offer = received[2];
  assert.ok(offer && 'type' in offer && offer.type === 'offer', 'the offer arrives');
  const candidateLines = offer.sdp.split('\r\n').filter((line) => line.startsWith('a=candidate:'));
  assert.equal(candidateLines, [`a=${RELAY}`], 'only the relay candidate line is left in the SDP');
  for (const address of ['192.168.1.23', '203.0.113.7', '.local']) assert.not.ok(offer.sdp.includes(address), `${address} left in the SDP`);
  assert.ok(offer.sdp.includes('a=ice-ufrag:EsAw\r\n'), 'the rest of the SDP is intact, CRLF kept');
  // Nothing dropped is an error to the sender, and none of it reached the logs.
  assert.not.ok(a.inbox.some((m) => m.type === 'error'), 'no error for a dropped candidate');
  for (const secret of ['192.168.1.23', '203.0.113.7', '198.51.100.20', 'a=ice-pwd']) assert.not.ok(logs.text().includes(secret), 'signals are never logged');
});

test('the school profile is relay-only by default, even without TURN; relayOnly:false turns it off', async () => {
  // Video without a moderator on duty, which a school otherwise needs for video (duty.test.ts).
  const school = await start({ profile: 'school', turn: { stunUrls: STUN_URLS }, moderation: { videoOnlyOnDuty: false } });
  assert.is((await configOf(school)).relayOnly, true);
  const { a, b } = await pairVideo(school);
  assert.is(a.welcome.relayOnly, true);
  assert.equal(a.welcome.iceServers, [], 'no STUN for relay-only: it would reveal the public address');
  b.inbox.splice(0);
  a.send({ type: 'signal', data: { candidate: { candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 } } });
  assert.equal(await signalsReceived(b), []);

  const open = await start({ profile: 'school', relayOnly: false, turn: { urls: TURN_URLS, stunUrls: STUN_URLS }, moderation: { videoOnlyOnDuty: false } }, { turnSecret: TURN_SECRET });
  assert.is((await configOf(open)).relayOnly, false);
  const pair = await pairVideo(open);
  assert.is(pair.a.welcome.relayOnly, false);
  assert.equal(
    pair.a.welcome.iceServers.map((s) => s.urls),
    [TURN_URLS, STUN_URLS],
    'TURN and STUN when peers may use their own addresses',
  );
  pair.b.inbox.splice(0);
  const signals: SignalData[] = [
    { candidate: { candidate: HOST, sdpMid: '0', sdpMLineIndex: 0 } },
    { candidate: { candidate: SRFLX, sdpMid: '0', sdpMLineIndex: 0 } },
    { type: 'offer', sdp: OFFER },
  ];
  for (const data of signals) pair.a.send({ type: 'signal', data });
  assert.equal(await signalsReceived(pair.b), signals, 'relayed unchanged when not relay-only');
});

test('a text match carries no TURN credentials: there is no media to relay', async () => {
  const server = await relayOnlyTurn();
  const a = await join(server);
  const b = await join(server);
  a.send({ type: 'find', mode: 'text' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'text' });
  const matched = await a.next('matched');
  assert.is(matched.iceServers, undefined);
});

test.run();
