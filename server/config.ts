// The instance configuration: one human-editable JSON file per instance, validated at start
// with errors that name the key; environment variables override it; secrets come from `.env`.
// This module is the only reader of process.env (callers pass it in).
import { readFileSync, existsSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, dirname, join, resolve, isAbsolute } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { ROLES } from './access/permissions.ts';
import type { NudityFilterSettings } from './protocol/http.ts';

export const CONFIG_FILE = 'strangerchat.json';
export const ENV_FILE = '.env';

/** Minimum ages per profile (DESIGN.md: community 13+, adult 18+; schools set their own). */
export const PROFILE_MIN_AGE = { school: 11, community: 13, adult: 18 } as const;
/** Age at which a person moves to the adult band; the bands are never paired across. */
export const ADULT_AGE = 18;

const Profile = z.enum(['school', 'community', 'adult']);
export type Profile = z.infer<typeof Profile>;
const AccessMode = z.enum(['open', 'invite', 'email', 'oidc']);
export type AccessMode = z.infer<typeof AccessMode>;

/** A language tag such as "en" or "fr-ca", lower-cased. */
const LanguageTag = z
  .string()
  .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/i, 'must be a language tag such as "en" or "fr"')
  .transform((tag) => tag.toLowerCase());

/** An e-mail address (one @, no spaces) or an https URL. */
function isContact(value: string): boolean {
  if (/^[^\s@<>"/:]+@[^\s@<>"/:]+\.[^\s@<>"/:]+$/.test(value)) return true;
  if (!/^https:\/\/[^\s<>"]+$/.test(value)) return false;
  return URL.canParse(value);
}

/** The days of `openingHours.week`, Monday first (ISO 8601). */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** `08:30-16:00`: a 24-hour clock; `24:00` ends a day. */
const TIME_RANGE = /^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

function isOrderedRange(range: string): boolean {
  const [start, end] = range.split('-') as [string, string];
  return start < end;
}

/** True for a time zone Intl knows (an IANA name such as "Europe/Paris", or "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

// Each key's description (`.describe`) is its documentation: scripts/gen-config-docs.ts turns the
// schema into docs/configuration.md, and a test fails when a key has none or the page is stale.
const DatabaseSettings = z.discriminatedUnion('driver', [
  z.strictObject({
    driver: z.literal('sqlite').describe('The embedded SQLite database: one file, nothing else to run.'),
    path: z.string().min(1).default('data/strangerchat.db').describe('Path of the SQLite file, relative to the instance folder.'),
  }),
  z.strictObject({
    driver: z.literal('postgres').describe('PostgreSQL, instead of the embedded file; needs the `pg` package installed beside strangerchat (npm install pg).'),
    url: z.string().min(1).describe('A postgres:// URL; prefer STRANGERCHAT_DATABASE_URL so the password stays in `.env`.'),
  }),
]);

/** The schema of `strangerchat.json`. Every default is one a small school or club can run with. */
export const InstanceSettings = z.strictObject({
  name: z.string().min(1).max(80).default('strangerchat').describe('Shown on every page and in `/api/config`.'),
  description: z
    .union([
      z.string().max(500),
      z
        .record(LanguageTag, z.string().max(500))
        .refine((byLanguage) => Object.keys(byLanguage).length > 0, 'must give the description in at least one language'),
    ])
    .default('Meet someone new, safely.')
    .describe(
      'One sentence under the name on the home page; also in `/api/config`. A string, or one per language ' +
        '(`{"en": "…", "fr": "…"}`): each visitor reads theirs, else the one in `language`, else English, else the first.',
    ),
  contact: z
    .string()
    .max(320)
    .refine(isContact, 'must be an e-mail address or an https:// URL')
    .optional()
    .describe(
      'How people reach whoever runs this space (an e-mail address, or an https:// page such as a contact form): ' +
        'shown on the privacy page and in `/api/config`.',
    ),
  profile: Profile.default('community').describe(
    'Who the space is for. `school`: minimum age 11, relay-only video, contact details and links blocked in messages. ' +
      '`community`: 13+, with under-18s and adults never paired together. `adult`: 18+.',
  ),
  accessMode: AccessMode.default('open').describe(
    '`open`: rules and age; `invite`: an invite code; `email`: a verified address in `email.domains`; ' +
      "`oidc`: a sign-in with the school's identity provider (`oidc`), which also gives the age band: no age is asked.",
  ),
  minAge: z.number().int().min(0).max(120).optional().describe("Minimum age; defaults to the profile's (school 11, community 13, adult 18)."),
  publicUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('The address people reach the instance at (https://…); enables the WebSocket Origin check.'),
  rulesFile: z
    .string()
    .min(1)
    .default('rules.md')
    .describe(
      'The rules shown before the first match, markdown, relative to the instance folder, in the language of `language`. ' +
        'The same rules in another language sit beside it with the language before the extension (`rules.fr.md`); ' +
        'each visitor reads the rules in theirs when there is such a file.',
    ),
  language: LanguageTag.default('en')
    .describe(
      'The site\'s language for visitors whose browser asks for none the site has ("en", "fr", …). ' +
        'A language with no catalog in the site falls back to English.',
    ),
  branding: z
    .strictObject({
      accentColor: z
        .string()
        .regex(/^#[0-9a-f]{6}$/i, 'must be a colour written "#rrggbb"')
        .optional()
        .describe('Buttons and highlights, "#rrggbb"; the text on it is black or white, whichever reads better.'),
      logoUrl: z
        .string()
        .max(64 * 1024)
        .regex(/^(\/(?!\/)[^\s"'<>]*|data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+)$/, 'must be a path starting with "/" or a data:image URL')
        .optional()
        .describe(
          'The logo beside the name: a path on this site ("/logo.svg", served by your reverse proxy) ' +
            "or a data:image URL. The site's CSP loads images from itself only, so not another site's URL.",
        ),
    })
    .prefault({})
    .describe('How the site looks, applied at the next start without rebuilding it.'),
  server: z
    .strictObject({
      host: z
        .string()
        .min(1)
        .default('127.0.0.1')
        .describe('Address to listen on: 127.0.0.1 accepts connections from this machine only (a reverse proxy beside it); 0.0.0.0 from any network.'),
      port: z.number().int().min(0).max(65535).default(8080).describe('Port to listen on (0 picks a free one).'),
      shutdownGraceSeconds: z.number().min(0).max(60).default(5).describe('Seconds a shutdown waits for connections to close before exiting anyway.'),
    })
    .prefault({})
    .describe('Where the HTTP and WebSocket server listens.'),
  database: DatabaseSettings.default({ driver: 'sqlite', path: 'data/strangerchat.db' }).describe(
    'Where the data lives: the embedded SQLite file (the default) or a PostgreSQL database.',
  ),
  redis: z
    .strictObject({
      url: z
        .string()
        .min(1)
        .refine((value) => /^(redis|rediss|unix):\/\//.test(value) && URL.canParse(value), 'must be a redis://, rediss:// or unix:// URL')
        .optional()
        .describe(
          'A Redis URL (redis://, rediss:// or unix:///path/to/socket): when set, this process is one node of a cluster that shares pairing, relay, presence and limits through Redis (≥ 7.0), and it needs PostgreSQL. Prefer STRANGERCHAT_REDIS_URL in `.env`, which overrides it. See docs/scaling.md.',
        ),
      nodeTtlSeconds: z
        .number()
        .min(1)
        .max(60)
        .default(3)
        .describe("How long a node stays registered without refreshing: a node silent for this long is dead, its waiting people are never matched and its partners' conversations end."),
    })
    .prefault({})
    .describe('Scale-out: several nodes of one instance behind a load balancer (docs/scaling.md).'),
  modes: z
    .array(z.enum(['text', 'video']))
    .min(1)
    .default(['text', 'video'])
    .describe('The kinds of conversation offered: `text`, `video`, or both.'),
  pairing: z
    .strictObject({
      interestWaitMs: z
        .number()
        .int()
        .min(0)
        .max(60_000)
        .default(3000)
        .describe('How long someone with interests waits for a shared interest before random pairing.'),
      reportGraceMs: z
        .number()
        .int()
        .min(0)
        .max(600_000)
        .default(120_000)
        .describe('How long after a conversation ends its participants may still report it.'),
    })
    .prefault({})
    .describe('How people are paired.'),
  limits: z
    .strictObject({
      ticketTtlSeconds: z.number().int().min(5).max(600).default(60).describe('Seconds a WebSocket ticket stays valid after `POST /api/session`.'),
      messagesPerSecond: z.number().min(1).max(1000).default(20).describe('Sustained client frames per second per connection (token bucket rate).'),
      messageBurst: z.number().int().min(1).max(5000).default(60).describe('Burst allowance of the per-connection bucket.'),
      rateLimitStrikes: z.number().int().min(1).max(1000).default(50).describe('`rate_limited` answers within a minute before the socket is closed with 4429.'),
      protocolStrikes: z.number().int().min(1).max(1000).default(10).describe('Invalid frames within a minute before the socket is closed with 4400.'),
      heartbeatIntervalMs: z
        .number()
        .int()
        .min(1000)
        .max(300_000)
        .default(30_000)
        .describe('Milliseconds between WebSocket pings; a socket that missed the previous pong is dropped.'),
      idleTimeoutMs: z
        .number()
        .int()
        .min(10_000)
        .max(86_400_000)
        .default(15 * 60_000)
        .describe('Milliseconds a connection may sit neither queued nor in a conversation without a frame.'),
    })
    .prefault({})
    .describe('Limits on each WebSocket connection: tickets, frame rates, strikes, heartbeat and idling.'),
  trustedProxies: z
    .array(z.string().min(1).max(64))
    .max(64)
    .default([])
    .describe(
      'Addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto ' +
        "are believed. None by default: a forwarded header from anyone else is a client's claim.",
    ),
  turn: z
    .strictObject({
      urls: z
        .array(z.string().regex(/^turns?:[^\s]+$/, 'must be a turn: or turns: URL'))
        .max(8)
        .default([])
        .describe('e.g. ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"]; empty: no TURN.'),
      credentialTtlSeconds: z.number().int().min(60).max(86_400).default(3600).describe('Lifetime of the credentials minted per person, in seconds.'),
      stunUrls: z
        .array(z.string().regex(/^stun:[^\s]+$/, 'must be a stun: URL'))
        .max(8)
        .default([])
        .describe('STUN URLs offered when not relay-only (e.g. stun:turn.example.org:3478).'),
    })
    .prefault({})
    .describe('An external TURN server (coturn) using the TURN REST shared-secret scheme.'),
  relayOnly: z
    .boolean()
    .optional()
    .describe(
      'Relay-only media for everyone: clients use iceTransportPolicy "relay" and the server drops every non-relay ' +
        "ICE candidate, so no peer learns another's address. Under-18s' media is relayed whatever this says " +
        '(and without TURN they are offered text only). Default: on for the school profile; off elsewhere, ' +
        'where adults connect peer to peer (and can learn each other\'s address) unless this is true.',
    ),
  email: z
    .strictObject({
      domains: z
        .array(z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'))
        .default([])
        .describe('Domains whose addresses may join, e.g. ["school.example.org"].'),
      ignoreDotsDomains: z
        .array(z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'))
        .default(['gmail.com', 'googlemail.com'])
        .describe(
          'Domains whose mail ignores dots before the @ (j.ake@ reaches jake@): there, dotted spellings count as one person ' +
            'for identities, identity bans and the per-address link limit. A +tag is ignored at every domain.',
        ),
      from: z.string().min(3).max(200).default('strangerchat <no-reply@localhost>').describe('The sender of the magic-link e-mails.'),
      smtp: z
        .strictObject({
          host: z.string().min(1).default('localhost').describe('The SMTP server that sends the magic links.'),
          port: z.number().int().min(1).max(65535).default(587).describe('Its port: 587 for STARTTLS, 465 with `secure`.'),
          secure: z.boolean().default(false).describe('true for implicit TLS (port 465); otherwise STARTTLS is used when offered.'),
          user: z.string().max(200).optional().describe('The SMTP username, if the server needs one; the password is STRANGERCHAT_SMTP_PASSWORD in `.env`.'),
        })
        .prefault({})
        .describe('The mail server (SMTP) that sends the links.'),
      linkTtlMinutes: z.number().int().min(1).max(1440).default(20).describe('Minutes a magic link stays valid.'),
      verifiedDays: z
        .number()
        .int()
        .min(1)
        .max(365)
        .default(30)
        .describe('Days a verified e-mail identity stays on the device before it must be verified again.'),
    })
    .prefault({})
    .describe('E-mail (magic links) for the `email` access mode. The SMTP password lives in .env.'),
  oidc: z
    .strictObject({
      issuer: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe(
          "The school's OpenID provider, as its issuer URL: `https://accounts.google.com` (Google Workspace) or " +
            '`https://login.microsoftonline.com/<tenant id>/v2.0` (Microsoft Entra ID). Its discovery document is read from ' +
            '`<issuer>/.well-known/openid-configuration`. Plain http is accepted only for a provider on this machine (testing).',
        ),
      clientId: z
        .string()
        .min(1)
        .max(200)
        .optional()
        .describe('The client (application) id the provider gave this instance; its secret is STRANGERCHAT_OIDC_CLIENT_SECRET in `.env`.'),
      label: z
        .string()
        .min(1)
        .max(60)
        .optional()
        .describe('Who people sign in with, on the button "Continue with …" (e.g. "Northfield School"); default: the instance\'s `name`.'),
      scopes: z
        .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope name such as "openid" or "email"'))
        .min(1)
        .max(20)
        .refine((scopes) => scopes.includes('openid'), 'must include "openid"')
        .default(['openid', 'email'])
        .describe(
          'Scopes asked for. `openid` is required; `email` lets the band rules read the e-mail domain (the address itself is never stored). ' +
            "Google's `hd` and Entra's `tid`, groups and app roles come without a scope of their own.",
        ),
      prompt: z
        .array(z.enum(['select_account', 'login', 'consent']))
        .max(3)
        .default(['select_account'])
        .describe(
          'The OpenID `prompt` sent with each sign-in. `select_account` (the default) shows the provider\'s account chooser, so on a ' +
            "shared computer the next pupil picks their own account, not the last person's; `login` asks for the password every time; `[]` sends none.",
        ),
      allowedDomains: z
        .array(z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'))
        .max(50)
        .default([])
        .describe(
          "Google Workspace: the ID token's `hd` claim (the account's Workspace domain) must be one of these, else the sign-in is refused. " +
            'Set it for Google: any Google account can sign in otherwise. The `hd` sent with the request is only a hint to Google\'s page.',
        ),
      allowedTenants: z
        .array(z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, 'must be a tenant id (a GUID)'))
        .max(50)
        .default([])
        .describe("Microsoft Entra ID: the ID token's `tid` claim (the directory's tenant id) must be one of these, else the sign-in is refused."),
      bands: z
        .array(
          z.union([
            z.strictObject({
              claim: z.string().min(1).max(200),
              values: z.array(z.string().min(1).max(200)).min(1).max(100),
              band: z.enum(['minor', 'adult']),
            }),
            z.strictObject({
              emailDomain: z.string().min(1).max(253).regex(/^[a-z0-9.-]+$/i, 'must be a domain name'),
              band: z.enum(['minor', 'adult']),
            }),
          ]),
        )
        .max(50)
        .default([])
        .describe(
          'How the age band follows from the sign-in. Each rule is `{"claim": "<name or dotted.path>", "values": [...], "band": "adult"}` ' +
            '(the claim equals one of the values, or is a list holding one: groups, app roles) or `{"emailDomain": "staff.school.org", "band": "adult"}` ' +
            '(the verified e-mail address is at exactly that domain). When no rule matches, or rules of both bands match, the band is `minor`.',
        ),
      requireForAdults: z
        .boolean()
        .default(false)
        .describe(
          'In the `open`, `invite` and `email` access modes: the adult band only through the sign-in (staff), whose rules must say `adult`; ' +
            'a typed age of 18 or more is refused. Pupils keep their invite codes (or e-mail) and typed ages, which can then only be under 18.',
        ),
      signInHours: z
        .number()
        .min(1)
        .max(720)
        .default(8)
        .describe(
          'Hours a sign-in stays on the browser before the person signs in again; a school day by default, because school computers are shared.',
        ),
      moderators: z
        .strictObject({
          enabled: z.boolean().default(false).describe('Let moderators sign in to /mod with the same provider (their password accounts keep working).'),
          roles: z
            .array(
              z.strictObject({
                claim: z.string().min(1).max(200),
                values: z.array(z.string().min(1).max(200)).min(1).max(100),
                role: z.enum(ROLES),
              }),
            )
            .max(50)
            .default([])
            .describe(
              'Which role a sign-in gets: `{"claim": "groups", "values": ["<group id>"], "role": "moderator"}`; the first rule that matches decides, ' +
                'and without one the sign-in is refused. `owner` and `safeguarding` are never granted by a claim alone: an owner confirms them ' +
                'once from the terminal (`strangerchat mod sso confirm <username>`).',
            ),
          usernameClaim: z
            .string()
            .min(1)
            .max(200)
            .default('preferred_username')
            .describe('The claim the account\'s username is made from (the part before any @), else `email`; the audit log names the account by it.'),
        })
        .prefault({})
        .describe('Moderators signing in to /mod with the school\'s provider (opt-in).'),
    })
    .prefault({})
    .describe(
      "Sign-in with the school's identity provider (OpenID Connect: Google Workspace, Microsoft Entra ID, …) for the `oidc` access mode, " +
        'staff in the other modes (`requireForAdults`) and moderators. The client secret lives in `.env`.',
    ),
  moderation: z
    .strictObject({
      sessionHours: z.number().min(1).max(720).default(12).describe("Hours a moderator's login lasts."),
      quarantineReporters: z
        .number()
        .int()
        .min(2)
        .max(100)
        .default(3)
        .describe(
          'Automatic quarantine: when this many distinct reporters (distinct devices on distinct ' +
            'networks: an IPv4 address, or an IPv6 /56) report one person within the window, that person stops being paired until ' +
            'a moderator reviews it. Reports between two people on one network do not count. Never an automatic permanent ban.',
        ),
      quarantineWindowMinutes: z
        .number()
        .int()
        .min(1)
        .max(10_080)
        .default(60)
        .describe('The window of the automatic quarantine, in minutes: the reports must fall within it.'),
      dismissedReportsBeforeDiscount: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(3)
        .describe('A reporter with at least this many dismissed reports counts as half a reporter.'),
      appealUrl: z.string().max(500).default('/appeal').describe("Link shown to banned people; defaults to the instance's own /appeal page."),
      safeguardingAlerts: z
        .boolean()
        .optional()
        .describe(
          'E-mail the safeguarding accounts (those with an address): every safeguarding alert (see `alerts`), and, with the account ' +
            'concerned, whenever a safeguarding account is created, changes role, is enabled or disabled, has its password reset or ' +
            'its address changed. Sent through `email.smtp`. Default: on in the `email` access mode (its mail server is set up), off otherwise.',
        ),
      appealCooldownDays: z
        .number()
        .min(0)
        .max(365)
        .default(7)
        .describe('Days after an appeal is decided before the same ban may be appealed again (`appeal_too_soon` until then); 0 allows a new appeal at once.'),
      videoOnlyOnDuty: z
        .boolean()
        .optional()
        .describe(
          'Offer video only while at least one moderator is on duty (the dashboard\'s toggle, or `strangerchat mod duty on`); ' +
            'otherwise the site offers text only and says why. Default: on for the school profile, off elsewhere.',
        ),
      dutyHours: z
        .number()
        .min(0.25)
        .max(24)
        .default(4)
        .describe(
          'How long `strangerchat mod duty on` keeps someone on duty, in hours, unless `--hours` says otherwise. ' +
            'On duty from the dashboard lasts while the dashboard is open (it renews it every minute).',
        ),
    })
    .prefault({})
    .describe('Moderator logins, automatic quarantine, appeals and who must be on duty.'),
  openingHours: z
    .strictObject({
      timeZone: z
        .string()
        .min(1)
        .max(64)
        .refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris" or "UTC"')
        .optional()
        .describe('The time zone the opening hours are read in (an IANA name such as "Europe/Paris"). Default: the time zone of the machine the server runs on.'),
      week: z
        .strictObject(
          Object.fromEntries(
            WEEKDAYS.map((day) => [
              day,
              z
                .array(z.string().regex(TIME_RANGE, 'must be a time range such as "08:30-16:00" (24-hour clock; "24:00" ends the day)').refine(isOrderedRange, 'must end after it starts'))
                .max(8)
                .optional()
                .describe(`Opening times on ${day[0]!.toUpperCase()}${day.slice(1)}s, e.g. ["08:30-12:00", "13:30-16:00"]; leave it out (or []) for closed all day.`),
            ]),
          ) as Record<Weekday, z.ZodOptional<z.ZodArray<z.ZodString>>>,
        )
        .optional()
        .describe(
          'When the space is open, per weekday; a day left out is closed. Leave the whole key out to be open at all hours. ' +
            'Outside these hours the site says when it opens, and new sessions and searches are refused with `closed`.',
        ),
      closingGraceSeconds: z
        .number()
        .int()
        .min(0)
        .max(3600)
        .default(120)
        .describe(
          'When the space closes (the end of its hours, or `strangerchat pause`), people in a conversation are told, and ' +
            'their conversation ends this many seconds later.',
        ),
    })
    .prefault({})
    .describe('Opening hours: when people may start chatting. `strangerchat pause` closes the space at any time, `resume` opens it again.'),
  alerts: z
    .strictObject({
      repeatReportDays: z
        .number()
        .int()
        .min(0)
        .max(90)
        .default(7)
        .describe('A report against someone (their browser or verified identity) already reported within this many days raises an alert; 0 turns it off.'),
      webhooks: z
        .array(
          z
            .url({ protocol: /^https?$/ })
            .max(500)
            .refine((url) => url.startsWith('https://') || isLoopbackUrl(url), 'must be an https:// URL (http:// only to this machine)'),
        )
        .max(8)
        .default([])
        .describe(
          'URLs that receive every safeguarding alert as a JSON POST, signed with STRANGERCHAT_WEBHOOK_SECRET (see docs/moderation.md). ' +
            'https:// only, except to this machine. The payload holds ids, kinds and a link to the dashboard, never chat text or evidence.',
        ),
      deliveryAttempts: z
        .number()
        .int()
        .min(1)
        .max(20)
        .default(8)
        .describe('Attempts to deliver an alert (each e-mail, each webhook) before it is marked failed; the waits between them double, from 30 seconds to an hour.'),
    })
    .prefault({})
    .describe(
      'Safeguarding alerts: a minor or illegal report, a repeated report, an automatic quarantine, a refused age-group switch. ' +
        'They are shown first in the dashboard, e-mailed to the safeguarding accounts (see `moderation.safeguardingAlerts`) and posted to the webhooks.',
    ),
  transparency: z
    .strictObject({
      publish: z
        .boolean()
        .default(false)
        .describe(
          'Publish the transparency report of the last 12 months at /transparency (what `strangerchat stats --transparency` ' +
            'prints: reports, moderation, appeals, automated means, monthly active devices; numbers only, refreshed hourly).',
        ),
    })
    .prefault({})
    .describe('The public transparency page (EU Digital Services Act, Art. 15 and 24).'),
  retention: z
    .strictObject({
      evidenceDays: z.number().int().min(1).max(3650).default(90).describe('Evidence (transcripts, frames) after its report is resolved.'),
      addressDays: z.number().int().min(1).max(3650).default(30).describe('Addresses of sessions and reports.'),
      auditDays: z.number().int().min(30).max(3650).default(365).describe('Audit log entries.'),
      sessionDays: z.number().int().min(1).max(3650).default(30).describe('Ended chat sessions (without a report that still needs them).'),
    })
    .prefault({})
    .describe('How long personal data is kept (days); the purge runs hourly and on demand.'),
  filters: z
    .strictObject({
      block: z
        .array(z.string().min(1).max(100))
        .max(5000)
        .default([])
        .describe(
          'Words or phrases that block a message (the sender gets `filtered`). Whole words, seen ' +
            'through case, leetspeak, look-alike letters and spacing; `word*` also matches words that ' +
            'start with it, `*word` words that end with it.',
        ),
      mask: z.array(z.string().min(1).max(100)).max(5000).default([]).describe('Words or phrases replaced by asterisks before relaying (matched like `block`).'),
      profanity: z.enum(['block', 'mask', 'off']).default('mask').describe('The built-in English profanity list (obscenity): block, mask, or off.'),
      contactDetails: z
        .enum(['auto', 'always', 'never'])
        .default('auto')
        .describe(
          'Block contact details and links (e-mail, phone numbers, URLs, social handles): ' +
            '`auto` does it in the school profile and for everyone under 18.',
        ),
      windowMessages: z
        .number()
        .int()
        .min(1)
        .max(20)
        .default(4)
        .describe(
          "Where contact details are blocked, this many of a sender's last messages in a conversation " +
            '(the new one included) are read together, so a number or a handle split across messages is ' +
            'refused; the message that completes it is the one refused. 1 reads each message alone.',
        ),
      windowSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(120)
        .describe('How old, in seconds, the earlier messages read with a new one may be (see `windowMessages`).'),
    })
    .prefault({})
    .describe('The message filter: what is refused or masked before a chat message is relayed.'),
  rateLimits: z
    .strictObject({
      sessionsPer10Minutes: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(600)
        .describe('New sessions (POST /api/session) per address (IPv6: per /64) per 10 minutes.'),
      connectionsPerAddress: z.number().int().min(1).max(100_000).default(500).describe('WebSocket connections open at once per address.'),
      tcpConnectionsPerAddress: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .default(1000)
        .describe(
          'TCP connections (HTTP and WebSocket together) open at once per address (IPv6: per /64), counted as each ' +
            'connection opens, before it sends anything; more are closed at once. Twice `connectionsPerAddress` by ' +
            'default, for a school behind one address; keep it well under the file limit (`ulimit -n`, ' +
            '`LimitNOFILE=`). Connections from `trustedProxies` are not counted: limit them at the proxy.',
        ),
      findsPerMinute: z.number().int().min(1).max(10_000).default(60).describe('find and next per connection per minute.'),
      reportsPer10Minutes: z.number().int().min(1).max(1000).default(10).describe('Reports per connection per 10 minutes.'),
      reportsPer10MinutesPerDevice: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(10)
        .describe('Reports per device (browser) per 10 minutes, across its tabs and sessions.'),
      reportsPer10MinutesPerAddress: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(60)
        .describe('Reports per address (IPv6: per /64) per 10 minutes, across its devices; generous because a school shares one.'),
      messagesPerMinutePerAddress: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(6000)
        .describe('Chat messages per address per minute, across its connections.'),
    })
    .prefault({})
    .describe(
      'Per-address and per-connection limits: a person never meets them, a script always does. ' +
        'Per-address defaults are generous because a whole school often shares one address (NAT).',
    ),
  safety: z
    .strictObject({
      reportedAddressAvoidDays: z
        .number()
        .int()
        .min(0)
        .max(365)
        .default(7)
        .describe(
          'After a report, the reporter is not paired with anyone on the reported side\'s address (IPv4, or IPv6 /64) ' +
            'for this many days, so a new browser on the same network does not reach them again; 0 turns it off. ' +
            'On a shared address (see `sharedAddressDevices`) only browsers first seen after the report are kept away.',
        ),
      sharedAddressDevices: z
        .number()
        .int()
        .min(2)
        .max(100_000)
        .default(5)
        .describe(
          'An address is shared (a school or office NAT) when this many different browsers are connected from it at once, ' +
            'seen within the last day: a report then does not keep the reporter from everyone there, only from browsers new since the report.',
        ),
      ageBandLockDays: z
        .number()
        .int()
        .min(0)
        .max(365)
        .default(30)
        .describe(
          'A browser (and a verified e-mail identity) that declared an adult age cannot start an under-18 session for this many days ' +
            'after its last session, nor the other way round; 0 turns it off.',
        ),
    })
    .prefault({})
    .describe('Rules that keep children safe against someone who changes browsers, addresses or declared age.'),
  nudityFilter: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          "Check the stranger's video on each person's own device (the nsfwjs MobileNetV2 model, in the browser: no video " +
            'leaves the device) and blur it when it may show nudity. Always applies to under-18s when on, who see the video ' +
            'blurred until its first clean check and cannot unblur it; false turns the check off for everyone.',
        ),
      adults: z
        .boolean()
        .optional()
        .describe("Check the video adults receive too (they may show a blurred video anyway). Default: on for the school profile, off elsewhere."),
      adultsBlurUntilChecked: z
        .boolean()
        .default(true)
        .describe("When adults' video is checked: blur it until its first clean check, as for under-18s; false shows it at once and blurs it only on nudity."),
      thresholds: z
        .strictObject({
          porn: z.number().min(0.05).max(1).default(0.5).describe('Probability (0–1) of the class "Porn" (sexual acts) at which a frame counts as nudity.'),
          hentai: z.number().min(0.05).max(1).default(0.5).describe('Probability (0–1) of the class "Hentai" (pornographic drawings) at which a frame counts.'),
          sexy: z
            .number()
            .min(0.05)
            .max(1)
            .default(0.7)
            .describe('Probability (0–1) of the class "Sexy" (revealing, not pornographic) at which a frame counts; the class most often wrong (beaches, bare shoulders), so set higher.'),
        })
        .prefault({})
        .describe('How sure the model must be, per class, for a frame to count; higher blurs less often, and misses more.'),
      consecutiveFrames: z
        .number()
        .int()
        .min(1)
        .max(30)
        .default(2)
        .describe('Frames in a row that must count before the video is blurred: more means fewer false alarms and a longer exposure first.'),
      intervalMs: z
        .number()
        .int()
        .min(250)
        .max(10_000)
        .default(1000)
        .describe("Milliseconds between two checked frames (each check takes one core of the person's device for tens of milliseconds on a recent one, a few hundred on a slow one; see docs/benchmarks.md)."),
      testTreatNeutralAsPositive: z
        .boolean()
        .default(false)
        .describe(
          'FOR TESTS ONLY — never on a real instance: the class "Neutral" counts as nudity too, so an ordinary picture blurs the ' +
            'video. It lets a test prove the blur path with the real model and a decent picture.',
        ),
    })
    .prefault({})
    .describe(
      "On-device nudity protection: the browser classifies the video it receives, about once a second, and blurs it. " +
        'Never reports or bans anyone by itself: the person is offered "Report with a still".',
    ),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info')
        .describe('How much the server logs (JSON lines on standard error); never chat text, SDP or ICE candidates.'),
      file: z
        .boolean()
        .default(true)
        .describe('Also write the log to data/logs/strangerchat.N.log (JSON lines, rotated by size), which `strangerchat logs` reads.'),
      fileMaxMegabytes: z.number().min(1).max(1024).default(10).describe('Size in megabytes at which the log file is rotated: a new numbered file is begun.'),
      filesKept: z.number().int().min(1).max(100).default(5).describe('Rotated log files kept besides the one being written; older ones are deleted.'),
    })
    .prefault({})
    .describe('Server logs: on the terminal (readable lines on a terminal, JSON lines otherwise) and in a rotated file in the data folder.'),
  updates: z
    .strictObject({
      check: z
        .boolean()
        .default(true)
        .describe(
          'Let the running server ask the npm registry once a day (through npm, with your npm settings) whether a newer ' +
            'strangerchat exists, for `strangerchat status`; nothing is installed without `strangerchat update`.',
        ),
    })
    .prefault({})
    .describe('Update checks (`strangerchat update` installs an update).'),
});
export type InstanceSettings = z.infer<typeof InstanceSettings>;

/** Secrets read from `.env` (or the environment); never in the config file. */
export interface Secrets {
  /** Keys device cookies, ticket hashes and identity hashes. */
  sessionSecret: string;
  /** The TURN REST shared secret (coturn's static-auth-secret). */
  turnSecret?: string;
  /** The SMTP password for magic links. */
  smtpPassword?: string;
  /** Signs the safeguarding alerts' webhook requests (HMAC-SHA256). */
  webhookSecret?: string;
  /** The client secret at the school's OpenID provider (`oidc`). */
  oidcClientSecret?: string;
}

/** Everything createServer needs: validated settings plus what they point at, resolved. */
export interface ServerConfig {
  readonly dir: string;
  readonly settings: InstanceSettings;
  readonly minAge: number;
  /** Resolved relay-only mode (see InstanceSettings.relayOnly). */
  readonly relayOnly: boolean;
  /** The rules file's markdown (in the language of `settings.language`). */
  readonly rules: string;
  /** The rules in other languages, by language tag (`rules.fr.md` → `fr`). */
  readonly rulesByLanguage: Readonly<Record<string, string>>;
  readonly version: string;
  readonly secrets: Secrets;
  /** Absolute SQLite path, or the PostgreSQL URL. */
  readonly database: { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };
}

export class ConfigError extends Error {
  /** Dotted keys of the offending settings, e.g. `server.port`. */
  readonly keys: string[];
  constructor(message: string, keys: string[] = []) {
    super(message);
    this.name = 'ConfigError';
    this.keys = keys;
  }
}

/** The expected form of settings people often type, for the messages of invalid ones. */
const SETTING_EXAMPLES: Record<string, string> = {
  name: '"Year 9 chat"',
  publicUrl: 'https://chat.example.org',
  'server.host': '127.0.0.1, or 0.0.0.0 for every network',
  'server.port': '8080',
  'database.path': 'data/strangerchat.db',
  'database.url': 'postgres://strangerchat@localhost/strangerchat',
  'redis.url': 'redis://localhost:6379',
  'email.domains': 'school.example.org',
  'turn.urls': 'turn:turn.example.org:3478',
  'turn.stunUrls': 'stun:turn.example.org:3478',
  trustedProxies: '127.0.0.1, or 10.0.0.0/8',
  language: 'en',
  modes: '["text", "video"]',
  'oidc.issuer': 'https://accounts.google.com',
  'oidc.allowedDomains': 'school.example.org',
};

/**
 * One problem of a setting in words a person reads, with an example of the expected form where
 * one helps: "must be an http:// or https:// address (e.g. https://chat.example.org)", never a
 * schema library's own wording ("Invalid URL").
 */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.join(', ')}`;
  const key = issue.path.filter((part) => typeof part === 'string').join('.');
  const example = SETTING_EXAMPLES[key];
  const what = (() => {
    switch (issue.code) {
      case 'invalid_type':
        return /received undefined/.test(issue.message) ? 'is required' : `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
      case 'too_small':
        if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters`;
        if (issue.origin === 'array') return `must list at least ${issue.minimum}`;
        return `must be at least ${issue.minimum}`;
      case 'too_big':
        if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
        if (issue.origin === 'array') return `must list at most ${issue.maximum}`;
        return `must be at most ${issue.maximum}`;
      case 'invalid_value':
        return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
      case 'invalid_format':
        if (issue.format === 'url') return 'must be an http:// or https:// address';
        // A pattern's own message ("must be a domain name") is written for people.
        return issue.message.startsWith('must') ? issue.message : `is not in the expected form`;
      case 'invalid_union':
        return 'is not in the expected form';
      default:
        return issue.message;
    }
  })();
  return example ? `${what} (e.g. ${example})` : what;
}

/** Validates raw settings; errors name each offending key. */
export function parseSettings(raw: unknown, source = CONFIG_FILE): InstanceSettings {
  const result = InstanceSettings.safeParse(raw);
  if (result.success) return result.data;
  const keys = result.error.issues.map((issue) => issue.path.join('.') || '(root)');
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${describeIssue(issue)}`);
  return fail(`invalid settings in ${source}:\n${lines.join('\n')}`, keys);
}

function fail(message: string, keys: string[] = []): never {
  throw new ConfigError(message, keys);
}

/** Environment variables that override a setting, with the key they override. */
export const ENV_OVERRIDES = {
  STRANGERCHAT_HOST: 'server.host',
  STRANGERCHAT_PORT: 'server.port',
  STRANGERCHAT_PUBLIC_URL: 'publicUrl',
  STRANGERCHAT_DATABASE_URL: 'database',
  STRANGERCHAT_REDIS_URL: 'redis.url',
  STRANGERCHAT_LOG_LEVEL: 'log.level',
} as const;

type Env = Record<string, string | undefined>;

function applyEnv(raw: Record<string, unknown>, env: Env): Record<string, unknown> {
  const out = structuredClone(raw);
  const section = (key: string): Record<string, unknown> => {
    const value = out[key];
    if (value !== undefined && (typeof value !== 'object' || value === null)) return {};
    out[key] = { ...(value as Record<string, unknown> | undefined) };
    return out[key] as Record<string, unknown>;
  };
  if (env.STRANGERCHAT_HOST) section('server').host = env.STRANGERCHAT_HOST;
  if (env.STRANGERCHAT_PORT) {
    const port = Number(env.STRANGERCHAT_PORT);
    if (!Number.isInteger(port)) fail(`STRANGERCHAT_PORT must be an integer, got "${env.STRANGERCHAT_PORT}"`, ['server.port']);
    section('server').port = port;
  }
  if (env.STRANGERCHAT_PUBLIC_URL) out.publicUrl = env.STRANGERCHAT_PUBLIC_URL;
  if (env.STRANGERCHAT_DATABASE_URL) out.database = { driver: 'postgres', url: env.STRANGERCHAT_DATABASE_URL };
  if (env.STRANGERCHAT_REDIS_URL) section('redis').url = env.STRANGERCHAT_REDIS_URL;
  if (env.STRANGERCHAT_LOG_LEVEL) section('log').level = env.STRANGERCHAT_LOG_LEVEL;
  return out;
}

/** Reads `.env` in the instance folder; the process environment wins over it. */
export function readEnvFile(dir: string): Env {
  const path = join(dir, ENV_FILE);
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8'));
}

export interface LoadOptions {
  dir: string;
  env: Env;
  version: string;
  /** Overrides from the command line (e.g. --port), applied last. */
  overrides?: { host?: string; port?: number };
}

/** Loads, validates and freezes an instance's configuration. Throws ConfigError naming the key. */
export function loadConfig({ dir, env, version, overrides }: LoadOptions): ServerConfig {
  const absDir = resolve(dir);
  const file = join(absDir, CONFIG_FILE);
  if (!existsSync(file)) fail(`no ${CONFIG_FILE} in ${absDir}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(`${file} must hold a JSON object`);
  const mergedEnv = { ...readEnvFile(absDir), ...env };
  const withEnv = applyEnv(raw as Record<string, unknown>, mergedEnv);
  if (overrides?.host !== undefined || overrides?.port !== undefined) {
    const server = { ...(withEnv.server as Record<string, unknown> | undefined) };
    if (overrides.host !== undefined) server.host = overrides.host;
    if (overrides.port !== undefined) server.port = overrides.port;
    withEnv.server = server;
  }
  const settings = parseSettings(withEnv, file);

  const sessionSecret = mergedEnv.STRANGERCHAT_SESSION_SECRET;
  if (!sessionSecret || sessionSecret.length < 32) {
    fail(`STRANGERCHAT_SESSION_SECRET is missing or shorter than 32 characters (set it in ${join(absDir, ENV_FILE)})`, [
      'STRANGERCHAT_SESSION_SECRET',
    ]);
  }
  const rulesPath = isAbsolute(settings.rulesFile) ? settings.rulesFile : join(absDir, settings.rulesFile);
  if (!existsSync(rulesPath)) fail(`rulesFile: ${rulesPath} does not exist`, ['rulesFile']);
  const database =
    settings.database.driver === 'sqlite'
      ? { driver: 'sqlite' as const, path: resolve(absDir, settings.database.path) }
      : { driver: 'postgres' as const, url: settings.database.url };
  if (settings.redis.url && database.driver === 'sqlite') {
    fail(
      'redis.url (or STRANGERCHAT_REDIS_URL) makes this process one node of a cluster, and the nodes of a cluster share one PostgreSQL database: set STRANGERCHAT_DATABASE_URL (SQLite is one file on one machine; see docs/scaling.md)',
      ['redis.url', 'database'],
    );
  }

  const secrets: Secrets = { sessionSecret };
  if (mergedEnv.STRANGERCHAT_TURN_SECRET) secrets.turnSecret = mergedEnv.STRANGERCHAT_TURN_SECRET;
  if (mergedEnv.STRANGERCHAT_SMTP_PASSWORD) secrets.smtpPassword = mergedEnv.STRANGERCHAT_SMTP_PASSWORD;
  if (mergedEnv.STRANGERCHAT_WEBHOOK_SECRET) secrets.webhookSecret = mergedEnv.STRANGERCHAT_WEBHOOK_SECRET;
  if (mergedEnv.STRANGERCHAT_OIDC_CLIENT_SECRET) secrets.oidcClientSecret = mergedEnv.STRANGERCHAT_OIDC_CLIENT_SECRET;
  checkConsistency(settings, secrets);
  return deepFreeze({
    dir: absDir,
    settings,
    minAge: settings.minAge ?? PROFILE_MIN_AGE[settings.profile],
    relayOnly: resolveRelayOnly(settings),
    rules: readFileSync(rulesPath, 'utf8'),
    rulesByLanguage: readTranslatedRules(rulesPath),
    version,
    secrets,
    database,
  });
}

/** `rules.fr.md`, `rules.pt-br.md`, … beside the rules file, by language. */
function readTranslatedRules(rulesPath: string): Record<string, string> {
  const name = basename(rulesPath);
  const dot = name.lastIndexOf('.');
  const [stem, extension] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const translated: Record<string, string> = {};
  for (const file of readdirSync(dirname(rulesPath)).sort()) {
    if (!file.startsWith(`${stem}.`) || !file.endsWith(extension)) continue;
    const tag = file.slice(stem.length + 1, file.length - extension.length).toLowerCase();
    if (tag && LanguageTag.safeParse(tag).success) translated[tag] = readFileSync(join(dirname(rulesPath), file), 'utf8');
  }
  return translated;
}

/** The languages a visitor can be offered an instance's own texts in (its rules and description). */
export function contentLanguages(config: ServerConfig): string[] {
  const { description, language } = config.settings;
  const tags = [language, ...Object.keys(config.rulesByLanguage), ...(typeof description === 'string' ? [] : Object.keys(description))];
  return [...new Set(tags)];
}

/** The description for a language: that language's, else the instance language's, else English, else the first. */
export function localDescription(settings: InstanceSettings, lang: string): string {
  const { description } = settings;
  if (typeof description === 'string') return description;
  return description[lang] ?? description[lang.split('-')[0]!] ?? description[settings.language] ?? description.en ?? Object.values(description)[0] ?? '';
}

/** The rules for a language: its translation when there is one, else the rules file. */
export function localRules(config: ServerConfig, lang: string): string {
  if (lang === config.settings.language) return config.rules;
  return config.rulesByLanguage[lang] ?? config.rulesByLanguage[lang.split('-')[0]!] ?? config.rules;
}

/** Shortest webhook secret accepted: a guessable one would let anyone forge alerts. */
export const WEBHOOK_SECRET_MIN_LENGTH = 32;

/** Video only while a moderator is on duty: as set, else on for schools. */
export function resolveVideoOnlyOnDuty(settings: InstanceSettings): boolean {
  return settings.moderation.videoOnlyOnDuty ?? settings.profile === 'school';
}

/** The time zone of the opening hours: as set, else the machine's. */
export function instanceTimeZone(settings: InstanceSettings): string {
  return settings.openingHours.timeZone ?? machineTimeZone();
}

/** The names /etc/localtime may link to for UTC, which Intl calls "UTC". */
const UTC_ZONES = new Set(['Etc/UTC', 'Etc/UCT', 'Etc/Universal', 'Etc/Zulu', 'UTC', 'UCT', 'Universal', 'Zulu']);
/** An IANA zone name as it ends a path: `Europe/Paris`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`. */
const ZONE_IN_PATH = /(?:^|\/)zoneinfo\/(?:posix\/|right\/)?([A-Za-z][\w+-]*(?:\/[A-Za-z0-9][\w+-]*)*)$/;

/**
 * The machine's time zone, found as ICU finds it when TZ is not set: the zone /etc/localtime
 * links to. Asking Intl.DateTimeFormat instead costs a server that never formats a date about
 * 6 MB of ICU's data and 15 ms of its start (docs/benchmarks.md, round 3), so Intl answers only
 * when TZ is set or /etc/localtime is not such a link. Intl may name an alias of the same zone
 * (Asia/Calcutta for Asia/Kolkata); UTC is named as Intl names it.
 */
export function machineTimeZone(machine: { tz?: string | undefined; localtimeLink?: () => string } = {}): string {
  const tz = 'tz' in machine ? machine.tz : process.env.TZ;
  if (!tz) {
    try {
      const zone = ZONE_IN_PATH.exec((machine.localtimeLink ?? (() => readlinkSync('/etc/localtime')))())?.[1];
      if (zone) return UTC_ZONES.has(zone) ? 'UTC' : zone;
    } catch {
      // no link (a copied file, or no /etc/localtime): ICU knows its other places
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** Relay-only unless turned off: on for schools and wherever a TURN server is configured. */
export function resolveRelayOnly(settings: InstanceSettings): boolean {
  return settings.relayOnly ?? settings.profile === 'school';
}

/** Whether members sign in with the school's provider: everyone (`oidc`), or staff for the adult band. */
export function oidcForMembers(settings: InstanceSettings): boolean {
  return settings.accessMode === 'oidc' || settings.oidc.requireForAdults;
}

/** Whether the instance talks to an OpenID provider at all (members, staff or moderators). */
export function oidcInUse(settings: InstanceSettings): boolean {
  return oidcForMembers(settings) || settings.oidc.moderators.enabled;
}

/** localhost, 127.0.0.0/8 or [::1]: a host only this machine reaches. */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The nudity check as it applies: on for under-18s whenever enabled, for adults on in schools unless set. */
export function resolveNudityFilter(settings: InstanceSettings): NudityFilterSettings {
  const filter = settings.nudityFilter;
  return {
    minors: filter.enabled,
    adults: filter.enabled && (filter.adults ?? settings.profile === 'school'),
    adultsBlurUntilChecked: filter.adultsBlurUntilChecked,
    thresholds: { ...filter.thresholds },
    consecutiveFrames: filter.consecutiveFrames,
    intervalMs: filter.intervalMs,
    testTreatNeutralAsPositive: filter.testTreatNeutralAsPositive,
  };
}

/** Cross-setting checks that a schema cannot express; errors name the key. */
function checkConsistency(settings: InstanceSettings, secrets: Secrets): void {
  if (settings.accessMode === 'email' && settings.email.domains.length === 0) {
    fail('email.domains: the email access mode needs at least one allowed domain', ['email.domains']);
  }
  if (settings.accessMode === 'email' && !settings.publicUrl) {
    fail('publicUrl: the email access mode needs the public URL to build magic links', ['publicUrl']);
  }
  const { issuer } = settings.oidc;
  // openid-client refuses plain http; the exception (allowInsecureRequests) is for a provider on this machine only.
  if (issuer && new URL(issuer).protocol === 'http:' && !isLoopbackHostname(new URL(issuer).hostname)) {
    fail('oidc.issuer: must be an https:// address (plain http only for a provider on this machine, for testing)', ['oidc.issuer']);
  }
  if (oidcInUse(settings)) {
    const why = settings.accessMode === 'oidc' ? 'the oidc access mode' : settings.oidc.requireForAdults ? 'oidc.requireForAdults' : 'oidc.moderators.enabled';
    if (!issuer) fail(`oidc.issuer: ${why} needs the school's OpenID provider (its issuer URL)`, ['oidc.issuer']);
    if (!settings.oidc.clientId) fail(`oidc.clientId: ${why} needs the client id the provider gave this instance`, ['oidc.clientId']);
    if (!settings.publicUrl) fail(`publicUrl: ${why} needs the public URL, where the provider sends people back (<publicUrl>/api/oidc/callback)`, ['publicUrl']);
    if (!secrets.oidcClientSecret) fail(`${why} needs STRANGERCHAT_OIDC_CLIENT_SECRET in .env (the client secret the provider gave)`, ['STRANGERCHAT_OIDC_CLIENT_SECRET']);
  }
  if (settings.turn.urls.length > 0 && !secrets.turnSecret) {
    fail('turn.urls is set but STRANGERCHAT_TURN_SECRET is missing from .env', ['STRANGERCHAT_TURN_SECRET']);
  }
  if (settings.alerts.webhooks.length > 0 && (secrets.webhookSecret ?? '').length < WEBHOOK_SECRET_MIN_LENGTH) {
    fail(`alerts.webhooks is set but STRANGERCHAT_WEBHOOK_SECRET is missing from .env (or shorter than ${WEBHOOK_SECRET_MIN_LENGTH} characters)`, ['STRANGERCHAT_WEBHOOK_SECRET']);
  }
  if (settings.profile === 'adult' && (settings.minAge ?? ADULT_AGE) < ADULT_AGE) {
    fail('minAge: the adult profile needs a minimum age of 18 or more', ['minAge']);
  }
}

/** Builds a ServerConfig in memory (tests, embedding) from partial settings. */
export function makeConfig(input: {
  settings?: unknown;
  dir?: string;
  rules?: string;
  rulesByLanguage?: Record<string, string>;
  secrets?: Partial<Secrets>;
  databasePath?: string;
  version?: string;
}): ServerConfig {
  const settings = parseSettings(input.settings ?? {}, 'settings');
  const dir = resolve(input.dir ?? '.');
  const secrets: Secrets = { sessionSecret: 'test-secret-test-secret-test-secret!', ...input.secrets };
  checkConsistency(settings, secrets);
  return deepFreeze({
    dir,
    settings,
    minAge: settings.minAge ?? PROFILE_MIN_AGE[settings.profile],
    relayOnly: resolveRelayOnly(settings),
    rules: input.rules ?? '# Rules\n\nBe kind.',
    rulesByLanguage: { ...input.rulesByLanguage },
    version: input.version ?? '0.0.0-test',
    secrets,
    database: { driver: 'sqlite', path: input.databasePath ?? join(dir, 'strangerchat.db') },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
