// The in-memory Hub: one process, synchronous inside, so no two pairings of one person can race;
// its asynchronous answers (stats, a report's record) are already settled when they are returned.
import type { ChatMode, EndedReason, ServerMessage } from '../protocol/messages.ts';
import { AvoidIndex, avoidSubject, avoidsAfterReport, type Avoid, type AvoidSubject } from './avoids.ts';
import { FIND_REFUSED, SHARED_ADDRESS_MEMORY_MS } from './hub.ts';
import type {
  ConversationRecord,
  FindRequest,
  Hub,
  HubOptions,
  HubStats,
  Participant,
  ParticipantSink,
  PartnerMessage,
  ReportOutcome,
  TranscriptLine,
} from './hub.ts';

type State = 'idle' | 'queued' | 'matched';
/** The same for everyone, and sent on every find: one object (a sink only reads a message). */
const QUEUED = { type: 'queued' } as const satisfies ServerMessage;

/** Past this many remembered shared addresses, the expired ones are swept when another is marked. */
const SHARED_MARKS_BEFORE_SWEEP = 10_000;
const SHARED_SWEEP_EVERY_MS = 60_000;

interface Person {
  participant: Participant;
  /** The keys the avoids are checked against, computed once. */
  subject: AvoidSubject;
  sink: ParticipantSink;
  state: State;
  /** The last `find` choices, reused by `next`. */
  request?: FindRequest;
  queueKey?: string;
  /** The queue key of `request`, computed when the request is. */
  requestKey?: string;
  enqueuedAt: number;
  /** Arrival order in the queue (milliseconds tie): the earlier of two equal candidates wins. */
  seq: number;
  /** May be paired at random: no interests, or the interest wait has passed. */
  ready: boolean;
  waitTimer?: unknown;
  conversation?: Conversation;
  /** The conversation that just ended (its `endedAt` set), reportable during the grace period. */
  lastConversation?: Conversation;
}

interface Conversation {
  id: string;
  a: Person;
  b: Person;
  mode: ChatMode;
  relayOnly: boolean;
  startedAt: number;
  endedAt: number | null;
  /** Lines kept per side; `seq` is the relay order, since two lines can share a millisecond. */
  lines: { a: SequencedLine[]; b: SequencedLine[] };
  linesRelayed: number;
}

type SequencedLine = TranscriptLine & { seq: number };

/**
 * One mode and band's waiting line, indexed so that a `find` costs what the seeker brings, not
 * the length of the line: those waiting for a shared interest can number thousands (a whole
 * school pressing "start" at once), and are reached only through their interests.
 */
interface Queue {
  /** Everyone queued, in arrival order. */
  people: Map<string, Person>;
  /** Those who may be paired at random. */
  ready: Set<Person>;
  /** Queued people with interests, by each of them. */
  byInterest: Map<string, Set<Person>>;
}

/** What the memory Hub holds, for tests: every connection, queue entry and conversation by id. */
export interface MemoryHubSnapshot {
  online: string[];
  queued: Array<{ id: string; key: string }>;
  conversations: Array<{ id: string; a: string; b: string; mode: ChatMode }>;
}

export class InMemoryHub implements Hub {
  readonly nodeId: string;
  readonly #options: HubOptions;
  /** Set by drain: this node is leaving, and queues nobody any more. */
  #draining = false;
  readonly #people = new Map<string, Person>();
  /** Queue per mode and band; Map keeps insertion (arrival) order. */
  readonly #queues = new Map<string, Queue>();
  #arrivals = 0;
  readonly #conversations = new Map<string, Conversation>();
  /** Who must never be paired with whom (after reports), by device, identity and address. */
  readonly #avoided = new AvoidIndex();
  /** Per address key, the devices connected from it (with their connection counts). */
  readonly #devicesAt = new Map<string, Map<string, number>>();
  /** Address keys seen shared (sharedAddressDevices at once), until when they count as shared. */
  readonly #sharedUntil = new Map<string, number>();
  #sweptAt = 0;

  constructor(options: HubOptions) {
    this.#options = options;
    this.nodeId = options.nodeId;
  }

  connect(participant: Participant, sink: ParticipantSink): void {
    if (this.#people.has(participant.id)) {
      this.#options.onError?.(new TypeError(`participant ${participant.id} is already connected`), { participantId: participant.id, during: 'connect' });
      return;
    }
    const subject = avoidSubject(participant);
    this.#people.set(participant.id, { participant, subject, sink, state: 'idle', enqueuedAt: 0, seq: 0, ready: false });
    if (subject.address) this.#arrivedAt(subject.address, participant.deviceId);
  }

  /** Counts a device at an address, and marks the address shared when enough are there at once. */
  #arrivedAt(address: string, deviceId: string): void {
    let devices = this.#devicesAt.get(address);
    if (!devices) this.#devicesAt.set(address, (devices = new Map()));
    devices.set(deviceId, (devices.get(deviceId) ?? 0) + 1);
    if (devices.size >= this.#options.sharedAddressDevices) {
      const now = this.#options.now();
      if (this.#sharedUntil.size > SHARED_MARKS_BEFORE_SWEEP && now - this.#sweptAt > SHARED_SWEEP_EVERY_MS) {
        this.#sweptAt = now;
        for (const [key, until] of this.#sharedUntil) if (until <= now) this.#sharedUntil.delete(key);
      }
      this.#sharedUntil.set(address, now + SHARED_ADDRESS_MEMORY_MS);
    }
  }

  #leftFrom(address: string, deviceId: string): void {
    const devices = this.#devicesAt.get(address);
    const count = devices?.get(deviceId);
    if (!devices || count === undefined) return;
    if (count > 1) devices.set(deviceId, count - 1);
    else devices.delete(deviceId);
    if (devices.size === 0) this.#devicesAt.delete(address);
  }

  /** Shared now, or seen shared within SHARED_ADDRESS_MEMORY_MS (a school between two lessons). */
  #isShared(address: string | undefined): boolean {
    if (!address) return false;
    if ((this.#devicesAt.get(address)?.size ?? 0) >= this.#options.sharedAddressDevices) return true;
    const until = this.#sharedUntil.get(address);
    if (until === undefined) return false;
    if (until > this.#options.now()) return true;
    this.#sharedUntil.delete(address);
    return false;
  }

  disconnect(id: string): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.state === 'queued') this.#dequeue(person);
    if (person.conversation) this.#end(person.conversation, { actor: person, reason: 'disconnected', notifyActor: false });
    if (person.subject.address) this.#leftFrom(person.subject.address, person.participant.deviceId);
    this.#people.delete(id);
  }

  enqueue(id: string, request: FindRequest): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.state === 'matched') {
      person.sink.send(FIND_REFUSED.alreadyMatched);
      return;
    }
    if (person.state === 'queued') this.#dequeue(person);
    if (this.#draining) {
      person.sink.send(FIND_REFUSED.draining);
      return;
    }
    // `next` asks again with the request kept here, already without repeats, and its queue key.
    if (request !== person.request || person.requestKey === undefined) {
      person.request = { mode: request.mode, interests: request.interests.length ? [...new Set(request.interests)] : [] };
      person.requestKey = queueKey(request.mode, person.participant.band);
    }
    const key = person.requestKey;
    // A queue is kept when it empties (there is one per mode and band): the next find reuses it.
    let queue = this.#queues.get(key);
    if (!queue) this.#queues.set(key, (queue = { people: new Map(), ready: new Set(), byInterest: new Map() }));
    queue.people.set(id, person);
    person.seq = this.#arrivals++;
    const { interests } = person.request!;
    person.ready = interests.length === 0 || this.#options.interestWaitMs <= 0;
    if (person.ready) queue.ready.add(person);
    for (const interest of interests) {
      let holders = queue.byInterest.get(interest);
      if (!holders) queue.byInterest.set(interest, (holders = new Set()));
      holders.add(person);
    }
    person.state = 'queued';
    person.queueKey = key;
    person.enqueuedAt = this.#options.now();
    person.sink.send(QUEUED);
    this.#tryMatch(person);
  }

  next(id: string): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.conversation) this.#end(person.conversation, { actor: person, reason: 'next', notifyActor: true });
    if (!person.request) {
      person.sink.send({ type: 'error', code: 'not_matched', message: 'Send find first.' });
      return;
    }
    this.enqueue(id, person.request);
  }

  leave(id: string): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.state === 'queued') this.#dequeue(person);
    if (person.conversation) this.#end(person.conversation, { actor: person, reason: 'left', notifyActor: true });
  }

  sendToPartner(id: string, message: PartnerMessage): void {
    const person = this.#people.get(id);
    if (!person) return;
    const conversation = person.conversation;
    if (!conversation) {
      // A late typing-off after the partner left is normal; it is not worth an error.
      if (message.type !== 'typing') {
        person.sink.send({ type: 'error', code: 'not_matched', message: 'You are not in a conversation.' });
      }
      return;
    }
    const partner = conversation.a === person ? conversation.b : conversation.a;
    switch (message.type) {
      case 'message': {
        const at = this.#options.now();
        const side = conversation.a === person ? 'a' : 'b';
        const lines = conversation.lines[side];
        lines.push({ from: side, sessionId: person.participant.sessionId, text: message.text, at, seq: conversation.linesRelayed++ });
        if (lines.length > this.#options.transcriptLinesPerSide) lines.shift();
        partner.sink.send({ type: 'message', text: message.text, at });
        return;
      }
      case 'signal':
        if (conversation.mode !== 'video') {
          person.sink.send({ type: 'error', code: 'wrong_mode', message: 'Signals are only for video conversations.' });
          return;
        }
        partner.sink.send({ type: 'signal', data: message.data }, message.encoded);
        return;
      case 'typing':
        partner.sink.send({ type: 'typing', on: message.on });
        return;
    }
  }

  endForReport(id: string): Promise<ReportOutcome> {
    const record = this.#endForReport(id);
    return Promise.resolve(record ? { kind: 'record', record } : { kind: 'nothing' });
  }

  #endForReport(id: string): ConversationRecord | undefined {
    const person = this.#people.get(id);
    if (!person) return undefined;
    let conversation = person.conversation;
    if (conversation) {
      // The reported side is told only that the stranger left: no cue for retaliation.
      this.#end(conversation, { actor: person, reason: 'report', notifyActor: true, partnerReason: 'left' });
    } else if (person.lastConversation && this.#options.now() - person.lastConversation.endedAt! <= this.#options.reportGraceMs) {
      conversation = person.lastConversation;
    } else {
      return undefined;
    }
    // One report per conversation per reporter.
    person.lastConversation = undefined;
    const partner = conversation.a === person ? conversation.b : conversation.a;
    const reportedAddressShared = this.#isShared(partner.subject.address);
    const avoids = avoidsAfterReport(person.subject, partner.subject, {
      now: this.#options.now(),
      addressWindowMs: this.#options.reportedAddressAvoidMs,
      reportedAddressShared,
    });
    for (const avoid of avoids) this.#avoided.add(avoid);
    return {
      conversationId: conversation.id,
      mode: conversation.mode,
      startedAt: conversation.startedAt,
      endedAt: conversation.endedAt,
      reporter: person.participant,
      reported: partner.participant,
      transcript: [...conversation.lines.a, ...conversation.lines.b].sort((x, y) => x.seq - y.seq).map(({ seq: _seq, ...line }) => line),
      avoids,
      reportedAddressShared,
    };
  }

  kick(id: string, reason: Extract<EndedReason, 'ban' | 'moderator' | 'closed'>): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.state === 'queued') this.#dequeue(person);
    if (person.conversation) this.#end(person.conversation, { actor: null, reason, notifyActor: true });
  }

  avoid(avoids: readonly Avoid[]): Promise<void> {
    for (const avoid of avoids) this.#avoided.add(avoid);
    return Promise.resolve();
  }

  stats(): Promise<HubStats> {
    let queued = 0;
    for (const queue of this.#queues.values()) queued += queue.people.size;
    return Promise.resolve({
      online: this.#people.size,
      queued,
      inConversation: this.#conversations.size * 2,
      conversations: this.#conversations.size,
    });
  }

  drain(): Promise<void> {
    this.#draining = true;
    for (const person of this.#people.values()) if (person.state === 'queued') this.#dequeue(person);
    return Promise.resolve();
  }

  /** Internal state for invariant tests: every connection, queue entry and conversation by id. */
  snapshot(): MemoryHubSnapshot {
    const queued: Array<{ id: string; key: string }> = [];
    for (const [key, queue] of this.#queues) for (const id of queue.people.keys()) queued.push({ id, key });
    const conversations = [...this.#conversations.values()].map((c) => ({
      id: c.id,
      a: c.a.participant.id,
      b: c.b.participant.id,
      mode: c.mode,
    }));
    return { online: [...this.#people.keys()], queued, conversations };
  }

  close(): Promise<void> {
    for (const person of this.#people.values()) this.#clearWaitTimer(person);
    this.#people.clear();
    this.#queues.clear();
    this.#conversations.clear();
    return Promise.resolve();
  }

  #canPair(x: Person, y: Person): boolean {
    const a = x.participant;
    const b = y.participant;
    const mayPair = this.#options.mayPair;
    return (
      a.id !== b.id &&
      a.sessionId !== b.sessionId &&
      // Two tabs of one browser are one person; so are two browsers of one verified identity.
      a.deviceId !== b.deviceId &&
      (!a.identityHash || a.identityHash !== b.identityHash) &&
      a.band === b.band &&
      // Shared interests never override an avoid: this runs for every candidate, interests or not.
      !this.#avoided.forbids(x.subject, y.subject, this.#options.now()) &&
      (!mayPair || (mayPair(a) && mayPair(b)))
    );
  }

  #tryMatch(person: Person): void {
    const queue = this.#queues.get(person.queueKey!);
    if (!queue) return;
    const interests = person.request?.interests ?? [];
    // The most interests in common wins, then the earliest arrival; the pairing checks run only
    // for a candidate that would be taken.
    let best: Person | undefined;
    let bestShared = 0;
    if (interests.length) {
      const shared = new Map<Person, number>();
      for (const interest of interests) {
        for (const other of queue.byInterest.get(interest) ?? []) if (other !== person) shared.set(other, (shared.get(other) ?? 0) + 1);
      }
      for (const [other, count] of shared) {
        if (count < bestShared || (count === bestShared && best && other.seq > best.seq)) continue;
        if (!this.#canPair(person, other)) continue;
        best = other;
        bestShared = count;
      }
    }
    if (best) return this.#pair(person, best, intersect(interests, best.request?.interests ?? []));
    if (person.ready) {
      // Under load the line is short (one or none): an array only once there are two to choose from.
      let first: Person | undefined;
      let randomCandidates: Person[] | undefined;
      for (const other of queue.ready) {
        if (other === person || !this.#canPair(person, other)) continue;
        if (!first) first = other;
        else (randomCandidates ??= [first]).push(other);
      }
      if (!first) return;
      const index = Math.floor(this.#options.random() * (randomCandidates?.length ?? 1));
      return this.#pair(person, randomCandidates ? randomCandidates[index]! : first, []);
    }
    if (person.waitTimer === undefined) {
      const wait = person.enqueuedAt + this.#options.interestWaitMs - this.#options.now();
      person.waitTimer = this.#options.setTimer(() => {
        person.waitTimer = undefined;
        if (person.state !== 'queued' || this.#people.get(person.participant.id) !== person) return;
        person.ready = true;
        this.#queues.get(person.queueKey!)?.ready.add(person);
        this.#tryMatch(person);
      }, Math.max(0, wait));
    }
  }

  #pair(initiator: Person, other: Person, commonInterests: string[]): void {
    this.#dequeue(initiator);
    this.#dequeue(other);
    const conversation: Conversation = {
      id: this.#options.newId(),
      a: initiator,
      b: other,
      mode: initiator.request!.mode,
      relayOnly: initiator.participant.relayOnly === true || other.participant.relayOnly === true,
      startedAt: this.#options.now(),
      endedAt: null,
      lines: { a: [], b: [] },
      linesRelayed: 0,
    };
    this.#conversations.set(conversation.id, conversation);
    this.#joined(initiator, conversation, true, commonInterests);
    this.#joined(other, conversation, false, commonInterests);
  }

  #joined(person: Person, conversation: Conversation, initiator: boolean, commonInterests: string[]): void {
    person.state = 'matched';
    person.conversation = conversation;
    person.lastConversation = undefined;
    person.sink.send({
      type: 'matched',
      conversationId: conversation.id,
      initiator,
      mode: conversation.mode,
      commonInterests,
      relayOnly: conversation.relayOnly,
    });
  }

  #dequeue(person: Person): void {
    this.#clearWaitTimer(person);
    const queue = person.queueKey ? this.#queues.get(person.queueKey) : undefined;
    if (queue) {
      queue.people.delete(person.participant.id);
      queue.ready.delete(person);
      for (const interest of person.request?.interests ?? []) {
        const holders = queue.byInterest.get(interest);
        holders?.delete(person);
        if (holders?.size === 0) queue.byInterest.delete(interest);
      }
    }
    person.queueKey = undefined;
    if (person.state === 'queued') person.state = 'idle';
  }

  #clearWaitTimer(person: Person): void {
    if (person.waitTimer !== undefined) {
      this.#options.clearTimer(person.waitTimer);
      person.waitTimer = undefined;
    }
  }

  /**
   * Ends a conversation. `actor` is the side that ended it (null for the system); the
   * actor hears `by: self` (when notifyActor), the other `by: stranger`; a system end is
   * `by: system` for both.
   */
  #end(
    conversation: Conversation,
    how: { actor: Person | null; reason: EndedReason; notifyActor: boolean; partnerReason?: EndedReason },
  ): void {
    conversation.endedAt = this.#options.now();
    this.#conversations.delete(conversation.id);
    this.#left(conversation.a, conversation, how);
    this.#left(conversation.b, conversation, how);
  }

  #left(person: Person, conversation: Conversation, how: { actor: Person | null; reason: EndedReason; notifyActor: boolean; partnerReason?: EndedReason }): void {
    person.state = 'idle';
    person.conversation = undefined;
    person.lastConversation = conversation;
    if (how.actor === null) {
      person.sink.send({ type: 'ended', by: 'system', reason: how.reason });
    } else if (person === how.actor) {
      if (how.notifyActor) person.sink.send({ type: 'ended', by: 'self', reason: how.reason });
    } else {
      person.sink.send({ type: 'ended', by: 'stranger', reason: how.partnerReason ?? how.reason });
    }
  }
}

function queueKey(mode: ChatMode, band: string): string {
  return `${mode}:${band}`;
}

function intersect(a: readonly string[], b: readonly string[]): string[] {
  if (!b.length) return [];
  const set = new Set(b);
  return a.filter((x) => set.has(x));
}
