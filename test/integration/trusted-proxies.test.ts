// X-Forwarded-For is believed only from configured trusted proxies, over HTTP and WebSocket
// upgrades alike. The tests forge the header from an untrusted peer and from a trusted one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { getTicket, openSocket } from '../helpers/client.ts';
import { captureLogs } from '../helpers/logs.ts';
import { createClientAddressResolver } from '../../server/access/client-address.ts';

async function sessionAddress(server: TestServer, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${server.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ acceptRules: true, age: 30 }),
  });
  assert.is(res.status, 201);
  const row = await server.db.selectFrom('sessions').select('address').orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
  await server.db.deleteFrom('tickets').execute();
  await server.db.deleteFrom('sessions').execute();
  return row.address;
}

async function upgradeAddress(server: TestServer, logs: ReturnType<typeof captureLogs>, headers: Record<string, string>): Promise<string> {
  const { ticket } = await getTicket(server.url);
  const client = await openSocket(server.url, ticket, headers);
  await client.next('welcome');
  client.close();
  const entry = logs.entries().filter((e) => e.msg === 'connected').pop();
  return entry?.address as string;
}

test('no trusted proxy: a forged X-Forwarded-For is ignored over HTTP and WebSocket', async () => {
  const logs = captureLogs();
  const server = await newServer({}, { logger: logs.logger });
  try {
    const forged = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' };
    assert.is(await sessionAddress(server, forged), '127.0.0.1');
    assert.is(await upgradeAddress(server, logs, forged), '127.0.0.1');
    const res = await fetch(`${server.url}/api/config`, { headers: forged });
    assert.is(res.headers.get('strict-transport-security'), null, 'a forged proto does not make it HTTPS');
  } finally {
    await server.stop();
  }
});

test('loopback trusted: the rightmost untrusted hop is the client, over HTTP and WebSocket', async () => {
  const logs = captureLogs();
  const server = await newServer({ trustedProxies: ['127.0.0.1', '10.0.0.0/8'] }, { logger: logs.logger });
  try {
    // The client claims 198.51.100.1; the real client is what our proxies saw: 203.0.113.9.
    const chain = { 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.1.2.3' };
    assert.is(await sessionAddress(server, chain), '203.0.113.9');
    assert.is(await upgradeAddress(server, logs, chain), '203.0.113.9');
    assert.is(await sessionAddress(server, { 'x-forwarded-for': '2001:db8::1' }), '2001:db8::1');
    assert.is(await sessionAddress(server, {}), '127.0.0.1', 'no header: the proxy itself');
    const res = await fetch(`${server.url}/api/config`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    const session = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ acceptRules: true, age: 30 }),
    });
    assert.match(session.headers.getSetCookie().join('\n'), /;\s*secure/i, 'cookies are Secure behind an HTTPS proxy');
  } finally {
    await server.stop();
  }
});

test('the resolver: IPv4-mapped addresses, garbage hops, repeated headers', () => {
  const resolve = createClientAddressResolver(['10.0.0.1', 'fd00::/8']);
  const req = (remoteAddress: string, xff?: string | string[]) => ({ socket: { remoteAddress } as never, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });
  assert.is(resolve(req('::ffff:192.0.2.7')), '192.0.2.7');
  assert.is(resolve(req('192.0.2.7', '1.1.1.1')), '192.0.2.7', 'untrusted peer');
  assert.is(resolve(req('::ffff:10.0.0.1', '192.0.2.8')), '192.0.2.8', 'mapped trusted peer');
  assert.is(resolve(req('fd00::5', ['192.0.2.1', '192.0.2.9'])), '192.0.2.9', 'repeated header lines join in order');
  assert.is(resolve(req('10.0.0.1', '192.0.2.1, fd00::9, 10.0.0.1')), '192.0.2.1');
  assert.is(resolve(req('10.0.0.1', 'not-an-ip')), '10.0.0.1', 'garbage is never an address');
  assert.throws(() => createClientAddressResolver(['nonsense']), /trustedProxies/);
  assert.throws(() => createClientAddressResolver(['10.0.0.0/33']), /prefix/);
});

test.run();
