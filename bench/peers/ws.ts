// Reference peer (a): a bare `ws` server with the random pairing layer and nothing else: no
// database, no sessions worth the name, no limits, no filters, no moderation. It tells a frame
// by its first characters and forwards a signal's bytes untouched, so what it costs is the floor
// of Node + ws + loopback TCP on this machine.
//
// With --validate it is the next step up: every frame is JSON-parsed and checked against the
// protocol's own ClientMessage schema (zod), as strangerchat does, and then handled the same way.
//
//   node bench/peers/ws.ts [--validate] [--port N]
import { createServer } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ClientMessage } from '../../server/protocol/messages.ts';
import { announce, answerSession, listen, ticketOf, Tickets, welcome } from './host.ts';
import { RandomPairing, type Person } from './pairing.ts';

const validate = process.argv.includes('--validate');
/** The frame size limit strangerchat applies (server/chat/gateway.ts). */
const MAX_PAYLOAD = 64 * 1024;

const tickets = new Tickets();
const pairing = new RandomPairing<WebSocket>();
const sockets = new Set<WebSocket>();
const wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
const server = createServer((req, res) => answerSession(req, res, () => tickets.issue()));
let people = 0;

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  if (!tickets.take(ticketOf(req.url))) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => connected(ws));
});

function connected(ws: WebSocket): void {
  // An unhandled socket error would crash the process: the listener goes first.
  ws.on('error', () => ws.terminate());
  sockets.add(ws);
  const person = pairing.connect(`p${++people}`, ws, (message) => ws.send(JSON.stringify(message)));
  ws.send(JSON.stringify(welcome(person.id, pairing.stats().online)));
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

function onBare(person: Person<WebSocket>, data: RawData, isBinary: boolean): void {
  const frame = data as Buffer;
  switch (frame[9]) {
    case F:
      return pairing.find(person, 'video');
    case N:
      return pairing.next(person);
    case S:
      return relay(person, frame, isBinary);
    case L:
      return pairing.leave(person);
  }
}

function onValidated(person: Person<WebSocket>, data: RawData, isBinary: boolean): void {
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
      // Valid as sent: the bytes go on as they came, as strangerchat forwards an adult's signal.
      return relay(person, data as Buffer, isBinary);
    case 'leave':
      return pairing.leave(person);
  }
}

function relay(person: Person<WebSocket>, frame: Buffer, isBinary: boolean): void {
  const partner = pairing.partnerOf(person);
  partner?.socket.send(frame, { binary: isBinary });
}

await listen(server);
await announce(server, () => pairing.stats(), () => {
  for (const ws of sockets) ws.terminate();
});
