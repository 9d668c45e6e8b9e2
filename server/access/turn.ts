// TURN credentials in the TURN REST scheme (coturn's `use-auth-secret`): the server and coturn share
// one secret; the server mints a short-lived username/password per person and coturn checks them
// with the same HMAC, so no account ever has to be created on the TURN server.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { InstanceSettings } from '../config.ts';
import type { IceServer } from '../protocol/messages.ts';

/** Credentials for one person, valid until `expiresAt` (seconds since the epoch). */
export interface TurnCredentials {
  /** `<expiry unix seconds>:<participant id>`: coturn reads the expiry from before the colon. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  credential: string;
  expiresAt: number;
}

/** The TURN REST password for a username: base64(HMAC-SHA1(secret, username)); the secret as text or as a key made once. */
export function turnPassword(secret: string | KeyObject, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** Mints credentials for `participantId` that coturn accepts until `nowMs` + `ttlSeconds`. */
export function mintTurnCredentials(secret: string | KeyObject, participantId: string, nowMs: number, ttlSeconds: number): TurnCredentials {
  if (!secret) throw new TypeError('mintTurnCredentials: the TURN shared secret is empty');
  if (participantId.includes(':')) throw new TypeError('mintTurnCredentials: a participant id must not contain ":"');
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${participantId}`;
  return { username, credential: turnPassword(secret, username), expiresAt };
}

export interface IceServerOptions {
  turn: InstanceSettings['turn'];
  /** The shared secret (STRANGERCHAT_TURN_SECRET); required when `turn.urls` is set. */
  secret: string | undefined;
  /** Milliseconds since the epoch. */
  now: () => number;
}

/** The ICE servers for one person; `json` gives the same list already serialised (for `matched`). */
export interface IceServerSource {
  (participantId: string, relayOnly: boolean): IceServer[];
  json(participantId: string, relayOnly: boolean): string;
}

/**
 * Returns a function giving the ICE servers for one person: the TURN urls with fresh credentials
 * on every call, and the STUN urls only when that person's media may use their own addresses
 * (not relay-only: STUN exists to discover exactly the public address relay-only hides).
 */
export function createIceServers(options: IceServerOptions): IceServerSource {
  const { turn, secret, now } = options;
  if (turn.urls.length > 0 && !secret) throw new TypeError('createIceServers: turn.urls is set but the TURN secret is missing');
  // Credentials are whole seconds: within one second a person's are the same bytes, so they are
  // minted once (an HMAC per match and side was 2–3 % of a saturated server), and serialised once
  // per relay-only choice. The cache holds one second's people and is dropped when the second changes.
  let cachedSecond = -1;
  const cache = new Map<string, { username: string; credential: string; json: [string | undefined, string | undefined] }>();
  const withTurn = turn.urls.length > 0 && secret !== undefined && secret !== '';
  // The secret as a key object, made once: given as text, every HMAC would import it again.
  const key = withTurn ? createSecretKey(Buffer.from(secret!, 'utf8')) : undefined;
  const minted = (participantId: string) => {
    const at = now();
    const second = Math.floor(at / 1000);
    if (second !== cachedSecond) {
      cache.clear();
      cachedSecond = second;
    }
    let entry = cache.get(participantId);
    if (!entry) {
      const { username, credential } = mintTurnCredentials(key!, participantId, at, turn.credentialTtlSeconds);
      cache.set(participantId, (entry = { username, credential, json: [undefined, undefined] }));
    }
    return entry;
  };
  const list = (participantId: string, relayOnly: boolean): IceServer[] => {
    const servers: IceServer[] = [];
    if (withTurn) {
      const { username, credential } = minted(participantId);
      servers.push({ urls: [...turn.urls], username, credential });
    }
    if (!relayOnly && turn.stunUrls.length > 0) servers.push({ urls: [...turn.stunUrls] });
    return servers;
  };
  const withoutTurn = withTurn ? ['', ''] : [JSON.stringify(list('', false)), JSON.stringify(list('', true))];
  return Object.assign(list, {
    json(participantId: string, relayOnly: boolean): string {
      if (!withTurn) return withoutTurn[relayOnly ? 1 : 0]!;
      const { json } = minted(participantId);
      const index = relayOnly ? 1 : 0;
      return (json[index] ??= JSON.stringify(list(participantId, relayOnly)));
    },
  });
}
