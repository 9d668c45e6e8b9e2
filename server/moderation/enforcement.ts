// Bans on live connections: whoever an active ban matches is taken out of the Hub, told why
// (`banned`, with the reason and until when) and closed with 4403 — at `find` (a ban the pairing
// gate found) and whenever a ban reaches this process through the feed. A killed session's sockets
// close with 4401. This process's connections only: every node enforces on its own, from the feed.
import type { Hub } from '../chat/hub.ts';
import type { LiveConnection } from '../chat/connection.ts';
import type { Logger } from '../logger.ts';
import { CloseCode } from '../protocol/close-codes.ts';
import type { Ban, BanIndex } from './ban-index.ts';

export interface EnforcementDeps {
  hub: Hub;
  /** This node's live connections. */
  connections: Iterable<LiveConnection>;
  index: BanIndex;
  logger: Logger;
}

export class Enforcement {
  readonly #deps: EnforcementDeps;

  constructor(deps: EnforcementDeps) {
    this.#deps = deps;
  }

  /** Ends a banned person's connection: out of the Hub, told why, closed with 4403. */
  expel(connection: LiveConnection, ban: Ban, at: 'find' | 'feed'): void {
    const { participant } = connection;
    this.#deps.hub.kick(participant.id, 'ban');
    connection.send({ type: 'banned', reason: ban.reason, until: ban.expiresAt });
    connection.close(CloseCode.Banned, 'banned');
    this.#deps.logger.info({ conn: participant.id, session: participant.sessionId, banId: ban.id }, at === 'find' ? 'banned connection closed at find' : 'banned connection closed');
  }

  /** Expels every live connection an active ban now matches (after a ban arrived). */
  enforceBans(): void {
    for (const connection of [...this.#deps.connections]) {
      const { participant } = connection;
      const ban = this.#deps.index.match({ address: participant.address, deviceId: participant.deviceId, identityHash: participant.identityHash });
      if (ban) this.expel(connection, ban, 'feed');
    }
  }

  /** Closes a session a moderator ended: its conversation ends for a moderator, its sockets with 4401. */
  endSession(sessionId: string): void {
    for (const connection of [...this.#deps.connections]) {
      if (connection.participant.sessionId !== sessionId) continue;
      this.#deps.hub.kick(connection.participant.id, 'moderator');
      connection.close(CloseCode.Unauthorised, 'session ended');
    }
  }
}
