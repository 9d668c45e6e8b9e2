// The instance's own texts: the rules in several languages (rules.fr.md beside rules.md), the
// description as one string or one per language, each chosen for a visitor with a fallback; and
// the operator's contact, which must be an e-mail address or an https URL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, contentLanguages, loadConfig, localDescription, localRules, parseSettings } from '../../server/config.ts';

const SECRET = 'a-session-secret-of-at-least-32-characters!';

function instance(settings: Record<string, unknown>, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-content-'));
  writeFileSync(join(dir, 'strangerchat.json'), JSON.stringify(settings));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('rules.<language>.md beside the rules file is read, and each language gets its own or the file', () => {
  const dir = instance({ language: 'en' }, { 'rules.md': '# Rules', 'rules.fr.md': '# Règles', 'rules.pt-br.md': '# Regras', 'rules.backup.md': 'old', 'notes.fr.md': 'x' });
  try {
    const config = loadConfig({ dir, env: { STRANGERCHAT_SESSION_SECRET: SECRET }, version: '1' });
    assert.equal(config.rulesByLanguage, { fr: '# Règles', 'pt-br': '# Regras' }, 'only <stem>.<language tag>.md');
    assert.is(localRules(config, 'fr'), '# Règles');
    assert.is(localRules(config, 'fr-ca'), '# Règles', 'a regional variant falls back to its language');
    assert.is(localRules(config, 'de'), '# Rules', 'no translation: the rules file');
    assert.is(localRules(config, 'en'), '# Rules');
    assert.equal(contentLanguages(config).sort(), ['en', 'fr', 'pt-br']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the description is a string, or one per language with a fallback', () => {
  const single = parseSettings({ description: 'Talk safely.' });
  assert.is(localDescription(single, 'fr'), 'Talk safely.');
  const several = parseSettings({ language: 'fr', description: { fr: 'Parlez sans crainte.', EN: 'Talk safely.' } });
  assert.equal(several.description, { fr: 'Parlez sans crainte.', en: 'Talk safely.' }, 'language keys lower-cased');
  assert.is(localDescription(several, 'en'), 'Talk safely.');
  assert.is(localDescription(several, 'en-gb'), 'Talk safely.');
  assert.is(localDescription(several, 'de'), 'Parlez sans crainte.', "else the instance's language");
  assert.is(localDescription(parseSettings({ language: 'de', description: { en: 'Hi', fr: 'Salut' } }), 'it'), 'Hi', 'else English');
  for (const bad of [{}, { french: 'Bonjour' }, { fr: 'x'.repeat(501) }, 42]) {
    assert.throws(() => parseSettings({ description: bad }), (error: unknown) => error instanceof ConfigError && error.keys.some((key) => key.startsWith('description')), JSON.stringify(bad));
  }
});

test('the contact is an e-mail address or an https URL', () => {
  assert.is(parseSettings({ contact: 'safeguarding@school.example.org' }).contact, 'safeguarding@school.example.org');
  assert.is(parseSettings({ contact: 'https://school.example.org/contact' }).contact, 'https://school.example.org/contact');
  assert.is(parseSettings({}).contact, undefined);
  for (const bad of ['http://school.example.org', 'javascript:alert(1)', 'not an address', 'a@b', 'https://x.org/"onmouseover="x', 'mailto:a@b.org']) {
    assert.throws(() => parseSettings({ contact: bad }), (error: unknown) => error instanceof ConfigError && error.keys.includes('contact'), bad);
  }
});

test.run();
