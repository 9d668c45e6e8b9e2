import type { Role } from './permissions.ts';

/**
 * Who performs an action: a logged-in moderator, the operator at the terminal (trusted as an
 * owner: they hold the instance's files), the operator acting as a moderator account (`--as`),
 * or the server's own automation.
 */
export interface Actor {
  role: Role;
  /** For the audit log: `moderator:<username>`, `cli:<os user>`, `cli:<os user> as <username>` or `system:<what>`. */
  name: string;
  /** The moderator's account id, when the actor is one. */
  moderatorId?: string;
  /** Acting from the terminal (the CLI), where minor and illegal reports need a safeguarding account (report-review.ts). */
  terminal?: boolean;
}

export function cliActor(osUser: string): Actor {
  return { role: 'owner', name: `cli:${osUser}`, terminal: true };
}

/** The operator at the terminal acting as a moderator account: its role, audited under both names. */
export function cliActorAs(osUser: string, moderator: { id: string; username: string; role: Role }): Actor {
  return { role: moderator.role, name: `cli:${osUser} as ${moderator.username}`, moderatorId: moderator.id, terminal: true };
}

/** The account behind an audit name (`moderator:sam`, `cli:alice as sam` → `sam`), if any. */
export function accountOf(actorName: string): string | undefined {
  return /^moderator:(.+)$/.exec(actorName)?.[1] ?? /^cli:.* as (.+)$/.exec(actorName)?.[1];
}

export const SYSTEM_ACTOR: Actor = { role: 'owner', name: 'system' };
