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

/**
 * Writes one unmasked WebSocket text frame (RFC 6455 §5.2: FIN, opcode 1) to the socket, header
 * and payload in one buffer. `ws.send` writes the two as separate chunks, each a trip through the
 * stream's buffering, and a batched turn then hands the kernel twice as many pieces. Only for a
 * socket whose `ws` sender never holds frames back (no permessage-deflate: gateway.ts), so this
 * and `ws`'s own writes (ping, close) reach the socket in the order they were made.
 */
export function writeTextFrame(socket: Duplex, payload: string | Uint8Array): void {
  socket.write(textFrame(payload));
}

/** One unmasked WebSocket text frame holding the payload (a frame built once may be written to many sockets). */
export function textFrame(payload: string | Uint8Array): Buffer {
  const text = typeof payload === 'string';
  const length = text ? Buffer.byteLength(payload) : payload.byteLength;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (text) frame.write(payload, header, 'utf8');
  else frame.set(payload, header);
  return frame;
}
