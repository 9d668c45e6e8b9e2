// What a server process does with each event of the moderation feed (events.ts): the one switch
// from a change written anywhere (the terminal, another node, this process) to its effect here.
import type { Logger } from '../logger.ts';
import type { ModerationEvent } from '../protocol/feed.ts';
import type { ServerMessage } from '../protocol/messages.ts';
import type { BanIndex } from './ban-index.ts';
import type { BanService } from './bans.ts';
import type { Enforcement } from './enforcement.ts';
import type { EventHandler } from './events.ts';

export interface FeedActionDeps {
  bans: Pick<BanService, 'get'>;
  index: BanIndex;
  enforcement: Pick<Enforcement, 'enforceBans' | 'endSession'>;
  /** Sends a message to every connection of this process. */
  broadcast: (message: ServerMessage) => void;
  /** Someone went on or off duty, or the space was paused or resumed: read again, and tell people (chat/availability-watch.ts). */
  availabilityChanged: () => Promise<void>;
  logger: Logger;
}

/** The feed's handler: a returned promise (a ban being read) is awaited before the next event and by a catch-up. */
export function feedActions(deps: FeedActionDeps): EventHandler {
  return (event: ModerationEvent) => {
    switch (event.kind) {
      case 'session_killed':
        return deps.enforcement.endSession(event.payload.sessionId);
      case 'announcement':
        return deps.broadcast({ type: 'notice', text: event.payload.text });
      case 'ban_added':
        // The row, not the event, is the truth: a ban lifted since then is read as lifted.
        // Returned, so a catch-up (the ban check at find) waits until the ban is enforced.
        return deps.bans.get(event.payload.banId).then(
          (ban) => {
            if (!ban) return;
            deps.index.put(ban);
            deps.enforcement.enforceBans();
          },
          (error: unknown) => deps.logger.error({ err: error, banId: event.payload.banId }, 'loading a new ban failed'),
        );
      case 'ban_lifted':
        deps.index.remove(event.payload.banId);
        return;
      case 'availability_changed':
        return deps.availabilityChanged();
    }
  };
}
