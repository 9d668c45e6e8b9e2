// What `doctor` and `status` say about minors' media: their video always goes through a TURN
// relay (server/chat/media-policy.ts), so without one they are offered text only. Its own file,
// so the rule is stated once for both commands.
import type { ServerConfig } from '../server/config.ts';
import { minorMediaWarnings } from '../server/chat/media-policy.ts';

export interface MinorMediaOutcome {
  status: 'ok' | 'warn';
  message: string;
  fix?: string;
}

export const MINOR_MEDIA_FIX =
  "run coturn (strangerchat deploy coturn) and set turn.urls, with STRANGERCHAT_TURN_SECRET in .env; or offer text only: strangerchat config set modes '[\"text\"]'";

/** The doctor check `minors`: a warning (with its fix) when under-18s cannot have video. */
export function minorMediaCheck(config: ServerConfig): MinorMediaOutcome {
  const [warning] = minorMediaWarnings(config);
  if (warning) return { status: 'warn', message: warning, fix: MINOR_MEDIA_FIX };
  if (config.minAge >= 18) return { status: 'ok', message: `no under-18s here (minimum age ${config.minAge})` };
  if (!config.settings.modes.includes('video')) return { status: 'ok', message: 'text only: nothing to relay' };
  return { status: 'ok', message: "under-18s' video goes through the TURN relay only" };
}
