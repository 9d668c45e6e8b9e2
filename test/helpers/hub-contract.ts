// The Hub contract: what every Hub (the memory Hub, the Redis Hub) must do, as a suite any
// implementation runs with `describeHub(name, makeHub)`. It holds behaviour a chatter would notice
// (pairing by band, mode and interests, relaying, ending, reporting, "never paired again" by
// device, identity and address with the shared-address rule, the pairing gate) and, last, a seeded
// fuzz run that checks the protocol invariants of DESIGN.md after every single step (hub-fuzz.ts).
// Every command is settled before its effects are checked (hub-harness.ts), so an asynchronous
// Hub is held to the same assertions as the synchronous one.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConversationRecord, FindRequest, TranscriptLine } from '../../server/chat/hub.ts';
import { SHARED_ADDRESS_MEMORY_MS } from '../../server/chat/hub.ts';
import type { ServerMessage, SignalData } from '../../server/protocol/messages.ts';
import { Inbox, TEST_HUB_OPTIONS, createHubHarness, type HarnessOptions, type HubHarness, type MakeHub } from './hub-harness.ts';
import { runHubFuzz } from './hub-fuzz.ts';

/** Registers the contract's tests for one Hub implementation; call `.run()` on the result. */
export function describeHub(name: string, makeHub: MakeHub) {
  const test = suite(name);
  const made: HubHarness[] = [];
  /** A fresh Hub for one test, closed after it. */
  const harness = async (options: HarnessOptions = {}): Promise<HubHarness> => {
    const h = await createHubHarness(makeHub, options);
    made.push(h);
    return h;
  };
  test.after.each(async () => {
    for (const h of made.splice(0)) await h.close();
  });
  /** Neither queued nor in a conversation, as the Hub holds it. */
  const isIdle = async (h: HubHarness, id: string): Promise<boolean> => {
    const snapshot = await h.snapshot();
    return !snapshot.queued.some((entry) => entry.id === id) && !snapshot.conversations.some((c) => c.a === id || c.b === id);
  };

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
  async function pairTwo(h: HubHarness, a: string, b: string, request: FindRequest = TEXT): Promise<string> {
    await h.connect(a);
    await h.connect(b);
    await h.enqueue(a, request);
    await h.enqueue(b, request);
    const matchedA = only(h.inbox(a), 'matched');
    const matchedB = only(h.inbox(b), 'matched');
    assert.is(matchedA.conversationId, matchedB.conversationId);
    h.inbox(a).take();
    h.inbox(b).take();
    return matchedA.conversationId;
  }

  async function conversationOf(h: HubHarness, id: string) {
    return (await h.snapshot()).conversations.find((c) => c.a === id || c.b === id);
  }

  async function queueEntriesOf(h: HubHarness, id: string) {
    return (await h.snapshot()).queued.filter((q) => q.id === id);
  }

  // ---------------------------------------------------------------------------------------------
  // Pairing

  test('people without interests are paired at once, exactly one of them the initiator', async () => {
    const h = await harness();
    const alice = await h.connect('alice');
    const bob = await h.connect('bob');
    await h.enqueue('alice', TEXT);
    assert.equal(alice.take(), [{ type: 'queued' }]);
    await h.enqueue('bob', TEXT);
    const [queued, matchedBob] = bob.take();
    assert.equal(queued, { type: 'queued' });
    const [matchedAlice] = alice.take();
    assert.ok(matchedAlice?.type === 'matched' && matchedBob?.type === 'matched');
    assert.is(matchedAlice.conversationId, matchedBob.conversationId);
    assert.is(matchedAlice.mode, 'text');
    assert.equal(matchedAlice.commonInterests, []);
    assert.is(Number(matchedAlice.initiator) + Number(matchedBob.initiator), 1, 'exactly one initiator');
    assert.equal((await h.stats()), { online: 2, queued: 0, inConversation: 2, conversations: 1 });
    assert.is(h.time.pending, 0, 'no wait timer for people without interests');
  });

  test('shared interests are preferred over arrival order, and more shared beats fewer', async () => {
    const h = await harness();
    await h.connect('early-games');
    await h.connect('later-music');
    await h.connect('art-films');
    await h.connect('newcomer');
    await h.enqueue('early-games', { mode: 'text', interests: ['games'] });
    await h.advance(10);
    await h.enqueue('later-music', { mode: 'text', interests: ['music'] });
    await h.advance(10);
    await h.enqueue('art-films', { mode: 'text', interests: ['art', 'films'] });
    await h.advance(10);
    // The three share nothing, so all still wait. The newcomer shares nothing with the earliest,
    // one interest with later-music and two with art-films.
    assert.is((await h.stats()).queued, 3);
    await h.enqueue('newcomer', { mode: 'text', interests: ['music', 'art', 'films'] });

    const matched = only(h.inbox('newcomer'), 'matched');
    assert.equal((await conversationOf(h, 'newcomer')), { id: matched.conversationId, a: 'newcomer', b: 'art-films', mode: 'text' });
    assert.equal([...matched.commonInterests].sort(), ['art', 'films']);
    assert.equal(only(h.inbox('art-films'), 'matched').commonInterests, matched.commonInterests);
    assert.equal(h.inbox('early-games').of('matched'), []);
    assert.equal(h.inbox('later-music').of('matched'), []);

    // With one shared interest on offer, it still beats the earlier arrival.
    await h.connect('music-fan');
    await h.enqueue('music-fan', { mode: 'text', interests: ['music'] });
    assert.is((await conversationOf(h, 'music-fan'))?.id, only(h.inbox('later-music'), 'matched').conversationId);
    assert.equal((await queueEntriesOf(h, 'early-games')).length, 1);
  });

  test('a person with interests is not paired at random before interestWaitMs, and is after it', async () => {
    const h = await harness();
    const alice = await h.connect('alice');
    const bob = await h.connect('bob');
    await h.enqueue('alice', { mode: 'text', interests: ['music'] });
    await h.enqueue('bob', TEXT); // no interests: ready for anyone, but alice is still waiting for a match
    assert.equal(alice.of('matched'), []);
    assert.equal(bob.of('matched'), []);
    assert.is(h.time.pending, 1, 'alice waits on a timer');

    await h.advance(INTEREST_WAIT_MS - 1);
    assert.equal(alice.of('matched'), [], 'still waiting one millisecond before the wait ends');
    assert.is((await h.stats()).queued, 2);

    await h.advance(1);
    const matchedAlice = only(alice, 'matched');
    const matchedBob = only(bob, 'matched');
    assert.is(matchedAlice.conversationId, matchedBob.conversationId);
    assert.equal(matchedAlice.commonInterests, []);
    assert.is(h.time.pending, 0);
  });

  test('two waiting people with different interests are paired once both waits have passed', async () => {
    const h = await harness();
    await h.connect('alice');
    await h.connect('bob');
    await h.enqueue('alice', { mode: 'text', interests: ['music'] });
    await h.advance(1000);
    await h.enqueue('bob', { mode: 'text', interests: ['games'] });
    await h.advance(INTEREST_WAIT_MS - 1000);
    // Alice's wait is over but bob's is not: bob still deserves his chance of a shared interest.
    assert.equal(h.inbox('alice').of('matched'), []);
    await h.advance(1000);
    assert.is(only(h.inbox('alice'), 'matched').conversationId, only(h.inbox('bob'), 'matched').conversationId);
  });

  test('different age bands, modes and two tabs of one device are never paired', async () => {
    const h = await harness();
    await h.connect('minor', { band: 'minor' });
    await h.connect('adult', { band: 'adult' });
    await h.connect('video-adult', { band: 'adult' });
    await h.connect('adult-tab-2', { band: 'adult', deviceId: 'device-adult' });
    await h.enqueue('minor', TEXT);
    await h.enqueue('adult', TEXT);
    await h.enqueue('video-adult', VIDEO);
    await h.enqueue('adult-tab-2', TEXT);
    await h.advance(INTEREST_WAIT_MS * 10);
    assert.equal((await h.snapshot()).conversations, []);
    assert.is((await h.stats()).queued, 4);
  });

  test('find while queued replaces the entry instead of adding a second one', async () => {
    const h = await harness();
    const alice = await h.connect('alice');
    await h.enqueue('alice', TEXT);
    await h.enqueue('alice', { mode: 'video', interests: ['music', 'music'] });
    assert.equal(alice.take(), [{ type: 'queued' }, { type: 'queued' }]);
    assert.equal((await queueEntriesOf(h, 'alice')), [{ id: 'alice', key: 'video:adult' }]);
    assert.is((await h.stats()).queued, 1);

    // The text entry is gone: a text seeker does not get alice.
    await h.connect('bob');
    await h.enqueue('bob', TEXT);
    assert.equal(h.inbox('bob').of('matched'), []);
    // The video one is live, with its interests.
    await h.connect('carol');
    await h.enqueue('carol', { mode: 'video', interests: ['music'] });
    const matched = only(alice, 'matched');
    assert.is(matched.mode, 'video');
    assert.equal(matched.commonInterests, ['music']);
    assert.is(matched.conversationId, only(h.inbox('carol'), 'matched').conversationId);
  });

  test('find while matched gives already_matched and leaves the conversation alone', async () => {
    const h = await harness();
    const conversationId = await pairTwo(h, 'alice', 'bob');
    await h.enqueue('alice', VIDEO);
    assert.equal(h.inbox('alice').take().map((m) => m.type === 'error' && m.code), ['already_matched']);
    assert.equal(h.inbox('bob').take(), []);
    assert.is((await conversationOf(h, 'alice'))?.id, conversationId);
    assert.equal((await queueEntriesOf(h, 'alice')), []);
  });

  // ---------------------------------------------------------------------------------------------
  // Relaying

  test('a message reaches the partner only, stamped with the server time', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    await h.connect('carol');
    await h.advance(1234);
    await h.sendToPartner('alice', { type: 'message', text: 'hi there' });
    await h.sendToPartner('alice', { type: 'typing', on: true });
    assert.equal(h.inbox('bob').take(), [
      { type: 'message', text: 'hi there', at: h.time.now() },
      { type: 'typing', on: true },
    ]);
    assert.equal(h.inbox('alice').take(), []);
    assert.equal(h.inbox('carol').take(), []);
  });

  test('signal is relayed in a video conversation and refused with wrong_mode in a text one', async () => {
    const h = await harness();
    const offer: SignalData = { type: 'offer', sdp: 'v=0' };
    await pairTwo(h, 'viv', 'vic', VIDEO);
    await h.sendToPartner('viv', { type: 'signal', data: offer });
    assert.equal(h.inbox('vic').take(), [{ type: 'signal', data: offer }]);

    await pairTwo(h, 'tess', 'tom', TEXT);
    await h.sendToPartner('tess', { type: 'signal', data: offer });
    assert.equal(h.inbox('tess').take().map((m) => m.type === 'error' && m.code), ['wrong_mode']);
    assert.equal(h.inbox('tom').take(), []);
  });

  test('a message to nobody gives not_matched; a late typing-off is silently dropped', async () => {
    const h = await harness();
    const alice = await h.connect('alice');
    await h.sendToPartner('alice', { type: 'message', text: 'anyone?' });
    assert.equal(alice.take().map((m) => m.type === 'error' && m.code), ['not_matched']);
    await h.enqueue('alice', TEXT);
    alice.take();
    await h.sendToPartner('alice', { type: 'message', text: 'still waiting' });
    assert.equal(alice.take().map((m) => m.type === 'error' && m.code), ['not_matched'], 'queued is not matched');
    await h.sendToPartner('alice', { type: 'typing', on: false });
    assert.equal(alice.take(), []);
  });

  // ---------------------------------------------------------------------------------------------
  // Ending

  test('next ends with reason next for both sides and re-queues the one who asked, with the same choices', async () => {
    const h = await harness();
    const request: FindRequest = { mode: 'video', interests: ['music'] };
    await pairTwo(h, 'alice', 'bob', request);
    await h.next('alice');
    assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'self', reason: 'next' }, { type: 'queued' }]);
    assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'stranger', reason: 'next' }]);
    assert.equal((await queueEntriesOf(h, 'alice')), [{ id: 'alice', key: 'video:adult' }]);
    assert.ok(await isIdle(h, 'bob'), 'the stranger is not re-queued');

    // Same mode and interests: a video seeker sharing "music" gets alice at once.
    await h.connect('carol');
    await h.enqueue('carol', request);
    const matched = only(h.inbox('alice'), 'matched');
    assert.is(matched.mode, 'video');
    assert.equal(matched.commonInterests, ['music']);
  });

  test('leave in the queue is silent and removes the entry', async () => {
    const h = await harness();
    const alice = await h.connect('alice');
    await h.enqueue('alice', { mode: 'text', interests: ['music'] });
    alice.take();
    await h.leave('alice');
    assert.equal(alice.take(), []);
    assert.equal((await h.snapshot()).queued, []);
    assert.is((await h.stats()).queued, 0);
    assert.ok(await isIdle(h, 'alice'));
    assert.is(h.time.pending, 0, 'the interest-wait timer is cancelled');
    await h.connect('bob');
    await h.enqueue('bob', TEXT);
    await h.advance(INTEREST_WAIT_MS);
    assert.equal(alice.take(), []);
  });

  test('leave in a conversation ends it with reason left', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    await h.leave('bob');
    assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'self', reason: 'left' }]);
    assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'stranger', reason: 'left' }]);
    assert.equal((await h.stats()), { online: 2, queued: 0, inConversation: 0, conversations: 0 });
  });

  test('disconnect gives the partner ended{stranger, disconnected} and removes the person everywhere', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    await h.disconnect('alice');
    assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'stranger', reason: 'disconnected' }]);
    assert.equal(h.inbox('alice').take(), []);
    assert.equal((await h.stats()), { online: 1, queued: 0, inConversation: 0, conversations: 0 });
    assert.equal((await h.snapshot()).online, ['bob']);

    // A queued person who disconnects leaves no entry behind to be paired with.
    await h.connect('carol');
    await h.enqueue('carol', { mode: 'text', interests: ['art'] });
    await h.disconnect('carol');
    assert.equal((await h.snapshot()).queued, []);
    assert.is(h.time.pending, 0);
    await h.enqueue('bob', TEXT);
    await h.advance(INTEREST_WAIT_MS);
    assert.equal(h.inbox('bob').of('matched'), []);
  });

  test('kick for a ban ends the conversation for both with by system, reason ban', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    await h.kick('bob', 'ban');
    assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'system', reason: 'ban' }]);
    assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'system', reason: 'ban' }]);
    assert.ok(await isIdle(h, 'alice') && await isIdle(h, 'bob'));
    assert.is((await h.stats()).conversations, 0);
  });

  test('kick when the space closes ends the conversation with by system, reason closed; a queued person just leaves the queue', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    await h.kick('alice', 'closed');
    assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'system', reason: 'closed' }]);
    assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'system', reason: 'closed' }]);
    assert.ok(await isIdle(h, 'alice') && await isIdle(h, 'bob'));
    await h.connect('carol');
    await h.enqueue('carol', TEXT);
    h.inbox('carol').take();
    await h.kick('carol', 'closed');
    assert.equal(h.inbox('carol').take(), []);
    assert.equal((await h.snapshot()).queued, []);
    assert.equal(await h.stats(), { online: 3, queued: 0, inConversation: 0, conversations: 0 });
  });

  // ---------------------------------------------------------------------------------------------
  // Reporting

  test('report ends the conversation, returns the last lines of each side in order, and the two devices never meet again', async () => {
    const h = await harness();
    const conversationId = await pairTwo(h, 'alice', 'bob');
    const startedAt = h.time.now();
    // Lines are labelled by side: `a` is the initiator.
    const initiator = (await conversationOf(h, 'alice'))?.a;
    const sideOf = (id: string) => (initiator === id ? 'a' : 'b');
    // More lines than kept, so the oldest of each side must be dropped.
    const SENT_PER_SIDE = LINES_PER_SIDE + 10;
    const sent: TranscriptLine[] = [];
    for (let i = 0; i < SENT_PER_SIDE; i++) {
      await h.advance(700);
      await h.sendToPartner('alice', { type: 'message', text: `a${i}` });
      sent.push({ from: sideOf('alice'), sessionId: 'session-alice', text: `a${i}`, at: h.time.now() });
      await h.advance(300);
      await h.sendToPartner('bob', { type: 'message', text: `b${i}` });
      sent.push({ from: sideOf('bob'), sessionId: 'session-bob', text: `b${i}`, at: h.time.now() });
    }
    h.inbox('alice').take();
    h.inbox('bob').take();

    await h.advance(500);
    const record = await h.report('alice');
    assert.equal(h.inbox('alice').take(), [{ type: 'ended', by: 'self', reason: 'report' }]);
    // The reported side hears only that the stranger left.
    assert.equal(h.inbox('bob').take(), [{ type: 'ended', by: 'stranger', reason: 'left' }]);
    assert.is((await conversationOf(h, 'alice')), undefined);

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
    await h.connect('bob-tab-2', { deviceId: 'device-bob' });
    await h.enqueue('alice', TEXT);
    await h.enqueue('bob', TEXT);
    await h.enqueue('bob-tab-2', TEXT);
    await h.advance(INTEREST_WAIT_MS * 2);
    assert.equal((await h.snapshot()).conversations, []);
    await h.disconnect('alice');
    await h.connect('alice-again', { deviceId: 'device-alice' });
    await h.enqueue('alice-again', TEXT);
    assert.equal((await h.snapshot()).conversations, []);
    // …while a third person is still paired normally.
    await h.connect('carol');
    await h.enqueue('carol', TEXT);
    assert.is((await h.snapshot()).conversations.length, 1);
  });

  test('the transcript keeps the order of sending when lines share a millisecond', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    // A quick exchange relayed within one clock tick: bob answers before alice's second line.
    await h.sendToPartner('bob', { type: 'message', text: 'hey' });
    await h.sendToPartner('alice', { type: 'message', text: 'hi' });
    await h.sendToPartner('bob', { type: 'message', text: 'how are you' });
    await h.sendToPartner('alice', { type: 'message', text: 'fine' });
    const record = await h.report('alice');
    assert.equal(record?.transcript.map((line) => line.text), ['hey', 'hi', 'how are you', 'fine']);
  });

  test('a past conversation can be reported within reportGraceMs, only once, and not after it', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    await h.leave('bob');
    h.inbox('alice').take();
    h.inbox('bob').take();
    await h.advance(REPORT_GRACE_MS);
    const record = await h.report('alice');
    assert.is(record?.reported.id, 'bob');
    assert.equal(h.inbox('alice').take(), [], 'nothing left to end');
    assert.equal(h.inbox('bob').take(), []);
    assert.is(await h.report('alice'), undefined, 'a second report of the same conversation');

    const h2 = await harness();
    await pairTwo(h2, 'carol', 'dave');
    await h2.leave('dave');
    await h2.advance(REPORT_GRACE_MS + 1);
    assert.is(await h2.report('carol'), undefined, 'the grace period is over');
    // Not reported, so not avoided: the two may meet again.
    await h2.enqueue('carol', TEXT);
    await h2.enqueue('dave', TEXT);
    assert.is((await h2.snapshot()).conversations.length, 1);
  });

  test('reporting the conversation someone just left still keeps the two apart', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    await h.next('bob'); // bob skips and is queued again
    await h.advance(1000);
    assert.ok(await h.report('alice'));
    await h.enqueue('alice', TEXT);
    assert.equal((await h.snapshot()).conversations, []);
    assert.is((await h.stats()).queued, 2);
  });

  // ---------------------------------------------------------------------------------------------
  // "Never paired again" follows the person: device, identity, and the reported side's address

  const DAY_MS = 24 * 3600_000;
  const WINDOW_MS = TEST_HUB_OPTIONS.reportedAddressAvoidMs;

  /** `reporter` (already connected) is paired with `reported` and reports them; inboxes cleared. */
  async function reportPair(h: HubHarness, reporter: string, reported: string, request: FindRequest = TEXT): Promise<ConversationRecord> {
    await h.enqueue(reported, request);
    await h.enqueue(reporter, request);
    assert.is((await conversationOf(h, reporter))?.id !== undefined && (await conversationOf(h, reporter))?.id === (await conversationOf(h, reported))?.id, true, 'the two were paired');
    const record = await h.report(reporter);
    assert.ok(record, 'the report returned its record');
    for (const id of [reporter, reported]) h.inbox(id).take();
    return record;
  }

  /** Whom `id` is in conversation with, if anyone. */
  async function partnerIn(h: HubHarness, id: string): Promise<string | undefined> {
    const c = (await conversationOf(h, id));
    return c ? (c.a === id ? c.b : c.a) : undefined;
  }

  test('a reported person back with a new cookie from the same address is never paired with the reporter, interests or not, while decoys are', async () => {
    const h = await harness();
    const since = h.time.now();
    await h.connect('child', { band: 'minor', address: '203.0.113.50', deviceSince: since });
    await h.connect('stranger', { band: 'minor', address: '198.51.100.7', deviceSince: since });
    const record = (await reportPair(h, 'child', 'stranger'));
    assert.equal(
      record.avoids.map((a) => [a.a, a.b, a.expiresAt === null ? 'for ever' : a.expiresAt - h.time.now()]),
      [
        ['device:device-child', 'device:device-stranger', 'for ever'],
        ['device:device-child', 'address:198.51.100.7', WINDOW_MS],
      ],
      'the reporter against the device for ever and the address for the window; never the reporter\'s own address',
    );
    assert.is(record.reportedAddressShared, false);
    await h.disconnect('stranger');

    // The cookie is gone: a new device (first seen now) on the same address, asking for the child's interests.
    await h.advance(1000);
    const music: FindRequest = { mode: 'text', interests: ['music', 'art'] };
    await h.enqueue('child', music);
    await h.connect('stranger-again', { band: 'minor', deviceId: 'device-fresh', address: '198.51.100.7', deviceSince: h.time.now() });
    await h.enqueue('stranger-again', music);
    await h.advance(INTEREST_WAIT_MS * 3);
    assert.is((await partnerIn(h, 'stranger-again')), undefined, 'not paired with the child, although they share every interest');
    // Decoys: each of them is paired, with the child and with the returning stranger, but never the two together.
    await h.connect('decoy-1', { band: 'minor', address: '192.0.2.81', deviceSince: since });
    await h.enqueue('decoy-1', music);
    await h.connect('decoy-2', { band: 'minor', address: '192.0.2.82', deviceSince: since });
    await h.enqueue('decoy-2', music);
    assert.equal(new Set([(await partnerIn(h, 'child')), (await partnerIn(h, 'stranger-again'))]), new Set(['decoy-1', 'decoy-2']));

    // A new address (an IPv4 /32 of its own) is someone else: the window is about the address, not the person.
    const other = await h.connect('same-/24', { band: 'minor', address: '198.51.100.8', deviceSince: h.time.now() });
    await h.leave('child');
    await h.enqueue('child', TEXT);
    await h.enqueue('same-/24', TEXT);
    assert.is((await partnerIn(h, 'child')), 'same-/24');
    assert.ok(other.of('matched').length === 1);
  });

  test('an address avoid covers the IPv6 /64 and ends with its window; the device avoid does not', async () => {
    const h = await harness();
    await h.connect('reporter', { address: '192.0.2.1', deviceSince: h.time.now() });
    await h.connect('reported', { address: '2001:db8:7:7::1', deviceSince: h.time.now() });
    const record = (await reportPair(h, 'reporter', 'reported'));
    assert.equal(record.avoids.map((a) => a.b), ['device:device-reported', 'address:2001:db8:7:7::/64']);

    await h.enqueue('reporter', TEXT);
    await h.connect('next-door', { address: '2001:db8:7:7:ffff::2', deviceSince: h.time.now() });
    await h.enqueue('next-door', TEXT);
    assert.equal((await h.snapshot()).conversations, [], 'another address in the same /64');
    await h.advance(WINDOW_MS - 1);
    await h.enqueue('next-door', TEXT);
    assert.equal((await h.snapshot()).conversations, [], 'still, a millisecond before the window ends');

    await h.advance(1);
    await h.enqueue('next-door', TEXT);
    assert.is((await partnerIn(h, 'next-door')), 'reporter', 'the window is over: the address is free again');
    await h.leave('reporter');
    await h.enqueue('reporter', TEXT);
    await h.enqueue('reported', TEXT);
    assert.is((await partnerIn(h, 'reporter')), undefined, 'the reported device itself, for ever');
  });

  test('a verified identity is avoided on every device and address; two devices of one identity are never paired together', async () => {
    const h = await harness();
    await h.connect('reporter', { address: '192.0.2.1', identityHash: 'id-reporter' });
    await h.connect('reported', { address: '198.51.100.1', identityHash: 'id-reported' });
    const record = (await reportPair(h, 'reporter', 'reported'));
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
    await h.disconnect('reported');
    await h.disconnect('reporter');
    await h.advance(WINDOW_MS * 2);
    await h.connect('reporter-laptop', { address: '192.0.2.99', identityHash: 'id-reporter', deviceSince: h.time.now() });
    await h.connect('reported-phone', { address: '203.0.113.9', identityHash: 'id-reported', deviceSince: h.time.now() });
    await h.connect('reporter-phone', { address: '192.0.2.98', identityHash: 'id-reporter', deviceSince: h.time.now() });
    for (const id of ['reporter-laptop', 'reported-phone', 'reporter-phone']) await h.enqueue(id, TEXT);
    assert.equal((await h.snapshot()).conversations, [], 'nobody: one identity is one person, and the other is avoided');
  });

  test('on a shared address (a school) the reporter keeps meeting the school; only browsers new since the report are kept away', async () => {
    const h = await harness();
    const school = '192.0.2.200';
    const threshold = TEST_HUB_OPTIONS.sharedAddressDevices;
    const morning = h.time.now();
    const pupils = Array.from({ length: threshold + 1 }, (_, i) => `pupil-${i}`);
    for (const id of pupils) await h.connect(id, { address: school, deviceSince: morning });
    await h.connect('reporter', { address: '203.0.113.1', deviceSince: morning });
    await h.advance(1000);
    const record = (await reportPair(h, 'reporter', 'pupil-0'));
    assert.is(record.reportedAddressShared, true, `${threshold + 1} browsers at once on one address: shared`);
    assert.ok(record.avoids.some((a) => a.b === `address:${school}` && a.shared));

    // Every other pupil (a browser known before the report) can still be paired with the reporter.
    for (const pupil of pupils.slice(1)) {
      await h.enqueue('reporter', TEXT);
      await h.enqueue(pupil, TEXT);
      assert.is((await partnerIn(h, 'reporter')), pupil, `${pupil} was paired with the reporter`);
      await h.leave('reporter');
    }
    // The reported pupil, with a new cookie: a browser first seen after the report, kept away for the window.
    await h.disconnect('pupil-0');
    await h.advance(1000);
    await h.connect('pupil-0-new-cookie', { address: school, deviceSince: h.time.now() });
    await h.enqueue('reporter', TEXT);
    await h.enqueue('pupil-0-new-cookie', TEXT);
    assert.is((await partnerIn(h, 'reporter')), undefined);
    await h.advance(WINDOW_MS);
    await h.enqueue('pupil-0-new-cookie', TEXT);
    assert.is((await partnerIn(h, 'reporter')), 'pupil-0-new-cookie', 'after the window, the new browser is an ordinary pupil');
  });

  test('an address counts as shared for a day after it was seen shared, and not before it was', async () => {
    const h = await harness();
    const office = '192.0.2.150';
    const threshold = TEST_HUB_OPTIONS.sharedAddressDevices;
    // Below the threshold: a family at home is not shared.
    for (let i = 0; i < threshold - 1; i++) await h.connect(`home-${i}`, { address: office });
    await h.connect('reporter-1');
    assert.is((await reportPair(h, 'reporter-1', 'home-0')).reportedAddressShared, false);
    // At the threshold once, then everyone leaves but one: still shared within the day.
    await h.connect(`home-${threshold - 1}`, { address: office });
    for (let i = 1; i < threshold; i++) await h.disconnect(`home-${i}`);
    await h.advance(DAY_MS - 1);
    await h.connect('reporter-2');
    assert.is((await reportPair(h, 'reporter-2', 'home-0')).reportedAddressShared, true);
    await h.advance(1);
    await h.connect('reporter-3');
    assert.is((await reportPair(h, 'reporter-3', 'home-0')).reportedAddressShared, false, 'a day later, one browser there: not shared');
  });

  test('avoids handed to the Hub (loaded at start) hold like those of a report, and expire', async () => {
    const h = await harness();
    const now = h.time.now();
    await h.avoid({ a: 'device:device-a', b: 'device:device-b', createdAt: now - DAY_MS, expiresAt: null, shared: false });
    await h.avoid({ a: 'device:device-a', b: 'address:198.51.100.9', createdAt: now - DAY_MS, expiresAt: now + 5000, shared: false });
    await h.connect('a');
    await h.connect('b');
    await h.connect('c', { address: '198.51.100.9' });
    for (const id of ['a', 'b', 'c']) await h.enqueue(id, TEXT);
    assert.is((await partnerIn(h, 'b')), 'c', 'a is kept from both');
    await h.leave('b');
    await h.advance(5000);
    await h.enqueue('a', TEXT);
    assert.is((await partnerIn(h, 'a')), undefined, 'b and c have left the queue');
    await h.enqueue('c', TEXT);
    assert.is((await partnerIn(h, 'a')), 'c', 'the address avoid has expired');
  });

  test('mayPair false keeps a person out of every pairing, by find or by the end of an interest wait', async () => {
    const refused = new Set(['device-held']);
    const h = await harness({ mayPair: (p) => !refused.has(p.deviceId) });
    await h.connect('held');
    await h.connect('alice');
    await h.connect('bob');
    await h.enqueue('held', { mode: 'text', interests: ['music'] });
    await h.enqueue('alice', { mode: 'text', interests: ['music'] });
    assert.is((await partnerIn(h, 'alice')), undefined, 'a shared interest does not override it');
    await h.advance(INTEREST_WAIT_MS);
    await h.enqueue('bob', TEXT);
    assert.is((await partnerIn(h, 'alice')), 'bob');
    assert.ok((await queueEntriesOf(h, 'held')).length === 1, 'still queued, never paired');
  });

  test('a video conversation is relay-only when one side must be relayed, and says so to both', async () => {
    const h = await harness();
    await h.connect('minor-1', { band: 'minor', relayOnly: true });
    await h.connect('minor-2', { band: 'minor', relayOnly: true });
    await h.enqueue('minor-1', VIDEO);
    await h.enqueue('minor-2', VIDEO);
    assert.equal([only(h.inbox('minor-1'), 'matched').relayOnly, only(h.inbox('minor-2'), 'matched').relayOnly], [true, true]);
    await h.connect('adult-1', { relayOnly: false });
    await h.connect('adult-2', { relayOnly: true });
    await h.connect('adult-3', { relayOnly: false });
    await h.connect('adult-4', {});
    await h.enqueue('adult-1', VIDEO);
    await h.enqueue('adult-2', VIDEO);
    assert.equal([only(h.inbox('adult-1'), 'matched').relayOnly, only(h.inbox('adult-2'), 'matched').relayOnly], [true, true], 'one side relayed: both');
    await h.enqueue('adult-3', VIDEO);
    await h.enqueue('adult-4', VIDEO);
    assert.is(only(h.inbox('adult-3'), 'matched').relayOnly, false, 'two peer-to-peer adults');
  });

  test('report with no conversation, current or recent, returns nothing', async () => {
    const h = await harness();
    await h.connect('alice');
    assert.is(await h.report('alice'), undefined);
    assert.is(await h.report('nobody'), undefined);
  });

  // ---------------------------------------------------------------------------------------------
  // Errors are reported, never thrown at the caller of a command

  test('a second connection under one id is reported to onError, and the first stays as it was', async () => {
    const h = await harness();
    const first = await h.connect('alice');
    h.hub.connect({ id: 'alice', sessionId: 'session-other', deviceId: 'device-other', band: 'adult' }, new Inbox());
    await h.settle();
    assert.is(h.errors.length, 1);
    await h.enqueue('alice', TEXT);
    assert.equal(first.take(), [{ type: 'queued' }]);
  });

  test('commands about someone the Hub does not know do nothing and throw nothing', async () => {
    const h = await harness();
    for (const command of [
      () => h.hub.enqueue('ghost', TEXT),
      () => h.hub.next('ghost'),
      () => h.hub.leave('ghost'),
      () => h.hub.sendToPartner('ghost', { type: 'message', text: 'hi' }),
      () => h.hub.kick('ghost', 'ban'),
      () => h.hub.disconnect('ghost'),
    ]) {
      command();
    }
    await h.settle();
    assert.equal(await h.stats(), { online: 0, queued: 0, inConversation: 0, conversations: 0 });
  });

  // ---------------------------------------------------------------------------------------------
  // Draining: a node that leaves takes its waiting people out of the queues

  test('drain takes the waiting people out of the queues and refuses new finds; conversations go on', async () => {
    const h = await harness();
    await pairTwo(h, 'alice', 'bob');
    const carol = await h.connect('carol');
    await h.enqueue('carol', { mode: 'text', interests: ['music'] });
    carol.take();
    await h.hub.drain();
    await h.settle();
    assert.equal(await queueEntriesOf(h, 'carol'), []);
    assert.is(h.time.pending, 0, 'no interest wait is left');
    await h.enqueue('carol', TEXT);
    assert.equal(carol.take().map((m) => m.type === 'error' && m.code), ['internal'], 'a find on a draining node is refused, with an error');
    await h.sendToPartner('alice', { type: 'message', text: 'still here' });
    assert.equal(h.inbox('bob').take().map((m) => m.type), ['message']);
  });

  // ---------------------------------------------------------------------------------------------
  // Fuzz: random sessions of many people, every invariant checked after every step.

  test('fuzz: random sessions keep every invariant after every step', async () => {
    await runHubFuzz(makeHub);
  });

  return test;
}
