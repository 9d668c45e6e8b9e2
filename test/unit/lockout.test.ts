// The one rule for bans that could lock an instance out (server/moderation/lockout.ts): which
// targets are risky on which instance, and what is not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseBanTarget } from '../../server/moderation/bans.ts';
import { lockoutRisks, serverAddresses, type LockoutContext } from '../../server/moderation/lockout.ts';

const NO_PROXY: LockoutContext = { trustedProxies: [], ownAddresses: ['127.0.0.1', '::1', '203.0.113.5', '2001:db8:5::1'] };
const BEHIND_PROXY: LockoutContext = { trustedProxies: ['10.0.0.2', 'fd00::/8'], ownAddresses: [] };

const codes = (target: string, context: LockoutContext) => lockoutRisks(parseBanTarget(target), context).map((risk) => risk.code);

test('loopback, in either family and inside a range, is always a risk', () => {
  for (const target of ['127.0.0.1', '127.8.9.10', '127.0.0.0/24', '::1', '::ffff:127.0.0.1']) assert.equal(codes(target, BEHIND_PROXY), ['loopback'], target);
  // Loopback among the own addresses is said once, as loopback.
  assert.equal(codes('127.0.0.1', NO_PROXY), ['loopback']);
});

test('a trusted proxy, and a range holding one, is a risk', () => {
  assert.equal(codes('10.0.0.2', BEHIND_PROXY), ['trusted_proxy']);
  assert.equal(codes('10.0.0.0/24', BEHIND_PROXY), ['trusted_proxy']);
  assert.equal(codes('fd12::1', BEHIND_PROXY), ['trusted_proxy'], 'an address inside a trusted range');
  assert.equal(codes('10.0.0.3', BEHIND_PROXY), [], 'a neighbour of the proxy is a person');
});

test("the server's own addresses are a risk; its own network's other addresses are not", () => {
  assert.equal(codes('203.0.113.5', NO_PROXY), ['own_address']);
  assert.equal(codes('203.0.113.0/24', NO_PROXY), ['own_address']);
  assert.equal(codes('2001:db8:5::9', NO_PROXY), ['own_address'], 'an IPv6 address bans its /64, which holds the server');
  assert.equal(codes('203.0.113.6', NO_PROXY), []);
});

test('private and CGNAT ranges are a risk only while no trusted proxy is configured', () => {
  for (const target of ['10.1.2.3', '172.16.5.4', '192.168.1.1', '100.64.0.1', '169.254.1.1', 'fd00::1', 'fe80::1']) {
    assert.equal(codes(target, NO_PROXY), ['private_range'], target);
  }
  assert.equal(codes('192.168.1.1', BEHIND_PROXY), []);
  assert.equal(codes('100.63.255.255', NO_PROXY), [], 'just below CGNAT is public');
});

test('ranges wider than IPv4 /16 or IPv6 /32 are a risk; /16 and /32 are not', () => {
  assert.equal(codes('198.0.0.0/15', BEHIND_PROXY), ['wide_range']);
  assert.equal(codes('198.51.0.0/16', BEHIND_PROXY), []);
  assert.equal(codes('2001:db8::/31', BEHIND_PROXY), ['wide_range']);
  assert.equal(codes('2001:db8::/32', BEHIND_PROXY), []);
  assert.equal(codes('10.0.0.0/8', NO_PROXY), ['private_range', 'wide_range'], 'every risk is named');
});

test('devices and identities never lock anyone else out', () => {
  assert.equal(codes('device:0b7e6c1a-4a8e-4c36-9d0e-5f1f2b3c4d5e', NO_PROXY), []);
  assert.equal(codes('identity:abcdefghijklmnopqrstuvwxyz', NO_PROXY), []);
});

test('serverAddresses: every interface and the listening host, but not a wildcard or a name', () => {
  const interfaces = { eth0: [{ address: '203.0.113.5', netmask: '255.255.255.0', family: 'IPv4', mac: '', internal: false, cidr: '203.0.113.5/24' }] } as never;
  assert.equal(serverAddresses('198.51.100.1', interfaces), ['203.0.113.5', '198.51.100.1']);
  assert.equal(serverAddresses('0.0.0.0', interfaces), ['203.0.113.5']);
  assert.equal(serverAddresses('localhost', interfaces), ['203.0.113.5']);
});

test.run();
