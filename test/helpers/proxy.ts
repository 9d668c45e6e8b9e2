// A TCP relay in front of a server, to break the network the way real networks break: cut()
// resets every connection at once (as when Wi-Fi goes), freeze() stops forwarding on the open
// ones without closing them (a dead mobile link, a NAT or load balancer that forgot a long-lived
// connection: nothing arrives, nothing says so) — all of them, or only the WebSockets. Connections
// opened afterwards pass as usual.
import { connect as tcpConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TestProxy {
  /** http://127.0.0.1:port of the relay. */
  url: string;
  cut(): void;
  freeze(which?: 'all' | 'websockets'): void;
  close(): Promise<void>;
}

export async function newProxy(target: URL): Promise<TestProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const websockets = new WeakSet<[Socket, Socket]>();
  const proxy: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.once('data', (chunk: Buffer) => {
      if (/^GET \/ws\b/.test(chunk.toString('latin1', 0, 16))) websockets.add(pair);
    });
    for (const socket of pair) {
      socket.on('close', () => pairs.delete(pair));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const frozen: Socket[] = [];
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    cut: () => {
      for (const pair of pairs) for (const socket of pair) socket.resetAndDestroy();
    },
    freeze: (which = 'all') => {
      for (const pair of pairs) {
        if (which === 'websockets' && !websockets.has(pair)) continue;
        const [client, upstream] = pair;
        client.unpipe(upstream);
        upstream.unpipe(client);
        for (const socket of pair) {
          socket.pause();
          frozen.push(socket);
        }
        pairs.delete(pair);
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of frozen) socket.destroy();
        for (const pair of pairs) for (const socket of pair) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}
