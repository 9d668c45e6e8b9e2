// The HTTP idle timeout belongs to requests: a socket that asks for a page has it armed at every
// request (keep-alive included, which Node disarms between requests), and a socket that is
// upgraded to a WebSocket never gets one (it would keep the cleared timer for life, per person).
import { Agent, createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket, { WebSocketServer } from 'ws';
import { HTTP_IDLE_TIMEOUT_MS, limitConnections } from '../../server/http/connection-limits.ts';
import { silentLogger } from '../../server/logger.ts';

let server: Server;
let url: string;
const timeouts: Array<number | undefined> = [];
let upgraded: Socket | undefined;

test.before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    // After every 'request' listener has run (the limit's is registered after this one).
    setImmediate(() => {
      timeouts.push(req.socket.timeout);
      res.end('ok');
    });
  });
  limitConnections(server, { perAddress: 100, trustedProxies: [], logger: silentLogger(), now: Date.now });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = socket as Socket;
      ws.send('hi');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

test.after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('every request on a keep-alive connection has the idle timeout armed', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        get(`${url}/`, { agent }, (res) => {
          res.resume();
          res.once('end', () => resolve());
        }).once('error', reject);
      });
    }
  } finally {
    agent.destroy();
  }
  assert.equal(timeouts, [HTTP_IDLE_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS, HTTP_IDLE_TIMEOUT_MS]);
});

test('an upgraded socket has no idle timeout (and no timer kept for it)', async () => {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  await new Promise((resolve, reject) => ws.once('message', resolve).once('error', reject));
  assert.ok(upgraded, 'the upgrade happened');
  assert.ok(!upgraded!.timeout, `the socket has a timeout of ${upgraded!.timeout}`);
  const timers = Object.getOwnPropertySymbols(upgraded!).filter((symbol) => symbol.description === 'timeout' && (upgraded as unknown as Record<symbol, unknown>)[symbol]);
  assert.equal(timers, [], 'a timer object is kept on the socket');
  ws.terminate();
});

test.run();
