// What a school's sign-in says about a person, read from the verified ID token's claims: the
// school checks (Google Workspace's `hd`, Microsoft Entra's `tid`), the age band, a moderator's
// role and a username. Pure functions over the claims and the settings, so the rules have one
// home and their tests need no provider.
import type { AgeBand } from '../chat/hub.ts';
import type { InstanceSettings } from '../config.ts';
import { AppError } from '../errors.ts';
import { keyedHash } from './keyed-hash.ts';
import { USERNAME_PATTERN } from './moderators.ts';
import type { Role } from './permissions.ts';

export type Claims = Readonly<Record<string, unknown>>;
type OidcSettings = InstanceSettings['oidc'];

/** The roles a claim alone never grants: an owner confirms them once from the terminal. */
export const CONFIRMED_ROLES: ReadonlySet<Role> = new Set(['owner', 'safeguarding']);

/**
 * The verified identity of a sign-in: a keyed hash of the issuer and subject (`iss|sub`), the pair
 * that names one account for ever at one provider. The e-mail address is never part of it, so it
 * survives a change of address and is never stored.
 */
export function oidcIdentityHash(secret: string, issuer: string, subject: string): string {
  return keyedHash(secret, 'oidc-identity', `${issuer}|${subject}`);
}

/**
 * A claim by name, or by a dotted path into nested claims (`org.role`); a name that itself holds
 * dots (`https://school.example/roles`) is looked up whole first.
 */
export function claimAt(claims: Claims, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let at: unknown = claims;
  for (const part of path.split('.')) {
    if (!at || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** Whether a claim equals one of `values`, or is a list holding one (groups, roles). */
export function claimMatches(claim: unknown, values: readonly string[]): boolean {
  const scalar = (value: unknown) => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && values.includes(String(value));
  return Array.isArray(claim) ? claim.some(scalar) : scalar(claim);
}

/** The domain of the e-mail address, when the provider says it verified the address; else undefined. */
function verifiedEmailDomain(claims: Claims): string | undefined {
  const email = claims.email;
  if (typeof email !== 'string' || claims.email_verified !== true) return undefined;
  const at = email.lastIndexOf('@');
  return at > 0 ? email.slice(at + 1).toLowerCase().replace(/\.$/, '') : undefined;
}

/**
 * The band the rules give these claims. Undecided — no rule matches, or rules of both bands do —
 * is minor: the stricter side of every rule. An e-mail domain counts only when verified (Entra's
 * `email` claim is not, and can be set by users: use groups or app roles there).
 */
export function bandFromClaims(claims: Claims, rules: OidcSettings['bands']): AgeBand {
  const matched = new Set<AgeBand>();
  const domain = verifiedEmailDomain(claims);
  for (const rule of rules) {
    const hit = 'emailDomain' in rule ? domain !== undefined && domain === rule.emailDomain.toLowerCase() : claimMatches(claimAt(claims, rule.claim), rule.values);
    if (hit) matched.add(rule.band);
  }
  return matched.size === 1 && matched.has('adult') ? 'adult' : 'minor';
}

/** The role of the first rule these claims match, or undefined (no moderator role here). */
export function roleFromClaims(claims: Claims, rules: OidcSettings['moderators']['roles']): Role | undefined {
  return rules.find((rule) => claimMatches(claimAt(claims, rule.claim), rule.values))?.role;
}

/**
 * The school checks, refused with a reason a person can act on: Google Workspace's `hd` (the
 * account's Workspace domain; the `hd` request parameter is only a hint to Google's page, so the
 * claim is what counts) and Microsoft Entra's `tid` (the directory). Unset lists check nothing.
 */
export function assertSchoolAccount(claims: Claims, settings: Pick<OidcSettings, 'allowedDomains' | 'allowedTenants'>, label: string): void {
  const { allowedDomains, allowedTenants } = settings;
  if (allowedDomains.length) {
    const hd = typeof claims.hd === 'string' ? claims.hd.toLowerCase() : undefined;
    if (!hd || !allowedDomains.some((domain) => domain.toLowerCase() === hd)) {
      throw new AppError(403, 'oidc_domain_not_allowed', `Only ${label} accounts can sign in here: this account belongs to another organisation, or to none.`);
    }
  }
  if (allowedTenants.length) {
    const tid = typeof claims.tid === 'string' ? claims.tid.toLowerCase() : undefined;
    if (!tid || !allowedTenants.some((tenant) => tenant.toLowerCase() === tid)) {
      throw new AppError(403, 'oidc_tenant_not_allowed', `Only ${label} accounts can sign in here: this account belongs to another organisation.`);
    }
  }
}

/**
 * A username (USERNAME_PATTERN) made from a claim (the part before any @), else from the e-mail
 * address, else `sso`: lower-cased, other characters as `-`, cut to the pattern's length.
 */
export function usernameFromClaims(claims: Claims, claim: string): string {
  for (const source of [claimAt(claims, claim), claims.email]) {
    if (typeof source !== 'string') continue;
    const local = source.split('@')[0]!.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 28);
    const padded = local.length >= 3 ? local : local ? `${local}-sso` : '';
    if (padded && USERNAME_PATTERN.test(padded)) return padded;
  }
  return 'sso';
}
