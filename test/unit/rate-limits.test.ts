// The rate-limit building blocks with an injected clock: exact sliding windows per connection,
// per-/64 counting, windows in the limiter store, and connection slots that always come back (no
// key left behind).
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RateLimits, WindowLimiter } from '../../server/moderation/rate-limits.ts';
import { ConnectionCounter, memoryLimiterStore } from '../../server/cluster/limiter-store.ts';
import { makeConfig } from '../../server/config.ts';
import { addressKey } from '../../server/access/ip.ts';

function limitsWith(rateLimits: Record<string, number>, clock: { now: number }): RateLimits {
  const now = () => clock.now;
  return new RateLimits(makeConfig({ settings: { rateLimits } }).settings.rateLimits, { now, limiters: memoryLimiterStore({ now }) });
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

test('holdConnection: the slot is held until the socket closes, once, and counted per /64', async () => {
  const limits = limitsWith({ connectionsPerAddress: 2 }, { now: 0 });
  const sockets = [new EventEmitter(), new EventEmitter(), new EventEmitter()];
  assert.ok(await limits.holdConnection('2001:db8::1', sockets[0]!));
  assert.ok(await limits.holdConnection('2001:db8::2', sockets[1]!));
  assert.not.ok(await limits.holdConnection('2001:db8::ffff', sockets[2]!), 'same /64');
  assert.ok(await limits.holdConnection('2001:db8:0:1::1', new EventEmitter()), 'another /64');
  sockets[0]!.emit('close');
  sockets[0]!.emit('close');
  assert.is(await limits.connections.count('2001:db8::/64'), 1, 'released once');
  assert.ok(await limits.holdConnection('2001:db8::3', sockets[2]!));
  assert.not.ok(await limits.holdConnection('2001:db8::4', new EventEmitter()));
});

test('holdConnection: a socket that closes while its slot is being taken gives it back', async () => {
  const limits = limitsWith({ connectionsPerAddress: 1 }, { now: 0 });
  const socket = new EventEmitter();
  const held = limits.holdConnection('198.51.100.9', socket);
  socket.emit('close');
  assert.not.ok(await held, 'not held: the socket is gone');
  assert.is(await limits.connections.count('198.51.100.9'), 0);
  assert.not.ok(await limits.holdConnection('198.51.100.9', Object.assign(new EventEmitter(), { destroyed: true })), 'a socket already closed takes none');
  assert.ok(await limits.holdConnection('198.51.100.9', new EventEmitter()));
});

test('takeSession: 0 while allowed, then the milliseconds until the oldest session leaves the window', async () => {
  const clock = { now: 1_000_000 };
  const limits = limitsWith({ sessionsPer10Minutes: 2 }, clock);
  assert.is(await limits.takeSession('198.51.100.1'), 0);
  clock.now += 60_000;
  assert.is(await limits.takeSession('198.51.100.1'), 0);
  assert.is(await limits.takeSession('198.51.100.1'), 9 * 60_000);
  assert.is(await limits.takeSession('::ffff:198.51.100.1'), 9 * 60_000, 'an IPv4-mapped address is the same address');
  assert.is(await limits.takeSession('198.51.100.2'), 0);
  clock.now += 9 * 60_000;
  assert.is(await limits.takeSession('198.51.100.1'), 0);
});

test('takeReportFor: per address and per device; a refusal by either counts against neither', async () => {
  const clock = { now: 0 };
  const limits = limitsWith({ reportsPer10MinutesPerAddress: 2, reportsPer10MinutesPerDevice: 1 }, clock);
  const network = addressKey('203.0.113.5');
  assert.ok(await limits.takeReportFor(network, 'device-a'));
  assert.not.ok(await limits.takeReportFor(network, 'device-a'), 'the device has used its one');
  assert.ok(await limits.takeReportFor(network, 'device-b'), 'the refusal did not use the address\'s second');
  assert.not.ok(await limits.takeReportFor(network, 'device-c'), 'the address has used its two');
  assert.ok(await limits.takeReportFor(addressKey('203.0.113.6'), 'device-c'), 'device-c was not counted by the refusal');
  clock.now += 10 * 60_000;
  assert.ok(await limits.takeReportFor(network, 'device-a'), 'a new window');
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
