// The one way secrets-derived lookups are stored: an HMAC of the value under the instance
// secret, with a purpose prefix so that a ticket's hash can never stand for an invite's.
import { createHmac } from 'node:crypto';

/** HMAC-SHA-256 of `purpose:value` under `secret`, base64url. */
export function keyedHash(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${value}`).digest('base64url');
}
