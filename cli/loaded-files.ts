// What a running `start` loaded, file by file, so `status` can tell when the settings on disk
// changed since (after `config set`, or an edit): only a restart applies them.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CONFIG_FILE, ENV_FILE } from '../server/config.ts';

/** File name (as the operator knows it) → SHA-256 of what it holds; "missing" when absent. */
export type Fingerprints = Record<string, string>;

const MISSING = 'missing';

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Keys sorted at every level, so reformatting strangerchat.json is not a change. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

function fileDigest(path: string, parse: boolean): string {
  if (!existsSync(path)) return MISSING;
  const text = readFileSync(path, 'utf8');
  if (!parse) return digest(text);
  try {
    return digest(JSON.stringify(canonical(JSON.parse(text))));
  } catch {
    return digest(text);
  }
}

/** The fingerprints of the files an instance's configuration is made of. */
export function fingerprints(dir: string, rulesFile: string): Fingerprints {
  const rules = isAbsolute(rulesFile) ? rulesFile : join(dir, rulesFile);
  return {
    [CONFIG_FILE]: fileDigest(join(dir, CONFIG_FILE), true),
    [ENV_FILE]: fileDigest(join(dir, ENV_FILE), false),
    [rulesFile]: fileDigest(rules, false),
  };
}

/** The files that differ now from what was loaded (in the order they were recorded). */
export function changedFiles(dir: string, loaded: Fingerprints): string[] {
  const rulesFile = Object.keys(loaded).find((name) => name !== CONFIG_FILE && name !== ENV_FILE) ?? 'rules.md';
  const now = fingerprints(dir, rulesFile);
  return Object.keys(loaded).filter((name) => now[name] !== loaded[name]);
}
