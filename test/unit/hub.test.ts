// The in-memory Hub on its own: pairing, relaying, ending and reporting, with a fake clock and
// fake timers so the interest wait and the report grace period are driven step by step.
// The first part holds behaviour a chatter would notice; the last test is a seeded fuzz run that
// checks the protocol invariants of DESIGN.md after every single step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConversationRecord, FindRequest, Participant, TranscriptLine } from '../../server/chat/hub.ts';
import type { ChatMode, EndedReason, ServerMessage, SignalData, WsErrorCode } from '../../server/protocol/messages.ts';
import {
  FakeTime,
  Inbox,
  TEST_HUB_OPTIONS,
  createHubHarness,
  seededRandom,
  sequentialIds,
  type HubHarness,
} from '../helpers/hub-harness.ts';
import { InMemoryHub } from '../../server/chat/memory-hub.ts';
import { SHARED_ADDRESS_MEMORY_MS } from '../../server/chat/hub.ts';

const { interestWaitMs: INTEREST_WAIT_MS, reportGraceMs: REPORT_GRACE_MS, transcriptLinesPerSide: LINES_PER_SIDE } =
  TEST_HUB_OPTIONS;

const TEXT: FindRequest = { mode: 'text', interests: [] };
const VIDEO: FindRequest = { mode: 'video', interests: [] };

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

function only<T extends ServerMessage['type']>(inbox: Inbox, type: T): Of<T> {
  const found = inbox.of(type);
  assert.is(found.length, 1, `expected exactly one ${type}, got ${JSON.stringify(inbox.messages)}`);
  return found[0]!;
}

/** Connects two adults, pairs them with `request` and clears both inboxes. */
function pairTwo(h: HubHarness, a: string, b: string, request: FindRequest = TEXT): string {
  h.connect(a);
  h.connect(b);
  h.hub.enqueue(a, request);
  h.hub.enqueue(b, request);
  const matchedA = only(h.inbox(a), 'matched');
  const matchedB = only(h.inbox(b), 'matched');
  assert.is(matchedA.conversationId, matchedB.conversationId);
  h.inbox(a).take();
  h.inbox(b).take();
  return matchedA.conversationId;
}

function conversationOf(h: HubHarness, id: string) {
  return h.hub.snapshot().conversations.find((c) => c.a === id || c.b === id);
}

function queueEntriesOf(h: HubHarness, id: string) {
  return h.hub.snapshot().queued.filter((q) => q.id === id);
}

// ---------------------------------------------------------------------------------------------
// Pairing

test('people without interests are paired at once, exactly one of them the initiator', () => {
  const h = createHubHarness();
  const alice = h.connect('alice');
  const bob = h.connect('bob');
  h.hub.enqueue('alice', TEXT);
  assert.equal(alice.take(), [{ type: 'queued' }]);
  h.hub.enqueue('bob', TEXT);
  const [queued, matchedBob] = bob.take();
  assert.equal(queued, { type: 'queued' });
  const [matchedAlice] = alice.take();
  assert.ok(matchedAlice?.type === 'matched' && matchedBob?.type === 'matched');
  assert.is(matchedAlice.conversationId, matchedBob.conversationId);
  assert.is(matchedAlice.mode, 'text');
  assert.equal(matchedAlice.commonInterests, []);
  assert.is(Number(matchedAlice.initiator) + Number(matchedBob.initiator), 1, 'exactly one initiator');
  assert.equal(h.hub.stats(), { online: 2, queued: 0, inConversation: 2, conversations: 1 });
  assert.is(h.time.pending, 0, 'no wait timer for people without interests');
});

test('shared interests are preferred over arrival order, and more shared beats fewer', () => {
  const h = createHubHarness();
  h.connect('early-games');
  h.connect('later-music');
  h.connect('art-films');
  h.connect('newcomer');
  h.hub.enqueue('early-games', { mode: 'text', interests: ['games'] });
  h.time.advance(10);
  h.hub.enqueue('later-music', { mode: 'text', interests: ['music'] });
  h.time.advance(10);
  h.hub.enqueue('art-films', { mode: 'text', interests: ['art', 'films'] });
  h.time.advance(10);
  // The three share nothing, so all still wait. The newcomer shares nothing with the earliest,
  // one interest with later-music and two with art-films.
  assert.is(h.hub.stats().queued, 3);
  h.hub.enqueue('newcomer', { mode: 'text', interests: ['music', 'art', 'films'] });

  const matched = only(h.inbox('newcomer'), 'matched');
  assert.equal(conversationOf(h, 'newcomer'), { id: matched.conversationId, a: 'newcomer', b: 'art-films', mode: 'text' });
  assert.equal([...matched.commonInterests].sort(), ['art', 'films']);
  assert.equal(only(h.inbox('art-films'), 'matched').commonInterests, matched.commonInterests);
  assert.equal(h.inbox('early-games').of('matched'), []);
  assert.equal(h.inbox('later-music').of('matched'), []);

  // With one shared interest on offer, it still beats the earlier arrival.
  h.connect('music-fan');
  h.hub.enqueue('music-fan', { mode: 'text', interests: ['music'] });
  assert.is(conversationOf(h, 'music-fan')?.id, only(h.inbox('later-music'), 'matched').conversationId);
  assert.equal(queueEntriesOf(h, 'early-games').length, 1);
});

test('a person with interests is not paired at random before interestWaitMs, and is after it', () => {
  const h = createHubHarness();
  const alice = h.connect('alice');
  const bob = h.connect('bob');
  h.hub.enqueue('alice', { mode: 'text', interests: ['music'] });
  h.hub.enqueue('bob', TEXT); // no interests: ready for anyone, but alice is still waiting for a match
  assert.equal(alice.of('matched'), []);
  assert.equal(bob.of('matched'), []);
  assert.is(h.time.pending, 1, 'alice waits on a timer');

  h.time.advance(INTEREST_WAIT_MS - 1);
  assert.equal(alice.of('matched'), [], 'still waiting one millisecond before the wait ends');
  assert.is(h.hub.stats().queued, 2);

  h.time.advance(1);
  const matchedAlice = only(alice, 'matched');
  const matchedBob = only(bob, 'matched');
  assert.is(matchedAlice.conversationId, matchedBob.conversationId);
  assert.equal(matchedAlice.commonInterests, []);
  assert.is(h.time.pending, 0);
});

test('two waiting people with different interests are paired once both waits have passed', () => {
  const h = createHubHarness();
  h.connect('alice');
  h.connect('bob');
  h.hub.enqueue('alice', { mode: 'text', interests: ['music'] });
  h.time.advance(1000);
  h.hub.enqueue('bob', { mode: 'text', interests: ['games'] });
  h.time.advance(INTEREST_WAIT_MS - 1000);
  // Alice's wait is over but bob's is not: bob still deserves his chance of a shared interest.
  assert.equal(h.inbox('alice').of('matched'), []);
  h.time.advance(1000);
  assert.is(only(h.inbox('alice'), 'matched').conversationId, only(h.inbox('bob'), 'matched').conversationId);
});

test('different age bands, modes and two tabs of one device are never paired', () => {
  const h = createHubHarness();
  h.connect('minor', { band: 'minor' });
  h.connect('adult', { band: 'adult' });
  h.connect('video-adult', { band: 'adult' });
  h.connect('adult-tab-2', { band: 'adult', deviceId: 'device-adult' });
  h.hub.enqueue('minor', TEXT);
  h.hub.enqueue('adult', TEXT);
  h.hub.enqueue('video-adult', VIDEO);
  h.hub.enqueue('adult-tab-2', TEXT);
  h.time.advance(INTEREST_WAIT_MS * 10);
  assert.equal(h.hub.snapshot().conversations, []);
  assert.is(h.hub.stats().queued, 4);
});

test('find while queued replaces the entry instead of adding a second one', () => {
  const h = createHubHarness();
  const alice = h.connect('alice');
  h.hub.enqueue('alice', TEXT);
  h.hub.enqueue('alice', { mode: 'video', interests: ['music', 'music'] });
  assert.equal(alice.take(), [{ type: 'queued' }, { type: 'queued' }]);
  assert.equal(queueEntriesOf(h, 'alice'), [{ id: 'alice', key: 'video:adult' }]);
  assert.is(h.hub.stats().queued, 1);

  // The text entry is gone: a text seeker does not get alice.
  h.connect('bob');
  h.hub.enqueue('bob', TEXT);
  assert.equal(h.inbox('bob').of('matched'), []);
  // The video one is live, with its interests.
  h.connect('carol');
  h.hub.enqueue('carol', { mode: 'video', interests: ['music'] });
  const matched = only(alice, 'matched');
  assert.is(matched.mode, 'video');
  assert.equal(matched.commonInterests, ['music']);
  assert.is(matched.conversationId, only(h.inbox('carol'), 'matched').conversationId);
});

test('find while matched gives already_matched and leaves the conversation alone', () => {
  const h = createHubHarness();
  const conversationId = pairTwo(h, 'alice', 'bob');
  h.hub.enqueue('alice', VIDEO);
  assert.equal(h.inbox('alice').take().map((m) => m.type === 'error' && m.code), ['already_matched']);
  assert.equal(h.inbox('bob').take(), []);
  assert.is(conversationOf(h, 'alice')?.id, conversationId);
  assert.equal(queueEntriesOf(h, 'alice'), []);
});

// ---------------------------------------------------------------------------------------------
// Relaying

test('a message reaches the partner only, stamped with the server time', () => {
  const h = createHubHarness();
  pairTwo(h, 'alice', 'bob');
  h.connect('carol');
  h.time.advance(1234);
  h.hub.sendToPartner('alice', { type: 'message', text: 'hi there' });
  h.hub.sendToPartner('alice', { type: 'typing', on: true });
  assert.equal(h.inbox('bob').take(), [
    { type: 'message', text: 'hi there', at: h.time.now() },
    { type: 'typing', on: true },
  ]);
  assert.equal(h.inbox('alice').take(), []);
  assert.equal(h.inbox('carol').take(), []);
});

test('signal is relayed in a video conversation and refused with wrong_mode in a text one', () => {
  const h = createHubHarness();
  const offer: SignalData = { type: 'offer', sdp: 'v=0' };
  pairTwo(h, 'viv', 'vic', VIDEO);
  h.hub.sendToPartner('viv', { type: 'signal', data: offer });
  assert.equal(h.inbox('vic').take(), [{ type: 'signal', data: offer }]);

  pairTwo(h, 'tess', 'tom', TEXT);
  h.hub.sendToPartner('tess', { type: 'signal', data: offer });
  assert.equal(h.inbox('tess').take().map((m) => m.type === 'error' && m.code), ['wrong_mode']);
  assert.equal(h.inbox('tom').take(), []);
});

test('a message to nobody gives not_matched; a late typing-off is silently dropped', () => {
  const h = createHubHarness();
  const alice = h.connect('alice');
  h.hub.sendToPartner('alice', { type: 'message', text: 'anyone?' });
  assert.equal(alice.take().map((m) => m.type === 'error' && m.code), ['not_matched']);
  h.hub.enqueue('alice', TEXT);
  alice.take();
  h.hub.sendToPartner('alice', { type: 'message', text: 'still waiting' });
  assert.equal(alice.take().map((m) => m.type === 'error' && m.code), ['not_matched'], 'queued is not matched');
  h.hub.sendToPartner('alice', { type: 'typing', on: false });
  assert.equal(alice.take(), []);
});

// ---------------------------------------------------------------------------------------------
// Ending

test('next ends with reason next for both sides and re-queues the one who asked, with the same choices', () => {
  const h = createHubHarness();
  const request: FindRequest = { mode: 'video', interests: ['music'] };
  pairTwo(h, 'alice', 'bob', request);
  h.hub.next('alice');
  assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'self', reason: 'next' }, { type: 'queued' }]);
  assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'stranger', reason: 'next' }]);
  assert.equal(queueEntriesOf(h, 'alice'), [{ id: 'alice', key: 'video:adult' }]);
  assert.ok(h.hub.isIdle('bob'), 'the stranger is not re-queued');

  // Same mode and interests: a video seeker sharing "music" gets alice at once.
  h.connect('carol');
  h.hub.enqueue('carol', request);
  const matched = only(h.inbox('alice'), 'matched');
  assert.is(matched.mode, 'video');
  assert.equal(matched.commonInterests, ['music']);
});

test('leave in the queue is silent and removes the entry', () => {
  const h = createHubHarness();
  const alice = h.connect('alice');
  h.hub.enqueue('alice', { mode: 'text', interests: ['music'] });
  alice.take();
  h.hub.leave('alice');
  assert.equal(alice.take(), []);
  assert.equal(h.hub.snapshot().queued, []);
  assert.is(h.hub.stats().queued, 0);
  assert.ok(h.hub.isIdle('alice'));
  assert.is(h.time.pending, 0, 'the interest-wait timer is cancelled');
  h.connect('bob');
  h.hub.enqueue('bob', TEXT);
  h.time.advance(INTEREST_WAIT_MS);
  assert.equal(alice.take(), []);
});

test('leave in a conversation ends it with reason left', () => {
  const h = createHubHarness();
  pairTwo(h, 'alice', 'bob');
  h.hub.leave('bob');
  assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'self', reason: 'left' }]);
  assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'stranger', reason: 'left' }]);
  assert.equal(h.hub.stats(), { online: 2, queued: 0, inConversation: 0, conversations: 0 });
});

test('disconnect gives the partner ended{stranger, disconnected} and removes the person everywhere', () => {
  const h = createHubHarness();
  pairTwo(h, 'alice', 'bob');
  h.hub.disconnect('alice');
  assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'stranger', reason: 'disconnected' }]);
  assert.equal(h.inbox('alice').take(), []);
  assert.equal(h.hub.stats(), { online: 1, queued: 0, inConversation: 0, conversations: 0 });
  assert.equal([...h.hub.participants()].map((p) => p.id), ['bob']);

  // A queued person who disconnects leaves no entry behind to be paired with.
  h.connect('carol');
  h.hub.enqueue('carol', { mode: 'text', interests: ['art'] });
  h.hub.disconnect('carol');
  assert.equal(h.hub.snapshot().queued, []);
  assert.is(h.time.pending, 0);
  h.hub.enqueue('bob', TEXT);
  h.time.advance(INTEREST_WAIT_MS);
  assert.equal(h.inbox('bob').of('matched'), []);
});

test('kick for a ban ends the conversation for both with by system, reason ban', () => {
  const h = createHubHarness();
  pairTwo(h, 'alice', 'bob');
  h.hub.kick('bob', 'ban');
  assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'system', reason: 'ban' }]);
  assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'system', reason: 'ban' }]);
  assert.ok(h.hub.isIdle('alice') && h.hub.isIdle('bob'));
  assert.is(h.hub.stats().conversations, 0);
});

// ---------------------------------------------------------------------------------------------
// Reporting

test('report ends the conversation, returns the last lines of each side in order, and the two devices never meet again', () => {
  const h = createHubHarness();
  const conversationId = pairTwo(h, 'alice', 'bob');
  const startedAt = h.time.now();
  // Lines are labelled by side: `a` is the initiator.
  const sideOf = (id: string) => (conversationOf(h, id)?.a === id ? 'a' : 'b');
  // More lines than kept, so the oldest of each side must be dropped.
  const SENT_PER_SIDE = LINES_PER_SIDE + 10;
  const sent: TranscriptLine[] = [];
  for (let i = 0; i < SENT_PER_SIDE; i++) {
    h.time.advance(700);
    h.hub.sendToPartner('alice', { type: 'message', text: `a${i}` });
    sent.push({ from: sideOf('alice'), sessionId: 'session-alice', text: `a${i}`, at: h.time.now() });
    h.time.advance(300);
    h.hub.sendToPartner('bob', { type: 'message', text: `b${i}` });
    sent.push({ from: sideOf('bob'), sessionId: 'session-bob', text: `b${i}`, at: h.time.now() });
  }
  h.inbox('alice').take();
  h.inbox('bob').take();

  h.time.advance(500);
  const record = h.hub.endForReport('alice');
  assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'self', reason: 'report' }]);
  // The reported side hears only that the stranger left.
  assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'stranger', reason: 'left' }]);
  assert.is(conversationOf(h, 'alice'), undefined);

  const dropped = SENT_PER_SIDE - LINES_PER_SIDE;
  const kept = sent.filter((line) => Number(line.text.slice(1)) >= dropped);
  assert.equal(record, {
    conversationId,
    mode: 'text',
    startedAt,
    endedAt: h.time.now(),
    reporter: { id: 'alice', sessionId: 'session-alice', deviceId: 'device-alice', band: 'adult' },
    reported: { id: 'bob', sessionId: 'session-bob', deviceId: 'device-bob', band: 'adult' },
    transcript: kept,
    // Without an address or identity, only the devices are avoided, for ever.
    avoids: [{ a: 'device:device-alice', b: 'device:device-bob', createdAt: h.time.now(), expiresAt: null, shared: false }],
    reportedAddressShared: false,
  } satisfies ConversationRecord);

  // Never again: not now, not after the wait, not from bob's second tab, not after reconnecting.
  h.connect('bob-tab-2', { deviceId: 'device-bob' });
  h.hub.enqueue('alice', TEXT);
  h.hub.enqueue('bob', TEXT);
  h.hub.enqueue('bob-tab-2', TEXT);
  h.time.advance(INTEREST_WAIT_MS * 2);
  assert.equal(h.hub.snapshot().conversations, []);
  h.hub.disconnect('alice');
  h.connect('alice-again', { deviceId: 'device-alice' });
  h.hub.enqueue('alice-again', TEXT);
  assert.equal(h.hub.snapshot().conversations, []);
  // …while a third person is still paired normally.
  h.connect('carol');
  h.hub.enqueue('carol', TEXT);
  assert.is(h.hub.snapshot().conversations.length, 1);
});

test('the transcript keeps the order of sending when lines share a millisecond', () => {
  const h = createHubHarness();
  pairTwo(h, 'alice', 'bob');
  // A quick exchange relayed within one clock tick: bob answers before alice's second line.
  h.hub.sendToPartner('bob', { type: 'message', text: 'hey' });
  h.hub.sendToPartner('alice', { type: 'message', text: 'hi' });
  h.hub.sendToPartner('bob', { type: 'message', text: 'how are you' });
  h.hub.sendToPartner('alice', { type: 'message', text: 'fine' });
  const record = h.hub.endForReport('alice');
  assert.equal(record?.transcript.map((line) => line.text), ['hey', 'hi', 'how are you', 'fine']);
});

test('a past conversation can be reported within reportGraceMs, only once, and not after it', () => {
  const h = createHubHarness();
  pairTwo(h, 'alice', 'bob');
  h.hub.leave('bob');
  h.inbox('alice').take();
  h.inbox('bob').take();
  h.time.advance(REPORT_GRACE_MS);
  const record = h.hub.endForReport('alice');
  assert.is(record?.reported.id, 'bob');
  assert.equal(h.inbox('alice').take(), [], 'nothing left to end');
  assert.equal(h.inbox('bob').take(), []);
  assert.is(h.hub.endForReport('alice'), undefined, 'a second report of the same conversation');

  const h2 = createHubHarness();
  pairTwo(h2, 'carol', 'dave');
  h2.hub.leave('dave');
  h2.time.advance(REPORT_GRACE_MS + 1);
  assert.is(h2.hub.endForReport('carol'), undefined, 'the grace period is over');
  // Not reported, so not avoided: the two may meet again.
  h2.hub.enqueue('carol', TEXT);
  h2.hub.enqueue('dave', TEXT);
  assert.is(h2.hub.snapshot().conversations.length, 1);
});

test('reporting the conversation someone just left still keeps the two apart', () => {
  const h = createHubHarness();
  pairTwo(h, 'alice', 'bob');
  h.hub.next('bob'); // bob skips and is queued again
  h.time.advance(1000);
  assert.ok(h.hub.endForReport('alice'));
  h.hub.enqueue('alice', TEXT);
  assert.equal(h.hub.snapshot().conversations, []);
  assert.is(h.hub.stats().queued, 2);
});

// ---------------------------------------------------------------------------------------------
// "Never paired again" follows the person: device, identity, and the reported side's address

const DAY_MS = 24 * 3600_000;
const WINDOW_MS = TEST_HUB_OPTIONS.reportedAddressAvoidMs;

/** `reporter` (already connected) is paired with `reported` and reports them; inboxes cleared. */
function reportPair(h: HubHarness, reporter: string, reported: string, request: FindRequest = TEXT): ConversationRecord {
  h.hub.enqueue(reported, request);
  h.hub.enqueue(reporter, request);
  assert.is(conversationOf(h, reporter)?.id !== undefined && conversationOf(h, reporter)?.id === conversationOf(h, reported)?.id, true, 'the two were paired');
  const record = h.hub.endForReport(reporter);
  assert.ok(record, 'the report returned its record');
  for (const id of [reporter, reported]) h.inbox(id).take();
  return record;
}

/** Whom `id` is in conversation with, if anyone. */
function partnerIn(h: HubHarness, id: string): string | undefined {
  const c = conversationOf(h, id);
  return c ? (c.a === id ? c.b : c.a) : undefined;
}

test('a reported person back with a new cookie from the same address is never paired with the reporter, interests or not, while decoys are', () => {
  const h = createHubHarness();
  const since = h.time.now();
  h.connect('child', { band: 'minor', address: '203.0.113.50', deviceSince: since });
  h.connect('stranger', { band: 'minor', address: '198.51.100.7', deviceSince: since });
  const record = reportPair(h, 'child', 'stranger');
  assert.equal(
    record.avoids.map((a) => [a.a, a.b, a.expiresAt === null ? 'for ever' : a.expiresAt - h.time.now()]),
    [
      ['device:device-child', 'device:device-stranger', 'for ever'],
      ['device:device-child', 'address:198.51.100.7', WINDOW_MS],
    ],
    'the reporter against the device for ever and the address for the window; never the reporter\'s own address',
  );
  assert.is(record.reportedAddressShared, false);
  h.hub.disconnect('stranger');

  // The cookie is gone: a new device (first seen now) on the same address, asking for the child's interests.
  h.time.advance(1000);
  const music: FindRequest = { mode: 'text', interests: ['music', 'art'] };
  h.hub.enqueue('child', music);
  h.connect('stranger-again', { band: 'minor', deviceId: 'device-fresh', address: '198.51.100.7', deviceSince: h.time.now() });
  h.hub.enqueue('stranger-again', music);
  h.time.advance(INTEREST_WAIT_MS * 3);
  assert.is(partnerIn(h, 'stranger-again'), undefined, 'not paired with the child, although they share every interest');
  // Decoys: each of them is paired, with the child and with the returning stranger, but never the two together.
  h.connect('decoy-1', { band: 'minor', address: '192.0.2.81', deviceSince: since });
  h.hub.enqueue('decoy-1', music);
  h.connect('decoy-2', { band: 'minor', address: '192.0.2.82', deviceSince: since });
  h.hub.enqueue('decoy-2', music);
  assert.equal(new Set([partnerIn(h, 'child'), partnerIn(h, 'stranger-again')]), new Set(['decoy-1', 'decoy-2']));

  // A new address (an IPv4 /32 of its own) is someone else: the window is about the address, not the person.
  const other = h.connect('same-/24', { band: 'minor', address: '198.51.100.8', deviceSince: h.time.now() });
  h.hub.leave('child');
  h.hub.enqueue('child', TEXT);
  h.hub.enqueue('same-/24', TEXT);
  assert.is(partnerIn(h, 'child'), 'same-/24');
  assert.ok(other.of('matched').length === 1);
});

test('an address avoid covers the IPv6 /64 and ends with its window; the device avoid does not', () => {
  const h = createHubHarness();
  h.connect('reporter', { address: '192.0.2.1', deviceSince: h.time.now() });
  h.connect('reported', { address: '2001:db8:7:7::1', deviceSince: h.time.now() });
  const record = reportPair(h, 'reporter', 'reported');
  assert.equal(record.avoids.map((a) => a.b), ['device:device-reported', 'address:2001:db8:7:7::/64']);

  h.hub.enqueue('reporter', TEXT);
  h.connect('next-door', { address: '2001:db8:7:7:ffff::2', deviceSince: h.time.now() });
  h.hub.enqueue('next-door', TEXT);
  assert.equal(h.hub.snapshot().conversations, [], 'another address in the same /64');
  h.time.advance(WINDOW_MS - 1);
  h.hub.enqueue('next-door', TEXT);
  assert.equal(h.hub.snapshot().conversations, [], 'still, a millisecond before the window ends');

  h.time.advance(1);
  h.hub.enqueue('next-door', TEXT);
  assert.is(partnerIn(h, 'next-door'), 'reporter', 'the window is over: the address is free again');
  h.hub.leave('reporter');
  h.hub.enqueue('reporter', TEXT);
  h.hub.enqueue('reported', TEXT);
  assert.is(partnerIn(h, 'reporter'), undefined, 'the reported device itself, for ever');
});

test('a verified identity is avoided on every device and address; two devices of one identity are never paired together', () => {
  const h = createHubHarness();
  h.connect('reporter', { address: '192.0.2.1', identityHash: 'id-reporter' });
  h.connect('reported', { address: '198.51.100.1', identityHash: 'id-reported' });
  const record = reportPair(h, 'reporter', 'reported');
  assert.equal(
    record.avoids.map((a) => `${a.a} ${a.b}`),
    [
      'device:device-reporter device:device-reported',
      'device:device-reporter identity:id-reported',
      'device:device-reporter address:198.51.100.1',
      'identity:id-reporter device:device-reported',
      'identity:id-reporter identity:id-reported',
      'identity:id-reporter address:198.51.100.1',
    ],
  );
  // The reported person on a new browser and a new network, verified with the same address; the reporter on a new browser too.
  h.hub.disconnect('reported');
  h.hub.disconnect('reporter');
  h.time.advance(WINDOW_MS * 2);
  h.connect('reporter-laptop', { address: '192.0.2.99', identityHash: 'id-reporter', deviceSince: h.time.now() });
  h.connect('reported-phone', { address: '203.0.113.9', identityHash: 'id-reported', deviceSince: h.time.now() });
  h.connect('reporter-phone', { address: '192.0.2.98', identityHash: 'id-reporter', deviceSince: h.time.now() });
  for (const id of ['reporter-laptop', 'reported-phone', 'reporter-phone']) h.hub.enqueue(id, TEXT);
  assert.equal(h.hub.snapshot().conversations, [], 'nobody: one identity is one person, and the other is avoided');
});

test('on a shared address (a school) the reporter keeps meeting the school; only browsers new since the report are kept away', () => {
  const h = createHubHarness();
  const school = '192.0.2.200';
  const threshold = TEST_HUB_OPTIONS.sharedAddressDevices;
  const morning = h.time.now();
  const pupils = Array.from({ length: threshold + 1 }, (_, i) => `pupil-${i}`);
  for (const id of pupils) h.connect(id, { address: school, deviceSince: morning });
  h.connect('reporter', { address: '203.0.113.1', deviceSince: morning });
  h.time.advance(1000);
  const record = reportPair(h, 'reporter', 'pupil-0');
  assert.is(record.reportedAddressShared, true, `${threshold + 1} browsers at once on one address: shared`);
  assert.ok(record.avoids.some((a) => a.b === `address:${school}` && a.shared));

  // Every other pupil (a browser known before the report) can still be paired with the reporter.
  for (const pupil of pupils.slice(1)) {
    h.hub.enqueue('reporter', TEXT);
    h.hub.enqueue(pupil, TEXT);
    assert.is(partnerIn(h, 'reporter'), pupil, `${pupil} was paired with the reporter`);
    h.hub.leave('reporter');
  }
  // The reported pupil, with a new cookie: a browser first seen after the report, kept away for the window.
  h.hub.disconnect('pupil-0');
  h.time.advance(1000);
  h.connect('pupil-0-new-cookie', { address: school, deviceSince: h.time.now() });
  h.hub.enqueue('reporter', TEXT);
  h.hub.enqueue('pupil-0-new-cookie', TEXT);
  assert.is(partnerIn(h, 'reporter'), undefined);
  h.time.advance(WINDOW_MS);
  h.hub.enqueue('pupil-0-new-cookie', TEXT);
  assert.is(partnerIn(h, 'reporter'), 'pupil-0-new-cookie', 'after the window, the new browser is an ordinary pupil');
});

test('an address counts as shared for a day after it was seen shared, and not before it was', () => {
  const h = createHubHarness();
  const office = '192.0.2.150';
  const threshold = TEST_HUB_OPTIONS.sharedAddressDevices;
  // Below the threshold: a family at home is not shared.
  for (let i = 0; i < threshold - 1; i++) h.connect(`home-${i}`, { address: office });
  h.connect('reporter-1');
  assert.is(reportPair(h, 'reporter-1', 'home-0').reportedAddressShared, false);
  // At the threshold once, then everyone leaves but one: still shared within the day.
  h.connect(`home-${threshold - 1}`, { address: office });
  for (let i = 1; i < threshold; i++) h.hub.disconnect(`home-${i}`);
  h.time.advance(DAY_MS - 1);
  h.connect('reporter-2');
  assert.is(reportPair(h, 'reporter-2', 'home-0').reportedAddressShared, true);
  h.time.advance(1);
  h.connect('reporter-3');
  assert.is(reportPair(h, 'reporter-3', 'home-0').reportedAddressShared, false, 'a day later, one browser there: not shared');
});

test('avoids handed to the Hub (loaded at start) hold like those of a report, and expire', () => {
  const h = createHubHarness();
  const now = h.time.now();
  h.hub.avoid({ a: 'device:device-a', b: 'device:device-b', createdAt: now - DAY_MS, expiresAt: null, shared: false });
  h.hub.avoid({ a: 'device:device-a', b: 'address:198.51.100.9', createdAt: now - DAY_MS, expiresAt: now + 5000, shared: false });
  h.connect('a');
  h.connect('b');
  h.connect('c', { address: '198.51.100.9' });
  for (const id of ['a', 'b', 'c']) h.hub.enqueue(id, TEXT);
  assert.is(partnerIn(h, 'b'), 'c', 'a is kept from both');
  h.hub.leave('b');
  h.time.advance(5000);
  h.hub.enqueue('a', TEXT);
  assert.is(partnerIn(h, 'a'), undefined, 'b and c have left the queue');
  h.hub.enqueue('c', TEXT);
  assert.is(partnerIn(h, 'a'), 'c', 'the address avoid has expired');
});

test('mayPair false keeps a person out of every pairing, by find or by the end of an interest wait', () => {
  const refused = new Set(['device-held']);
  const h = createHubHarness({ mayPair: (p) => !refused.has(p.deviceId) });
  h.connect('held');
  h.connect('alice');
  h.connect('bob');
  h.hub.enqueue('held', { mode: 'text', interests: ['music'] });
  h.hub.enqueue('alice', { mode: 'text', interests: ['music'] });
  assert.is(partnerIn(h, 'alice'), undefined, 'a shared interest does not override it');
  h.time.advance(INTEREST_WAIT_MS);
  h.hub.enqueue('bob', TEXT);
  assert.is(partnerIn(h, 'alice'), 'bob');
  assert.ok(queueEntriesOf(h, 'held').length === 1, 'still queued, never paired');
});

test('a video conversation is relay-only when one side must be relayed, and says so to both', () => {
  const h = createHubHarness();
  h.connect('minor-1', { band: 'minor', relayOnly: true });
  h.connect('minor-2', { band: 'minor', relayOnly: true });
  h.hub.enqueue('minor-1', VIDEO);
  h.hub.enqueue('minor-2', VIDEO);
  assert.equal([only(h.inbox('minor-1'), 'matched').relayOnly, only(h.inbox('minor-2'), 'matched').relayOnly], [true, true]);
  h.connect('adult-1', { relayOnly: false });
  h.connect('adult-2', { relayOnly: true });
  h.connect('adult-3', { relayOnly: false });
  h.connect('adult-4', {});
  h.hub.enqueue('adult-1', VIDEO);
  h.hub.enqueue('adult-2', VIDEO);
  assert.equal([only(h.inbox('adult-1'), 'matched').relayOnly, only(h.inbox('adult-2'), 'matched').relayOnly], [true, true], 'one side relayed: both');
  h.hub.enqueue('adult-3', VIDEO);
  h.hub.enqueue('adult-4', VIDEO);
  assert.is(only(h.inbox('adult-3'), 'matched').relayOnly, false, 'two peer-to-peer adults');
});

test('report with no conversation, current or recent, returns nothing', () => {
  const h = createHubHarness();
  h.connect('alice');
  assert.is(h.hub.endForReport('alice'), undefined);
  assert.is(h.hub.endForReport('nobody'), undefined);
});

// ---------------------------------------------------------------------------------------------
// Fuzz: random sessions of many people, every invariant checked after every step.

const FUZZ_SEEDS = 20;
const FUZZ_STEPS = 2000;
/** Connection slots (a person who may connect, leave and come back); more than 50 people. */
const FUZZ_SLOTS = 56;
/** The first slots come in pairs that share a device: two tabs of one browser. */
const FUZZ_TWO_TAB_SLOTS = 16;
const INTEREST_POOL = ['music', 'games', 'art', 'books', 'films', 'sport'];
/**
 * Short grace, a small transcript and a one-minute address window, so that expiry and trimming
 * happen often in 2000 steps.
 */
const FUZZ_OPTIONS = { interestWaitMs: 3000, reportGraceMs: 10_000, transcriptLinesPerSide: 4, reportedAddressAvoidMs: 60_000, sharedAddressDevices: 5 };
/** Devices 8–19 are pupils behind one school address: often enough of them online at once to make it shared. */
const SCHOOL = { first: 8, last: 19, address: '192.0.2.10', key: 'address:192.0.2.10' };
/** Devices 20–47 live three to a home; even homes are on IPv6, a different address per device within the home's /64. */
const HOMES_FROM = 20;
/** Devices 20–27 come two by two with a verified identity: one person on two browsers. */
const IDENTITIES_BELOW = 28;

interface Slot {
  index: number;
  deviceId: string;
  band: Participant['band'];
  address: string;
  /** The avoid key the Hub must derive from `address` (written out here, not computed). */
  addressKey: string;
  identityHash?: string;
  sim?: Sim;
  connections: number;
  /** Cookies dropped so far (each gives the slot a new device). */
  newDevices: number;
}

/** An avoid as the model expects it, between two keys (stored under the unordered pair). */
interface ModelAvoid {
  a: string;
  b: string;
  createdAt: number;
  expiresAt: number | null;
  shared: boolean;
}

interface Sim {
  participant: Participant;
  slot: Slot;
  inbox: Inbox;
  state: 'idle' | 'queued' | 'matched';
  conversation?: SimConversation;
  request?: FindRequest;
  queuedAt: number;
  /** The last ended conversation, reportable during the grace period. */
  reportable?: SimConversation;
}

interface SimConversation {
  id: string;
  a: Sim;
  b: Sim;
  mode: ChatMode;
  startedAt: number;
  endedAt: number | null;
  lines: TranscriptLine[];
}

type Action =
  | { kind: 'connect'; slot: Slot }
  | { kind: 'find'; sim: Sim; request: FindRequest }
  | { kind: 'next' | 'leave' | 'disconnect' | 'report'; sim: Sim }
  | { kind: 'message'; sim: Sim; text: string }
  | { kind: 'typing'; sim: Sim; on: boolean }
  | { kind: 'signal'; sim: Sim; data: SignalData }
  | { kind: 'kick'; sim: Sim; reason: 'ban' | 'moderator' }
  | { kind: 'quarantine'; sim: Sim }
  | { kind: 'newDevice'; slot: Slot }
  | { kind: 'advance'; ms: number };

function describe(action: Action): string {
  const { kind, ...rest } = action;
  const who = 'sim' in rest ? ` ${rest.sim.participant.id} (${rest.sim.state})` : '';
  const extra = JSON.stringify(rest, (key, value) => (key === 'sim' || key === 'slot' ? undefined : value));
  return `${kind}${who}${'slot' in rest ? ` slot ${rest.slot.index}` : ''} ${extra === '{}' ? '' : extra}`.trim();
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function partnerOf(sim: Sim): Sim {
  const c = sim.conversation!;
  return c.a === sim ? c.b : c.a;
}

function intersection(a: readonly string[], b: readonly string[]): string[] {
  return a.filter((x) => b.includes(x)).sort();
}

/** What a report of this conversation must return: the last lines of each side, in the order sent. */
function expectedTranscript(conversation: SimConversation, perSide: number): TranscriptLine[] {
  const total = { a: 0, b: 0 };
  for (const line of conversation.lines) total[line.from]++;
  const seen = { a: 0, b: 0 };
  return conversation.lines.filter((line) => seen[line.from]++ >= total[line.from] - perSide);
}

class FuzzRun {
  readonly seed: number;
  readonly rng: () => number;
  readonly time = new FakeTime();
  readonly hub: InMemoryHub;
  readonly slots: Slot[] = [];
  readonly sims = new Set<Sim>();
  readonly departed: Inbox[] = [];
  readonly conversationIds = new Set<string>();
  /** The avoids reports made, merged per unordered pair of keys (longer and stricter wins). */
  readonly avoided = new Map<string, ModelAvoid>();
  /** When each device was first seen. */
  readonly deviceSince = new Map<string, number>();
  /** Addresses seen with sharedAddressDevices devices at once, until when they count as shared. */
  readonly sharedUntil = new Map<string, number>();
  /** Devices under a ban the Hub learns of only through mayPair (a quarantine written since the find). */
  readonly banned = new Set<string>();
  step = 0;
  reportsFiled = 0;
  sharedReports = 0;
  /** Queued pairs kept apart only by an address avoid, seen by the last invariant: the rule was exercised. */
  addressOnlyApart = 0;
  #nextConnection = 0;

  constructor(seed: number) {
    this.seed = seed;
    this.rng = seededRandom(seed);
    this.hub = new InMemoryHub({
      ...FUZZ_OPTIONS,
      now: this.time.now,
      // A separate stream, so the Hub's draws do not shift the scenario's.
      random: seededRandom(seed ^ 0x5eed),
      newId: sequentialIds(),
      setTimer: this.time.setTimer,
      clearTimer: this.time.clearTimer,
      mayPair: (participant) => !this.banned.has(participant.deviceId),
    });
    for (let index = 0; index < FUZZ_SLOTS; index++) {
      const device = index < FUZZ_TWO_TAB_SLOTS ? Math.floor(index / 2) : index - FUZZ_TWO_TAB_SLOTS / 2;
      // Bands follow the person: both tabs of a device, both browsers of an identity.
      const person = device >= HOMES_FROM && device < IDENTITIES_BELOW ? 100 + Math.floor(device / 2) : device;
      let address: string;
      let addressKey: string;
      if (device >= SCHOOL.first && device <= SCHOOL.last) {
        [address, addressKey] = [SCHOOL.address, SCHOOL.key];
      } else if (device >= HOMES_FROM) {
        const home = Math.floor((device - HOMES_FROM) / 3);
        [address, addressKey] =
          home % 2 === 0 ? [`2001:db8:${home + 1}:${home + 1}::${device}`, `address:2001:db8:${home + 1}:${home + 1}::/64`] : [`198.51.100.${home}`, `address:198.51.100.${home}`];
      } else {
        [address, addressKey] = [`203.0.113.${device}`, `address:203.0.113.${device}`];
      }
      this.slots.push({
        index,
        deviceId: `device-${device}`,
        band: person % 3 === 0 ? 'minor' : 'adult',
        address,
        addressKey,
        ...(person >= 100 ? { identityHash: `identity-${person}` } : {}),
        connections: 0,
        newDevices: 0,
      });
    }
  }

  keysOf(sim: Sim): string[] {
    const { slot, participant } = sim;
    return [`device:${participant.deviceId}`, ...(slot.identityHash ? [`identity:${slot.identityHash}`] : []), slot.addressKey];
  }

  /** Devices online at an address, counted as the model sees them. */
  devicesAt(address: string): number {
    return new Set([...this.sims].filter((s) => s.slot.addressKey === address).map((s) => s.participant.deviceId)).size;
  }

  /** The model's own reading of the rule: which avoid in force (if any) keeps these two apart. */
  forbiddingAvoid(x: Sim, y: Sim, now: number): ModelAvoid | undefined {
    for (const kx of this.keysOf(x)) {
      for (const ky of this.keysOf(y)) {
        const avoid = this.avoided.get(pairKey(kx, ky));
        if (!avoid || (avoid.expiresAt !== null && avoid.expiresAt <= now)) continue;
        if (!avoid.shared) return avoid;
        // A shared address keeps apart only the devices first seen there after the report.
        const holder = ky === avoid.b ? y : x;
        if (this.deviceSince.get(holder.participant.deviceId)! >= avoid.createdAt) return avoid;
      }
    }
    return undefined;
  }

  /** True when an avoid between the two ran out: the Hub does not look again until one of them moves. */
  avoidExpiredBetween(x: Sim, y: Sim, now: number): boolean {
    for (const kx of this.keysOf(x)) {
      for (const ky of this.keysOf(y)) {
        const avoid = this.avoided.get(pairKey(kx, ky));
        if (avoid && avoid.expiresAt !== null && avoid.expiresAt <= now) return true;
      }
    }
    return false;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }

  /** Prefers a person in a conversation for actions that only mean something there. */
  pickSim(preferMatched: boolean): Sim {
    const all = [...this.sims];
    const matched = all.filter((s) => s.state === 'matched');
    return preferMatched && matched.length && this.rng() < 0.8 ? this.pick(matched) : this.pick(all);
  }

  randomRequest(): FindRequest {
    const mode: ChatMode = this.rng() < 0.6 ? 'text' : 'video';
    if (this.rng() < 0.4) return { mode, interests: [] };
    // Sometimes a duplicate: the Hub must treat ['art', 'art'] as ['art'].
    const count = 1 + Math.floor(this.rng() * 3);
    return { mode, interests: Array.from({ length: count }, () => this.pick(INTEREST_POOL)) };
  }

  chooseAction(): Action {
    const free = this.slots.filter((s) => !s.sim);
    if (free.length && (this.sims.size < 24 || this.rng() < 0.06)) return { kind: 'connect', slot: this.pick(free) };
    const r = this.rng();
    if (r < 0.25) return { kind: 'find', sim: this.pickSim(false), request: this.randomRequest() };
    if (r < 0.35) return { kind: 'next', sim: this.pickSim(true) };
    if (r < 0.4) return { kind: 'leave', sim: this.pickSim(false) };
    if (r < 0.45) return { kind: 'disconnect', sim: this.pickSim(false) };
    if (r < 0.6) return { kind: 'message', sim: this.pickSim(true), text: `line ${this.step}` };
    if (r < 0.64) return { kind: 'typing', sim: this.pickSim(true), on: this.rng() < 0.5 };
    if (r < 0.68) {
      const data: SignalData = this.rng() < 0.5 ? { type: 'offer', sdp: `v=0 ${this.step}` } : { candidate: null };
      return { kind: 'signal', sim: this.pickSim(true), data };
    }
    if (r < 0.72) return { kind: 'report', sim: this.pickSim(this.rng() < 0.5) };
    if (r < 0.73) return { kind: 'kick', sim: this.pickSim(true), reason: this.rng() < 0.5 ? 'ban' : 'moderator' };
    if (r < 0.732) return { kind: 'quarantine', sim: this.pickSim(false) };
    // A reported person's evasion: drop the cookie, come back as a new device from the same address.
    if (r < 0.75 && free.length) return { kind: 'newDevice', slot: this.pick(free) };
    // Mostly short steps, sometimes past the interest wait, now and then past the report grace.
    const s = this.rng();
    const ms = s < 0.6 ? Math.floor(this.rng() * 500) : s < 0.93 ? Math.floor(this.rng() * 2 * FUZZ_OPTIONS.interestWaitMs) : FUZZ_OPTIONS.reportGraceMs + 1;
    return { kind: 'advance', ms };
  }

  /**
   * Performs one action and returns, per person, the messages it must receive first (in order),
   * and whether new pairings may happen in this step.
   */
  perform(action: Action): {
    expected: Map<Sim, ServerMessage[]>;
    pairingMayHappen: boolean;
    /** Left the queue without a message (leave or kick while queued). */
    leftSilently?: Sim;
    gone?: Sim;
    reporter?: Sim;
  } {
    const expected = new Map<Sim, ServerMessage[]>();
    const ended = (sim: Sim, by: 'self' | 'stranger' | 'system', reason: EndedReason): void => {
      expected.set(sim, [...(expected.get(sim) ?? []), { type: 'ended', by, reason }]);
    };
    // Error texts are free-form: compared blank here, checked non-empty when received.
    const error = (sim: Sim, code: WsErrorCode): void => {
      expected.set(sim, [{ type: 'error', code, message: '' }]);
    };
    const now = this.time.now();
    switch (action.kind) {
      case 'connect': {
        const { slot } = action;
        if (!this.deviceSince.has(slot.deviceId)) this.deviceSince.set(slot.deviceId, now);
        const participant: Participant = {
          id: `p${++this.#nextConnection}`,
          // Every connection has a fresh session (a ticket per page load); the device stays.
          sessionId: `session-${slot.index}-${++slot.connections}`,
          deviceId: slot.deviceId,
          band: slot.band,
          address: slot.address,
          deviceSince: this.deviceSince.get(slot.deviceId)!,
          ...(slot.identityHash ? { identityHash: slot.identityHash } : {}),
        };
        const sim: Sim = { participant, slot, inbox: new Inbox(this.time.now), state: 'idle', queuedAt: 0 };
        this.hub.connect(participant, sim.inbox);
        slot.sim = sim;
        this.sims.add(sim);
        if (this.devicesAt(slot.addressKey) >= FUZZ_OPTIONS.sharedAddressDevices) this.sharedUntil.set(slot.addressKey, now + SHARED_ADDRESS_MEMORY_MS);
        return { expected, pairingMayHappen: false };
      }
      case 'newDevice': {
        const { slot } = action;
        slot.deviceId = `device-${slot.index}-new-${++slot.newDevices}`;
        return { expected, pairingMayHappen: false };
      }
      case 'quarantine':
        // Known to the Hub only through mayPair: the person stays where they are, never paired.
        this.banned.add(action.sim.participant.deviceId);
        return { expected, pairingMayHappen: false };
      case 'find': {
        const { sim, request } = action;
        this.hub.enqueue(sim.participant.id, request);
        if (sim.state === 'matched') {
          error(sim, 'already_matched');
          return { expected, pairingMayHappen: false };
        }
        sim.request = { mode: request.mode, interests: [...new Set(request.interests)] };
        expected.set(sim, [{ type: 'queued' }]);
        return { expected, pairingMayHappen: true };
      }
      case 'next': {
        const { sim } = action;
        const wasMatched = sim.state === 'matched';
        if (wasMatched) {
          ended(sim, 'self', 'next');
          ended(partnerOf(sim), 'stranger', 'next');
        }
        this.hub.next(sim.participant.id);
        if (!sim.request) {
          error(sim, 'not_matched');
          return { expected, pairingMayHappen: false };
        }
        expected.set(sim, [...(expected.get(sim) ?? []), { type: 'queued' }]);
        return { expected, pairingMayHappen: true };
      }
      case 'leave': {
        const { sim } = action;
        const wasQueued = sim.state === 'queued';
        if (sim.state === 'matched') {
          ended(sim, 'self', 'left');
          ended(partnerOf(sim), 'stranger', 'left');
        }
        this.hub.leave(sim.participant.id);
        return { expected, pairingMayHappen: false, ...(wasQueued ? { leftSilently: sim } : {}) };
      }
      case 'kick': {
        const { sim, reason } = action;
        const wasQueued = sim.state === 'queued';
        if (sim.state === 'matched') {
          ended(sim, 'system', reason);
          ended(partnerOf(sim), 'system', reason);
        }
        this.hub.kick(sim.participant.id, reason);
        return { expected, pairingMayHappen: false, ...(wasQueued ? { leftSilently: sim } : {}) };
      }
      case 'disconnect': {
        const { sim } = action;
        // The one who disconnected hears nothing (their socket is gone).
        if (sim.state === 'matched') ended(partnerOf(sim), 'stranger', 'disconnected');
        this.hub.disconnect(sim.participant.id);
        return { expected, pairingMayHappen: false, gone: sim };
      }
      case 'message':
      case 'typing':
      case 'signal': {
        const { sim } = action;
        const message =
          action.kind === 'message'
            ? { type: 'message' as const, text: action.text }
            : action.kind === 'typing'
              ? { type: 'typing' as const, on: action.on }
              : { type: 'signal' as const, data: action.data };
        this.hub.sendToPartner(sim.participant.id, message);
        if (sim.state !== 'matched') {
          if (action.kind !== 'typing') error(sim, 'not_matched');
          return { expected, pairingMayHappen: false };
        }
        const conversation = sim.conversation!;
        const partner = partnerOf(sim);
        if (action.kind === 'message') {
          expected.set(partner, [{ type: 'message', text: action.text, at: now }]);
          const from = conversation.a === sim ? 'a' : 'b';
          conversation.lines.push({ from, sessionId: sim.participant.sessionId, text: action.text, at: now });
        } else if (action.kind === 'typing') {
          expected.set(partner, [{ type: 'typing', on: action.on }]);
        } else if (conversation.mode === 'video') {
          expected.set(partner, [{ type: 'signal', data: action.data }]);
        } else {
          error(sim, 'wrong_mode');
        }
        return { expected, pairingMayHappen: false };
      }
      case 'report': {
        const { sim } = action;
        let target: SimConversation | undefined;
        if (sim.state === 'matched') {
          target = sim.conversation!;
          ended(sim, 'self', 'report');
          // No cue for retaliation: the reported side only hears that the stranger left.
          ended(partnerOf(sim), 'stranger', 'left');
        } else if (sim.reportable && now - sim.reportable.endedAt! <= FUZZ_OPTIONS.reportGraceMs) {
          target = sim.reportable;
        }
        const record = this.hub.endForReport(sim.participant.id);
        if (!target) {
          assert.is(record, undefined, 'report with nothing reportable must return nothing');
          return { expected, pairingMayHappen: false };
        }
        const reported = target.a === sim ? target.b : target.a;
        const address = reported.slot.addressKey;
        const shared = this.devicesAt(address) >= FUZZ_OPTIONS.sharedAddressDevices || (this.sharedUntil.get(address) ?? 0) > now;
        const avoids: ModelAvoid[] = [];
        for (const a of this.keysOf(sim).filter((key) => !key.startsWith('address:'))) {
          for (const b of this.keysOf(reported)) {
            const isAddress = b === address;
            avoids.push({ a, b, createdAt: now, expiresAt: isAddress ? now + FUZZ_OPTIONS.reportedAddressAvoidMs : null, shared: isAddress && shared });
          }
        }
        assert.equal(
          record,
          {
            conversationId: target.id,
            mode: target.mode,
            startedAt: target.startedAt,
            endedAt: target.endedAt ?? now,
            reporter: sim.participant,
            reported: reported.participant,
            transcript: expectedTranscript(target, FUZZ_OPTIONS.transcriptLinesPerSide),
            avoids,
            reportedAddressShared: shared,
          },
          'report record',
        );
        for (const avoid of avoids) {
          const key = pairKey(avoid.a, avoid.b);
          const old = this.avoided.get(key);
          this.avoided.set(
            key,
            old
              ? {
                  ...old,
                  createdAt: Math.min(old.createdAt, avoid.createdAt),
                  expiresAt: old.expiresAt === null || avoid.expiresAt === null ? null : Math.max(old.expiresAt, avoid.expiresAt),
                  shared: old.shared && avoid.shared,
                }
              : avoid,
          );
        }
        this.reportsFiled++;
        if (shared) this.sharedReports++;
        // Applied after the messages are processed: one report per conversation per reporter.
        return { expected, pairingMayHappen: false, reporter: sim };
      }
      case 'advance':
        this.time.advance(action.ms);
        return { expected, pairingMayHappen: true };
    }
  }

  runStep(action: Action): void {
    const now = () => this.time.now();
    const liveBefore = new Set([...this.sims].flatMap((s) => (s.conversation ? [s.conversation] : [])));
    const { expected, pairingMayHappen, leftSilently, gone, reporter } = this.perform(action);

    // 1. What each person received: the expected messages first, then at most one `matched`.
    const matchedNow = new Map<string, Array<{ sim: Sim; message: Of<'matched'>; at: number }>>();
    const endedThisStep = new Map<SimConversation, Sim[]>();
    for (const sim of this.sims) {
      const timed = sim.inbox.takeTimed();
      const received = timed.map((t) => t.message);
      const want = expected.get(sim) ?? [];
      const head = received.slice(0, want.length).map((m) => (m.type === 'error' ? { ...m, message: '' } : m));
      assert.equal(head, want, `${sim.participant.id} received ${JSON.stringify(received)}`);
      for (const message of received.slice(0, want.length)) {
        if (message.type === 'error') assert.ok(message.message.length > 0, 'errors carry a message a person can read');
      }
      if (sim === gone) {
        assert.is(received.length, 0, `${sim.participant.id} disconnected but received ${JSON.stringify(received)}`);
      }
      // Apply the expected messages to the model.
      for (const { message, at } of timed.slice(0, want.length)) {
        if (message.type === 'queued') {
          sim.state = 'queued';
          sim.queuedAt = at;
        } else if (message.type === 'ended') {
          const conversation = sim.conversation!;
          conversation.endedAt = at;
          endedThisStep.set(conversation, [...(endedThisStep.get(conversation) ?? []), sim]);
          sim.state = 'idle';
          sim.conversation = undefined;
          sim.reportable = conversation;
        }
      }
      const rest = received.slice(want.length);
      assert.ok(rest.length <= 1, `${sim.participant.id} received unexpected ${JSON.stringify(rest)}`);
      const extra = rest[0];
      if (extra) {
        assert.ok(extra.type === 'matched', `${sim.participant.id} received unexpected ${JSON.stringify(extra)}`);
        assert.ok(pairingMayHappen, `a pairing happened on ${action.kind}, which never pairs`);
        assert.is(sim.state, 'queued', `${sim.participant.id} was matched without being queued`);
        const at = timed[want.length]!.at;
        matchedNow.set(extra.conversationId, [...(matchedNow.get(extra.conversationId) ?? []), { sim, message: extra, at }]);
      }
    }
    for (const inbox of this.departed) assert.equal(inbox.messages, [], 'a disconnected person received a message');
    if (leftSilently) leftSilently.state = 'idle';
    if (reporter) reporter.reportable = undefined;
    if (gone) {
      if (gone.conversation) {
        gone.conversation.endedAt = now();
        endedThisStep.set(gone.conversation, [...(endedThisStep.get(gone.conversation) ?? []), gone]);
      }
      this.sims.delete(gone);
      gone.slot.sim = undefined;
      this.departed.push(gone.inbox);
    }

    // 2. Every new pair is legal and both sides were told the same thing.
    for (const [conversationId, sides] of matchedNow) {
      assert.is(sides.length, 2, `conversation ${conversationId} announced to ${sides.length} people`);
      assert.not.ok(this.conversationIds.has(conversationId), `conversation id ${conversationId} reused`);
      this.conversationIds.add(conversationId);
      const [x, y] = sides as [(typeof sides)[0], (typeof sides)[0]];
      const [a, b] = [x.sim.participant, y.sim.participant];
      // Pairings on `advance` happen when a timer fires, before the clock reaches its target.
      const pairedAt = x.at;
      assert.is(y.at, pairedAt, 'both sides told at once');
      assert.is(Number(x.message.initiator) + Number(y.message.initiator), 1, 'exactly one initiator');
      assert.is(x.message.mode, y.message.mode, 'both sides agree on the mode');
      assert.equal(x.message.commonInterests, y.message.commonInterests, 'both sides agree on the common interests');
      assert.ok(a.id !== b.id && a.sessionId !== b.sessionId && a.deviceId !== b.deviceId, `self-pair ${a.id}/${b.id}`);
      assert.ok(!a.identityHash || a.identityHash !== b.identityHash, `one identity paired with itself: ${a.id}/${b.id}`);
      assert.is(a.band, b.band, `cross-band pair ${a.id}/${b.id}`);
      const avoid = this.forbiddingAvoid(x.sim, y.sim, pairedAt);
      assert.not.ok(avoid, `paired despite a report: ${a.id}/${b.id} (${JSON.stringify(avoid)})`);
      assert.not.ok(this.banned.has(a.deviceId) || this.banned.has(b.deviceId), `a quarantined device was paired: ${a.id}/${b.id}`);
      const [ra, rb] = [x.sim.request!, y.sim.request!];
      assert.ok(ra.mode === x.message.mode && rb.mode === x.message.mode, 'the mode both asked for');
      const common = intersection(ra.interests, rb.interests);
      assert.equal([...x.message.commonInterests].sort(), common, 'commonInterests are the shared interests');
      if (common.length === 0) {
        for (const side of [x.sim, y.sim]) {
          const waited = pairedAt - side.queuedAt;
          assert.ok(
            side.request!.interests.length === 0 || waited >= FUZZ_OPTIONS.interestWaitMs,
            `${side.participant.id} paired at random after ${waited} ms, before the interest wait`,
          );
        }
      }
      const conversation: SimConversation = {
        id: conversationId,
        a: x.message.initiator ? x.sim : y.sim,
        b: x.message.initiator ? y.sim : x.sim,
        mode: x.message.mode,
        startedAt: pairedAt,
        endedAt: null,
        lines: [],
      };
      for (const { sim } of sides) {
        sim.state = 'matched';
        sim.conversation = conversation;
        sim.reportable = undefined;
      }
    }

    // 3. Every conversation that ended told both sides (but the one who disconnected).
    for (const conversation of liveBefore) {
      const told = endedThisStep.get(conversation);
      if (!told) continue;
      assert.is(told.length, 2, `conversation ${conversation.id} ended but only ${told.map((s) => s.participant.id)} knew`);
    }

    // 4. The Hub's own view agrees with the model and with itself.
    const snapshot = this.hub.snapshot();
    const placed = new Map<string, string>();
    for (const entry of snapshot.queued) {
      assert.not.ok(placed.has(entry.id), `${entry.id} is in two places: ${placed.get(entry.id)} and queue ${entry.key}`);
      placed.set(entry.id, `queue ${entry.key}`);
    }
    const conversations = new Map(snapshot.conversations.map((c) => [c.id, c]));
    for (const c of snapshot.conversations) {
      for (const id of [c.a, c.b]) {
        assert.not.ok(placed.has(id), `${id} is in two places: ${placed.get(id)} and conversation ${c.id}`);
        placed.set(id, `conversation ${c.id}`);
      }
    }
    const online = new Map([...this.sims].map((s) => [s.participant.id, s]));
    for (const id of placed.keys()) assert.ok(online.has(id), `${id} is disconnected but still in ${placed.get(id)}`);
    for (const sim of this.sims) {
      const { id } = sim.participant;
      const entry = snapshot.queued.find((q) => q.id === id);
      if (sim.state === 'queued') {
        assert.is(entry?.key, `${sim.request!.mode}:${sim.participant.band}`, `${id} should be queued`);
      } else if (sim.state === 'matched') {
        const c = conversations.get(sim.conversation!.id);
        assert.ok(c && (c.a === id || c.b === id), `${id} should be in conversation ${sim.conversation!.id}`);
        assert.equal(c, { id: sim.conversation!.id, a: sim.conversation!.a.participant.id, b: sim.conversation!.b.participant.id, mode: sim.conversation!.mode });
      } else {
        assert.not.ok(placed.has(id), `${id} was told it is idle but is in ${placed.get(id)}`);
      }
      assert.is(this.hub.isIdle(id), sim.state === 'idle', `isIdle(${id})`);
    }
    const queuedCount = [...this.sims].filter((s) => s.state === 'queued').length;
    assert.equal(
      this.hub.stats(),
      { online: this.sims.size, queued: queuedCount, inConversation: snapshot.conversations.length * 2, conversations: snapshot.conversations.length },
      'stats',
    );
    assert.is(snapshot.queued.length, queuedCount);
    assert.equal([...this.hub.participants()].map((p) => p.id).sort(), [...online.keys()].sort(), 'participants()');

    // 5. Nobody is left waiting who could have been paired: no two queued people who share an
    //    interest, or who are both past their wait, stay apart.
    const queued = [...this.sims].filter((s) => s.state === 'queued');
    const ready = (s: Sim) => s.request!.interests.length === 0 || now() - s.queuedAt >= FUZZ_OPTIONS.interestWaitMs;
    for (let i = 0; i < queued.length; i++) {
      for (let j = i + 1; j < queued.length; j++) {
        const [x, y] = [queued[i]!, queued[j]!];
        const [a, b] = [x.participant, y.participant];
        if (x.request!.mode !== y.request!.mode || a.band !== b.band || a.deviceId === b.deviceId) continue;
        if (a.identityHash && a.identityHash === b.identityHash) continue;
        if (this.banned.has(a.deviceId) || this.banned.has(b.deviceId)) continue;
        const avoid = this.forbiddingAvoid(x, y, now());
        if (avoid) {
          if (avoid.b.startsWith('address:')) this.addressOnlyApart++;
          continue;
        }
        if (this.avoidExpiredBetween(x, y, now())) continue;
        assert.not.ok(intersection(x.request!.interests, y.request!.interests).length, `${a.id} and ${b.id} share an interest but wait apart`);
        assert.not.ok(ready(x) && ready(y), `${a.id} and ${b.id} are both past their wait but not paired`);
      }
    }

    // 6. Exactly the people still waiting for a shared interest hold a timer (none leak).
    assert.is(this.time.pending, queued.filter((s) => !ready(s)).length, 'pending interest-wait timers');
  }
}

test(`fuzz: ${FUZZ_SEEDS} seeds × ${FUZZ_STEPS} steps keep every invariant after every step`, () => {
  // HUB_FUZZ_SEED=7 node test/unit/hub.test.ts replays one seed.
  const replaySeed = process.env.HUB_FUZZ_SEED;
  const seeds = replaySeed ? [Number(replaySeed)] : Array.from({ length: FUZZ_SEEDS }, (_, i) => i + 1);
  let pairings = 0;
  let reports = 0;
  let sharedReports = 0;
  let addressOnlyApart = 0;
  for (const seed of seeds) {
    const run = new FuzzRun(seed);
    const recent: string[] = [];
    for (run.step = 1; run.step <= FUZZ_STEPS; run.step++) {
      const action = run.chooseAction();
      // Described before it runs, so the state shown is the one the action met.
      const label = describe(action);
      recent.push(`${run.step}: ${label}`);
      if (recent.length > 8) recent.shift();
      try {
        run.runStep(action);
      } catch (error) {
        // uvu's assertions keep their diff in `details`; print it with the seed and the step.
        const details = (error as { details?: unknown }).details;
        const reason = `${error instanceof Error ? error.message : String(error)}${typeof details === 'string' ? `\n${details}` : ''}`;
        throw new Error(`seed ${seed}, step ${run.step} (${label}): ${reason}\nlast steps:\n  ${recent.join('\n  ')}`);
      }
    }
    pairings += run.conversationIds.size;
    reports += run.reportsFiled;
    sharedReports += run.sharedReports;
    addressOnlyApart += run.addressOnlyApart;
    run.hub.close();
    assert.is(run.time.pending, 0, 'close cancels every timer');
  }
  // Guard against a fuzz that silently stopped exercising anything.
  assert.ok(pairings > seeds.length * 50, `only ${pairings} pairings`);
  assert.ok(reports > seeds.length * 5, `only ${reports} reports`);
  if (!replaySeed) {
    assert.ok(sharedReports > 0 && sharedReports < reports, `${sharedReports} of ${reports} reports were on a shared address: both kinds must occur`);
    assert.ok(addressOnlyApart > 0, 'no queued pair was ever kept apart by an address avoid');
  }
});

test.run();
