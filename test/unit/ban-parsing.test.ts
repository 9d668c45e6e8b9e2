// What a moderator types for a ban, in the dashboard or at the terminal: targets, subjects to
// check, and durations. Errors are 400s whose message starts with the field's name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AppError } from '../../server/errors.ts';
import { parseBanSubject, parseBanTarget } from '../../server/moderation/bans.ts';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../server/moderation/duration.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function refused(fn: () => unknown, code: string, field: string): AppError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, AppError);
    const appError = error as AppError;
    assert.is(appError.status, 400);
    assert.is(appError.code, code);
    assert.ok(appError.message.startsWith(`${field}: `), appError.message);
    assert.is(appError.details.field, field);
    return appError;
  }
  throw new assert.Assertion({ message: `expected ${code}`, operator: 'throws', expects: code, actual: 'no error', generated: false });
}

test('targets are normalised: IPv4 exact, IPv6 to its /64, ranges, mapped forms, devices, identities', () => {
  assert.equal(parseBanTarget(' 203.0.113.7 '), { kind: 'ip', target: '203.0.113.7' });
  assert.equal(parseBanTarget('203.0.113.7/32'), { kind: 'ip', target: '203.0.113.7' });
  assert.equal(parseBanTarget('::ffff:203.0.113.7'), { kind: 'ip', target: '203.0.113.7' });
  assert.equal(parseBanTarget('2001:DB8:0:42::dead:beef'), { kind: 'ip', target: '2001:db8:0:42::/64' });
  assert.equal(parseBanTarget('198.51.100.99/24'), { kind: 'cidr', target: '198.51.100.0/24' });
  assert.equal(parseBanTarget('::ffff:198.51.100.0/120'), { kind: 'cidr', target: '198.51.100.0/24' });
  assert.equal(parseBanTarget('2001:db8::/32'), { kind: 'cidr', target: '2001:db8::/32' });
  assert.equal(parseBanTarget('2001:db8::1/128'), { kind: 'cidr', target: '2001:db8::1/128' });
  assert.equal(parseBanTarget('device:0B3C8F52-6A8E-4E58-9D37-6F1F2A7C1D10'), { kind: 'device', target: '0b3c8f52-6a8e-4e58-9d37-6f1f2a7c1d10' });
  assert.equal(parseBanTarget('identity:Xq3b9h0sPz0dQeK5mB2rU7vC1yN4tL8wA6jG_-fHsE0'), { kind: 'identity', target: 'Xq3b9h0sPz0dQeK5mB2rU7vC1yN4tL8wA6jG_-fHsE0' });
});

test('invalid targets are refused naming the target field', () => {
  for (const text of ['', 'nobody', '1.2.3', '1.2.3.4/33', '::1/129', 'device:', 'device:not-a-uuid', 'identity:short', 'identity:has spaces in it!!!!!!!!!!!', '::ffff:0:0/95']) {
    refused(() => parseBanTarget(text), 'invalid_target', 'target');
  }
});

test('ranges wider than /8 (IPv4) or /16 (IPv6) are refused: they would shut everyone out', () => {
  for (const text of ['0.0.0.0/0', '10.0.0.0/7', '::/0', '2000::/15', '::ffff:0:0/96']) {
    const error = refused(() => parseBanTarget(text), 'invalid_target', 'target');
    assert.match(error.message, /too much/);
  }
  assert.is(parseBanTarget('10.0.0.0/8').kind, 'cidr');
  assert.is(parseBanTarget('2001::/16').kind, 'cidr');
});

test('subjects to check are one address, a device or an identity', () => {
  assert.equal(parseBanSubject('203.0.113.7'), { address: '203.0.113.7' });
  assert.equal(parseBanSubject('::ffff:203.0.113.7'), { address: '203.0.113.7' });
  assert.equal(parseBanSubject('2001:DB8::1'), { address: '2001:db8::1' });
  assert.equal(parseBanSubject('device:0b3c8f52-6a8e-4e58-9d37-6f1f2a7c1d10'), { deviceId: '0b3c8f52-6a8e-4e58-9d37-6f1f2a7c1d10' });
  for (const text of ['203.0.113.0/24', 'device:x', 'identity:x', 'someone', '']) refused(() => parseBanSubject(text), 'invalid_subject', 'subject');
});

test('durations: minutes, hours, days, weeks, combinations, and permanent', () => {
  assert.is(parseDuration('30m'), 30 * MINUTE);
  assert.is(parseDuration('12h'), 12 * HOUR);
  assert.is(parseDuration('7d'), 7 * DAY);
  assert.is(parseDuration('2w'), 14 * DAY);
  assert.is(parseDuration('1d12h'), 36 * HOUR);
  assert.is(parseDuration(' 1D 12H '), 36 * HOUR);
  assert.is(parseDuration('permanent'), null);
  assert.is(parseDuration('Permanent'), null);
  assert.is(parseDuration(null), null);
  assert.is(parseDuration(undefined), null);
  assert.is(parseDuration('520w'), 520 * 7 * DAY);
});

test('invalid durations are refused naming the field', () => {
  for (const text of ['', '7', '7x', 'd', '-1d', '1.5d', '0d', '0m0h', '7 days', 'tomorrow', '1y', '99999999d']) {
    refused(() => parseDuration(text), 'invalid_duration', 'duration');
  }
  refused(() => parseDuration(`${Math.ceil(MAX_DURATION_MS / DAY) + 1}d`), 'invalid_duration', 'duration');
  refused(() => parseDuration('soon', 'expires'), 'invalid_duration', 'expires');
});

test('durations print back in the same units', () => {
  for (const text of ['30m', '12h', '1d', '2w', '1w3d', '1d12h30m']) assert.is(formatDuration(parseDuration(text)), text);
  assert.is(formatDuration(null), 'permanent');
});

test.run();
