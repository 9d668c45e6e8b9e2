// Writing an instance folder: the layout of DESIGN.md. `start` uses it for an empty folder;
// `init` (its own issue) will ask the questions and reuse these steps.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CONFIG_FILE, ENV_FILE } from '../server/config.ts';
import { templatesDir } from './version.ts';

export type ProfileName = 'school' | 'community' | 'adult';

export interface NewInstance {
  name: string;
  profile: ProfileName;
  accessMode: 'open' | 'invite' | 'email';
  port: number;
}

export const DEFAULT_INSTANCE: NewInstance = { name: 'strangerchat', profile: 'community', accessMode: 'open', port: 8080 };

/** True when the folder is missing or holds nothing (hidden files included). */
export function isEmptyFolder(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

export function isInstanceFolder(dir: string): boolean {
  return existsSync(join(dir, CONFIG_FILE));
}

/** Writes the config, the secrets (.env, mode 0600), the rules and data/. Returns the files written. */
export function writeInstance(dir: string, instance: NewInstance): string[] {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const settings = {
    name: instance.name,
    profile: instance.profile,
    accessMode: instance.accessMode,
    rulesFile: 'rules.md',
    server: { host: '127.0.0.1', port: instance.port },
    database: { driver: 'sqlite', path: 'data/strangerchat.db' },
  };
  writeFileSync(join(dir, CONFIG_FILE), `${JSON.stringify(settings, null, 2)}\n`);
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(join(dir, ENV_FILE), `# Secrets of this instance: never commit or share this file.\nSTRANGERCHAT_SESSION_SECRET=${secret}\n`, {
    mode: 0o600,
  });
  const rules = readFileSync(new URL(`instance/rules/${instance.profile}.md`, templatesDir()), 'utf8');
  writeFileSync(join(dir, 'rules.md'), rules.replaceAll('{{name}}', instance.name));
  return [CONFIG_FILE, ENV_FILE, 'rules.md', 'data/'];
}
