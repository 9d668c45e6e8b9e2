// Reference peer (b): a stranger chat built the common way on the PeerJS server (the `peer`
// package, stock PeerServer: express, its ws server, its realm of clients and its relay) plus the
// random pairing layer. A PeerJS client would address its OFFER to the partner's peer id itself;
// the generator speaks wire protocol v1, so a thin adapter does that translation in this process:
//
// - `POST /api/session` hands out a fresh peer id as the ticket (PeerJS's `GET /peerjs/id`);
// - the upgrade `/ws?ticket=T` reaches PeerJS's own connection handler as
//   `/peerjs?key=peerjs&id=T&token=T`, and its `OPEN` goes out as our `welcome`;
// - a chat `message` is sent to the partner's PeerJS client as it was parsed (PeerJS has no
//   relay of its own for a type it does not know);
// - `find`/`next`/`leave` go to the pairing layer from PeerServer's `message` event; a `signal`
//   is rewritten in place into the OFFER/ANSWER/CANDIDATE PeerJS expects (`dst` = the partner),
//   which PeerJS's own transmission handler then serialises and sends;
// - on the way out, a PeerJS transmission `{"type":"OFFER",…,"payload":P}` becomes
//   `{"type":"signal","data":P}` by slicing the string (no parse), the adapter's only per-frame cost.
//
//   node bench/peers/peerjs.ts [--port N]
import type { IncomingMessage, Server } from 'node:http';
import { PeerServer, type IClient } from 'peer';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { announce, portArgument, ticketOf, welcome } from './host.ts';
import { RandomPairing, type Person } from './pairing.ts';

const KEY = 'peerjs';
const OPEN_FRAME = '{"type":"OPEN"}';
const PAYLOAD_KEY = ',"payload":';
/** Types PeerJS relays from one client to another (TransmissionHandler), as JSON.stringify writes them. */
const TRANSMISSIONS = ['{"type":"OFFER"', '{"type":"ANSWER"', '{"type":"CANDIDATE"'];

const pairing = new RandomPairing<IClient>();
const people = new Map<string, Person<IClient>>();
const sockets = new Set<WebSocket>();

/** PeerJS's own WebSocketServer options, on our path; the adapter listens to connections first. */
function createWebSocketServer(options: ServerOptions): WebSocketServer {
  const wss = new WebSocketServer({ ...options, path: '/ws', perMessageDeflate: false });
  wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
    const id = ticketOf(req.url) ?? '';
    req.url = `/peerjs?key=${KEY}&id=${encodeURIComponent(id)}&token=${encodeURIComponent(id)}`;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const send = socket.send.bind(socket) as (data: string) => void;
    socket.send = ((data: string) => send(outgoing(id, data))) as WebSocket['send'];
  });
  return wss;
}

/** A PeerJS frame as the generator reads it (wire protocol v1). */
function outgoing(id: string, data: string): string {
  if (data === OPEN_FRAME) return JSON.stringify(welcome(id, pairing.stats().online));
  if (TRANSMISSIONS.some((prefix) => data.startsWith(prefix))) {
    const at = data.indexOf(PAYLOAD_KEY);
    if (at > 0) return `{"type":"signal","data":${data.slice(at + PAYLOAD_KEY.length)}`;
  }
  return data;
}

let listening: (server: Server) => void = () => {};
const ready = new Promise<Server>((resolve) => (listening = resolve));
const peerServer = PeerServer(
  {
    host: '127.0.0.1',
    port: portArgument(),
    key: KEY,
    path: '/',
    // The generator sends no PeerJS HEARTBEAT; a run is minutes long, so nobody may expire meanwhile.
    alive_timeout: 3_600_000,
    // Its default (5,000) is the population of the largest loop: the bench must not meet it.
    concurrent_limit: 1_000_000,
    createWebSocketServer,
  },
  (server) => listening(server as Server),
);

// A session is a fresh peer id, as PeerJS's GET /peerjs/id gives one.
peerServer.post('/api/session', (_req, res) => {
  res.status(201).json({ ticket: crypto.randomUUID(), expiresIn: 60 });
});

peerServer.on('connection', (client) => {
  people.set(client.getId(), pairing.connect(client.getId(), client, (message) => client.send(message)));
});
peerServer.on('disconnect', (client) => {
  const person = people.get(client.getId());
  if (!person) return;
  people.delete(client.getId());
  pairing.disconnect(person);
});
peerServer.on('error', () => {});
peerServer.on('message', (client, message) => {
  const person = people.get(client.getId());
  if (!person) return;
  const frame = message as unknown as { type: string; mode?: string; text?: string; data?: { type?: string }; dst?: string; payload?: unknown };
  switch (frame.type) {
    case 'find':
      return pairing.find(person, frame.mode ?? 'text');
    case 'next':
      return pairing.next(person);
    case 'leave':
      return pairing.leave(person);
    case 'message':
      // IClient.send serialises it again: PeerJS's own way of sending anything.
      pairing.partnerOf(person)?.socket.send(frame);
      return;
    case 'signal': {
      const partner = pairing.partnerOf(person);
      if (!partner) return;
      // PeerServer hands this same object to its transmission handler right after this listener.
      frame.type = frame.data?.type === 'offer' ? 'OFFER' : frame.data?.type === 'answer' ? 'ANSWER' : 'CANDIDATE';
      frame.dst = partner.id;
      frame.payload = frame.data;
    }
  }
});

const server = await ready;
await announce(server, () => pairing.stats(), () => {
  for (const socket of sockets) socket.terminate();
});
