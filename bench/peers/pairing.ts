// The whole pairing layer of a simple stranger-chat peer: one queue, a random pick, a conversation
// as two references. It speaks the part of wire protocol v1 that the saturated scenario uses and
// sends the frames strangerchat sends there (`queued`, `matched` to both, `ended` to both sides),
// so the reference servers differ from strangerchat in the work each frame costs, not in how
// many frames a pairing takes. No bands, interests, reports or limits: that is the point.
import { randomUUID } from 'node:crypto';

/** One connected person, as the pairing layer knows them. */
export interface Person<S = unknown> {
  readonly id: string;
  /** The peer's own handle for this person (its socket or client), for relaying a signal. */
  readonly socket: S;
  /** Sends a server message (the peer decides how it is serialised). */
  readonly send: (message: object) => void;
  /** Index in the queue, -1 when not queued. */
  queueIndex: number;
  partner: Person<S> | null;
  /** The mode of the last `find`, so `next` can find again with it. */
  mode: string | null;
}

export interface PairingStats {
  online: number;
  queued: number;
  inConversation: number;
  conversations: number;
}

const QUEUED = { type: 'queued' } as const;
const NOT_MATCHED = { type: 'error', code: 'not_matched', message: 'You are not in a conversation.' } as const;
const FIND_FIRST = { type: 'error', code: 'not_matched', message: 'Send find first.' } as const;

export class RandomPairing<S> {
  readonly #queue: Person<S>[] = [];
  readonly #random: () => number;
  #online = 0;
  #conversations = 0;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  connect(id: string, socket: S, send: (message: object) => void): Person<S> {
    this.#online++;
    return { id, socket, send, queueIndex: -1, partner: null, mode: null };
  }

  disconnect(person: Person<S>): void {
    this.#dequeue(person);
    this.#end(person, 'disconnected', false);
    this.#online--;
  }

  /** `find`: queued, then paired at once with anyone already waiting; the newcomer is the initiator. */
  find(person: Person<S>, mode: string): void {
    if (person.partner) return;
    this.#dequeue(person);
    person.mode = mode;
    person.send(QUEUED);
    const queue = this.#queue;
    if (queue.length > 0) {
      const other = queue[Math.floor(this.#random() * queue.length)]!;
      this.#dequeue(other);
      const conversationId = randomUUID();
      person.partner = other;
      other.partner = person;
      this.#conversations++;
      person.send({ type: 'matched', conversationId, initiator: true, mode, commonInterests: [], relayOnly: false });
      other.send({ type: 'matched', conversationId, initiator: false, mode, commonInterests: [], relayOnly: false });
      return;
    }
    person.queueIndex = queue.length;
    queue.push(person);
  }

  /** `next`: ends the conversation (both sides hear it) and finds again with the same mode. */
  next(person: Person<S>): void {
    this.#end(person, 'next', true);
    if (person.mode === null) person.send(FIND_FIRST);
    else this.find(person, person.mode);
  }

  leave(person: Person<S>): void {
    this.#dequeue(person);
    this.#end(person, 'left', true);
  }

  /** The partner a signal goes to; tells the sender `not_matched` when there is none. */
  partnerOf(person: Person<S>): Person<S> | null {
    if (!person.partner) person.send(NOT_MATCHED);
    return person.partner;
  }

  stats(): PairingStats {
    return { online: this.#online, queued: this.#queue.length, inConversation: this.#conversations * 2, conversations: this.#conversations };
  }

  #dequeue(person: Person<S>): void {
    const index = person.queueIndex;
    if (index < 0) return;
    const last = this.#queue.pop()!;
    if (last !== person) {
      this.#queue[index] = last;
      last.queueIndex = index;
    }
    person.queueIndex = -1;
  }

  #end(person: Person<S>, reason: string, notifyActor: boolean): void {
    const partner = person.partner;
    if (!partner) return;
    person.partner = null;
    partner.partner = null;
    this.#conversations--;
    if (notifyActor) person.send({ type: 'ended', by: 'self', reason });
    partner.send({ type: 'ended', by: 'stranger', reason });
  }
}
