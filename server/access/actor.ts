import type { Role } from './permissions.ts';

/**
 * Who performs an action: a logged-in moderator, the operator at the terminal (trusted as an
 * owner: they hold the instance's files), or the server's own automation.
 */
export interface Actor {
  role: Role;
  /** For the audit log: `moderator:<username>`, `cli:<os user>` or `system:<what>`. */
  name: string;
  /** The moderator's account id, when the actor is one. */
  moderatorId?: string;
}

export function cliActor(osUser: string): Actor {
  return { role: 'owner', name: `cli:${osUser}` };
}

export const SYSTEM_ACTOR: Actor = { role: 'owner', name: 'system' };
