// Who may use which mode, and whose media must be relayed. A minor's media is always relayed, in
// every profile: their welcome says relay-only with TURN servers only, their conversations are
// relay-only (the server strips every non-relay candidate, both ways), and without a TURN server
// video is not offered to them at all, since it could only work peer to peer. Adults keep
// peer-to-peer unless the instance is relay-only (`relayOnly`, on for schools and by default with TURN).
// Where video needs a moderator on duty (`moderation.videoOnlyOnDuty`), it is offered to nobody
// while none is (the live answer comes from server/access/availability.ts).
import { ADULT_AGE, type ServerConfig } from '../config.ts';
import type { ChatMode } from '../protocol/messages.ts';
import type { AgeBand } from './hub.ts';
import { VIDEO_NEEDS_MODERATOR } from '../access/availability.ts';

export interface MediaPolicy {
  /** This person's media must go through the TURN relay. */
  relayOnlyFor(band: AgeBand): boolean;
  /** The modes this person may ask for now. */
  modesFor(band: AgeBand): ChatMode[];
  /** Why `find` in this mode is refused to this person now, or undefined when it is allowed. */
  refusal(band: AgeBand, mode: ChatMode): ModeRefusal | undefined;
}

/** A refused mode: the message is safe to show; the reason lets a page say it in its own words. */
export interface ModeRefusal {
  message: string;
  /** `not_offered`: the space has no such mode; `no_relay`: a minor, without a TURN relay; `no_moderator`: video needs a moderator on duty. */
  reason: 'not_offered' | 'no_relay' | 'no_moderator';
}

/** What the policy asks of the live state: whether video is offered right now. */
export interface LiveVideo {
  videoUnavailable(): 'no_moderator' | undefined;
}

export const VIDEO_NEEDS_RELAY_FOR_MINORS =
  'Video is not available to under-18s on this space: it has no relay (TURN) server to keep your address private. You can chat by text.';

/** True when video is offered to the instance but cannot be offered to minors (no TURN server). */
export function minorsLoseVideo(config: ServerConfig): boolean {
  const { settings } = config;
  return settings.modes.includes('video') && settings.turn.urls.length === 0 && config.minAge < ADULT_AGE;
}

/** `live`: whether video is offered right now (a moderator on duty); without it, the settings alone decide. */
export function mediaPolicy(config: ServerConfig, live?: LiveVideo): MediaPolicy {
  const offered: ChatMode[] = [...config.settings.modes];
  const minorModes = minorsLoseVideo(config) ? offered.filter((mode) => mode !== 'video') : offered;
  const textOnly = offered.filter((mode) => mode !== 'video');
  return {
    relayOnlyFor: (band) => config.relayOnly || band !== 'adult',
    modesFor: (band) => [...(live?.videoUnavailable() ? textOnly : band === 'adult' ? offered : minorModes)],
    refusal(band, mode) {
      if (!offered.includes(mode)) return { message: `This space does not offer ${mode} conversations.`, reason: 'not_offered' };
      if (band !== 'adult' && !minorModes.includes(mode)) return { message: VIDEO_NEEDS_RELAY_FOR_MINORS, reason: 'no_relay' };
      if (mode === 'video' && live?.videoUnavailable()) return { message: VIDEO_NEEDS_MODERATOR, reason: 'no_moderator' };
      return undefined;
    },
  };
}

/**
 * What an operator should hear about media and minors (`doctor`, `status`, the start-up log):
 * empty when nothing is wrong.
 */
export function minorMediaWarnings(config: ServerConfig): string[] {
  if (!minorsLoseVideo(config)) return [];
  return [
    `video is offered but no TURN server is configured: under-18s (minimum age ${config.minAge}) are offered text only, ` +
      'since their video must always go through a relay',
  ];
}
