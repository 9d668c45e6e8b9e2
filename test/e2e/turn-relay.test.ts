// Relay-only video through a real coturn: the server hands out TURN REST credentials, two real
// @roamhq/wrtc peers use them with iceTransportPolicy "relay", connect through coturn and talk on a
// data channel — and neither ever learns an address of the other (no host or srflx candidate, in
// trickle or in SDP). Needs Debian's `coturn` (`apt-get install coturn`); fails without it.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type TestClient } from '../helpers/client.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';
import { candidateType, RtcPeer } from '../helpers/rtc-peer.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import type { ServerMessage } from '../../server/protocol/messages.ts';

type Matched = Extract<ServerMessage, { type: 'matched' }>;

let coturn: Coturn | undefined;
let server: TestServer | undefined;
const clients: TestClient[] = [];
const peers: RtcPeer[] = [];

/** Starts coturn and the server on first use, inside a test, so a missing coturn fails the test with its message. */
async function setUp(): Promise<TestServer> {
  coturn ??= await startCoturn();
  server ??= await newServer({ relayOnly: true, turn: { urls: [coturn.url], credentialTtlSeconds: 600 } }, { secrets: { turnSecret: coturn.secret } });
  return server;
}

test.after.each(() => {
  for (const peer of peers.splice(0)) peer.close();
  for (const client of clients.splice(0)) client.close();
});
test.after(async () => {
  await server?.stop();
  await coturn?.stop();
});

async function pairVideo(url: string): Promise<Array<{ client: TestClient; matched: Matched }>> {
  const a = await connect(url);
  const b = await connect(url);
  clients.push(a, b);
  assert.is(a.welcome.relayOnly, true, 'relay-only turned on by the operator');
  a.send({ type: 'find', mode: 'video' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'video' });
  const [matchA, matchB] = await Promise.all([a.next('matched'), b.next('matched')]);
  return [
    { client: a, matched: matchA },
    { client: b, matched: matchB },
  ];
}

/** The type of the local candidate of the pair the connection uses (from getStats). */
async function selectedLocalCandidateType(peer: RtcPeer): Promise<string | undefined> {
  const stats = await peer.pc.getStats();
  let pairId: string | undefined;
  stats.forEach((report: { type: string; selectedCandidatePairId?: string }) => {
    if (report.type === 'transport' && report.selectedCandidatePairId) pairId = report.selectedCandidatePairId;
  });
  const pair = pairId ? stats.get(pairId) : [...stats.values()].find((r: { type: string; state?: string; nominated?: boolean }) => r.type === 'candidate-pair' && r.state === 'succeeded' && r.nominated);
  const local = pair ? stats.get((pair as { localCandidateId: string }).localCandidateId) : undefined;
  return (local as { candidateType?: string } | undefined)?.candidateType;
}

/** Waits for the partner's last candidate, then asserts that nothing `receiver` got from the relay names a non-relay address of its partner. */
async function assertOnlyRelay(receiver: RtcPeer): Promise<void> {
  await receiver.remoteCandidatesDone();
  assert.ok(receiver.remoteCandidates.length > 0, 'relay candidates were relayed');
  const types = receiver.remoteCandidates.map((candidate) => candidateType(candidate));
  assert.equal([...new Set(types)], ['relay'], `only relay candidates were received, got types ${[...new Set(types)].join(', ')}`);
  assert.ok(receiver.remoteDescriptions.length > 0, 'a description was received');
  for (const description of receiver.remoteDescriptions) {
    const nonRelay = description.sdp
      .split(/\r\n|\n/)
      .filter((line) => /^a=candidate:/i.test(line) && candidateType({ candidate: line }) !== 'relay');
    assert.is(nonRelay.length, 0, `the ${description.type} held ${nonRelay.length} non-relay candidate lines`);
  }
  assert.equal(receiver.errors, []);
  assert.equal(receiver.serverErrors, []);
}

async function talk(initiator: RtcPeer, responder: RtcPeer): Promise<void> {
  await Promise.all([initiator.start(), responder.start()]);
  await Promise.all([initiator.channelOpen(), responder.channelOpen()]);
  const toResponder = `through the relay ${randomBytes(8).toString('hex')}`;
  const toInitiator = `and back ${randomBytes(8).toString('hex')}`;
  initiator.send(toResponder);
  responder.send(toInitiator);
  assert.is(await responder.nextMessage(), toResponder);
  assert.is(await initiator.nextMessage(), toInitiator);
}

test('two relay-only peers connect through coturn with the server’s credentials and see only relay candidates', async () => {
  const { url } = await setUp();
  const sides = await pairVideo(url);
  const [peerA, peerB] = sides.map(({ client, matched }) => {
    assert.equal(matched.iceServers?.[0]?.urls, [coturn?.url], 'matched carries the TURN server');
    const peer = new RtcPeer(client, { initiator: matched.initiator, config: { iceServers: matched.iceServers, iceTransportPolicy: 'relay' } });
    peers.push(peer);
    return peer;
  }) as [RtcPeer, RtcPeer];
  const [initiator, responder] = peerA.initiator ? [peerA, peerB] : [peerB, peerA];

  await talk(initiator, responder);

  await assertOnlyRelay(initiator);
  await assertOnlyRelay(responder);
  assert.is(await selectedLocalCandidateType(initiator), 'relay', 'the initiator’s media goes through coturn');
  assert.is(await selectedLocalCandidateType(responder), 'relay', 'the responder’s media goes through coturn');
});

test('a client ignoring the relay policy still never shows its host candidates to the partner', async () => {
  const { url } = await setUp();
  const sides = await pairVideo(url);
  // The initiator behaves like a modified client: iceTransportPolicy "all", so it gathers and sends host candidates.
  const [peerA, peerB] = sides.map(({ client, matched }) => {
    const policy: RTCIceTransportPolicy = matched.initiator ? 'all' : 'relay';
    const peer = new RtcPeer(client, { initiator: matched.initiator, config: { iceServers: matched.iceServers, iceTransportPolicy: policy } });
    peers.push(peer);
    return peer;
  }) as [RtcPeer, RtcPeer];
  const [initiator, responder] = peerA.initiator ? [peerA, peerB] : [peerB, peerA];

  await talk(initiator, responder);

  assert.ok(
    initiator.localCandidates.some((candidate) => candidateType(candidate) === 'host'),
    'the non-compliant client did gather and send host candidates (else this test proves nothing)',
  );
  await assertOnlyRelay(responder);
});

test.run();
