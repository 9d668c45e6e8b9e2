// `strangerchat doctor oidc`: what the school sign-in needs from the provider, checked the way the
// server uses it (server/access/oidc.ts): its discovery document (and its issuer), its signing
// keys (the JWKS is reachable and holds keys of an algorithm it signs ID tokens with), PKCE S256,
// client authentication with a secret, and the redirect URI — an authorization request for this
// client id and redirect URI, read for the provider's refusal, so a URI nobody registered is found
// before the first pupil meets it. Nothing is signed in.
import * as client from 'openid-client';
import { isLoopbackHostname, oidcInUse, type ServerConfig } from '../server/config.ts';
import { discoverProvider, redirectUriOf } from '../server/access/oidc.ts';

export interface OidcOutcome {
  status: 'ok' | 'warn' | 'fail' | 'skip';
  message: string;
  fix?: string;
}

/** Signing algorithms openid-client verifies ID tokens with (asymmetric; never `none`, never a shared secret). */
const VERIFIABLE_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'Ed25519', 'EdDSA']);
/** Words with which providers refuse a redirect URI or a client id on their error pages (Google, Entra, oidc-provider). */
const REFUSALS: Array<[RegExp, string]> = [
  [/redirect_uri_mismatch|invalid_redirect_uri|AADSTS50011|redirect_uri.*(not|does not) match/i, 'redirect'],
  [/invalid_client|unauthorized_client|AADSTS700016|client.*not found|OAuth client was not found/i, 'client'],
];
const REGISTER = 'docs/schools.md says where for Google Workspace and Microsoft Entra ID';

export async function checkOidc(config: ServerConfig, timeoutMs: number): Promise<OidcOutcome> {
  const { settings } = config;
  if (!oidcInUse(settings)) return { status: 'skip', message: `no school sign-in (the access mode is ${settings.accessMode}; oidc.requireForAdults and oidc.moderators.enabled are off)` };
  const { issuer, clientId } = settings.oidc;
  const redirectUri = redirectUriOf(settings.publicUrl ?? '');
  const timeoutSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  let provider: client.Configuration;
  try {
    provider = await discoverProvider(config, { timeoutSeconds });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: 'fail',
      message: `cannot read ${issuer}/.well-known/openid-configuration: ${(error as Error).message}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}`,
      fix: 'check oidc.issuer (Google: https://accounts.google.com; Entra: https://login.microsoftonline.com/<tenant id>/v2.0) and that this machine reaches it (DNS, proxy, firewall)',
    };
  }
  const meta = provider.serverMetadata();
  const notes: string[] = [];
  const warnings: Array<{ message: string; fix: string }> = [];

  const publicUrl = new URL(settings.publicUrl!);
  if (publicUrl.protocol !== 'https:' && !isLoopbackHostname(publicUrl.hostname)) {
    return { status: 'fail', message: `the redirect URI ${redirectUri} is plain http: providers accept only https (localhost aside)`, fix: 'put HTTPS in front (strangerchat deploy caddy) and set publicUrl to the https:// address' };
  }

  const algorithms = meta.id_token_signing_alg_values_supported;
  const usable = (algorithms ?? ['RS256']).filter((alg) => VERIFIABLE_ALGORITHMS.has(alg));
  if (!usable.length) {
    return { status: 'fail', message: `the provider signs ID tokens only with ${algorithms!.join(', ')}, which cannot be verified with its public keys`, fix: 'use a provider (or a setting of it) that signs ID tokens with RS256 or ES256' };
  }
  if (!meta.jwks_uri) return { status: 'fail', message: 'the discovery document names no jwks_uri: ID token signatures cannot be checked', fix: 'use the issuer URL of the school\'s own directory' };
  const keys = await fetchKeys(meta.jwks_uri, timeoutMs);
  if (typeof keys === 'string') return { status: 'fail', message: `the provider's keys (${meta.jwks_uri}): ${keys}`, fix: 'check that this machine reaches the provider (proxy, firewall)' };
  notes.push(`${keys} signing key${keys === 1 ? '' : 's'}, ${usable.join('/')}`);

  const pkce = meta.code_challenge_methods_supported;
  if (pkce && !pkce.includes('S256')) return { status: 'fail', message: `the provider does not support PKCE with S256 (only ${pkce.join(', ')})`, fix: 'use a provider that supports PKCE S256' };
  notes.push(pkce ? 'PKCE S256' : 'PKCE not advertised (Microsoft Entra supports S256 without listing it)');
  const methods = meta.token_endpoint_auth_methods_supported;
  if (methods && !methods.includes('client_secret_post')) {
    return { status: 'fail', message: `the token endpoint takes ${methods.join(', ')}, not client_secret_post`, fix: 'register the client as a confidential (web) application with a client secret' };
  }
  if (!meta.authorization_response_iss_parameter_supported) notes.push('no iss in its responses (normal for Google and Entra)');

  // The redirect URI: what the provider answers to an authorization request for this client.
  const probe = client.buildAuthorizationUrl(provider, {
    redirect_uri: redirectUri,
    scope: settings.oidc.scopes.join(' '),
    state: 'strangerchat-doctor',
    nonce: 'strangerchat-doctor',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  let answer: Response;
  try {
    answer = await fetch(probe, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/html' } });
  } catch (error) {
    return { status: 'fail', message: `the authorization endpoint ${meta.authorization_endpoint} does not answer: ${(error as Error).message}`, fix: 'check that this machine reaches the provider' };
  }
  const location = answer.headers.get('location');
  const body = answer.status >= 300 && answer.status < 400 ? '' : (await answer.text()).slice(0, 200_000);
  if (location?.startsWith(redirectUri)) {
    const back = new URL(location).searchParams;
    const error = back.get('error');
    if (error) return { status: 'fail', message: `the provider refuses the sign-in request: ${error}${back.get('error_description') ? ` (${back.get('error_description')})` : ''}`, fix: `check oidc.scopes and the client's settings at the provider; ${REGISTER}` };
  }
  const refusal = REFUSALS.find(([pattern]) => pattern.test(body) || pattern.test(location ?? ''))?.[1];
  if (refusal === 'redirect' || (answer.status === 400 && !refusal)) {
    return { status: 'fail', message: `the provider refuses the redirect URI ${redirectUri} for ${clientId} (HTTP ${answer.status})`, fix: `register exactly ${redirectUri} as a redirect URI of the client; ${REGISTER}` };
  }
  if (refusal === 'client' || answer.status === 401 || answer.status === 404) {
    return { status: 'fail', message: `the provider does not know the client id ${clientId} (HTTP ${answer.status})`, fix: `check oidc.clientId (Google: the OAuth client ID; Entra: the Application (client) ID); ${REGISTER}` };
  }
  if (answer.status >= 500) warnings.push({ message: `its authorization endpoint answered HTTP ${answer.status}`, fix: 'try again later: the provider may be having an outage' });
  notes.push(`the redirect URI ${redirectUri} is accepted for ${clientId}`);
  if (settings.accessMode === 'oidc' || settings.oidc.requireForAdults) {
    if (!settings.oidc.bands.length) {
      warnings.push({ message: 'no oidc.bands rule: everyone who signs in is in the under-18 band', fix: 'say who is an adult with oidc.bands (docs/schools.md); fine for a space of pupils only' });
    }
    const google = new URL(issuer!).hostname === 'accounts.google.com';
    if (google && !settings.oidc.allowedDomains.length) {
      return { status: 'fail', message: 'Google without oidc.allowedDomains: any Google account in the world can sign in', fix: 'strangerchat config set oidc.allowedDomains \'["school.example.org"]\'' };
    }
  }
  const message = `${issuer}: ${notes.join('; ')}`;
  if (!warnings.length) return { status: 'ok', message };
  return { status: 'warn', message: `${message}; but ${warnings.map((w) => w.message).join('; ')}`, fix: warnings.map((w) => w.fix).join('; ') };
}

/** How many signing keys the provider's JWKS holds, or why it could not be read. */
async function fetchKeys(jwksUri: string, timeoutMs: number): Promise<number | string> {
  try {
    const res = await fetch(jwksUri, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok) return `HTTP ${res.status}`;
    const jwks = (await res.json()) as { keys?: Array<{ kty?: string; use?: string }> };
    const signing = (jwks.keys ?? []).filter((key) => ['RSA', 'EC', 'OKP'].includes(key.kty ?? '') && (key.use === undefined || key.use === 'sig'));
    return signing.length ? signing.length : 'no signing keys in it';
  } catch (error) {
    return (error as Error).message;
  }
}
