// Generates docs/configuration.md from the settings schema itself (server/config.ts): every key of
// strangerchat.json with its type, limits, allowed values, default and description (the schema's
// `.describe()` texts), then the environment variables that override settings and the secrets
// of `.env`. The reference therefore cannot drift from what `start` accepts.
// Usage: node scripts/gen-config-docs.ts          writes docs/configuration.md
//        node scripts/gen-config-docs.ts --check  exits 1 when docs/configuration.md is out of date
import { readFileSync } from 'node:fs';
import { isMain, writeOrCheck } from './generated-doc.ts';
import { join } from 'node:path';
import { z } from 'zod';
import { CONFIG_FILE, ConfigError, ENV_FILE, ENV_OVERRIDES, InstanceSettings, PROFILE_MIN_AGE, parseSettings } from '../server/config.ts';

export const CONFIG_DOCS = join(import.meta.dirname, '../docs/configuration.md');
const CONFIG_SOURCE = join(import.meta.dirname, '../server/config.ts');

/** What each environment override does beyond "sets the key" (every ENV_OVERRIDES entry needs one). */
export const OVERRIDE_NOTES: Record<string, string> = {
  STRANGERCHAT_HOST: 'the address to listen on, e.g. `0.0.0.0` in a container',
  STRANGERCHAT_PORT: 'the port to listen on (an integer)',
  STRANGERCHAT_PUBLIC_URL: 'the public `https://` address',
  STRANGERCHAT_DATABASE_URL: 'a `postgres://` URL: switches the database to PostgreSQL (`{"driver": "postgres", "url": …}`); keep it in `.env`, since it holds a password',
  STRANGERCHAT_REDIS_URL: 'a `redis://`, `rediss://` or `unix://` URL: makes this process one node of a cluster (needs STRANGERCHAT_DATABASE_URL; see [scaling](scaling.md)); keep it in `.env` when it holds a password. STRANGERCHAT_NODE_ID, when set, names the node (default: the host name and a random suffix)',
  STRANGERCHAT_LOG_LEVEL: 'the log level, e.g. `debug` while you investigate something',
};

/** The secrets read from `.env` (or the environment). The generator checks config.ts reads no other. */
export const SECRETS: Array<{ name: string; required: string; what: string }> = [
  {
    name: 'STRANGERCHAT_SESSION_SECRET',
    required: 'always; at least 32 characters',
    what:
      'Keys the device cookies, the hashes of tickets, invite codes and moderator logins, and the verified e-mail identities. ' +
      '`init` (and `start` in an empty folder) generates it. Changing it signs every browser and moderator out and makes ' +
      'existing device bans and identity hashes unmatchable: keep it, and back it up with the database.',
  },
  {
    name: 'STRANGERCHAT_TURN_SECRET',
    required: 'when `turn.urls` is set',
    what:
      "The TURN REST shared secret: the same value as coturn's `static-auth-secret`. The server mints short-lived TURN " +
      'credentials per person with it. `init --turn coturn` generates it; `strangerchat deploy coturn` writes it into `turnserver.conf`.',
  },
  {
    name: 'STRANGERCHAT_SMTP_PASSWORD',
    required: 'when the SMTP server in `email.smtp` needs a password',
    what: 'The password of `email.smtp.user`, for sending magic links in the `email` access mode and the safeguarding e-mails.',
  },
  {
    name: 'STRANGERCHAT_WEBHOOK_SECRET',
    required: 'when `alerts.webhooks` lists a URL (32 characters or more)',
    what:
      'Signs every webhook request of the safeguarding alerts (HMAC-SHA256 of the timestamp and the body, in the ' +
      '`X-Strangerchat-Signature` header), so the receiver can tell they come from this instance. `init` generates it.',
  },
  {
    name: 'STRANGERCHAT_OIDC_CLIENT_SECRET',
    required: 'when the school sign-in is used (`accessMode` `oidc`, `oidc.requireForAdults` or `oidc.moderators.enabled`)',
    what:
      "The client secret the school's OpenID provider gave for `oidc.clientId` (Google: the OAuth client's secret; Entra: a client " +
      'secret of the app registration, which expires: renew it before then). `init` asks for it; `strangerchat doctor oidc` checks the provider.',
  },
];

/** A small, valid example (checked against the schema when the page is generated). */
const EXAMPLE = {
  name: 'Northfield chat',
  profile: 'school',
  accessMode: 'email',
  publicUrl: 'https://chat.northfield.example.org',
  server: { host: '127.0.0.1', port: 8080 },
  trustedProxies: ['127.0.0.1', '::1'],
  turn: { urls: ['turn:turn.northfield.example.org:3478', 'turns:turn.northfield.example.org:443?transport=tcp'] },
  email: { domains: ['northfield.example.org'], from: 'Northfield chat <no-reply@northfield.example.org>', smtp: { host: 'smtp.example.org', user: 'chat' } },
  retention: { evidenceDays: 60 },
};

/** The JSON Schema subset that z.toJSONSchema emits for this schema. */
interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
}

/** One documented key: a leaf setting, or a section (an object) holding others. */
interface Entry {
  key: string;
  depth: number;
  schema: JsonSchema;
  section: boolean;
  /** For keys inside one variant of a union, e.g. `database.path`: "only with driver \"sqlite\"". */
  condition?: string;
  /** The effective default: the schema's, else what parsing `{}` gives, else none. */
  defaultValue?: unknown;
}

const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
const json = (value: unknown) => code(JSON.stringify(value));
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function lookup(value: unknown, path: string[]): { found: boolean; value?: unknown } {
  let at: unknown = value;
  for (const part of path) {
    if (!at || typeof at !== 'object' || !(part in at)) return { found: false };
    at = (at as Record<string, unknown>)[part];
  }
  return { found: true, value: at };
}

/** The anchor GitHub (and most renderers) give a heading such as "`server.port`": "serverport". */
export function headingAnchor(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function isSection(schema: JsonSchema): boolean {
  return schema.type === 'object' && schema.properties !== undefined;
}

/** Walks the schema depth first, in declaration order. Throws when a key has no description. */
function collect(root: JsonSchema, defaults: unknown): Entry[] {
  const entries: Entry[] = [];
  const missing: string[] = [];
  const visit = (properties: Record<string, JsonSchema>, prefix: string[], depth: number, condition?: string) => {
    for (const [name, schema] of Object.entries(properties)) {
      const path = [...prefix, name];
      const key = path.join('.');
      if (!schema.description) missing.push(key);
      // A union of objects (database) is documented form by form; a union of plain values
      // (a string, or one per language) is one setting of either type.
      const variants = (schema.oneOf ?? schema.anyOf)?.some(isSection) ? (schema.oneOf ?? schema.anyOf) : undefined;
      const entry: Entry = { key, depth, schema, section: isSection(schema) || variants !== undefined, ...(condition ? { condition } : {}) };
      if (!entry.section) {
        const parsed = lookup(defaults, path);
        if ('default' in schema) entry.defaultValue = schema.default;
        else if (parsed.found) entry.defaultValue = parsed.value;
      } else if (variants && 'default' in schema) {
        entry.defaultValue = schema.default;
      }
      entries.push(entry);
      if (isSection(schema)) visit(schema.properties!, path, depth + 1, condition);
      if (variants) visitVariants(variants, path, depth + 1);
    }
  };
  // A discriminated union (database): its discriminator once, then each variant's other keys.
  const visitVariants = (variants: JsonSchema[], prefix: string[], depth: number) => {
    const discriminator = Object.keys(variants[0]?.properties ?? {}).find((name) => variants.every((v) => v.properties?.[name]?.const !== undefined));
    if (!discriminator) throw new Error(`${prefix.join('.')}: a union without a discriminator cannot be documented`);
    const values = variants.map((v) => v.properties![discriminator]!.const);
    const descriptions = variants.map((v) => `${json(v.properties![discriminator]!.const)}: ${v.properties![discriminator]!.description ?? ''}`);
    const key = [...prefix, discriminator].join('.');
    const parsed = lookup(defaults, [...prefix, discriminator]);
    entries.push({ key, depth, section: false, schema: { enum: values, description: descriptions.join(' ') }, ...(parsed.found ? { defaultValue: parsed.value } : {}) });
    for (const variant of variants) {
      const value = variant.properties![discriminator]!.const;
      const rest = Object.fromEntries(Object.entries(variant.properties!).filter(([name]) => name !== discriminator));
      const required = variant.required ?? [];
      for (const [name, schema] of Object.entries(rest)) {
        if (required.includes(name)) schema.description = `${schema.description ?? ''} Required with this driver.`.trim();
      }
      visit(rest, prefix, depth, `only when \`${[...prefix, discriminator].join('.')}\` is ${json(value)}`);
    }
  };
  visit(root.properties ?? {}, [], 0);
  if (missing.length) throw new Error(`these settings have no description (add .describe('…') in server/config.ts): ${missing.join(', ')}`);
  return entries;
}

function range(min: number | undefined, max: number | undefined, unit = ''): string {
  const safe = (n: number | undefined) => (n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : n);
  const [lo, hi] = [safe(min), safe(max)];
  // "1 item", "8 items": the unit agrees with the last number.
  const units = (n: number) => (unit && n === 1 ? unit.replace(/s$/, '') : unit);
  if (lo !== undefined && hi !== undefined) return `${lo} to ${hi}${units(hi)}`;
  if (lo !== undefined) return `at least ${lo}${units(lo)}`;
  if (hi !== undefined) return `at most ${hi}${units(hi)}`;
  return '';
}

/** "integer, 0 to 65535", "list of `text`, `video`, at least 1 item", …; `brief` leaves out patterns. */
export function describeType(schema: JsonSchema, brief = false): string {
  const either = schema.anyOf ?? schema.oneOf;
  if (either) return either.map((variant) => describeType(variant, brief)).join('; or ');
  if (schema.enum) return `one of ${schema.enum.map(json).join(', ')}`;
  if (schema.const !== undefined) return json(schema.const);
  switch (schema.type) {
    case 'boolean':
      return '`true` or `false`';
    case 'integer':
    case 'number': {
      const limits = range(schema.minimum ?? schema.exclusiveMinimum, schema.maximum ?? schema.exclusiveMaximum);
      return [schema.type === 'integer' ? 'integer' : 'number', limits].filter(Boolean).join(', ');
    }
    case 'string': {
      const parts = [schema.format === 'uri' ? 'URL' : 'string'];
      const length = range(schema.minLength, schema.maxLength, ' characters');
      if (length && !(schema.minLength === 1 && schema.maxLength === undefined)) parts.push(length);
      else if (schema.minLength === 1) parts.push('not empty');
      if (schema.pattern) parts.push(brief ? 'in a set format (below)' : `matching ${code(schema.pattern)}`);
      return parts.join(', ');
    }
    case 'array': {
      const items = schema.items ? describeType(schema.items, brief) : 'values';
      const count = range(schema.minItems, schema.maxItems, ' items');
      return `list of ${schema.items?.enum ? schema.items.enum.map(json).join(', ') : `(${items})`}${count ? `, ${count}` : ''}`;
    }
    case 'object':
      return typeof schema.additionalProperties === 'object' ? `object whose every value is a ${describeType(schema.additionalProperties, brief)}` : 'object';
    default:
      return 'any JSON value';
  }
}

function envFor(key: string): string[] {
  return Object.entries(ENV_OVERRIDES)
    .filter(([, target]) => target === key)
    .map(([name]) => name);
}

function renderEntry(entry: Entry): string {
  const level = '#'.repeat(Math.min(2 + entry.depth, 6));
  const lines = [`${level} \`${entry.key}\``, '', entry.schema.description!.trim()];
  if (entry.section && !(entry.schema.oneOf ?? entry.schema.anyOf)) {
    lines.push('', `A section: an object holding the keys below. Leave it out to take all their defaults.`);
    return lines.join('\n');
  }
  lines.push('');
  if (entry.condition) lines.push(`- Applies: ${entry.condition}`);
  if (!entry.section) lines.push(`- Type: ${describeType(entry.schema)}`);
  lines.push(`- Default: ${'defaultValue' in entry ? json(entry.defaultValue) : 'not set'}`);
  const env = envFor(entry.key);
  if (env.length) lines.push(`- Environment: ${env.map((name) => `[\`${name}\`](#environment-variables)`).join(', ')} overrides it`);
  return lines.join('\n');
}

function summaryRow(entry: Entry): string {
  const type = entry.section ? (entry.schema.oneOf ? 'one of the forms below' : 'section') : describeType(entry.schema, true);
  const defaultText = entry.section && !entry.schema.oneOf ? '' : 'defaultValue' in entry ? json(entry.defaultValue) : 'not set';
  return `| [\`${entry.key}\`](#${headingAnchor(`\`${entry.key}\``)}) | ${cell(type)} | ${cell(defaultText)} |`;
}

/** The STRANGERCHAT_* names config.ts reads from the environment, from its source. */
export function variablesReadBy(source: string): string[] {
  return [...new Set([...source.matchAll(/env\.(STRANGERCHAT_[A-Z0-9_]+)/gi)].map((match) => match[1]!))].sort();
}

function checkVariables(): void {
  const documented = new Set([...Object.keys(ENV_OVERRIDES), ...SECRETS.map((secret) => secret.name)]);
  const undocumented = variablesReadBy(readFileSync(CONFIG_SOURCE, 'utf8')).filter((name) => !documented.has(name));
  if (undocumented.length) throw new Error(`server/config.ts reads ${undocumented.join(', ')}: add them to SECRETS or ENV_OVERRIDES notes in scripts/gen-config-docs.ts`);
  const unexplained = Object.keys(ENV_OVERRIDES).filter((name) => !OVERRIDE_NOTES[name]);
  if (unexplained.length) throw new Error(`no OVERRIDE_NOTES entry in scripts/gen-config-docs.ts for ${unexplained.join(', ')}`);
}

/** What start says about an out-of-range port, as the schema words it today. */
function sampleError(): string {
  try {
    parseSettings({ server: { port: 70000 } });
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n').slice(1).join(' ').trim();
  }
  throw new Error('expected server.port 70000 to be refused');
}

const header = () => `# Configuration

<!-- Generated by scripts/gen-config-docs.ts from the settings schema in server/config.ts: change a
     setting's .describe() there (or the text in the script), then run
     node scripts/gen-config-docs.ts. A test fails when this file is stale. -->

An instance is configured by three things in its folder:

- \`${CONFIG_FILE}\`: the settings, described on this page. \`strangerchat init\` writes it; edit it
  by hand or with [\`strangerchat config\`](cli.md#strangerchat-config), which validates the whole
  file before every change.
- \`${ENV_FILE}\`: the [secrets](#secrets-env), mode 0600. Never commit it.
- the rules file (\`rules.md\`, see [\`rulesFile\`](#rulesfile)).

\`strangerchat start\` (and \`strangerchat config validate\`) check everything before serving: an
unknown key, a value of the wrong type or out of range, or a missing secret stops it with exit code
3 and a message naming the key, for example \`${sampleError()}\`.
Leave a key out to get its default; every default suits a small school or club. Settings are read
at start: restart the server after a change.

Where a value comes from, the last one wins: the file, then [environment variables](#environment-variables)
(from \`.env\` or the process environment), then the \`--port\` and \`--host\` options of \`strangerchat start\`.
\`strangerchat config list\` prints every effective setting and where it came from.

\`\`\`sh
strangerchat config get server.port
strangerchat config set publicUrl https://chat.example.org
strangerchat config set trustedProxies '["127.0.0.1", "::1"]'   # values are JSON
strangerchat config unset relayOnly                              # back to the default
strangerchat config validate
\`\`\`

An example: a school that lets in its own e-mail addresses, behind a reverse proxy on the same
machine, with its own TURN server.

`;

/** docs/configuration.md for a settings schema (the real one by default). */
export function renderConfigDocs(schema: z.ZodType = InstanceSettings): string {
  const example = schema.safeParse(EXAMPLE);
  if (schema === InstanceSettings && !example.success) throw new Error(`the example in scripts/gen-config-docs.ts is invalid: ${example.error.message}`);
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const parsed = schema.safeParse({});
  const entries = collect(root, parsed.success ? parsed.data : {});
  const profileAges = Object.entries(PROFILE_MIN_AGE)
    .map(([profile, age]) => `${profile} ${age}`)
    .join(', ');
  const overrides = Object.entries(ENV_OVERRIDES).map(
    ([name, key]) => `| \`${name}\` | [\`${key}\`](#${headingAnchor(`\`${key}\``)}) | ${cell(OVERRIDE_NOTES[name] ?? '')} |`,
  );
  const secrets = SECRETS.map((secret) => `| \`${secret.name}\` | ${cell(secret.required)} | ${cell(secret.what)} |`);
  return `${header()}\`\`\`json
${JSON.stringify(EXAMPLE, null, 2)}
\`\`\`

## All settings

| key | type | default |
| --- | --- | --- |
${entries.map(summaryRow).join('\n')}

Minimum ages by profile, when \`minAge\` is not set: ${profileAges}.

${entries.map(renderEntry).join('\n\n')}

## Environment variables

These override the setting they name, from the process environment or from \`${ENV_FILE}\` (the
process environment wins). They suit containers and service managers, where editing a file is
awkward.

| variable | overrides | meaning |
| --- | --- | --- |
${overrides.join('\n')}

The command line also reads \`STRANGERCHAT_DIR\`: the instance folder, when \`-C\` is not given
(see [the instance folder](cli.md#the-instance-folder)).

## Secrets (.env)

Secrets never go in \`${CONFIG_FILE}\`: they live in \`${ENV_FILE}\` in the instance folder (mode
0600, one \`NAME=value\` a line), or in the process environment, which wins. \`strangerchat init\`
generates them; \`strangerchat config list\` never prints them. To make one by hand:
\`openssl rand -base64 32 | tr -d "=+/"\`.

| variable | needed | what it is |
| --- | --- | --- |
${secrets.join('\n')}
`;
}

/** The page as the current schema generates it. */
export function currentConfigDocs(): string {
  checkVariables();
  return renderConfigDocs();
}

if (isMain(import.meta.filename)) await writeOrCheck(CONFIG_DOCS, currentConfigDocs, 'scripts/gen-config-docs.ts');
