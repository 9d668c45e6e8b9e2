// `strangerchat config get|set|unset|list|validate|path`: edits strangerchat.json, keeping
// everything else in it as it was. Every change is validated with the one settings schema (and
// the cross-setting checks) before the file is written: an invalid change exits 3 naming the key
// and leaves the file untouched. Secrets live in .env and are never shown.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE, ConfigError, ENV_OVERRIDES, loadConfig, makeConfig, readEnvFile } from '../../server/config.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { loadInstanceConfig, resolveInstanceDir } from '../instance.ts';
import { Output, table, type GlobalOptions } from '../output.ts';
import { packageVersion } from '../version.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function registerConfig(program: Command, ctx: Context): void {
  const config = program.command('config').description('read and change the settings in strangerchat.json (validated before every write)');
  withExamples(config, ['strangerchat config list', 'strangerchat config set server.port 8081', 'strangerchat config validate']);

  const get = config
    .command('get')
    .argument('<key>', 'a dotted key, e.g. server.port')
    .description('print the effective value of a setting (its default when the file does not set it)')
    .action(async (key: string, _o: GlobalOptions, command: Command) => configGet(ctx, command.optsWithGlobals<GlobalOptions>(), key));
  withExamples(get, ['strangerchat config get server.port', 'strangerchat config get turn.urls --json']);

  const set = config
    .command('set')
    .argument('<key>', 'a dotted key, e.g. limits.ticketTtlSeconds')
    .argument('<value>', 'parsed as JSON when it parses (8081, true, ["a","b"]), else taken as a string')
    .option('--string', 'take the value as a string even when it parses as JSON')
    .description('change a setting; the whole file is validated first and left unchanged when invalid (exit 3)')
    .action(async (key: string, value: string, _o: SetOptions, command: Command) => configSet(ctx, command.optsWithGlobals<SetOptions>(), key, value));
  withExamples(set, [
    'strangerchat config set server.port 8081',
    'strangerchat config set publicUrl https://chat.example.org',
    `strangerchat config set modes '["text"]'`,
    'strangerchat config set name 2026 --string',
  ]);

  const unset = config
    .command('unset')
    .argument('<key>', 'a dotted key')
    .description('remove a setting from the file, so its default applies again (validated like set)')
    .action(async (key: string, _o: GlobalOptions, command: Command) => configUnset(ctx, command.optsWithGlobals<GlobalOptions>(), key));
  withExamples(unset, ['strangerchat config unset server.port']);

  const list = config
    .command('list')
    .description('every effective setting with its source: the file, an environment variable, or the default (never secrets)')
    .action(async (_o: GlobalOptions, command: Command) => configList(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(list, ['strangerchat config list', 'strangerchat config list --json']);

  const validate = config
    .command('validate')
    .description('check strangerchat.json, .env and the rules file as start would (exit 3 naming the key when invalid)')
    .action(async (_o: GlobalOptions, command: Command) => configValidate(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(validate, ['strangerchat config validate && strangerchat start']);

  const path = config
    .command('path')
    .description('print the path of strangerchat.json')
    .action(async (_o: GlobalOptions, command: Command) => configPath(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(path, ['$EDITOR "$(strangerchat config path)"']);
}

interface SetOptions extends GlobalOptions {
  string?: boolean;
}

interface RawFile {
  dir: string;
  path: string;
  raw: JsonObject;
  /** The indentation the file uses, kept when it is rewritten. */
  indent: string;
}

function readRaw(ctx: Context, options: GlobalOptions): RawFile {
  const dir = resolveInstanceDir(ctx, options);
  const path = join(dir, CONFIG_FILE);
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${(error as Error).message}; fix it in an editor`, ExitCode.InvalidConfig);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CliError(`${path} must hold a JSON object`, ExitCode.InvalidConfig);
  const indent = /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  return { dir, path, raw: raw as JsonObject, indent };
}

function splitKey(key: string): string[] {
  const parts = key.split('.');
  if (parts.some((part) => !/^[A-Za-z][A-Za-z0-9]*$/.test(part))) throw new CliError(`"${key}" is not a setting key (e.g. server.port)`, ExitCode.Usage);
  return parts;
}

function getPath(root: unknown, parts: string[]): { found: boolean; value?: unknown } {
  let at: unknown = root;
  for (const part of parts) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !(part in at)) return { found: false };
    at = (at as Record<string, unknown>)[part];
  }
  return { found: true, value: at };
}

function setPath(root: JsonObject, parts: string[], value: Json): void {
  let at: JsonObject = root;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[part] = {};
    at = at[part] as JsonObject;
  }
  at[parts.at(-1)!] = value;
}

/** Removes a key and any section it leaves empty. True when something was removed. */
function unsetPath(root: JsonObject, parts: string[]): boolean {
  const [head, ...rest] = parts as [string, ...string[]];
  if (!(head in root)) return false;
  if (rest.length === 0) {
    delete root[head];
    return true;
  }
  const child = root[head];
  if (typeof child !== 'object' || child === null || Array.isArray(child)) return false;
  const removed = unsetPath(child, rest);
  if (removed && Object.keys(child).length === 0) delete root[head];
  return removed;
}

/** Validates settings as start would (schema and cross-setting checks); exit 3 naming the key. */
function validateRaw(dir: string, ctx: Context, raw: JsonObject, changedKey: string): void {
  const env = { ...readEnvFile(dir), ...ctx.env };
  try {
    makeConfig({
      settings: raw,
      dir,
      secrets: {
        ...(env.STRANGERCHAT_TURN_SECRET ? { turnSecret: env.STRANGERCHAT_TURN_SECRET } : {}),
        ...(env.STRANGERCHAT_SMTP_PASSWORD ? { smtpPassword: env.STRANGERCHAT_SMTP_PASSWORD } : {}),
      },
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const detail = error.message.replace(/^invalid settings in settings:\s*/, '').trim();
    throw new CliError(`cannot set ${changedKey}, ${CONFIG_FILE} is unchanged:\n  ${detail.replace(/\n\s*/g, '\n  ')}`, ExitCode.InvalidConfig);
  }
  const rulesFile = typeof raw.rulesFile === 'string' ? raw.rulesFile : 'rules.md';
  const rulesPath = isAbsolute(rulesFile) ? rulesFile : join(dir, rulesFile);
  if (!existsSync(rulesPath)) throw new CliError(`cannot set ${changedKey}: rulesFile ${rulesPath} does not exist; ${CONFIG_FILE} is unchanged`, ExitCode.InvalidConfig);
}

function writeRaw(file: RawFile, raw: JsonObject): void {
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(raw, null, file.indent)}\n`);
  renameSync(temporary, file.path);
}

/** Values parse as JSON when they can (numbers, booleans, arrays), else they are strings. */
export function parseValue(value: string, forceString = false): Json {
  if (forceString) return value;
  try {
    return JSON.parse(value) as Json;
  } catch {
    return value;
  }
}

/** Hides a password in a connection URL. */
function maskSecrets(key: string, value: unknown): unknown {
  if (key === 'database.url' && typeof value === 'string') return value.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:****@');
  return value;
}

/** Which environment variable overrides a key, if one is set. */
function envSourceOf(key: string, env: Record<string, string | undefined>): string | undefined {
  for (const [variable, overridden] of Object.entries(ENV_OVERRIDES)) {
    if (env[variable] && (key === overridden || key.startsWith(`${overridden}.`))) return variable;
  }
  return undefined;
}

interface Entry {
  key: string;
  value: unknown;
  /** `file`, `default`, or `env:<VARIABLE>`. */
  source: string;
}

function flatten(value: unknown, prefix: string, out: Array<{ key: string; value: unknown }>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.push({ key: prefix, value });
  }
}

function effectiveEntries(ctx: Context, options: GlobalOptions): { entries: Entry[]; raw: JsonObject } {
  const file = readRaw(ctx, options);
  const config = loadInstanceConfig(ctx, file.dir);
  const env = { ...readEnvFile(file.dir), ...ctx.env };
  const flat: Array<{ key: string; value: unknown }> = [];
  flatten(config.settings, '', flat);
  const entries = flat.map(({ key, value }) => {
    const variable = envSourceOf(key, env);
    const source = variable ? `env:${variable}` : getPath(file.raw, key.split('.')).found ? 'file' : 'default';
    return { key, value: maskSecrets(key, value), source };
  });
  return { entries, raw: file.raw };
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export async function configGet(ctx: Context, options: GlobalOptions, key: string): Promise<void> {
  const output = new Output(ctx, options);
  splitKey(key);
  const { entries } = effectiveEntries(ctx, options);
  const exact = entries.find((entry) => entry.key === key);
  if (exact) return output.result(exact, () => show(exact.value));
  // A section: its settings as one object.
  const inside = entries.filter((entry) => entry.key.startsWith(`${key}.`));
  if (inside.length === 0) throw new CliError(`no setting named ${key}; see strangerchat config list`, ExitCode.Usage);
  const value: JsonObject = {};
  for (const entry of inside) setPath(value, entry.key.slice(key.length + 1).split('.'), entry.value as Json);
  output.result({ key, value, source: [...new Set(inside.map((e) => e.source))].join(',') }, () => JSON.stringify(value, null, 2));
}

export async function configSet(ctx: Context, options: SetOptions, key: string, text: string): Promise<void> {
  const output = new Output(ctx, options);
  const parts = splitKey(key);
  const file = readRaw(ctx, options);
  const before = getPath(file.raw, parts);
  const value = parseValue(text, options.string);
  const next = structuredClone(file.raw);
  setPath(next, parts, value);
  validateRaw(file.dir, ctx, next, key);
  writeRaw(file, next);
  output.result({ key, value, previous: before.found ? before.value : null }, () => `${key} = ${JSON.stringify(value)}`);
  const variable = envSourceOf(key, { ...readEnvFile(file.dir), ...ctx.env });
  if (variable) output.warn(`${variable} is set and overrides ${key}`);
  output.say('Restart the server for the change to take effect (strangerchat stop, then start).');
}

export async function configUnset(ctx: Context, options: GlobalOptions, key: string): Promise<void> {
  const output = new Output(ctx, options);
  const parts = splitKey(key);
  const file = readRaw(ctx, options);
  const before = getPath(file.raw, parts);
  const next = structuredClone(file.raw);
  if (!unsetPath(next, parts)) {
    output.result({ key, removed: false, previous: null }, () => `${key} is not set in ${CONFIG_FILE}; nothing to do`);
    return;
  }
  validateRaw(file.dir, ctx, next, key);
  writeRaw(file, next);
  output.result({ key, removed: true, previous: before.value ?? null }, () => `${key} removed (its default applies)`);
}

export async function configList(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const { entries } = effectiveEntries(ctx, options);
  output.result(entries, () =>
    table(
      ['key', 'value', 'source'],
      entries.map((entry) => [entry.key, show(entry.value), entry.source === 'default' ? output.out.dim('default') : entry.source]),
    ),
  );
}

export async function configValidate(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const dir = resolveInstanceDir(ctx, options);
  const file = join(dir, CONFIG_FILE);
  try {
    loadConfig({ dir, env: ctx.env, version: packageVersion() });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.result({ valid: false, file, error: error.message, keys: error.keys }, () => '');
    throw new CliError(error.message, ExitCode.InvalidConfig);
  }
  output.result({ valid: true, file, error: null, keys: [] }, () => `${file} is valid`);
}

export async function configPath(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  const file = join(resolveInstanceDir(ctx, options), CONFIG_FILE);
  output.result({ path: file }, () => file);
}
