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
