// HTTP bodies of protocol v1.
import { z } from 'zod';

export const SessionRequest = z.strictObject({
  acceptRules: z.boolean(),
  age: z.number().int().min(0).max(150),
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

/** `GET /api/config`: the instance's public settings (the site also receives them inside each page). */
export interface PublicConfig {
  name: string;
  description: string;
  profile: 'school' | 'community' | 'adult';
  accessMode: 'open' | 'invite' | 'email';
  minAge: number;
  modes: Array<'text' | 'video'>;
  /** Markdown. */
  rules: string;
  relayOnly: boolean;
  version: string;
  /** The instance's default language tag; a visitor's browser language wins when the site has it. */
  language: string;
  branding: { accentColor: string | null; logoUrl: string | null };
}
