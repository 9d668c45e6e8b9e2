// Ban durations as a moderator types them, in the dashboard or at the terminal: `30m`, `12h`,
// `7d`, `2w`, combinations such as `1d12h`, or `permanent`. One parser for HTTP and the CLI.
import { AppError } from '../errors.ts';

const MINUTE_MS = 60_000;
const UNIT_MS = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 24 * 60 * MINUTE_MS, w: 7 * 24 * 60 * MINUTE_MS } as const;
/** The longest expiring ban; anything longer is meant to be permanent. */
export const MAX_DURATION_MS = 10 * 365 * UNIT_MS.d;
/** Words meaning "no expiry". */
const PERMANENT = new Set(['permanent', 'never', 'forever']);
const DURATION = /^(?:\d{1,6}[mhdw])+$/;

/**
 * Milliseconds of a duration, or null for a permanent one (`permanent`, null or undefined).
 * Throws a 400 `invalid_duration` whose message starts with the field's name.
 */
export function parseDuration(value: string | null | undefined, field = 'duration'): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim().toLowerCase().replace(/\s+/g, '');
  if (PERMANENT.has(text)) return null;
  const fail = (why: string) => new AppError(400, 'invalid_duration', `${field}: ${why}`, { field });
  if (!DURATION.test(text)) {
    throw fail(`"${value.slice(0, 40)}" is not a duration; use minutes, hours, days or weeks (30m, 12h, 7d, 2w) or "permanent".`);
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([mhdw])/g)) ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  if (ms <= 0) throw fail('must be longer than zero (or "permanent").');
  if (ms > MAX_DURATION_MS) throw fail('may be at most 10 years; use "permanent" for a ban that never expires.');
  return ms;
}

/** The shortest way to write a duration in the units above (for CLI output and the dashboard). */
export function formatDuration(ms: number | null): string {
  if (ms === null) return 'permanent';
  const parts: string[] = [];
  let left = Math.round(ms / MINUTE_MS);
  for (const [unit, size] of [['w', 7 * 24 * 60], ['d', 24 * 60], ['h', 60], ['m', 1]] as const) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  return parts.join('') || '0m';
}
