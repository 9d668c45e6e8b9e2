// Security headers on every answer, and the WebSocket Origin check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer } from '../helpers/server.ts';
import { getTicket, openSocket } from '../helpers/client.ts';

test('every answer carries a strict CSP and the framing, sniffing and referrer headers', async () => {
  const server = await newServer();
  try {
    for (const path of ['/healthz', '/api/config', '/nope']) {
      const res = await fetch(`${server.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /object-src 'none'/, path);
      assert.not.match(csp, /unsafe-inline|unsafe-eval|\*/, path);
      assert.is(res.headers.get('x-frame-options'), 'DENY', path);
      assert.is(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.is(res.headers.get('referrer-policy'), 'no-referrer', path);
      assert.is(res.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
    }
  } finally {
    await server.stop();
  }
});

test('with a public URL, the WebSocket accepts only its own Origin', async () => {
  const server = await newServer({ publicUrl: 'https://chat.example.org' });
  try {
    const csp = (await fetch(`${server.url}/healthz`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /connect-src 'self' wss:\/\/chat\.example\.org/);
    const foreign = await getTicket(server.url);
    const refused = await openSocket(server.url, foreign.ticket, { origin: 'https://evil.example.com' }).catch((e: { status: number }) => e);
    assert.is((refused as { status: number }).status, 403);
    const missing = await getTicket(server.url);
    const noOrigin = await openSocket(server.url, missing.ticket).catch((e: { status: number }) => e);
    assert.is((noOrigin as { status: number }).status, 403, 'a missing Origin is foreign too');
    const own = await getTicket(server.url);
    const client = await openSocket(server.url, own.ticket, { origin: 'https://chat.example.org' });
    await client.next('welcome');
    client.close();
  } finally {
    await server.stop();
  }
});

test.run();
