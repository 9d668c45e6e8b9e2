// The Redis Hub: one node of a cluster. Pairing is decided in Redis by one atomic script
// (pairing-scripts.ts); after that a conversation lives on the two nodes of its two people, and
// Redis carries only what one node hands the other, through the partner node's inbox stream
// (inbox.ts): matched, message, signal, typing, ended, and after a Redis restart a check of each
// conversation across nodes. Each node keeps its own people's view of their conversation, the
// lines they sent and received, so a report carries both sides.
//
// Inside a node, every Redis decision (find, cancel) runs on one chain, in command order: a
// person's effects follow their commands, and the node's own finds never race each other (the
// script keeps other nodes' finds apart). Relaying needs no decision and skips the chain.
import type { ChatMode, EndedReason, ServerMessage } from '../../protocol/messages.ts';
import { avoidSubject, avoidsAfterReport, mergeAvoids, type Avoid, type AvoidSubject } from '../../chat/avoids.ts';
import { FIND_REFUSED, SHARED_ADDRESS_MEMORY_MS } from '../../chat/hub.ts';
import type { ConversationRecord, FindRequest, Hub, HubOptions, HubStats, Participant, ParticipantSink, PartnerMessage, ReportOutcome, TranscriptLine } from '../../chat/hub.ts';
import type { RedisConnection } from './client.ts';
import { RedisPairing, type FindOutcome } from './pairing.ts';
import type { InboxEvent, NodeInbox } from './inbox.ts';
import type { NodeRegistry } from './nodes.ts';

type State = 'idle' | 'queued' | 'matched';

interface Person {
  participant: Participant;
  subject: AvoidSubject;
  sink: ParticipantSink;
  state: State;
  request?: FindRequest;
  /** The Redis entry of the current find (a new one per find). */
  entry?: string;
  enqueuedAt: number;
  ready: boolean;
  waitTimer?: unknown;
  conversation?: View;
  lastConversation?: { view: View; endedAt: number };
}

/** One person's side of a conversation (the partner may be on another node). */
interface View {
  id: string;
  initiator: boolean;
  mode: ChatMode;
  relayOnly: boolean;
  startedAt: number;
  endedAt: number | null;
  partner: { node: string; id: string; participant: Participant };
  /** Lines sent and received, per side (a = the initiator), in the order this node saw them. */
  lines: { a: SequencedLine[]; b: SequencedLine[] };
  seq: number;
}

type SequencedLine = TranscriptLine & { seq: number };

export interface RedisHubDeps {
  redis: RedisConnection;
  prefix: string;
  inbox: NodeInbox;
  nodes: NodeRegistry;
}

export class RedisHub implements Hub {
  readonly nodeId: string;
  readonly #options: HubOptions;
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #pairing: RedisPairing;
  readonly #inbox: NodeInbox;
  readonly #nodes: NodeRegistry;
  readonly #people = new Map<string, Person>();
  /** Every avoid this node was given or made: sent to Redis again if Redis lost them (a restart). */
  readonly #avoids = new Map<string, Avoid>();
  readonly #devicesAt = new Map<string, Map<string, number>>();
  readonly #sharedUntil = new Map<string, number>();
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #entries = 0;
  #draining = false;
  #closed = false;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(options: HubOptions, deps: RedisHubDeps) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.#redis = deps.redis;
    this.#prefix = deps.prefix;
    this.#pairing = new RedisPairing(deps.redis, deps.prefix);
    this.#inbox = deps.inbox;
    this.#nodes = deps.nodes;
    this.#unsubscribe.push(deps.inbox.onEvent((event) => this.#receive(event)));
    this.#unsubscribe.push(deps.nodes.onNodesLost((nodes) => this.#nodesLost(nodes)));
    this.#unsubscribe.push(deps.nodes.onStoreReset(() => this.#storeReset()));
    this.#unsubscribe.push(deps.nodes.onReconnect(() => this.#requeueAll()));
    deps.nodes.setLocalStats(() => this.#localStats());
    deps.nodes.setPartnerNodes(() => this.#partnerNodes());
  }

  // --- Commands ---

  connect(participant: Participant, sink: ParticipantSink): void {
    if (this.#people.has(participant.id)) {
      this.#options.onError?.(new TypeError(`participant ${participant.id} is already connected`), { participantId: participant.id, during: 'connect' });
      return;
    }
    const subject = avoidSubject(participant);
    this.#people.set(participant.id, { participant, subject, sink, state: 'idle', enqueuedAt: 0, ready: false });
    if (subject.address) this.#arrivedAt(subject.address, participant.deviceId);
  }

  disconnect(id: string): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.state === 'queued') this.#dequeue(person);
    if (person.conversation) this.#end(person, { actor: 'self', reason: 'disconnected', notifyActor: false });
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
    person.request = { mode: request.mode, interests: [...new Set(request.interests)] };
    person.entry = `${this.nodeId}:${++this.#entries}`;
    person.state = 'queued';
    person.enqueuedAt = this.#options.now();
    person.ready = person.request.interests.length === 0 || this.#options.interestWaitMs <= 0;
    person.sink.send({ type: 'queued' });
    this.#find(person, person.entry);
  }

  next(id: string): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.conversation) this.#end(person, { actor: 'self', reason: 'next', notifyActor: true });
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
    if (person.conversation) this.#end(person, { actor: 'self', reason: 'left', notifyActor: true });
  }

  sendToPartner(id: string, message: PartnerMessage): void {
    const person = this.#people.get(id);
    if (!person) return;
    const view = person.conversation;
    if (!view) {
      if (message.type !== 'typing') person.sink.send({ type: 'error', code: 'not_matched', message: 'You are not in a conversation.' });
      return;
    }
    switch (message.type) {
      case 'message': {
        const at = this.#options.now();
        this.#record(view, view.initiator ? 'a' : 'b', person.participant.sessionId, message.text, at);
        return this.#toPartner(view, { t: 'message', text: message.text, at }, { type: 'message', text: message.text, at }, undefined, person.participant.sessionId);
      }
      case 'signal':
        if (view.mode !== 'video') {
          person.sink.send({ type: 'error', code: 'wrong_mode', message: 'Signals are only for video conversations.' });
          return;
        }
        return this.#toPartner(view, { t: 'signal', data: message.data }, { type: 'signal', data: message.data }, message.encoded);
      case 'typing':
        return this.#toPartner(view, { t: 'typing', on: message.on }, { type: 'typing', on: message.on });
    }
  }

  kick(id: string, reason: Extract<EndedReason, 'ban' | 'moderator'>): void {
    const person = this.#people.get(id);
    if (!person) return;
    if (person.state === 'queued') this.#dequeue(person);
    if (person.conversation) this.#end(person, { actor: 'system', reason, notifyActor: true });
  }

  async endForReport(id: string): Promise<ReportOutcome> {
    const person = this.#people.get(id);
    if (!person) return { kind: 'nothing' };
    let view = person.conversation;
    if (view) {
      // The reported side is told only that the stranger left: no cue for retaliation.
      this.#end(person, { actor: 'self', reason: 'report', notifyActor: true, partnerReason: 'left' });
    } else if (person.lastConversation && this.#options.now() - person.lastConversation.endedAt <= this.#options.reportGraceMs) {
      view = person.lastConversation.view;
    } else {
      return { kind: 'nothing' };
    }
    person.lastConversation = undefined;
    const reported = view.partner.participant;
    const reportedSubject = avoidSubject(reported);
    try {
      const reportedAddressShared = await this.#isShared(reportedSubject.address);
      const avoids = avoidsAfterReport(person.subject, reportedSubject, {
        now: this.#options.now(),
        addressWindowMs: this.#options.reportedAddressAvoidMs,
        reportedAddressShared,
      });
      await this.avoid(avoids);
      const lines = [...view.lines.a, ...view.lines.b].sort((x, y) => x.seq - y.seq).map(({ seq: _seq, ...line }) => line);
      const record: ConversationRecord = {
        conversationId: view.id,
        mode: view.mode,
        startedAt: view.startedAt,
        endedAt: view.endedAt,
        reporter: person.participant,
        reported,
        transcript: lines,
        avoids,
        reportedAddressShared,
      };
      return { kind: 'record', record };
    } catch (error) {
      this.#options.onError?.(error, { participantId: id, during: 'endForReport' });
      return { kind: 'failed' };
    }
  }

  async avoid(avoids: readonly Avoid[]): Promise<void> {
    for (const avoid of avoids) {
      const key = `${avoid.a}\n${avoid.b}`;
      const old = this.#avoids.get(key);
      this.#avoids.set(key, old ? mergeAvoids(old, avoid) : avoid);
    }
    await this.#pairing.avoid(avoids);
  }

  async stats(): Promise<HubStats> {
    const local = this.#localStats();
    const others = await this.#nodes.otherNodes();
    for (const node of others) {
      local.online += node.stats.online;
      local.queued += node.stats.queued;
      local.inConversation += node.stats.inConversation;
      local.conversations += node.stats.conversations;
    }
    return local;
  }

  async drain(): Promise<void> {
    this.#draining = true;
    for (const person of this.#people.values()) if (person.state === 'queued') this.#dequeue(person);
    await this.settled();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const person of this.#people.values()) this.#clearWaitTimer(person);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#chain;
    this.#people.clear();
  }

  /** Resolves once every Redis decision asked so far has been made and applied. */
  async settled(): Promise<void> {
    while (this.#pending > 0) await this.#chain;
    await this.#inbox.flushed();
  }

  /** What this node holds, for tests: its people, their queue entries, their conversations (once each). */
  snapshot(): { online: string[]; queued: Array<{ id: string; key: string }>; conversations: Array<{ id: string; a: string; b: string; mode: ChatMode }> } {
    const queued: Array<{ id: string; key: string }> = [];
    const conversations = new Map<string, { id: string; a: string; b: string; mode: ChatMode }>();
    for (const person of this.#people.values()) {
      const { id, band } = person.participant;
      if (person.state === 'queued') queued.push({ id, key: `${person.request!.mode}:${band}` });
      const view = person.conversation;
      if (view && !conversations.has(view.id)) {
        const [a, b] = view.initiator ? [id, view.partner.id] : [view.partner.id, id];
        conversations.set(view.id, { id: view.id, a, b, mode: view.mode });
      }
    }
    return { online: [...this.#people.keys()], queued, conversations: [...conversations.values()] };
  }

  // --- Pairing ---

  /** Runs `work` on the node's chain of Redis decisions. */
  #enchain(during: string, participantId: string | undefined, work: () => Promise<void>): void {
    this.#pending++;
    this.#chain = this.#chain
      .then(work)
      .catch((error: unknown) => this.#options.onError?.(error, { participantId, during }))
      .finally(() => this.#pending--);
  }

  #find(person: Person, entry: string): void {
    const id = person.participant.id;
    this.#enchain('enqueue', id, async () => {
      if (this.#closed || this.#people.get(id) !== person || person.entry !== entry || person.state !== 'queued') return;
      const mayPair = this.#options.mayPair;
      // Someone this node may not pair (a ban it knows, a quarantine it wrote) waits where nobody takes them.
      const held = mayPair ? !mayPair(person.participant) : false;
      let outcome: FindOutcome;
      try {
        outcome = await this.#pairing.find({
          entry,
          node: this.nodeId,
          participant: person.participant,
          mode: person.request!.mode,
          interests: person.request!.interests,
          ready: person.ready,
          held,
          exclude: this.#refusedHere(),
          conversationId: this.#options.newId(),
          now: this.#options.now(),
          random: this.#options.random(),
        });
      } catch (error) {
        // Still queued here: the find runs again once Redis answers (see #requeueAll).
        this.#options.onError?.(error, { participantId: id, during: 'enqueue' });
        return;
      }
      this.#found(person, entry, outcome);
    });
  }

  /** This node's waiting people that mayPair now refuses: the script takes none of them. */
  #refusedHere(): string[] {
    const mayPair = this.#options.mayPair;
    if (!mayPair) return [];
    const refused: string[] = [];
    for (const person of this.#people.values()) if (person.state === 'queued' && !mayPair(person.participant)) refused.push(person.participant.id);
    return refused;
  }

  #found(person: Person, entry: string, outcome: FindOutcome): void {
    const current = this.#people.get(person.participant.id) === person && person.entry === entry && person.state === 'queued';
    if (outcome.kind === 'taken') return;
    if (outcome.kind === 'queued') {
      if (!current) {
        // Superseded while the script ran: the entry goes (a later cancel may already be queued; twice is harmless).
        void this.#pairing.cancel(entry).catch((error: unknown) => this.#options.onError?.(error, { during: 'cancel' }));
        return;
      }
      if (!person.ready && person.waitTimer === undefined) {
        const wait = person.enqueuedAt + this.#options.interestWaitMs - this.#options.now();
        person.waitTimer = this.#options.setTimer(() => {
          person.waitTimer = undefined;
          if (person.state !== 'queued' || person.entry !== entry || this.#people.get(person.participant.id) !== person) return;
          person.ready = true;
          this.#find(person, entry);
        }, Math.max(0, wait));
      }
      return;
    }
    const partner = { node: outcome.node, id: outcome.partner.id, participant: outcome.partner };
    const local = outcome.node === this.nodeId ? this.#people.get(outcome.partner.id) : undefined;
    const localTaken = local && local.state === 'queued' && local.entry === outcome.entry ? local : undefined;
    if (!current) {
      // The seeker left while the script ran: the one it took hears that the stranger left.
      const reason: EndedReason = this.#people.get(person.participant.id) === person ? 'left' : 'disconnected';
      if (localTaken) this.#startView(localTaken, outcome, { node: this.nodeId, id: person.participant.id, participant: person.participant }, false);
      this.#endPartnerOnly(outcome.conversationId, partner, reason, localTaken);
      return;
    }
    this.#startView(person, outcome, partner, true);
    if (outcome.node === this.nodeId) {
      if (localTaken) this.#startView(localTaken, outcome, { node: this.nodeId, id: person.participant.id, participant: person.participant }, false);
      // Taken here but gone by now: the seeker hears the stranger disconnected.
      else this.#endedBy(person, outcome.conversationId, 'stranger', 'disconnected');
    }
  }

  #startView(person: Person, outcome: Extract<FindOutcome, { kind: 'matched' }>, partner: View['partner'], initiator: boolean): void {
    this.#clearWaitTimer(person);
    person.entry = undefined;
    const view: View = {
      id: outcome.conversationId,
      initiator,
      mode: person.request!.mode,
      relayOnly: outcome.relayOnly,
      startedAt: this.#options.now(),
      endedAt: null,
      partner,
      lines: { a: [], b: [] },
      seq: 0,
    };
    person.state = 'matched';
    person.conversation = view;
    person.lastConversation = undefined;
    person.sink.send({ type: 'matched', conversationId: view.id, initiator, mode: view.mode, commonInterests: outcome.commonInterests, relayOnly: view.relayOnly });
  }

  #dequeue(person: Person): void {
    this.#clearWaitTimer(person);
    const entry = person.entry;
    person.entry = undefined;
    if (person.state === 'queued') person.state = 'idle';
    if (!entry) return;
    this.#enchain('cancel', person.participant.id, async () => {
      await this.#pairing.cancel(entry);
    });
  }

  #clearWaitTimer(person: Person): void {
    if (person.waitTimer !== undefined) {
      this.#options.clearTimer(person.waitTimer);
      person.waitTimer = undefined;
    }
  }

  // --- Ending and relaying ---

  #end(person: Person, how: { actor: 'self' | 'system'; reason: EndedReason; notifyActor: boolean; partnerReason?: EndedReason }): void {
    const view = person.conversation!;
    if (how.actor === 'system') this.#endedBy(person, view.id, 'system', how.reason);
    else this.#closeView(person, view, how.notifyActor ? { by: 'self', reason: how.reason } : undefined);
    const by = how.actor === 'system' ? 'system' : 'stranger';
    const reason = how.actor === 'system' ? how.reason : (how.partnerReason ?? how.reason);
    this.#deliverTo(view.partner, view.id, { t: 'ended', by, reason });
  }

  /** Tells only the partner (someone this node took for a seeker that is gone) that it is over. */
  #endPartnerOnly(conversationId: string, partner: View['partner'], reason: EndedReason, local: Person | undefined): void {
    if (local) return this.#endedBy(local, conversationId, 'stranger', reason);
    if (partner.node !== this.nodeId) this.#inbox.send(partner.node, { t: 'ended', to: partner.id, conv: conversationId, by: 'stranger', reason });
  }

  /** Ends a person's view of a conversation (when it is the current one) and tells them. */
  #endedBy(person: Person, conversationId: string, by: 'self' | 'stranger' | 'system', reason: EndedReason): void {
    const view = person.conversation;
    if (!view || view.id !== conversationId) return;
    this.#closeView(person, view, { by, reason });
  }

  #closeView(person: Person, view: View, told: { by: 'self' | 'stranger' | 'system'; reason: EndedReason } | undefined): void {
    const now = this.#options.now();
    view.endedAt = now;
    person.state = 'idle';
    person.conversation = undefined;
    person.lastConversation = { view, endedAt: now };
    if (told) person.sink.send({ type: 'ended', by: told.by, reason: told.reason });
  }

  #record(view: View, from: 'a' | 'b', sessionId: string, text: string, at: number): void {
    const lines = view.lines[from];
    lines.push({ from, sessionId, text, at, seq: view.seq++ });
    if (lines.length > this.#options.transcriptLinesPerSide) lines.shift();
  }

  /** Relays to the partner: straight to its sink when it is on this node, else through its node's inbox. */
  #toPartner(view: View, event: RelayEvent, message: ServerMessage, encoded?: Uint8Array, senderSession = ''): void {
    if (view.partner.node !== this.nodeId) return this.#inbox.send(view.partner.node, { ...event, to: view.partner.id, conv: view.id } as InboxEvent);
    const local = this.#people.get(view.partner.id);
    if (!local || local.conversation?.id !== view.id) return;
    if (message.type === 'message') this.#record(local.conversation, view.initiator ? 'a' : 'b', senderSession, message.text, message.at);
    local.sink.send(message, encoded);
  }

  #deliverTo(partner: View['partner'], conversationId: string, event: { t: 'ended'; by: 'stranger' | 'system'; reason: EndedReason }): void {
    if (partner.node !== this.nodeId) return this.#inbox.send(partner.node, { ...event, to: partner.id, conv: conversationId });
    const local = this.#people.get(partner.id);
    if (local) this.#endedBy(local, conversationId, event.by, event.reason);
  }

  /** An event from another node's person to one of ours. */
  #receive(event: InboxEvent): void {
    const person = this.#people.get(event.to);
    if (event.t === 'matched') {
      const accepting = person && person.state === 'queued' && person.entry === event.entry;
      const mayPair = this.#options.mayPair;
      if (!person || !accepting || (mayPair && !mayPair(person.participant))) {
        // Taken after leaving (or superseded, or now refused here): the seeker's node hears it is over.
        const reason: EndedReason = person ? 'left' : 'disconnected';
        this.#inbox.send(event.from.node, { t: 'ended', to: event.from.id, conv: event.conv, by: 'stranger', reason });
        if (person && accepting) this.#dequeue(person);
        return;
      }
      const partner = { node: event.from.node, id: event.from.id, participant: JSON.parse(event.from.p) as Participant };
      this.#startView(person, { kind: 'matched', conversationId: event.conv, entry: event.entry, node: event.from.node, partner: partner.participant, commonInterests: event.common, relayOnly: event.relay }, partner, false);
      return;
    }
    const view = person?.conversation;
    if (event.t === 'check') {
      // The partner's node holds a conversation this side never started (its `matched` was lost)
      // or has ended (its `ended` was lost): it hears now that the stranger is gone.
      if (!view || view.id !== event.conv) this.#inbox.send(event.from.node, { t: 'ended', to: event.from.id, conv: event.conv, by: 'stranger', reason: 'disconnected' });
      return;
    }
    if (!person || !view || view.id !== event.conv) return;
    switch (event.t) {
      case 'message':
        this.#record(view, view.initiator ? 'b' : 'a', view.partner.participant.sessionId, event.text, event.at);
        return person.sink.send({ type: 'message', text: event.text, at: event.at });
      case 'signal':
        if (view.mode === 'video') person.sink.send({ type: 'signal', data: event.data });
        return;
      case 'typing':
        return person.sink.send({ type: 'typing', on: event.on });
      case 'ended':
        return this.#endedBy(person, view.id, event.by, event.reason);
    }
  }

  // --- Liveness and recovery ---

  #partnerNodes(): Set<string> {
    const nodes = new Set<string>();
    for (const person of this.#people.values()) {
      const node = person.conversation?.partner.node;
      if (node && node !== this.nodeId) nodes.add(node);
    }
    return nodes;
  }

  /** Nodes found dead: their people's partners here hear that the stranger disconnected. */
  #nodesLost(nodes: ReadonlySet<string>): void {
    for (const person of this.#people.values()) {
      const view = person.conversation;
      if (view && nodes.has(view.partner.node)) this.#endedBy(person, view.id, 'stranger', 'disconnected');
    }
  }

  /**
   * Redis lost its data (a restart without persistence): the avoids go back, then every waiting
   * person. What the inboxes held unread went too, so each conversation with another node's person
   * is checked there: one whose `matched` or `ended` was lost ends here instead of staying open.
   */
  #storeReset(): void {
    this.#enchain('restore', undefined, async () => {
      await this.#pairing.avoid([...this.#avoids.values()]);
    });
    this.#requeueAll();
    for (const person of this.#people.values()) {
      const view = person.conversation;
      if (view && view.partner.node !== this.nodeId) {
        this.#inbox.send(view.partner.node, { t: 'check', to: view.partner.id, conv: view.id, from: { node: this.nodeId, id: person.participant.id } });
      }
    }
  }

  /** Runs every waiting person's find again, with the same entry (idempotent: an entry already there stays one). */
  #requeueAll(): void {
    for (const person of this.#people.values()) if (person.state === 'queued' && person.entry) this.#find(person, person.entry);
  }

  #localStats(): HubStats {
    let queued = 0;
    let inConversation = 0;
    let conversations = 0;
    for (const person of this.#people.values()) {
      if (person.state === 'queued') queued++;
      if (person.conversation) {
        inConversation++;
        // Each conversation has one initiator, on one node: counted there.
        if (person.conversation.initiator) conversations++;
      }
    }
    return { online: this.#people.size, queued, inConversation, conversations };
  }

  // --- Shared addresses (a school's NAT): counted here, marked for the cluster ---

  #arrivedAt(address: string, deviceId: string): void {
    let devices = this.#devicesAt.get(address);
    if (!devices) this.#devicesAt.set(address, (devices = new Map()));
    devices.set(deviceId, (devices.get(deviceId) ?? 0) + 1);
    if (devices.size >= this.#options.sharedAddressDevices) {
      const until = this.#options.now() + SHARED_ADDRESS_MEMORY_MS;
      this.#sharedUntil.set(address, until);
      void this.#redis
        .command(['SET', `${this.#prefix}shared:${address}`, until, 'PX', SHARED_ADDRESS_MEMORY_MS])
        .catch((error: unknown) => this.#options.onError?.(error, { during: 'shared address' }));
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

  /** Shared now or within the day, on this node or as another node marked it. */
  async #isShared(address: string | undefined): Promise<boolean> {
    if (!address) return false;
    const now = this.#options.now();
    if ((this.#devicesAt.get(address)?.size ?? 0) >= this.#options.sharedAddressDevices) return true;
    const until = this.#sharedUntil.get(address);
    if (until !== undefined && until > now) return true;
    const marked = await this.#redis.command(['GET', `${this.#prefix}shared:${address}`]);
    return marked !== null && Number(marked) > now;
  }
}

type RelayEvent = { t: 'message'; text: string; at: number } | { t: 'signal'; data: unknown } | { t: 'typing'; on: boolean };
