// The rate-limit building blocks with an injected clock: exact sliding windows, per-/64
// counting, and connection slots that always come back (no key left behind).
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectionCounter, RateLimits, WindowLimiter } from '../../server/moderation/rate-limits.ts';
import { makeConfig } from '../../server/config.ts';
import { addressKey } from '../../server/access/ip.ts';

function limitsWith(rateLimits: Record<string, number>, clock: { now: number }): RateLimits {
  return new RateLimits(makeConfig({ settings: { rateLimits } }).settings.rateLimits, () => clock.now);
}

test('WindowLimiter: at most `limit` events in any window; an event leaves it exactly windowMs later', () => {
  const limiter = new WindowLimiter(3, 60_000);
  assert.ok(limiter.take(0));
  assert.ok(limiter.take(10_000));
  assert.ok(limiter.take(20_000));
  assert.not.ok(limiter.take(59_999));
  assert.ok(limiter.take(60_000), 'the first event has left the window');
  assert.not.ok(limiter.take(60_001));
  assert.ok(limiter.take(70_000));
});

test('WindowLimiter: a refused event is not recorded', () => {
  const limiter = new WindowLimiter(1, 1000);
  assert.ok(limiter.take(0));
  for (let t = 1; t < 1000; t += 100) assert.not.ok(limiter.take(t));
  assert.ok(limiter.take(1000));
});

test('ConnectionCounter: a key is forgotten when its last slot is released', () => {
  const counter = new ConnectionCounter(2);
  assert.ok(counter.acquire('a'));
  assert.ok(counter.acquire('a'));
  assert.not.ok(counter.acquire('a'));
  assert.ok(counter.acquire('b'));
  assert.is(counter.size, 2);
  counter.release('a');
  assert.is(counter.count('a'), 1);
  assert.ok(counter.acquire('a'));
  counter.release('a');
  counter.release('a');
  counter.release('b');
  assert.is(counter.size, 0);
  counter.release('never-seen');
  assert.is(counter.size, 0, 'a stray release creates nothing');
});

test('holdConnection: the slot is held until the socket closes, once, and counted per /64', () => {
  const limits = limitsWith({ connectionsPerAddress: 2 }, { now: 0 });
  const sockets = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
  assert.ok(limits.holdConnection('2001:db8::1', sockets[0]!));
  assert.ok(limits.holdConnection('2001:db8::2', sockets[1]!));
  assert.not.ok(limits.holdConnection('2001:db8::ffff', sockets[2]!), 'same /64');
  assert.ok(limits.holdConnection('2001:db8:0:1::1', new EventEmitter()), 'another /64');
  sockets[0]!.emit('close');
  sockets[0]!.emit('close');
  assert.is(limits.connections.count('2001:db8::/64'), 1, 'released once');
  assert.ok(limits.holdConnection('2001:db8::3', sockets[2]!));
  assert.not.ok(limits.holdConnection('2001:db8::4', new EventEmitter()));
});

test('takeSession: 0 while allowed, then the milliseconds until the oldest session leaves the window', () => {
  const clock = { now: 1_000_000 };
  const limits = limitsWith({ sessionsPer10Minutes: 2 }, clock);
  assert.is(limits.takeSession('198.51.100.1'), 0);
  clock.now += 60_000;
  assert.is(limits.takeSession('198.51.100.1'), 0);
  assert.is(limits.takeSession('198.51.100.1'), 9 * 60_000);
  assert.is(limits.takeSession('::ffff:198.51.100.1'), 9 * 60_000, 'an IPv4-mapped address is the same address');
  assert.is(limits.takeSession('198.51.100.2'), 0);
  clock.now += 9 * 60_000;
  assert.is(limits.takeSession('198.51.100.1'), 0);
});

test('takeMessage: shared by every connection of an address', () => {
  const clock = { now: 0 };
  const limits = limitsWith({ messagesPerMinutePerAddress: 3 }, clock);
  assert.ok(limits.takeMessage('2001:db8:1:1::a'));
  assert.ok(limits.takeMessage('2001:db8:1:1::b'));
  assert.ok(limits.takeMessage('2001:db8:1:1::c'));
  assert.not.ok(limits.takeMessage('2001:db8:1:1::d'));
  assert.ok(limits.takeMessage('2001:db8:1:2::a'));
  clock.now = 60_000;
  assert.ok(limits.takeMessage('2001:db8:1:1::a'));
});

test('findLimiter and reportLimiter: each connection gets its own allowance', () => {
  const limits = limitsWith({ findsPerMinute: 1, reportsPer10Minutes: 1 }, { now: 0 });
  const one = { finds: limits.findLimiter(), reports: limits.reportLimiter() };
  const two = { finds: limits.findLimiter(), reports: limits.reportLimiter() };
  assert.ok(one.finds.take(0));
  assert.not.ok(one.finds.take(1));
  assert.ok(two.finds.take(1));
  assert.ok(one.reports.take(0));
  assert.not.ok(one.reports.take(9 * 60_000));
  assert.ok(one.reports.take(10 * 60_000));
  assert.ok(two.reports.take(10 * 60_000));
});

test('takeMessageFor counts under the key addressKey gives, as takeMessage does', () => {
  const limits = limitsWith({ messagesPerMinutePerAddress: 2 }, { now: 0 });
  assert.ok(limits.takeMessage('2001:db8:1:1::a'));
  assert.ok(limits.takeMessageFor(addressKey('2001:db8:1:1::b')));
  assert.not.ok(limits.takeMessage('2001:db8:1:1::c'));
});

test.run();
