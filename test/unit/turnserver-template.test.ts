// The production coturn template (templates/deploy/turnserver.conf): the settings that make it
// safe to expose — shared-secret auth, TLS, a relay that cannot reach private networks, limits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const TEMPLATE = readFileSync(join(import.meta.dirname, '../../templates/deploy/turnserver.conf'), 'utf8');
/** Active directives: `key` or `key=value`, comments and blank lines left out. */
const directives = TEMPLATE.split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const at = line.indexOf('=');
    return at < 0 ? { key: line, value: '' } : { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
  });
const valuesOf = (key: string) => directives.filter((d) => d.key === key).map((d) => d.value);
const has = (key: string) => directives.some((d) => d.key === key);

test('authentication is the TURN REST shared secret, from a placeholder', () => {
  for (const flag of ['use-auth-secret', 'fingerprint', 'no-cli', 'no-multicast-peers']) assert.ok(has(flag), `${flag} is set`);
  assert.equal(valuesOf('static-auth-secret'), ['{{secret}}'], 'the secret is a placeholder, never a value');
  assert.equal(valuesOf('realm'), ['{{realm}}']);
  assert.equal(valuesOf('external-ip'), ['{{externalIp}}']);
  const stale = Number(valuesOf('stale-nonce')[0]);
  assert.ok(stale > 0 && stale <= 3600, 'nonces expire');
  for (const unsafe of ['no-auth', 'allow-loopback-peers', 'web-admin', 'no-tls']) assert.not.ok(has(unsafe), `${unsafe} must not be on`);
});

test('TURN over TLS on 443, with 5349 offered as the alternative, and certificate placeholders', () => {
  assert.equal(valuesOf('tls-listening-port'), ['443']);
  assert.match(TEMPLATE, /^#\s*tls-listening-port=5349$/m);
  assert.equal(valuesOf('cert'), ['{{certFile}}']);
  assert.equal(valuesOf('pkey'), ['{{keyFile}}']);
});

test('every placeholder is documented in the header and every documented one is used', () => {
  const header = TEMPLATE.slice(0, TEMPLATE.indexOf('\n\n'));
  const documented = new Set([...header.matchAll(/^#\s+\{\{(\w+)\}\}/gm)].map((m) => m[1]));
  const body = directives.map((d) => d.value).join('\n');
  const used = new Set([...body.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]));
  assert.equal([...used].sort(), [...documented].sort());
  assert.ok(['realm', 'secret', 'externalIp', 'certFile', 'keyFile'].every((name) => used.has(name)));
});

test('quotas and bandwidth limits are set', () => {
  for (const key of ['user-quota', 'total-quota', 'max-bps']) {
    const value = Number(valuesOf(key)[0]);
    assert.ok(Number.isInteger(value) && value > 0, `${key} is a positive limit`);
  }
  assert.ok(Number(valuesOf('user-quota')[0]) < Number(valuesOf('total-quota')[0]));
});

// --- denied-peer-ip covers every non-public range -------------------------------------------

/** An address as a number: IPv4 in [0, 2^32), IPv6 in its own space (the family is kept apart). */
function toBigInt(address: string): { v6: boolean; n: bigint } {
  if (!address.includes(':')) {
    const parts = address.split('.').map(Number);
    assert.is(parts.length, 4, `IPv4 address ${address}`);
    return { v6: false, n: parts.reduce((n, part) => (n << 8n) | BigInt(part), 0n) };
  }
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = toBigInt(v4[1]).n;
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  assert.is(groups.length, 8, `IPv6 address ${address}`);
  return { v6: true, n: groups.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n) };
}

function cidr(range: string): { v6: boolean; start: bigint; end: bigint } {
  const [address = '', bits = ''] = range.split('/');
  const { v6, n } = toBigInt(address);
  const size = (v6 ? 128n : 32n) - BigInt(bits);
  return { v6, start: n, end: n + (1n << size) - 1n };
}

const denied = valuesOf('denied-peer-ip').map((value) => {
  const [from = '', to = from] = value.split('-');
  const start = toBigInt(from);
  const end = toBigInt(to);
  assert.is(start.v6, end.v6, `one family per range: ${value}`);
  return { v6: start.v6, start: start.n, end: end.n };
});

/** True when the union of the denied ranges covers all of [start, end]. */
function covered({ v6, start, end }: { v6: boolean; start: bigint; end: bigint }): boolean {
  let next = start;
  const ranges = denied.filter((r) => r.v6 === v6).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const range of ranges) {
    if (range.start > next) continue;
    if (range.end >= next) next = range.end + 1n;
    if (next > end) return true;
  }
  return next > end;
}

test('the relay cannot reach private, loopback, link-local, CGNAT or unique-local addresses', () => {
  const mustDeny = [
    '0.0.0.0/8', // "this" network
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16', // RFC 1918
    '100.64.0.0/10', // carrier-grade NAT
    '127.0.0.0/8', // loopback
    '169.254.0.0/16', // link-local, cloud metadata
    '224.0.0.0/4', // multicast
    '240.0.0.0/4', // reserved, broadcast
    '::/128',
    '::1/128', // loopback
    '::ffff:0.0.0.0/96', // IPv4-mapped: would bypass every IPv4 rule
    'fc00::/7', // unique local
    'fe80::/10', // link-local
    'ff00::/8', // multicast
  ];
  for (const range of mustDeny) assert.ok(covered(cidr(range)), `denied-peer-ip covers ${range}`);
});

test('public addresses stay reachable (the relay must still relay)', () => {
  for (const address of ['8.8.8.8', '1.1.1.1', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1']) {
    const { v6, n } = toBigInt(address);
    assert.not.ok(covered({ v6, start: n, end: n }), `${address} is not denied`);
  }
});

test('every setting that matters says why in a comment right above it', () => {
  const lines = TEMPLATE.split('\n');
  for (const key of ['use-auth-secret', 'stale-nonce', 'fingerprint', 'tls-listening-port', 'no-multicast-peers', 'user-quota', 'total-quota', 'max-bps', 'no-cli']) {
    const index = lines.findIndex((line) => line === key || line.startsWith(`${key}=`));
    assert.ok(index > 0, `${key} is in the template`);
    let above = index - 1;
    while (above > 0 && !lines[above]?.startsWith('#') && lines[above]?.trim()) above--;
    assert.ok(lines[above]?.startsWith('#'), `${key} has a comment above it`);
  }
});

test.run();
