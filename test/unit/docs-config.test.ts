// docs/configuration.md is generated from the settings schema (scripts/gen-config-docs.ts): it must
// be up to date, name every setting with the default start really applies, and document every
// environment variable and secret the configuration reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ENV_OVERRIDES, InstanceSettings, parseSettings } from '../../server/config.ts';
import { CONFIG_DOCS, SECRETS, currentConfigDocs, renderConfigDocs, variablesReadBy } from '../../scripts/gen-config-docs.ts';

const docs = readFileSync(CONFIG_DOCS, 'utf8');
const defaults = InstanceSettings.parse({}) as Record<string, unknown>;

/** Dotted keys of the leaves of a value: { server: { port: 1 } } → ["server.port"]. */
function leafKeys(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value as Record<string, unknown>);
  // An empty section (every key optional, none set) has no leaf with a default.
  if (entries.length === 0) return [];
  return entries.flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
}

function lookup(value: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], value);
}

/** The "- Default: `…`" line under the heading of `key`. */
function documentedDefault(key: string): string | undefined {
  const section = docs.split(/^#{2,6} /m).find((part) => part.startsWith(`\`${key}\`\n`));
  return section ? /^- Default: (.*)$/m.exec(section)?.[1] : undefined;
}

test('docs/configuration.md is what the schema generates (run node scripts/gen-config-docs.ts after changing a setting)', () => {
  assert.fixture(docs, currentConfigDocs());
});

test('every setting has a heading, including the optional ones without a default', () => {
  const keys = [...leafKeys(defaults), ...Object.keys(InstanceSettings.shape), 'minAge', 'publicUrl', 'relayOnly', 'branding.accentColor', 'branding.logoUrl', 'email.smtp.user', 'database.url'];
  for (const key of new Set(keys)) assert.match(docs, new RegExp(`^#{2,6} \`${key.replaceAll('.', '\\.')}\`$`, 'm'), `${key} has a heading`);
});

test('the documented defaults are the ones start applies', () => {
  for (const key of leafKeys(defaults)) {
    assert.is(documentedDefault(key), `\`${JSON.stringify(lookup(defaults, key))}\``, `default of ${key}`);
  }
  assert.is(documentedDefault('language'), '`"en"`', 'a default behind a transform is still found');
  assert.is(documentedDefault('minAge'), 'not set');
});

test('every environment override and every secret is documented', () => {
  for (const [name, key] of Object.entries(ENV_OVERRIDES)) {
    assert.match(docs, new RegExp(`^\\| \`${name}\` \\| \\[\`${key.replaceAll('.', '\\.')}\`\\]`, 'm'), name);
  }
  const secretsSection = docs.slice(docs.indexOf('## Secrets'));
  for (const name of ['STRANGERCHAT_SESSION_SECRET', 'STRANGERCHAT_TURN_SECRET', 'STRANGERCHAT_SMTP_PASSWORD', 'STRANGERCHAT_OIDC_CLIENT_SECRET']) {
    assert.ok(secretsSection.includes(`| \`${name}\` |`), `${name} is in the secrets table`);
  }
  const source = readFileSync(new URL('../../server/config.ts', import.meta.url), 'utf8');
  const documented = [...Object.keys(ENV_OVERRIDES), ...SECRETS.map((s) => s.name)];
  for (const name of variablesReadBy(source)) assert.ok(documented.includes(name), `${name}, read by server/config.ts, is documented`);
  assert.equal(variablesReadBy('const a = mergedEnv.STRANGERCHAT_ZEPPELIN; env.STRANGERCHAT_PORT'), ['STRANGERCHAT_PORT', 'STRANGERCHAT_ZEPPELIN']);
});

test('the example strangerchat.json on the page is valid', () => {
  const block = /```json\n([\s\S]*?)\n```/.exec(docs)?.[1];
  assert.ok(block, 'the page has a JSON example');
  const settings = parseSettings(JSON.parse(block!));
  assert.is(settings.profile, 'school');
});

test('the generator follows the schema: a new key gets a section with its type, limits and default', () => {
  const schema = z.strictObject({
    zeppelin: z
      .strictObject({ altitude: z.number().int().min(100).max(9000).default(300).describe('how high it flies, in metres') })
      .prefault({})
      .describe('the airship'),
    colour: z.enum(['red', 'grey']).optional().describe('its paint'),
  });
  const generated = renderConfigDocs(schema);
  assert.match(generated, /^## `zeppelin`\n\nthe airship$/m);
  assert.match(generated, /^### `zeppelin\.altitude`\n\nhow high it flies, in metres\n\n- Type: integer, 100 to 9000\n- Default: `300`$/m);
  assert.match(generated, /^- Type: one of `"red"`, `"grey"`\n- Default: not set$/m);
  assert.match(generated, /\| \[`zeppelin\.altitude`\]\(#zeppelinaltitude\) \| integer, 100 to 9000 \| `300` \|/);
});

test('a setting without a description stops the generator, naming it', () => {
  const schema = z.strictObject({ server: z.strictObject({ port: z.number().default(1) }).prefault({}).describe('where') });
  assert.throws(() => renderConfigDocs(schema), /server\.port/);
});

test.run();
