// Two real WebRTC peers (@roamhq/wrtc) find each other through the real server: every offer, answer
// and ICE candidate goes through the `signal` relay, then a data channel carries messages both ways.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type TestClient } from '../helpers/client.ts';
import { RtcPeer } from '../helpers/rtc-peer.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
const clients: TestClient[] = [];
const peers: RtcPeer[] = [];

test.before(async () => {
  server = await newServer();
});
test.after.each(() => {
  for (const peer of peers.splice(0)) peer.close();
  for (const client of clients.splice(0)) client.close();
});
test.after(() => server.stop());

test('two video peers connect through the signal relay and exchange data-channel messages intact', async () => {
  const a = await connect(server.url);
  const b = await connect(server.url);
  clients.push(a, b);
  // No STUN/TURN is configured here: host candidates on loopback are enough.
  assert.equal(a.welcome.iceServers, []);
  assert.equal(b.welcome.iceServers, []);

  a.send({ type: 'find', mode: 'video' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'video' });
  const [matchA, matchB] = await Promise.all([a.next('matched'), b.next('matched')]);
  assert.is(matchA.conversationId, matchB.conversationId);
  assert.is(matchA.mode, 'video');
  assert.is(matchB.mode, 'video');
  assert.is(Number(matchA.initiator) + Number(matchB.initiator), 1, 'exactly one side is the initiator');

  const peerA = new RtcPeer(a, { initiator: matchA.initiator, config: { iceServers: matchA.iceServers ?? a.welcome.iceServers } });
  const peerB = new RtcPeer(b, { initiator: matchB.initiator, config: { iceServers: matchB.iceServers ?? b.welcome.iceServers } });
  peers.push(peerA, peerB);
  const [initiator, responder] = peerA.initiator ? [peerA, peerB] : [peerB, peerA];

  await Promise.all([initiator.start(), responder.start()]);
  await Promise.all([initiator.channelOpen(), responder.channelOpen()]);
  assert.is(responder.channel?.label, 'chat');

  // Text both ways: non-ASCII and a random nonce, so a mangled or stale payload cannot pass.
  const toResponder = `hello from the initiator — ünïcödé ✓ 🎥 ${randomBytes(16).toString('hex')}`;
  const toInitiator = `hello back from the responder — 你好 ${randomBytes(16).toString('hex')}`;
  initiator.send(toResponder);
  responder.send(toInitiator);
  assert.is(await responder.nextMessage(), toResponder);
  assert.is(await initiator.nextMessage(), toInitiator);

  // Binary both ways, byte for byte.
  const bytesToResponder = randomBytes(4096);
  const bytesToInitiator = randomBytes(4096);
  initiator.send(toArrayBuffer(bytesToResponder));
  responder.send(toArrayBuffer(bytesToInitiator));
  assertBytes(await responder.nextMessage(), bytesToResponder);
  assertBytes(await initiator.nextMessage(), bytesToInitiator);

  // The candidates came through the relay, unchanged: each one received is one the other side sent.
  for (const [receiver, sender] of [[initiator, responder], [responder, initiator]] as const) {
    await receiver.remoteCandidatesDone();
    assert.ok(receiver.remoteCandidates.length > 0, 'candidates were relayed');
    for (const candidate of receiver.remoteCandidates) {
      assert.ok(
        sender.localCandidates.some((sent) => JSON.stringify(sent) === JSON.stringify(candidate)),
        `relayed candidate matches one sent: ${candidate.candidate}`,
      );
    }
    assert.equal(receiver.errors, []);
    assert.equal(receiver.serverErrors, []);
  }
});

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function assertBytes(received: string | ArrayBuffer, expected: Buffer): void {
  assert.ok(received instanceof ArrayBuffer, `expected binary, got ${typeof received}`);
  assert.ok(Buffer.from(received).equals(expected), 'binary payload arrives intact');
}

test.run();
