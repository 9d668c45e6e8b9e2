// Opening hours read in the instance's time zone with Intl: the next opening and closing across
// lunch breaks, nights, weekends and daylight-saving changes; openings that touch across midnight
// joined; no hours (always open) and hours that never open; and `pause --until` moments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSettings } from '../../server/config.ts';
import { formatMoment, nextOpening, openingState, parseMoment } from '../../server/access/opening-hours.ts';

const PARIS = 'Europe/Paris';
const week = { monday: ['08:30-12:00', '13:30-16:00'], tuesday: ['08:30-16:00'], friday: ['20:00-24:00'], saturday: ['00:00-02:00'] };
/** A wall-clock time in Paris, as the operator would say it. */
const paris = (text: string) => parseMoment(text, PARIS, 0)!;

test('open and closed through a Monday with a lunch break', () => {
  assert.equal(openingState(week, PARIS, paris('2026-11-30T08:00')), { open: false, opensAt: paris('2026-11-30T08:30'), closesAt: null });
  assert.equal(openingState(week, PARIS, paris('2026-11-30T08:30')), { open: true, opensAt: null, closesAt: paris('2026-11-30T12:00') });
  assert.equal(openingState(week, PARIS, paris('2026-11-30T12:00')), { open: false, opensAt: paris('2026-11-30T13:30'), closesAt: null }, 'the end is not open');
  assert.equal(openingState(week, PARIS, paris('2026-11-30T16:30')).opensAt, paris('2026-12-01T08:30'));
});

test('openings that touch across midnight are one; the weekend waits for Monday', () => {
  assert.equal(openingState(week, PARIS, paris('2026-12-04T21:00')), { open: true, opensAt: null, closesAt: paris('2026-12-05T02:00') });
  assert.equal(openingState(week, PARIS, paris('2026-12-05T03:00')).opensAt, paris('2026-12-07T08:30'));
});

test('daylight saving: the hours stay on the wall clock', () => {
  // Paris moves from UTC+1 to UTC+2 on 29 March 2026: 08:30 is 07:30 UTC before, 06:30 UTC after.
  assert.is(openingState(week, PARIS, Date.UTC(2026, 2, 28, 12)).opensAt, Date.UTC(2026, 2, 30, 6, 30));
  assert.is(openingState(week, PARIS, Date.UTC(2026, 2, 23, 6, 0)).opensAt, Date.UTC(2026, 2, 23, 7, 30));
  assert.is(paris('2026-03-29T02:30'), Date.UTC(2026, 2, 29, 1, 30), 'a time the change skips lands just after it');
});

test('no hours: always open; hours that never open: no next opening', () => {
  assert.equal(openingState(undefined, PARIS, 0), { open: true, opensAt: null, closesAt: null });
  assert.equal(openingState({}, PARIS, 0), { open: false, opensAt: null, closesAt: null });
  assert.is(nextOpening({}, PARIS, 0), null);
  assert.is(nextOpening(week, PARIS, paris('2026-11-30T09:00')), paris('2026-11-30T09:00'), 'open at that moment');
});

test('pause --until: durations, a time of day, a date and time, with or without an offset', () => {
  const now = paris('2026-11-30T17:00');
  assert.is(parseMoment('2h', PARIS, now), now + 2 * 3600_000);
  assert.is(parseMoment('1d12h', PARIS, now), now + 36 * 3600_000);
  assert.is(parseMoment('18:00', PARIS, now), paris('2026-11-30T18:00'), 'later today');
  assert.is(parseMoment('08:00', PARIS, now), paris('2026-12-01T08:00'), 'tomorrow');
  assert.is(parseMoment('2026-12-03', PARIS, now), paris('2026-12-03T00:00'));
  assert.is(parseMoment('2026-12-03T08:00Z', PARIS, now), Date.UTC(2026, 11, 3, 8));
  assert.is(parseMoment('2026-12-03T08:00+02:00', PARIS, now), Date.UTC(2026, 11, 3, 6));
  for (const bad of ['soon', '25:00', '2026-13-01', '', '7x']) assert.is(parseMoment(bad, PARIS, now), undefined, bad);
});

test('moments are said in the instance time zone; the settings refuse what cannot be read', () => {
  assert.is(formatMoment(paris('2026-12-01T08:30'), PARIS), 'Tuesday 1 December, 08:30 (Europe/Paris)');
  assert.throws(() => parseSettings({ openingHours: { timeZone: 'Mars/Olympus' } }), /openingHours\.timeZone: must be an IANA time zone/);
  assert.throws(() => parseSettings({ openingHours: { week: { monday: ['9-5'] } } }), /openingHours\.week\.monday\.0: must be a time range/);
  assert.throws(() => parseSettings({ openingHours: { week: { monday: ['16:00-08:30'] } } }), /must end after it starts/);
  assert.throws(() => parseSettings({ openingHours: { week: { mon: ['08:00-12:00'] } } }), /unknown key mon/);
  assert.ok(parseSettings({ openingHours: { timeZone: 'UTC', week: { sunday: ['00:00-24:00'] } } }));
});

test.run();
