// Minors' media through a real coturn on a `community` instance that is not relay-only: two
// minors' real @roamhq/wrtc peers connect through coturn — one as the page does (the policy its
// welcome asks for), the other a modified client ignoring it (iceTransportPolicy "all") — and
// neither ever receives a host or srflx candidate of the other, in trickle or in SDP. Two adults
// on the same instance keep peer-to-peer: their host candidates go through. Needs Debian's
// `coturn`; fails without it.
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

/** coturn and a community instance with TURN (and STUN for adults), relay-only turned off. */
async function setUp(): Promise<TestServer> {
  coturn ??= await startCoturn();
  server ??= await newServer(
    { profile: 'community', turn: { urls: [coturn.url], stunUrls: [`stun:127.0.0.1:${coturn.port}`], credentialTtlSeconds: 600 } },
    { secrets: { turnSecret: coturn.secret } },
  );
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

/**
 * Two people of one age pair in video. The initiator ignores any relay policy; the responder
 * follows its welcome (relay-only: "relay"), as the chat page does.
 */
async function videoPeers(url: string, age: number): Promise<{ initiator: RtcPeer; responder: RtcPeer; matched: Matched[]; welcomes: Array<Extract<ServerMessage, { type: 'welcome' }>> }> {
  const a = await connect(url, { acceptRules: true, age });
  const b = await connect(url, { acceptRules: true, age });
  clients.push(a, b);
  a.send({ type: 'find', mode: 'video' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'video' });
  const matched = await Promise.all([a.next('matched'), b.next('matched')]);
  const [peerA, peerB] = [a, b].map((client, i) => {
    const { initiator, iceServers } = matched[i]!;
    const policy: RTCIceTransportPolicy = initiator || !client.welcome.relayOnly ? 'all' : 'relay';
    const peer = new RtcPeer(client, { initiator, config: { iceServers, iceTransportPolicy: policy } });
    peers.push(peer);
    return peer;
  }) as [RtcPeer, RtcPeer];
  const [initiator, responder] = peerA.initiator ? [peerA, peerB] : [peerB, peerA];
  return { initiator, responder, matched, welcomes: [a.welcome, b.welcome] };
}

async function talk(initiator: RtcPeer, responder: RtcPeer): Promise<void> {
  await Promise.all([initiator.start(), responder.start()]);
  await Promise.all([initiator.channelOpen(), responder.channelOpen()]);
  const hello = `hello ${randomBytes(8).toString('hex')}`;
  initiator.send(hello);
  assert.is(await responder.nextMessage(), hello);
}

/** The candidate types the receiver got from its partner, in trickle and in SDP. */
async function typesReceived(receiver: RtcPeer): Promise<string[]> {
  await receiver.remoteCandidatesDone();
  const trickled = receiver.remoteCandidates.map((candidate) => candidateType(candidate) ?? 'unparsed');
  const inSdp = receiver.remoteDescriptions.flatMap((d) => d.sdp.split(/\r\n|\n/).filter((line) => /^a=candidate:/i.test(line)).map((line) => candidateType({ candidate: line }) ?? 'unparsed'));
  return [...new Set([...trickled, ...inSdp])].sort();
}

async function selectedLocalType(peer: RtcPeer): Promise<string | undefined> {
  const stats = await peer.pc.getStats();
  let pairId: string | undefined;
  stats.forEach((report: { type: string; selectedCandidatePairId?: string }) => {
    if (report.type === 'transport' && report.selectedCandidatePairId) pairId = report.selectedCandidatePairId;
  });
  const pair = pairId ? stats.get(pairId) : [...stats.values()].find((r: { type: string; state?: string; nominated?: boolean }) => r.type === 'candidate-pair' && r.state === 'succeeded' && r.nominated);
  const local = pair ? stats.get((pair as { localCandidateId: string }).localCandidateId) : undefined;
  return (local as { candidateType?: string } | undefined)?.candidateType;
}

test("two minors' video goes through coturn and neither receives a host or srflx candidate of the other", async () => {
  const { url } = await setUp();
  const { initiator, responder, matched, welcomes } = await videoPeers(url, 15);
  for (const welcome of welcomes) {
    assert.is(welcome.relayOnly, true, "a minor's welcome is relay-only");
    assert.equal(welcome.iceServers.map((s) => s.urls), [[coturn!.url]], 'TURN only, no STUN');
  }
  for (const m of matched) assert.is(m.relayOnly, true);

  await talk(initiator, responder);

  assert.ok(initiator.localCandidates.some((c) => candidateType(c) === 'host'), 'the modified client did gather and send host candidates (else this proves nothing)');
  assert.equal(await typesReceived(initiator), ['relay'], 'the initiator received only relay candidates');
  assert.equal(await typesReceived(responder), ['relay'], 'the responder received only relay candidates');
  for (const peer of [initiator, responder]) {
    assert.equal(peer.errors, []);
    assert.equal(peer.serverErrors, []);
  }
  assert.is(await selectedLocalType(responder), 'relay', "the page's media goes through coturn: its address is never the partner's to see");
});

test('two adults on the same instance keep peer-to-peer: their host candidates reach each other', async () => {
  const { url } = await setUp();
  const { initiator, responder, matched, welcomes } = await videoPeers(url, 30);
  for (const welcome of welcomes) assert.is(welcome.relayOnly, false);
  for (const m of matched) assert.is(m.relayOnly, false);
  await talk(initiator, responder);
  assert.ok((await typesReceived(responder)).includes('host'), 'the adult partner received host candidates');
});

test.run();
