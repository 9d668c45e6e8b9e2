// The machine's time zone (the default of the opening hours) is read from /etc/localtime's link,
// as ICU reads it, so that a start need not load ICU's date formatting; Intl answers otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync } from 'node:fs';
import { machineTimeZone } from '../../server/config.ts';

const intlZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const linkTo = (target: string) => ({ tz: undefined, localtimeLink: () => target });

test('the zone /etc/localtime links to, however the link is written', () => {
  assert.is(machineTimeZone(linkTo('/usr/share/zoneinfo/Europe/Paris')), 'Europe/Paris');
  assert.is(machineTimeZone(linkTo('../usr/share/zoneinfo/America/Argentina/Buenos_Aires')), 'America/Argentina/Buenos_Aires');
  assert.is(machineTimeZone(linkTo('/var/db/timezone/zoneinfo/Asia/Tokyo')), 'Asia/Tokyo', 'macOS');
  assert.is(machineTimeZone(linkTo('/usr/share/zoneinfo/posix/Etc/GMT+5')), 'Etc/GMT+5');
});

test('UTC by any of its names is "UTC", as Intl names it', () => {
  for (const name of ['Etc/UTC', 'Etc/Universal', 'UTC', 'Zulu']) assert.is(machineTimeZone(linkTo(`/usr/share/zoneinfo/${name}`)), 'UTC', name);
});

test('with TZ set, or no link into a zoneinfo folder, Intl answers', () => {
  assert.is(machineTimeZone({ tz: 'Asia/Kolkata', localtimeLink: () => '/usr/share/zoneinfo/Pacific/Auckland' }), intlZone);
  assert.is(machineTimeZone(linkTo('/etc/some-copy')), intlZone);
  const notALink = { tz: undefined, localtimeLink: (): string => { throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' }); } };
  assert.is(machineTimeZone(notALink), intlZone);
});

test("on this machine it is Intl's zone, or an alias of it with the same offsets", () => {
  if (process.env.TZ || !existsSync('/etc/localtime') || !lstatSync('/etc/localtime').isSymbolicLink()) return;
  const offsets = (timeZone: string) =>
    [Date.UTC(2026, 0, 15), Date.UTC(2026, 6, 15)].map((at) => new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' }).format(at)).join();
  assert.is(offsets(machineTimeZone()), offsets(intlZone));
});

test.run();
