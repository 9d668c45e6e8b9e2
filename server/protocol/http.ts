// HTTP bodies of protocol v1.
import { z } from 'zod';

export const SessionRequest = z.strictObject({
  acceptRules: z.boolean(),
  /** The declared age; required, except for people signed in with the school (their band comes from it, and an age is refused). */
  age: z.number().int().min(0).max(150).optional(),
  inviteCode: z.string().min(1).max(128).optional(),
});
export type SessionRequest = z.infer<typeof SessionRequest>;

export interface SessionResponse {
  ticket: string;
  expiresIn: number;
}

/** The one HTTP error shape: the message is safe to show to a person. */
export interface HttpErrorBody {
  error: { code: string; message: string; [extra: string]: unknown };
}

/** `POST /api/email/start`: ask for a magic link (email access mode). */
export const EmailStartRequest = z.strictObject({
  email: z.string().min(1).max(320),
});
export type EmailStartRequest = z.infer<typeof EmailStartRequest>;

/** `202` answer of `POST /api/email/start`; the same whether or not the address was seen before. */
export interface EmailStartResponse {
  sent: true;
  expiresInMinutes: number;
}

/** `POST /api/email/verify`: the confirm page sends the token from the link it was opened with. */
export const EmailVerifyRequest = z.strictObject({
  token: z.string().max(256),
});
export type EmailVerifyRequest = z.infer<typeof EmailVerifyRequest>;

/** `GET /api/email/status`: whether this device holds a verified e-mail identity, and until when (ms). */
export interface EmailStatusResponse {
  verified: boolean;
  expiresAt?: number;
}

/** `GET /api/oidc/status`: whether this browser holds a school sign-in, its band and until when (ms). */
export interface OidcStatusResponse {
  signedIn: boolean;
  band?: 'minor' | 'adult';
  expiresAt?: number;
}

/** How the school's sign-in is offered (`PublicConfig.schoolSignIn`). */
export interface SchoolSignIn {
  /** Who people sign in with: "Continue with {label}". */
  label: string;
  /** Members sign in (the `oidc` access mode): no age is asked. */
  members: boolean;
  /** In another access mode: the adult band only through the sign-in (staff); typed ages stay under 18. */
  adults: boolean;
  /** Moderators may sign in to /mod with it. */
  moderators: boolean;
}

/**
 * `GET /api/config`: the instance's public settings (the site also receives them inside each page).
 * `description` and `rules` are in the visitor's language when the instance gives them in it.
 */
export interface PublicConfig {
  name: string;
  description: string;
  profile: 'school' | 'community' | 'adult';
  accessMode: 'open' | 'invite' | 'email' | 'oidc';
  /** The school's sign-in (OpenID Connect), when the instance offers it to anyone; else null. */
  schoolSignIn: SchoolSignIn | null;
  minAge: number;
  modes: Array<'text' | 'video'>;
  /** Markdown. */
  rules: string;
  relayOnly: boolean;
  version: string;
  /** The instance's default language tag; a visitor's browser language wins when the site has it. */
  language: string;
  branding: { accentColor: string | null; logoUrl: string | null };
  /** Milliseconds after a conversation ends during which its participants may still report it. */
  reportGraceMs: number;
  /** How to reach the people who run the instance: an e-mail address or an https URL; null when not given. */
  contact: string | null;
  /** What the instance's settings promise about moderation (the landing page says it). */
  moderation: ModerationPromises;
  /** The on-device nudity check of the video a person receives (the page knows the person's band from `welcome`). */
  nudityFilter: NudityFilterSettings;
  /** Whether it is open now, and whether video is offered (live in `GET /api/config`; the pages read `GET /api/presence`). */
  availability?: Availability;
}

/**
 * The on-device nudity check (nsfwjs in the browser; no video leaves the device): whom it
 * protects and when it blurs the stranger's video.
 */
export interface NudityFilterSettings {
  /** The video under-18s receive is checked (and blurred until checked, whatever `adultsBlurUntilChecked` says). */
  minors: boolean;
  /** The video adults receive is checked. */
  adults: boolean;
  /** Adults' video is blurred until its first clean check (when `adults`). */
  adultsBlurUntilChecked: boolean;
  /** A frame is positive when a class's probability (0–1) reaches its threshold. */
  thresholds: { porn: number; hentai: number; sexy: number };
  /** Positive frames in a row that blur the video. */
  consecutiveFrames: number;
  /** Milliseconds between two checked frames. */
  intervalMs: number;
  /** Tests only: the "Neutral" class counts as positive too (the real model runs; only the rule changes). */
  testTreatNeutralAsPositive: boolean;
}

/** Moderation as the instance's settings make it, for people deciding whether to trust it. */
export interface ModerationPromises {
  /** Whom messages with contact details and links are refused for. */
  contactDetailsBlocked: 'everyone' | 'minors' | 'nobody';
  /** Reports from this many different people within the window pause the reported person until a moderator decides. */
  quarantineReporters: number;
  quarantineWindowMinutes: number;
  /** Days a resolved report's evidence is kept. */
  evidenceDays: number;
}

/** `GET /api/presence`: how many people are online now (refreshed every few seconds; cacheable that long), and whether the space is open. */
export interface PresenceResponse {
  online: number;
  availability: Availability;
}

/**
 * Whether the space takes new conversations now, and whether video is offered: `GET /api/config`,
 * `GET /api/presence`, the WebSocket's `welcome`, and an `availability` message whenever it changes.
 */
export interface Availability {
  /** New sessions and searches are accepted. */
  open: boolean;
  /** `open`; `closed`: outside the opening hours; `paused`: the operator paused the space. */
  state: 'open' | 'closed' | 'paused';
  /** When not open: when it opens again (ms since 1970); null when nobody can say (a pause without an end, or hours that never open). */
  opensAt: number | null;
  /** When open within opening hours: when this opening ends (ms); null when nothing is planned. */
  closesAt: number | null;
  /** The operator's message with a pause. */
  message: string | null;
  /** The instance's time zone (IANA), in which its opening hours are written. */
  timeZone: string;
  /** Video is offered now (to minors only with a relay as well: `welcome.modes` says per person). */
  video: boolean;
  /** Why video is not offered now though the space offers it: `no_moderator` (video only while a moderator is on duty). */
  videoReason: 'no_moderator' | null;
}
