// Socket writes held until the end of the event-loop turn. A relayed frame costs little in
// JavaScript and a system call to write: under load one turn reads many frames, and the frames
// it produces for the same socket (`ended` + `queued` + `matched` after a `next`, a partner's
// message and signal) then leave in one write instead of one each. The delay is the rest of
// the current turn: nothing waits for a timer.
import type { Duplex } from 'node:stream';

/** A connection whose socket the batch may cork; `corked` is true while it is held. */
export interface BatchedWriter {
  readonly socket: Duplex;
  corked: boolean;
}

export class WriteBatch {
  #held: BatchedWriter[] = [];
  #scheduled = false;
  readonly #flush = () => this.flush();

  /** Corks the writer's socket until the end of this turn (once per turn; later calls are free). */
  hold(writer: BatchedWriter): void {
    if (writer.corked) return;
    writer.corked = true;
    writer.socket.cork();
    this.#held.push(writer);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Writes everything held (also called at shutdown, so no frame stays corked). */
  flush(): void {
    this.#scheduled = false;
    const held = this.#held;
    this.#held = [];
    for (const writer of held) {
      writer.corked = false;
      writer.socket.uncork();
    }
  }
}
