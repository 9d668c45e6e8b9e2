// Connections that cost the server without asking for anything, against the real server: a socket
// that sends nothing or drips its headers is closed; one address holding its share of open
// connections has its next ones closed at once while others are served; a trusted proxy's
// connections, which carry many people, are not counted. Loopback addresses other than 127.0.0.1
// stand for other machines (Linux routes all of 127.0.0.0/8 to lo).
import { connect as connectTcp, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { getTicket } from '../helpers/client.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { HEADERS_TIMEOUT_MS } from '../../server/http/connection-limits.ts';

/** Long enough for the headers timeout and Node's check of it to have fired, with margin. */
const TIMEOUT_WAIT_MS = HEADERS_TIMEOUT_MS + 5_000;

const servers: TestServer[] = [];
const sockets: Socket[] = [];
test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await server.stop();
});

async function start(settings: Record<string, unknown> = {}): Promise<TestServer> {
  const server = await newServer(settings);
  servers.push(server);
  return server;
}

interface Probe {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves when the server closed the connection (or after `waitMs`: then `false`). */
  closed(waitMs: number): Promise<boolean>;
}

/** A TCP connection from `from` that sends `send` (nothing by default) and then waits. */
async function probe(server: TestServer, from: string, send = ''): Promise<Probe> {
  const { port } = new URL(server.url);
  const socket = connectTcp({ host: '127.0.0.1', port: Number(port), localAddress: from });
  sockets.push(socket);
  let text = '';
  let isClosed = false;
  const whenClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => {});
  socket.once('close', () => (isClosed = true));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (send) socket.write(send);
  return {
    socket,
    received: () => text,
    closed: (waitMs) => (isClosed ? Promise.resolve(true) : Promise.race([whenClosed.then(() => true), new Promise<boolean>((r) => setTimeout(r, waitMs, false))])),
  };
}

/** A GET over a fresh connection from `from`, read to the end: the status, or 0 when the connection was closed without one. */
async function getFrom(server: TestServer, from: string, path = '/healthz', headers = ''): Promise<number> {
  const connection = await probe(server, from, `GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);
  await connection.closed(TIMEOUT_WAIT_MS);
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(connection.received())?.[1] ?? 0);
}

/** Opens `count` idle connections from one address. The server accepts in order, so a later connection is counted after them. */
async function hold(server: TestServer, from: string, count: number): Promise<Probe[]> {
  const held: Probe[] = [];
  for (let i = 0; i < count; i++) held.push(await probe(server, from));
  return held;
}

test('a connection that sends nothing, or drips its headers, is closed with 408', async () => {
  const server = await start();
  const silent = await probe(server, '127.0.0.1');
  const partial = await probe(server, '127.0.0.1', 'GET / HTTP/1.1\r\nHost: x\r\n');
  const upgrade = await probe(server, '127.0.0.1', 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
  const drip = await probe(server, '127.0.0.1', 'GET / HTTP/1.1\r\n');
  const dripping = setInterval(() => drip.socket.write('X-Slow: yes\r\n'), 500);
  try {
    for (const [name, connection] of [['silent', silent], ['partial headers', partial], ['partial upgrade', upgrade], ['dripping headers', drip]] as const) {
      assert.ok(await connection.closed(TIMEOUT_WAIT_MS), `${name}: still open after ${TIMEOUT_WAIT_MS} ms`);
      assert.match(connection.received(), /^HTTP\/1\.1 408 /, `${name}: ${connection.received()}`);
    }
  } finally {
    clearInterval(dripping);
  }
});

test("one address's connections over the cap are closed at once; other addresses are served", async () => {
  const server = await start({ rateLimits: { tcpConnectionsPerAddress: 5 } });
  const held = await hold(server, '127.0.0.2', 5);
  assert.is(await getFrom(server, '127.0.0.1', '/healthz'), 200, 'another address is served');
  // The sixth from the same address: closed before anything is read, so no HTTP answer at all.
  const sixth = await probe(server, '127.0.0.2', 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(await sixth.closed(TIMEOUT_WAIT_MS), 'the sixth connection is closed');
  assert.is(sixth.received(), '', 'closed without an answer (not a 408 after the timeout)');
  assert.ok(held.every((connection) => !connection.socket.destroyed), 'the five held stay open');
  // One held connection closes: the address may open another, and is served on it.
  held[0]!.socket.destroy();
  await held[0]!.closed(TIMEOUT_WAIT_MS);
  let status = 0;
  for (let attempt = 0; attempt < 50 && status === 0; attempt++) status = await getFrom(server, '127.0.0.2', '/healthz');
  assert.is(status, 200, 'a slot freed by a close is usable again');
});

test('WebSocket connections count against the cap too, and close their slot when they end', async () => {
  const server = await start({ rateLimits: { tcpConnectionsPerAddress: 2 } });
  const open = async () => {
    const { ticket } = await getTicket(server.url);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?ticket=${encodeURIComponent(ticket)}`, { localAddress: '127.0.0.2' });
    ws.on('error', () => {});
    return new Promise<WebSocket | undefined>((resolve) => {
      ws.once('open', () => resolve(ws));
      ws.once('close', () => resolve(undefined));
    });
  };
  const first = await open();
  const second = await open();
  assert.ok(first && second, 'two sockets open');
  assert.is(await open(), undefined, 'a third is refused');
  first.terminate();
  await new Promise((resolve) => first.once('close', resolve));
  let again: WebSocket | undefined;
  for (let attempt = 0; attempt < 50 && !again; attempt++) again = await open();
  assert.ok(again, 'the slot is free again once a socket closed');
  second.terminate();
  again.terminate();
});

test("a trusted proxy's connections are not counted; an untrusted address's are", async () => {
  const server = await start({ trustedProxies: ['127.0.0.3'], rateLimits: { tcpConnectionsPerAddress: 2 } });
  const viaProxy = await hold(server, '127.0.0.3', 6);
  const forwarded = 'X-Forwarded-For: 198.51.100.7\r\n';
  assert.is(await getFrom(server, '127.0.0.3', '/healthz', forwarded), 200, 'the proxy still gets through with six open');
  assert.ok(viaProxy.every((connection) => !connection.socket.destroyed));
  await hold(server, '127.0.0.4', 2);
  assert.is(await getFrom(server, '127.0.0.4', '/healthz'), 0, 'an untrusted address over the cap is closed');
});

test.run();
