// This node's live connections: one entry per open socket, from its welcome until its socket has
// closed. The heartbeat sweeps it, enforcement and the feed find sockets in it, presence writes to
// it, and shutdown closes it. It is the node's own list (ws keeps none: clientTracking is off), and
// holds nothing about other nodes.
import type { ServerMessage } from '../protocol/messages.ts';
import type { ConnectionSet, LiveConnection } from './connection.ts';

export class ConnectionRegistry implements ConnectionSet, Iterable<LiveConnection> {
  readonly #open = new Set<LiveConnection>();

  add(connection: LiveConnection): void {
    this.#open.add(connection);
  }

  delete(connection: LiveConnection): void {
    this.#open.delete(connection);
  }

  /** Open connections on this node. */
  get size(): number {
    return this.#open.size;
  }

  [Symbol.iterator](): Iterator<LiveConnection> {
    return this.#open.values();
  }

  /** The connections of one chat session (a session may have several tabs' sockets over its life). */
  ofSession(sessionId: string): LiveConnection[] {
    return [...this.#open].filter((connection) => connection.participant.sessionId === sessionId);
  }

  /** The chat sessions with a live connection here (what `sessions list` marks live). */
  sessionIds(): string[] {
    return [...new Set([...this.#open].map((connection) => connection.participant.sessionId))];
  }

  /** Sends one message to every connection here, serialised once. */
  broadcast(message: ServerMessage): void {
    const encoded = new TextEncoder().encode(JSON.stringify(message));
    for (const connection of this.#open) connection.send(message, encoded);
  }
}
