// The moderation feed's events: what one process tells every other through the moderation_events
// table (the outbox, written in the same transaction as the change it announces). Payloads are
// validated when read: a row that does not match is logged and skipped, never acted on.
import { z } from 'zod';

export const ModerationEvent = z.discriminatedUnion('kind', [
  /** A moderator ended a chat session: every process closes its sockets with 4401. */
  z.strictObject({ kind: z.literal('session_killed'), payload: z.strictObject({ sessionId: z.string().min(1).max(64) }) }),
  /** A moderator's announcement: every process sends it as a `notice` to the people connected to it. */
  z.strictObject({ kind: z.literal('announcement'), payload: z.strictObject({ text: z.string().min(1).max(2000) }) }),
  /** A ban was added or changed: every process reloads it and disconnects whoever it matches. */
  z.strictObject({ kind: z.literal('ban_added'), payload: z.strictObject({ banId: z.string().min(1).max(64) }) }),
  /** A ban was lifted: every process forgets it. */
  z.strictObject({ kind: z.literal('ban_lifted'), payload: z.strictObject({ banId: z.string().min(1).max(64) }) }),
  /** Someone went on or off duty, or the site was paused or resumed: every process reads the state again. */
  z.strictObject({ kind: z.literal('availability_changed'), payload: z.strictObject({ what: z.enum(['duty', 'pause']) }) }),
]);
/** One event of the moderation feed. */
export type ModerationEvent = z.infer<typeof ModerationEvent>;
/** The kinds of moderation events. */
export type ModerationEventKind = ModerationEvent['kind'];
