// Tells the people connected to this process when the space opens or closes, or when video comes
// or goes (a moderator on or off duty): an `availability` message to everyone, with the modes each
// may use now. When the space closes (its hours end, or the operator pauses it), searches are
// taken out of the queue with the `closed`/`paused` error, and each conversation hears a closing
// `notice` and ends (`ended`, by system, reason `closed`) after the grace period. When video
// goes, video searches are taken out of the queue (`mode_unavailable`, reason `no_moderator`);
// video conversations already under way go on. The rules live in AvailabilityService; this module
// only watches the answer (each tick, and whenever the moderation feed says it changed). Who is
// searching or in a conversation is each connection's own knowledge (what the Hub last told it):
// nothing here asks the Hub about a person; the one Hub command is `kick` when the grace ends.
import type { Logger } from '../logger.ts';
import type { Availability, AvailabilityService } from '../access/availability.ts';
import { VIDEO_NEEDS_MODERATOR } from '../access/availability.ts';
import type { ChatMode, ServerMessage } from '../protocol/messages.ts';
import type { AgeBand, Hub, Participant } from './hub.ts';
import type { MediaPolicy } from './media-policy.ts';

/** How often the answer is recomputed (opening hours turn at a minute, a duty lapses at its expiry). */
export const AVAILABILITY_TICK_MS = 1000;

/** A connection as the watch needs it (a LiveConnection, chat/connection.ts). */
export interface WatchedConnection {
  readonly participant: Participant;
  readonly inConversation: boolean;
  withdrawSearch(mode?: ChatMode): boolean;
  send(message: ServerMessage): void;
}

export interface AvailabilityWatchDeps {
  availability: AvailabilityService;
  hub: Pick<Hub, 'kick'>;
  media: MediaPolicy;
  /** This process's connections (read at each change). */
  connections: () => Iterable<WatchedConnection>;
  now: () => number;
  logger: Logger;
  /** Seconds between the closing notice and the end of the conversations (`openingHours.closingGraceSeconds`). */
  graceSeconds: number;
  intervalMs?: number;
}

/** The parts of the answer whose change people must hear of. */
function sameAnswer(a: Availability, b: Availability): boolean {
  return a.open === b.open && a.state === b.state && a.opensAt === b.opensAt && a.closesAt === b.closesAt && a.message === b.message && a.video === b.video;
}

export class AvailabilityWatch {
  readonly #deps: AvailabilityWatchDeps;
  #last: Availability | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closing: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: AvailabilityWatchDeps) {
    this.#deps = deps;
  }

  /** Reads the state once (so the first session and welcome are right), then watches it. */
  async start(): Promise<void> {
    await this.#deps.availability.refresh();
    this.#last = this.#deps.availability.current();
    this.#timer = setInterval(() => void this.check(), this.#deps.intervalMs ?? AVAILABILITY_TICK_MS);
    this.#timer.unref();
  }

  /** The moderation feed said the pause or the duty changed: read again now. Resolves once people are told. */
  changed(): Promise<void> {
    return this.check(true);
  }

  /** Recomputes the answer (reading the database first when it may be stale) and acts on a change. */
  check(force = false): Promise<void> {
    // One at a time: a tick that arrives during a read waits for it rather than reading twice.
    const run = (this.#running ?? Promise.resolve()).then(() => this.#check(force));
    this.#running = run.catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'reading whether the space is open failed'));
    return this.#running;
  }

  async #check(force: boolean): Promise<void> {
    if (this.#stopped) return;
    const { availability } = this.#deps;
    if (force || availability.needsRefresh()) await availability.refresh();
    const next = availability.current();
    const last = this.#last;
    if (!last || sameAnswer(last, next)) {
      this.#last ??= next;
      return;
    }
    this.#last = next;
    this.#deps.logger.info({ state: next.state, video: next.video }, 'availability changed');
    this.#announce(next);
    if (last.open && !next.open) this.#close(next);
    if (!last.open && next.open) this.#cancelClosing();
    if (last.video && !next.video) this.#videoGone();
  }

  /** Everyone hears the new state, with the modes their band may use now. */
  #announce(availability: Availability): void {
    const modes: Record<AgeBand, ChatMode[]> = { minor: this.#deps.media.modesFor('minor'), adult: this.#deps.media.modesFor('adult') };
    for (const connection of this.#deps.connections()) {
      connection.send({ type: 'availability', availability, modes: modes[connection.participant.band] });
    }
  }

  /** Searches stop at once; conversations hear that they end after the grace, and then do. */
  #close(availability: Availability): void {
    const { connections, graceSeconds, now } = this.#deps;
    const refusal = this.#deps.availability.refusal(availability)!;
    const endsAt = now() + graceSeconds * 1000;
    const minutes = Math.max(1, Math.round(graceSeconds / 60));
    const text = graceSeconds > 0 ? `${refusal.message} Your conversation ends in ${graceSeconds < 60 ? `${graceSeconds} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`}.` : refusal.message;
    for (const connection of connections()) {
      if (connection.withdrawSearch()) connection.send({ type: 'error', code: refusal.code, message: refusal.message, opensAt: refusal.opensAt });
      else if (connection.inConversation) connection.send({ type: 'notice', text, kind: 'closing', endsAt });
    }
    this.#cancelClosing();
    this.#closing = setTimeout(() => this.#endConversations(), graceSeconds * 1000);
    this.#closing.unref();
  }

  #endConversations(): void {
    this.#closing = undefined;
    if (this.#stopped || this.#last?.open) return;
    for (const connection of this.#deps.connections()) {
      if (connection.inConversation) this.#deps.hub.kick(connection.participant.id, 'closed');
    }
  }

  #cancelClosing(): void {
    clearTimeout(this.#closing);
    this.#closing = undefined;
  }

  /** Video searches leave the queue and are told why; video conversations under way go on. */
  #videoGone(): void {
    for (const connection of this.#deps.connections()) {
      if (connection.withdrawSearch('video')) {
        connection.send({ type: 'error', code: 'mode_unavailable', message: VIDEO_NEEDS_MODERATOR, reason: 'no_moderator' });
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#cancelClosing();
    await this.#running;
  }
}
