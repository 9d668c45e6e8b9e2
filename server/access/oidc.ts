// Sign-in with the school's OpenID provider (OpenID Connect, authorization code flow with PKCE
// S256, state and nonce; openid-client v6). A browser that presses "Continue with …" gets a random
// transaction id in a signed cookie; the state, nonce and PKCE verifier are derived from it (keyed
// hashes), so nothing secret is stored: the database keeps a keyed hash of the id, once, to spend
// it once. The callback is accepted only in the browser that started it (its cookie), only once,
// only before it expires, and only with the state, nonce and code the provider issued for it.
// What comes out is a verified identity, `keyedHash(iss|sub)`, and the claims the rules read
// (oidc-rules.ts); no token, code or claim is stored or logged.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type * as OpenId from 'openid-client';
import { isLoopbackHostname, oidcForMembers, type ServerConfig } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { memoryLimiterStore, type KeyedLimit, type LimiterStore } from '../cluster/limiter-store.ts';
import type { Logger } from '../logger.ts';
import { addressKey } from './ip.ts';
import { keyedHash } from './keyed-hash.ts';
import type { AgeBand } from '../chat/hub.ts';
import { assertSchoolAccount, bandFromClaims, oidcIdentityHash, type Claims } from './oidc-rules.ts';

/** Where the provider sends people back: one redirect URI for members and moderators alike. */
export const OIDC_CALLBACK_PATH = '/api/oidc/callback';
/** How long a sign-in may take between "Continue with …" and the callback. */
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** Sign-ins started per client address (IPv6: per /64) per window: a whole school shares one address at 9 o'clock. */
export const SIGN_IN_LIMITS = { perAddress: 600, windowMs: 10 * 60_000 } as const;
/** Seconds the provider has to answer discovery, JWKS and token requests. */
const PROVIDER_TIMEOUT_SECONDS = 10;
const HOUR_MS = 3600_000;
const TRANSACTION_BYTES = 32;
const TRANSACTION = /^[A-Za-z0-9_-]{43}$/;

export type SignInPurpose = 'member' | 'moderator';

/** A completed sign-in: who (the keyed identity) and what the verified ID token says. */
export interface OidcSignIn {
  purpose: SignInPurpose;
  identityHash: string;
  /** The ID token's claims; read by the rules, never stored or logged. */
  claims: Claims;
  /** The band the rules give (oidc.bands; undecided is minor). */
  band: AgeBand;
  /** Until when the sign-in counts on this browser (oidc.signInHours). */
  expiresAt: number;
}

/** The redirect URI to register at the provider: `<publicUrl>/api/oidc/callback`. */
export function redirectUriOf(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`;
}

/** Who people sign in with, on the button and in messages. */
export function providerLabel(config: ServerConfig): string {
  return config.settings.oidc.label ?? config.settings.name;
}

type OpenidClient = typeof OpenId;

/** openid-client (and jose with it), loaded by the first sign-in: an instance without OIDC never loads it. */
const openidClient = (): Promise<OpenidClient> => import('openid-client');

export interface DiscoveryOptions {
  /** Injected for tests and the doctor (default: the global fetch). */
  fetch?: OpenId.CustomFetch;
  timeoutSeconds?: number;
}

/**
 * Reads the provider's discovery document and returns the client configuration. ID token
 * signatures are always checked against the provider's keys (non-repudiation checks), not only
 * trusted for having come over TLS. Plain http is allowed for a provider on this machine only
 * (tests, development), never for one across a network: config.ts refuses such an issuer.
 */
export async function discoverProvider(config: ServerConfig, options: DiscoveryOptions = {}): Promise<OpenId.Configuration> {
  const { issuer, clientId } = config.settings.oidc;
  if (!issuer || !clientId) throw new TypeError('discoverProvider needs oidc.issuer and oidc.clientId');
  const url = new URL(issuer);
  const loopbackHttp = url.protocol === 'http:' && isLoopbackHostname(url.hostname);
  const client = await openidClient();
  return client.discovery(url, clientId, config.secrets.oidcClientSecret, undefined, {
    execute: [...(loopbackHttp ? [client.allowInsecureRequests] : []), client.enableNonRepudiationChecks],
    timeout: options.timeoutSeconds ?? PROVIDER_TIMEOUT_SECONDS,
    ...(options.fetch ? { [client.customFetch]: options.fetch } : {}),
  });
}

export interface OidcDeps {
  db: Db;
  config: ServerConfig;
  now: () => number;
  logger: Logger;
  /** How the provider is reached (default: discoverProvider with the global fetch). */
  discover?: () => Promise<OpenId.Configuration>;
  /** Where the sign-in limit is counted (default: this process, on `now`). */
  limiters?: LimiterStore;
}

export class OidcService {
  readonly #db: Db;
  readonly #config: ServerConfig;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #discover: () => Promise<OpenId.Configuration>;
  readonly #perAddress: KeyedLimit;
  #provider: Promise<OpenId.Configuration> | undefined;

  constructor(deps: OidcDeps) {
    this.#db = deps.db;
    this.#config = deps.config;
    this.#now = deps.now;
    this.#logger = deps.logger;
    this.#discover = deps.discover ?? (() => discoverProvider(deps.config));
    // In the cluster's store: a network is counted the same on every node.
    const limiters = deps.limiters ?? memoryLimiterStore({ now: deps.now });
    this.#perAddress = limiters.limit({ name: 'oidc-sign-ins-per-address', points: SIGN_IN_LIMITS.perAddress, durationSeconds: SIGN_IN_LIMITS.windowMs / 1000 });
  }

  get redirectUri(): string {
    return redirectUriOf(this.#config.settings.publicUrl ?? '');
  }

  get label(): string {
    return providerLabel(this.#config);
  }

  /** Whether a sign-in for this purpose is offered by the settings. */
  offers(purpose: SignInPurpose): boolean {
    return purpose === 'member' ? oidcForMembers(this.#config.settings) : this.#config.settings.oidc.moderators.enabled;
  }

  /** The provider's configuration, discovered once; a failure is retried at the next sign-in. */
  async #client(): Promise<OpenId.Configuration> {
    this.#provider ??= this.#discover();
    try {
      return await this.#provider;
    } catch (error) {
      this.#provider = undefined;
      this.#logger.warn({ err: { name: (error as Error).name, code: (error as { code?: string }).code, message: (error as Error).message } }, 'the school sign-in provider cannot be reached');
      throw new AppError(503, 'oidc_unavailable', `${this.label} sign-in cannot be reached just now. Please try again in a few minutes.`);
    }
  }

  #secretOf(purpose: string, transaction: string): string {
    return keyedHash(this.#config.secrets.sessionSecret, purpose, transaction);
  }

  /**
   * Starts a sign-in: returns the provider's authorization URL and the transaction id for the
   * browser's cookie. `address` is the client's, for the per-address limit.
   */
  async begin(purpose: SignInPurpose, address: string): Promise<{ url: URL; transaction: string; expiresAt: number }> {
    if (!this.offers(purpose)) throw new AppError(404, 'oidc_not_offered', 'This space does not offer that sign-in.');
    const key = addressKey(address);
    const verdict = await this.#perAddress.consume(key);
    if (!verdict.allowed) {
      const minutes = Math.max(1, Math.ceil(verdict.msBeforeNext / 60_000));
      throw new AppError(429, 'rate_limited', `Too many sign-ins from your network: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
    }
    const provider = await this.#client();
    const now = this.#now();
    // Sign-ins that can no longer finish are worth nothing: dropped as new ones begin.
    await this.#db.deleteFrom('oidc_sign_ins').where('expires_at', '<=', now).execute();
    const transaction = randomBytes(TRANSACTION_BYTES).toString('base64url');
    const expiresAt = now + SIGN_IN_TTL_MS;
    await this.#db.insertInto('oidc_sign_ins').values({ id_hash: this.#secretOf('oidc-sign-in', transaction), purpose, created_at: now, expires_at: expiresAt, used_at: null }).execute();
    const { allowedDomains, prompt } = this.#config.settings.oidc;
    const client = await openidClient();
    const url = client.buildAuthorizationUrl(provider, {
      redirect_uri: this.redirectUri,
      scope: this.#config.settings.oidc.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(this.#secretOf('oidc-pkce', transaction)),
      code_challenge_method: 'S256',
      state: this.#secretOf('oidc-state', transaction),
      nonce: this.#secretOf('oidc-nonce', transaction),
      ...(prompt.length ? { prompt: prompt.join(' ') } : {}),
      // Google's account chooser offers only the school's accounts; the `hd` claim is still checked.
      ...(allowedDomains.length ? { hd: allowedDomains.length === 1 ? allowedDomains[0]! : '*' } : {}),
    });
    return { url, transaction, expiresAt };
  }

  /**
   * Completes a sign-in from the provider's callback (`query`: its query string) in the browser
   * holding `transaction`. Refuses a missing or foreign transaction, a state that is not this
   * browser's, a transaction already spent or expired, and whatever openid-client refuses (a code
   * the provider does not honour, a nonce, issuer, audience or signature that does not match),
   * then the school checks (`hd`, `tid`).
   */
  async finish(transaction: string | undefined, query: string): Promise<OidcSignIn> {
    if (!transaction || !TRANSACTION.test(transaction)) {
      throw new AppError(400, 'oidc_no_sign_in', 'This sign-in was not started in this browser, or took too long. Please start again.');
    }
    const callback = new URL(`${this.redirectUri}${query.startsWith('?') ? query : `?${query}`}`);
    const state = this.#secretOf('oidc-state', transaction);
    // Checked before the transaction is spent: a forged callback opened in this browser must not
    // spoil the sign-in it has under way.
    if (!sameText(callback.searchParams.get('state') ?? '', state)) {
      this.#logger.info({ problem: 'state' }, 'school sign-in refused');
      throw new AppError(400, 'oidc_callback_invalid', 'This sign-in could not be completed: it did not come back to the browser that started it. Please start again.');
    }
    const now = this.#now();
    const idHash = this.#secretOf('oidc-sign-in', transaction);
    const spent = await this.#db.updateTable('oidc_sign_ins').set({ used_at: now }).where('id_hash', '=', idHash).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) {
      this.#logger.info({ problem: 'spent_or_expired' }, 'school sign-in refused');
      throw new AppError(400, 'oidc_callback_invalid', 'This sign-in was already used or took too long. Please start again.');
    }
    const row = await this.#db.selectFrom('oidc_sign_ins').select('purpose').where('id_hash', '=', idHash).executeTakeFirstOrThrow();
    const purpose: SignInPurpose = row.purpose === 'moderator' ? 'moderator' : 'member';
    const provider = await this.#client();
    const client = await openidClient();
    let claims: Claims;
    try {
      const tokens = await client.authorizationCodeGrant(provider, callback, {
        pkceCodeVerifier: this.#secretOf('oidc-pkce', transaction),
        expectedState: state,
        expectedNonce: this.#secretOf('oidc-nonce', transaction),
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new TypeError('no ID token');
      claims = idClaims as Claims;
    } catch (error) {
      throw this.#refusal(client, error, purpose);
    }
    try {
      assertSchoolAccount(claims, this.#config.settings.oidc, this.label);
    } catch (error) {
      this.#logger.info({ purpose, problem: (error as AppError).code }, 'school sign-in refused');
      throw error;
    }
    const { oidc } = this.#config.settings;
    return {
      purpose,
      identityHash: oidcIdentityHash(this.#config.secrets.sessionSecret, String(claims.iss), String(claims.sub)),
      claims,
      band: bandFromClaims(claims, oidc.bands),
      expiresAt: this.#now() + oidc.signInHours * HOUR_MS,
    };
  }

  /** What a person is told when the provider or openid-client refused; the log keeps the kind, never a token. */
  #refusal(client: OpenidClient, error: unknown, purpose: SignInPurpose): AppError {
    const { name, code } = error as { name?: string; code?: string };
    const oauthError = error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError ? error.error : undefined;
    // openid-client wraps oauth4webapi's error, whose message names the check ('unexpected ID Token
    // "nonce" claim value'); only messages are logged, never a cause (it holds the claims and expected values).
    const inner = (error as { cause?: unknown }).cause;
    const detail = inner instanceof Error ? inner.message : undefined;
    this.#logger.info({ purpose, problem: { name, code, error: oauthError, message: (error as Error).message, ...(detail ? { detail } : {}) } }, 'school sign-in refused');
    if (error instanceof client.AuthorizationResponseError) {
      return new AppError(403, 'oidc_denied', `The sign-in was cancelled or refused at ${this.label}.`);
    }
    if (error instanceof client.ResponseBodyError && error.error === 'invalid_client') {
      this.#logger.warn('the school sign-in provider refused this instance\'s client id or secret (oidc.clientId, STRANGERCHAT_OIDC_CLIENT_SECRET)');
      return new AppError(503, 'oidc_unavailable', `${this.label} sign-in is not working just now; the people who run this space have been told.`);
    }
    if (error instanceof TypeError && (error as { cause?: unknown }).cause !== undefined) {
      return new AppError(503, 'oidc_unavailable', `${this.label} sign-in cannot be reached just now. Please try again in a few minutes.`);
    }
    return new AppError(400, 'oidc_callback_invalid', 'This sign-in could not be completed. Please start again.');
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
