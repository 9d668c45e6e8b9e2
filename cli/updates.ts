// Which strangerchat an instance runs and which one the registry offers. The instance's
// package.json pins the version (init writes it); the registry is asked through npm itself, in
// the instance folder, so the operator's npm settings (.npmrc, npm_config_registry, a proxy) apply.
// The answer is cached in data/update-check.json: `status` only reads that file (never the
// network), and a running server refreshes it once a day (updates.check).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// The three functions, not the package's index: `start` loads this module, and the index is 47 modules.
import semverGt from 'semver/functions/gt.js';
import semverRsort from 'semver/functions/rsort.js';
import semverValid from 'semver/functions/valid.js';
import { z } from 'zod';
import type { ServerConfig } from '../server/config.ts';
import type { Logger } from '../server/logger.ts';
import { dataDirOf } from './paths.ts';

export const PACKAGE = 'strangerchat';
/** How old the cached answer may be before a running server asks the registry again. */
export const UPDATE_CHECK_INTERVAL_MS = 24 * 3600 * 1000;
/** A running server's first check waits this long: starting is busy enough, and most test runs are shorter. */
export const UPDATE_FIRST_CHECK_DELAY_MS = 10 * 60 * 1000;
/** npm view may take this long (a slow or unreachable registry fails the check, never blocks anything). */
const NPM_VIEW_TIMEOUT_MS = 30_000;
/** npm install may take this long. */
export const NPM_INSTALL_TIMEOUT_MS = 10 * 60 * 1000;
const NPM_MAX_OUTPUT = 16 * 1024 * 1024;
const QUICK_RETRIES = ['--fetch-retries=1', '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=3000'];

export interface NpmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs npm in a folder; injected so tests and callers can replace it. */
export type NpmRunner = (args: string[], options: { cwd: string; env: Record<string, string | undefined>; timeoutMs: number }) => Promise<NpmResult>;

export const runNpm: NpmRunner = (args, { cwd, env, timeoutMs }) =>
  new Promise((resolve) => {
    execFile(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, env, timeout: timeoutMs, maxBuffer: NPM_MAX_OUTPUT }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: error && !stderr ? `${error.message}\n` : String(stderr) });
    });
  });

/** The strangerchat version the instance's package.json asks for (an exact version, or a range). */
export function pinnedVersion(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, unknown> };
    const pin = pkg.dependencies?.[PACKAGE];
    return typeof pin === 'string' ? pin : undefined;
  } catch {
    return undefined;
  }
}

/** The version installed in the instance's node_modules, if any. */
export function installedVersion(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', PACKAGE, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** What the instance runs: its installed strangerchat, else the exact version it pins, else `fallback` (this CLI). */
export function currentVersion(dir: string, fallback: string): string {
  return installedVersion(dir) ?? semverValid(pinnedVersion(dir) ?? '') ?? fallback;
}

export interface RegistryVersions {
  latest: string;
  versions: string[];
}

/** The registry's answer through `npm view`; throws with npm's own summary when it has none. */
export async function registryVersions(dir: string, env: Record<string, string | undefined>, npm: NpmRunner = runNpm): Promise<RegistryVersions> {
  // One quick retry, not npm's default of two with 10-60 s waits: an offline answer comes in seconds.
  const result = await npm(['view', PACKAGE, 'dist-tags', 'versions', '--json', ...QUICK_RETRIES], { cwd: dir, env, timeoutMs: NPM_VIEW_TIMEOUT_MS });
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout || 'null');
  } catch {
    parsed = null;
  }
  const error = (parsed as { error?: { code?: string; summary?: string } } | null)?.error;
  if (result.code !== 0 || error || !parsed) {
    const why = error?.summary ?? error?.code ?? result.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `npm exited with ${result.code}`;
    throw new Error(`npm view ${PACKAGE} failed: ${why}`);
  }
  const answer = parsed as { 'dist-tags'?: { latest?: unknown }; versions?: unknown };
  const versions = (Array.isArray(answer.versions) ? answer.versions : [answer.versions]).filter((v): v is string => typeof v === 'string' && semverValid(v) !== null);
  const latest = typeof answer['dist-tags']?.latest === 'string' ? answer['dist-tags'].latest : semverRsort([...versions])[0];
  if (!latest) throw new Error(`the registry lists no version of ${PACKAGE}`);
  return { latest, versions };
}

const UpdateCheck = z.object({
  checkedAt: z.number(),
  current: z.string(),
  latest: z.string().nullable(),
  error: z.string().nullable(),
});
/** data/update-check.json: the last answer of the registry. */
export type UpdateCheck = z.infer<typeof UpdateCheck>;

export function updateCheckPath(config: Pick<ServerConfig, 'database' | 'dir'>): string {
  return join(dataDirOf(config), 'update-check.json');
}

export function readUpdateCheck(config: Pick<ServerConfig, 'database' | 'dir'>): UpdateCheck | undefined {
  try {
    const parsed = UpdateCheck.safeParse(JSON.parse(readFileSync(updateCheckPath(config), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeUpdateCheck(config: Pick<ServerConfig, 'database' | 'dir'>, check: UpdateCheck): void {
  const path = updateCheckPath(config);
  mkdirSync(dataDirOf(config), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(check)}\n`);
  renameSync(temporary, path);
}

/** A newer version than `current`, from the cached answer; undefined when there is none (or no answer). */
export function availableUpdate(check: UpdateCheck | undefined, current: string): string | undefined {
  if (!check?.latest || !semverValid(check.latest) || !semverValid(current)) return undefined;
  return semverGt(check.latest, current) ? check.latest : undefined;
}

/** Asks the registry now and caches the answer (an unreachable registry is cached as an error). */
export async function checkForUpdate(
  config: Pick<ServerConfig, 'database' | 'dir'>,
  current: string,
  env: Record<string, string | undefined>,
  options: { npm?: NpmRunner; now?: () => number } = {},
): Promise<UpdateCheck & { versions: string[] }> {
  const now = options.now ?? Date.now;
  try {
    const found = await registryVersions(config.dir, env, options.npm);
    const check = { checkedAt: now(), current, latest: found.latest, error: null };
    writeUpdateCheck(config, check);
    return { ...check, versions: found.versions };
  } catch (error) {
    // The last answer stays known: offline, status still shows an update seen before.
    const check = { checkedAt: now(), current, latest: readUpdateCheck(config)?.latest ?? null, error: (error as Error).message };
    writeUpdateCheck(config, check);
    return { ...check, versions: [] };
  }
}

export interface UpdateSchedule {
  stop(): void;
}

/**
 * A running server's daily check: it only refreshes the cache (and logs a newer version once);
 * nothing is installed without `strangerchat update`. Only for an instance that pins strangerchat.
 */
export function scheduleUpdateChecks(deps: {
  config: ServerConfig;
  env: Record<string, string | undefined>;
  logger: Logger;
  npm?: NpmRunner;
  now?: () => number;
  firstDelayMs?: number;
  intervalMs?: number;
}): UpdateSchedule | undefined {
  const { config, env, logger } = deps;
  if (!config.settings.updates.check || !pinnedVersion(config.dir) || !existsSync(join(config.dir, 'package.json'))) return undefined;
  const now = deps.now ?? Date.now;
  const intervalMs = deps.intervalMs ?? UPDATE_CHECK_INTERVAL_MS;
  let announced: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async () => {
    const cached = readUpdateCheck(config);
    const current = currentVersion(config.dir, config.version);
    const check = cached && now() - cached.checkedAt < intervalMs && cached.current === current ? cached : await checkForUpdate(config, current, env, { npm: deps.npm, now });
    if (check.error) logger.debug({ error: check.error }, 'update check failed');
    const newer = availableUpdate(check, current);
    if (newer && newer !== announced) {
      announced = newer;
      logger.info({ current, latest: newer }, 'a newer strangerchat is available: strangerchat update');
    }
  };
  const next = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      run()
        .catch((error: unknown) => logger.debug({ err: error }, 'update check failed'))
        .finally(() => next(intervalMs));
    }, delay);
    timer.unref();
  };
  next(deps.firstDelayMs ?? UPDATE_FIRST_CHECK_DELAY_MS);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
