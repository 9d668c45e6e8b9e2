// The Hub contract's fuzz run: random sessions of many people — connecting, finding with and
// without interests, talking, skipping, leaving, dropping their cookie, reporting, being kicked or
// quarantined, and time passing — with a model of what each person must hear, and every invariant
// of DESIGN.md checked after every step: nobody in two places, no self or cross-band pair, no
// double pairing, no avoided pair (device, identity, address, the shared-address rule), interests
// before random, the report record exact, no timer leaked. Drives any Hub through `MakeHub`.
import * as assert from 'uvu/assert';
import type { FindRequest, Hub, Participant, TranscriptLine } from '../../server/chat/hub.ts';
import { SHARED_ADDRESS_MEMORY_MS } from '../../server/chat/hub.ts';
import type { ChatMode, EndedReason, ServerMessage, SignalData, WsErrorCode } from '../../server/protocol/messages.ts';
import { FakeTime, Inbox, seededRandom, sequentialIds, type HubUnderTest, type MakeHub } from './hub-harness.ts';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

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
  readonly time: FakeTime;
  readonly under: HubUnderTest;
  readonly hub: Hub;
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
  readonly banned: Set<string>;
  step = 0;
  reportsFiled = 0;
  sharedReports = 0;
  /** Queued pairs kept apart only by an address avoid, seen by the last invariant: the rule was exercised. */
  addressOnlyApart = 0;
  #nextConnection = 0;

  /** A run on a fresh Hub from `makeHub`. */
  static async start(seed: number, makeHub: MakeHub): Promise<FuzzRun> {
    const time = new FakeTime();
    const banned = new Set<string>();
    const under = await makeHub({
      nodeId: 'node-fuzz',
      ...FUZZ_OPTIONS,
      now: time.now,
      // A separate stream, so the Hub's draws do not shift the scenario's.
      random: seededRandom(seed ^ 0x5eed),
      newId: sequentialIds(),
      setTimer: time.setTimer,
      clearTimer: time.clearTimer,
      mayPair: (participant) => !banned.has(participant.deviceId),
    });
    return new FuzzRun(seed, time, under, banned);
  }

  constructor(seed: number, time: FakeTime, under: HubUnderTest, banned: Set<string>) {
    this.seed = seed;
    this.rng = seededRandom(seed);
    this.time = time;
    this.under = under;
    this.hub = under.hub;
    this.banned = banned;
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
  async perform(action: Action): Promise<{
    expected: Map<Sim, ServerMessage[]>;
    pairingMayHappen: boolean;
    /** Left the queue without a message (leave or kick while queued). */
    leftSilently?: Sim;
    gone?: Sim;
    reporter?: Sim;
  }> {
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
        const outcome = await this.hub.endForReport(sim.participant.id);
        assert.not.equal(outcome.kind, 'failed', 'endForReport failed');
        const record = outcome.kind === 'record' ? outcome.record : undefined;
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
        await this.time.advance(action.ms, this.under.settle);
        return { expected, pairingMayHappen: true };
    }
  }

  async runStep(action: Action): Promise<void> {
    const now = () => this.time.now();
    const liveBefore = new Set([...this.sims].flatMap((s) => (s.conversation ? [s.conversation] : [])));
    const { expected, pairingMayHappen, leftSilently, gone, reporter } = await this.perform(action);
    await this.under.settle();

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
    const snapshot = await this.under.snapshot();
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
    }
    const queuedCount = [...this.sims].filter((s) => s.state === 'queued').length;
    assert.equal(
      await this.hub.stats(),
      { online: this.sims.size, queued: queuedCount, inConversation: snapshot.conversations.length * 2, conversations: snapshot.conversations.length },
      'stats',
    );
    assert.is(snapshot.queued.length, queuedCount);
    assert.equal([...snapshot.online].sort(), [...online.keys()].sort(), 'everyone connected, and only them');

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

/**
 * ${FUZZ_SEEDS} seeds × ${FUZZ_STEPS} steps on fresh Hubs from `makeHub`, every invariant checked after
 * every step. HUB_FUZZ_SEED=7 replays one seed.
 */
export async function runHubFuzz(makeHub: MakeHub): Promise<void> {
  const replaySeed = process.env.HUB_FUZZ_SEED;
  const seeds = replaySeed ? [Number(replaySeed)] : Array.from({ length: FUZZ_SEEDS }, (_, i) => i + 1);
  let pairings = 0;
  let reports = 0;
  let sharedReports = 0;
  let addressOnlyApart = 0;
  for (const seed of seeds) {
    const run = await FuzzRun.start(seed, makeHub);
    const recent: string[] = [];
    for (run.step = 1; run.step <= FUZZ_STEPS; run.step++) {
      const action = run.chooseAction();
      // Described before it runs, so the state shown is the one the action met.
      const label = describe(action);
      recent.push(`${run.step}: ${label}`);
      if (recent.length > 8) recent.shift();
      try {
        await run.runStep(action);
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
    await run.hub.close();
    await run.under.dispose();
    assert.is(run.time.pending, 0, 'close cancels every timer');
  }
  // Guard against a fuzz that silently stopped exercising anything.
  assert.ok(pairings > seeds.length * 50, `only ${pairings} pairings`);
  assert.ok(reports > seeds.length * 5, `only ${reports} reports`);
  if (!replaySeed) {
    assert.ok(sharedReports > 0 && sharedReports < reports, `${sharedReports} of ${reports} reports were on a shared address: both kinds must occur`);
    assert.ok(addressOnlyApart > 0, 'no queued pair was ever kept apart by an address avoid');
  }
}
