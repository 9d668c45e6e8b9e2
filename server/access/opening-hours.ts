// Opening hours: per weekday, in the instance's time zone, read with Intl (no time-zone library).
// Pure functions of the settings and a moment, so that every process (and the terminal) computes
// the same answer from the same clock, and tests set the clock.
import { WEEKDAYS, type InstanceSettings } from '../config.ts';
import { parseDuration } from '../moderation/duration.ts';

export type WeekHours = InstanceSettings['openingHours']['week'];

/** Whether the hours let people in at a moment, and the next change. */
export interface OpeningState {
  open: boolean;
  /** When closed: the start of the next opening; null when the hours never open. */
  opensAt: number | null;
  /** When open: the end of the current opening (touching openings joined); null without hours. */
  closesAt: number | null;
}

/** Enough days of openings to find the next one whatever the week looks like. */
const DAYS_AHEAD = 8;

/** One formatter per time zone: making one is slow, using one is not. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What a wall clock in `timeZone` shows at `ms`. */
export function wallClock(ms: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(ms)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at `ms`, in ms (local minus UTC). */
function offsetAt(ms: number, timeZone: string): number {
  const wall = wallClock(ms, timeZone);
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - Math.floor(ms / 1000) * 1000;
}

/**
 * The moment a wall clock in `timeZone` shows `minutes` after midnight of a date. Across a
 * daylight-saving change the offset is read twice; a time the change skips lands just after it.
 */
export function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const guess = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(guess, timeZone);
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

/** The openings from the day before `at` to DAYS_AHEAD after, as merged [start, end) intervals. */
function openings(week: NonNullable<WeekHours>, timeZone: string, at: number): Array<[number, number]> {
  const today = wallClock(at, timeZone);
  const intervals: Array<[number, number]> = [];
  for (let offset = -1; offset <= DAYS_AHEAD; offset++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    const weekday = WEEKDAYS[(date.getUTCDay() + 6) % 7]!;
    for (const range of week[weekday] ?? []) {
      const [start, end] = range.split('-') as [string, string];
      const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      intervals.push([instantOf(y, m, d, minutesOf(start), timeZone), instantOf(y, m, d, minutesOf(end), timeZone)]);
    }
  }
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const interval of intervals) {
    const last = merged.at(-1);
    if (last && interval[0] <= last[1]) last[1] = Math.max(last[1], interval[1]);
    else merged.push([...interval]);
  }
  return merged;
}

/** Open or closed at `now`, and when that changes. Without hours (`week` unset): always open. */
export function openingState(week: WeekHours, timeZone: string, now: number): OpeningState {
  if (!week) return { open: true, opensAt: null, closesAt: null };
  const intervals = openings(week, timeZone, now);
  const current = intervals.find(([start, end]) => start <= now && now < end);
  if (current) return { open: true, opensAt: null, closesAt: current[1] };
  return { open: false, opensAt: intervals.find(([start]) => start > now)?.[0] ?? null, closesAt: null };
}

/** The first moment at or after `at` when the hours let people in (`at` itself when open then); null when they never do. */
export function nextOpening(week: WeekHours, timeZone: string, at: number): number | null {
  const state = openingState(week, timeZone, at);
  return state.open ? at : state.opensAt;
}

/**
 * A moment as the operator types it for `pause --until`: a duration from now (`30m`, `2h`, `1d`),
 * a time of day (`18:00`: the next one, in the instance's time zone), or a date and time
 * (`2026-12-03T08:00`, in the instance's time zone unless it ends in `Z` or an offset). Undefined
 * when it is none of these.
 */
export function parseMoment(text: string, timeZone: string, now: number): number | undefined {
  const value = text.trim();
  if (/^(?:\d{1,6}[mhdw])+$/i.test(value)) {
    try {
      const ms = parseDuration(value);
      return ms === null ? undefined : now + ms;
    } catch {
      return undefined;
    }
  }
  const time = /^(\d{1,2}):(\d{2})$/.exec(value);
  if (time) {
    const minutes = Number(time[1]) * 60 + Number(time[2]);
    if (Number(time[1]) > 23 || Number(time[2]) > 59) return undefined;
    const today = wallClock(now, timeZone);
    const at = instantOf(today.year, today.month, today.day, minutes, timeZone);
    return at > now ? at : instantOf(today.year, today.month, today.day + 1, minutes, timeZone);
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value);
  if (date) {
    const [, y, m, d, hh = '0', mm = '0', ss = '0'] = date;
    if (Number(m) < 1 || Number(m) > 12 || Number(d) < 1 || Number(d) > 31 || Number(hh) > 23 || Number(mm) > 59) return undefined;
    return instantOf(Number(y), Number(m), Number(d), Number(hh) * 60 + Number(mm), timeZone) + Number(ss) * 1000;
  }
  if (/^\d{4}-\d{2}-\d{2}T.*(?:Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    const at = Date.parse(value);
    return Number.isFinite(at) ? at : undefined;
  }
  return undefined;
}

/** A moment for people, in the instance's time zone: "Monday 3 December, 08:30 (Europe/Paris)". */
export function formatMoment(ms: number, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  return `${text.replace(' at ', ', ')} (${timeZone})`;
}
