// The school sign-in settings `init` asks for (OpenID Connect: the `oidc` access mode, or staff
// signing in for the adult band): which provider, its issuer, the client id, the client secret
// (to .env only, never shown), the school checks (Google Workspace domains, Entra tenants) and who
// is an adult. Every answer is checked against the settings schema, like init's other answers.
import type { InstanceSettings } from '../server/config.ts';
import { CliError, ExitCode, type Context } from './context.ts';
import type { GlobalOptions } from './output.ts';
import { answer, canPrompt } from './questions.ts';
import { promptCheck, settingProblem, splitList } from './validate.ts';

/** The client secret's variable, in .env and (for init without a terminal) in the environment. */
export const OIDC_SECRET_ENV = 'STRANGERCHAT_OIDC_CLIENT_SECRET';
export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const OIDC_PROVIDERS = ['google', 'entra', 'other'] as const;
export type OidcProviderKind = (typeof OIDC_PROVIDERS)[number];

/** Microsoft Entra ID's issuer for one directory (tenant): the only form whose `iss` can be checked exactly. */
export function entraIssuer(tenant: string): string {
  return `https://login.microsoftonline.com/${tenant}/v2.0`;
}

type BandRule = InstanceSettings['oidc']['bands'][number];

/** What init writes into `oidc` (the rest keeps its defaults). */
export interface OidcInstance {
  issuer: string;
  clientId: string;
  allowedDomains?: string[];
  allowedTenants?: string[];
  bands?: BandRule[];
  requireForAdults?: boolean;
}

export interface OidcFlags {
  oidcProvider?: OidcProviderKind;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcDomain?: string[];
  oidcTenant?: string[];
  oidcAdult?: string[];
  oidcForAdults?: boolean;
}

/** "staff.school.org" (an e-mail domain) or "roles=Staff" (a claim and a value): who is in the adult band. */
export function adultRule(text: string): BandRule | undefined {
  const value = text.trim();
  const eq = value.indexOf('=');
  if (eq > 0 && eq < value.length - 1) return { claim: value.slice(0, eq).trim(), values: [value.slice(eq + 1).trim()], band: 'adult' };
  if (eq === -1 && value) return { emailDomain: value.toLowerCase(), band: 'adult' };
  return undefined;
}

/** Rules of one claim become one rule with all its values. */
function mergeRules(rules: BandRule[]): BandRule[] {
  const merged: BandRule[] = [];
  for (const rule of rules) {
    const same = 'claim' in rule ? merged.find((r): r is Extract<BandRule, { claim: string }> => 'claim' in r && r.claim === rule.claim) : undefined;
    if (same && 'claim' in rule) same.values = [...new Set([...same.values, ...rule.values])];
    else merged.push(rule);
  }
  return merged;
}

export const oidcCheck = {
  issuer: (value: string) => settingProblem({ oidc: { issuer: value.trim() } }),
  clientId: (value: string) => settingProblem({ oidc: { clientId: value.trim() } }),
  domain: (value: string) => settingProblem({ oidc: { allowedDomains: [value.trim()] } }),
  tenant: (value: string) => settingProblem({ oidc: { allowedTenants: [value.trim()] } }),
  adult: (value: string) => {
    const rule = adultRule(value);
    return rule ? settingProblem({ oidc: { bands: [rule] } }) : 'an e-mail domain (staff.school.example.org) or claim=value (roles=Staff, groups=<group object id>)';
  },
};

function kindOf(issuer: string | undefined): OidcProviderKind | undefined {
  if (!issuer) return undefined;
  const host = new URL(issuer).hostname;
  return host === 'accounts.google.com' ? 'google' : host === 'login.microsoftonline.com' ? 'entra' : 'other';
}

const listAnswer = (check: (value: string) => string | undefined, required: string | undefined) => (value: string) => {
  const items = splitList(value);
  if (!items.length) return required ?? true;
  return items.map(check).find(Boolean) ?? true;
};

export async function askOidc(ctx: Context, options: GlobalOptions & OidcFlags): Promise<{ oidc: OidcInstance; clientSecret: string }> {
  const kind = await answer<OidcProviderKind>(ctx, options, options.oidcProvider, {
    flag: '--oidc-provider',
    default: kindOf(options.oidcIssuer) ?? 'google',
    ask: () =>
      ctx.prompt.select<OidcProviderKind>({
        message: "The school's identity provider",
        default: kindOf(options.oidcIssuer) ?? 'google',
        choices: [
          { value: 'google', name: 'Google Workspace for Education', description: 'school Google accounts; the hd claim names the Workspace domain' },
          { value: 'entra', name: 'Microsoft Entra ID (Microsoft 365)', description: 'school Microsoft accounts; the tid claim names the directory' },
          { value: 'other', name: 'another OpenID Connect provider', description: 'its issuer URL' },
        ],
      }),
  });
  let tenants = options.oidcTenant;
  if (kind === 'entra' && !tenants?.length) {
    const tenant = await answer(ctx, options, undefined as string | undefined, {
      flag: '--oidc-tenant',
      ask: () => ctx.prompt.input({ message: 'Directory (tenant) ID of the school (Entra admin centre → Overview)', validate: promptCheck(oidcCheck.tenant) }),
    });
    tenants = [tenant.trim()];
  }
  const suggested = kind === 'google' ? GOOGLE_ISSUER : kind === 'entra' ? entraIssuer(tenants![0]!) : undefined;
  const issuer = (
    await answer(ctx, options, options.oidcIssuer, {
      flag: '--oidc-issuer',
      ...(suggested ? { default: suggested } : {}),
      ask: () => ctx.prompt.input({ message: "The provider's issuer URL", ...(suggested ? { default: suggested } : {}), validate: promptCheck(oidcCheck.issuer) }),
    })
  ).trim();
  const clientId = (
    await answer(ctx, options, options.oidcClientId, {
      flag: '--oidc-client-id',
      ask: () => ctx.prompt.input({ message: 'Client ID the provider gave this chat (Google: OAuth client ID; Entra: Application (client) ID)', validate: promptCheck(oidcCheck.clientId) }),
    })
  ).trim();
  let clientSecret = ctx.env[OIDC_SECRET_ENV] || undefined;
  if (clientSecret === undefined) {
    if (!canPrompt(ctx, options)) throw new CliError(`missing the client secret (no terminal to ask): set ${OIDC_SECRET_ENV} in the environment`, ExitCode.Usage);
    clientSecret = await ctx.prompt.password({ message: 'Client secret (kept in .env, never shown)', validate: (v) => (v ? true : 'the provider gave a secret with the client ID') });
  }
  let domains = options.oidcDomain;
  if (kind === 'google' && !domains?.length) {
    // Without hd checks, any Google account in the world could sign in.
    domains = splitList(
      await answer(ctx, options, undefined as string | undefined, {
        flag: '--oidc-domain',
        ask: () =>
          ctx.prompt.input({
            message: "The school's Google Workspace domain (the accounts' hd claim; comma-separated if several)",
            validate: listAnswer(oidcCheck.domain, 'at least one domain: otherwise any Google account could sign in'),
          }),
      }),
    );
  }
  const adultHint =
    kind === 'google'
      ? 'the e-mail domain of staff accounts, e.g. staff.school.example.org'
      : kind === 'entra'
        ? 'roles=<app role value> or groups=<staff group object id>'
        : 'an e-mail domain, or claim=value';
  const adults = await answer(ctx, options, options.oidcAdult, {
    flag: '--oidc-adult',
    default: [],
    ask: async () =>
      splitList(
        await ctx.prompt.input({
          message: `Who is an adult (staff)? ${adultHint}; leave empty and everyone is in the under-18 band`,
          default: '',
          validate: listAnswer(oidcCheck.adult, undefined),
        }),
      ),
  });
  const bands = mergeRules(adults.map((text) => adultRule(text)!).filter(Boolean));
  return {
    oidc: {
      issuer,
      clientId,
      ...(domains?.length ? { allowedDomains: domains } : {}),
      ...(tenants?.length ? { allowedTenants: tenants } : {}),
      ...(bands.length ? { bands } : {}),
    },
    clientSecret,
  };
}
