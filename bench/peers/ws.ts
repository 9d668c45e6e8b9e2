// Reference peer (a): a bare `ws` server with the random pairing layer and nothing else: no
// database, no sessions worth the name, no limits, no filters, no moderation. It tells a frame
// by its first characters and forwards a signal's or a chat message's bytes untouched, so what it
// costs is the floor of Node + ws + loopback TCP on this machine (for pairing and for the relay).
//
// With --validate it is the next step up: every frame is JSON-parsed and checked against the
// protocol's own ClientMessage schema (zod), as strangerchat does, and then handled the same way.
// With --cork each socket's writes are held to the end of the event-loop turn and leave in one
// system call, as strangerchat's WriteBatch does: the floor with the one trick that lowers it.
//
//   node bench/peers/ws.ts [--validate] [--cork] [--port N]
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ClientMessage } from '../../server/protocol/messages.ts';
import { announce, answerSession, listen, ticketOf, Tickets, welcome } from './host.ts';
import { RandomPairing, type Person } from './pairing.ts';

const validate = process.argv.includes('--validate');
const cork = process.argv.includes('--cork');
/** The frame size limit strangerchat applies (server/chat/gateway.ts). */
const MAX_PAYLOAD = 64 * 1024;

const tickets = new Tickets();
/** A connection: its WebSocket, and the TCP socket under it for corking. */
interface Connection {
  readonly ws: WebSocket;
  readonly socket: Duplex;
  corked: boolean;
}

const pairing = new RandomPairing<Connection>();
const sockets = new Set<WebSocket>();
let held: Connection[] = [];
const flush = () => {
  const connections = held;
  held = [];
  for (const connection of connections) {
    connection.corked = false;
    connection.socket.uncork();
  }
};

/** Sends a frame; with --cork the socket is held until the end of this turn. */
function send(connection: Connection, frame: string | Buffer, binary = false): void {
  if (cork && !connection.corked) {
    connection.corked = true;
    connection.socket.cork();
    if (held.push(connection) === 1) setImmediate(flush);
  }
  connection.ws.send(frame, { binary });
}
const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
const server = createServer((req, res) => answerSession(req, res, () => tickets.issue()));
let people = 0;

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  if (!tickets.take(ticketOf(req.url))) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => connected(ws, socket));
});

function connected(ws: WebSocket, socket: Duplex): void {
  // An unhandled socket error would crash the process: the listener goes first.
  ws.on('error', () => ws.terminate());
  sockets.add(ws);
  const connection: Connection = { ws, socket, corked: false };
  const person = pairing.connect(`p${++people}`, connection, (message) => send(connection, JSON.stringify(message)));
  person.send(welcome(person.id, pairing.stats().online));
  ws.on('message', validate ? (data, isBinary) => onValidated(person, data, isBinary) : (data, isBinary) => onBare(person, data, isBinary));
  ws.on('close', () => {
    sockets.delete(ws);
    pairing.disconnect(person);
  });
}

/** Byte 9 of `{"type":"…` is the type's first letter: all the parsing the floor does. */
const F = 'f'.charCodeAt(0);
const N = 'n'.charCodeAt(0);
const S = 's'.charCodeAt(0);
const L = 'l'.charCodeAt(0);
const M = 'm'.charCodeAt(0);

function onBare(person: Person<Connection>, data: RawData, isBinary: boolean): void {
  const frame = data as Buffer;
  switch (frame[9]) {
    case F:
      return pairing.find(person, 'video');
    case N:
      return pairing.next(person);
    case S:
    case M:
      return relay(person, frame, isBinary);
    case L:
      return pairing.leave(person);
  }
}

function onValidated(person: Person<Connection>, data: RawData, isBinary: boolean): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse((data as Buffer).toString());
  } catch {
    person.send({ type: 'error', code: 'bad_message', message: 'Frames are JSON objects.' });
    return;
  }
  const result = ClientMessage.safeParse(parsed);
  if (!result.success) {
    person.send({ type: 'error', code: 'bad_message', message: 'Not a protocol v1 message.' });
    return;
  }
  const message = result.data;
  switch (message.type) {
    case 'find':
      return pairing.find(person, message.mode);
    case 'next':
      return pairing.next(person);
    case 'signal':
    case 'message':
      // Valid as sent: the bytes go on as they came, as strangerchat forwards an adult's signal
      // (a chat message is filtered and stamped by strangerchat; the floor has neither).
      return relay(person, data as Buffer, isBinary);
    case 'leave':
      return pairing.leave(person);
  }
}

function relay(person: Person<Connection>, frame: Buffer, isBinary: boolean): void {
  const partner = pairing.partnerOf(person);
  if (partner) send(partner.socket, frame, isBinary);
}

await listen(server);
await announce(server, () => pairing.stats(), () => {
  for (const ws of sockets) ws.terminate();
});
