// The instance's public settings: what `GET /api/config` answers and what the site's pages carry.
import { localDescription, localRules, oidcInUse, type ServerConfig } from '../config.ts';
import { providerLabel } from '../access/oidc.ts';
import { contactDetailsBlocked } from '../moderation/filter.ts';
import type { ModerationPromises, PublicConfig } from '../protocol/http.ts';

/**
 * The instance's public settings in a language (its description and rules in it when the instance
 * has them): `GET /api/config`, and the data the site's pages are filled with.
 */
export function publicConfig(config: ServerConfig, lang = config.settings.language): PublicConfig {
  const { settings } = config;
  return {
    name: settings.name,
    description: localDescription(settings, lang),
    profile: settings.profile,
    accessMode: settings.accessMode,
    schoolSignIn: oidcInUse(settings)
      ? {
          label: providerLabel(config),
          members: settings.accessMode === 'oidc',
          adults: settings.accessMode !== 'oidc' && settings.oidc.requireForAdults,
          moderators: settings.oidc.moderators.enabled,
        }
      : null,
    minAge: config.minAge,
    modes: [...settings.modes],
    rules: localRules(config, lang),
    relayOnly: config.relayOnly,
    version: config.version,
    language: settings.language,
    branding: { accentColor: settings.branding.accentColor ?? null, logoUrl: settings.branding.logoUrl ?? null },
    reportGraceMs: settings.pairing.reportGraceMs,
    contact: settings.contact ?? null,
    moderation: moderationPromises(config),
  };
}

/** What the settings make true of moderation, asked of the rules that apply them (the filter's). */
export function moderationPromises(config: ServerConfig): ModerationPromises {
  const { settings } = config;
  const blockedFor = (band: 'minor' | 'adult') => contactDetailsBlocked(settings.filters.contactDetails, { profile: settings.profile, band });
  return {
    contactDetailsBlocked: blockedFor('adult') ? 'everyone' : blockedFor('minor') ? 'minors' : 'nobody',
    quarantineReporters: settings.moderation.quarantineReporters,
    quarantineWindowMinutes: settings.moderation.quarantineWindowMinutes,
    evidenceDays: settings.retention.evidenceDays,
  };
}
