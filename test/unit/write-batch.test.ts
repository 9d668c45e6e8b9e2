// The write batch: frames sent to one socket during an event-loop turn leave in one write at the
// end of that turn, and every socket it corked is uncorked exactly once.
import { Duplex } from 'node:stream';
import { setImmediate as turnEnds } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { WriteBatch, writeTextFrame, type BatchedWriter } from '../../server/chat/write-batch.ts';

/** ws's frame parser (not in its type declarations): what reads our frames in a ws client. */
const { Receiver } = createRequire(import.meta.url)('ws') as {
  Receiver: new (options: { isServer: boolean }) => Writable & { on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void };
};

/** A socket stand-in that records each underlying write (one entry per system call a socket would make). */
function recordingSocket(): { socket: Duplex; writes: string[][] } {
  const writes: string[][] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      writes.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      writes.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
      done();
    },
  });
  return { socket, writes };
}

function writer(socket: Duplex): BatchedWriter {
  return { socket, corked: false };
}

test('frames of one turn leave together at its end; the next turn starts a new batch', async () => {
  const batch = new WriteBatch();
  const { socket, writes } = recordingSocket();
  const one = writer(socket);
  for (const frame of ['ended', 'queued', 'matched']) {
    batch.hold(one);
    socket.write(frame);
  }
  assert.equal(writes, [], 'nothing is written during the turn');
  assert.is(socket.writableCorked, 1, 'corked once, however many frames');
  await turnEnds();
  assert.equal(writes, [['ended', 'queued', 'matched']]);
  assert.is(socket.writableCorked, 0);
  assert.is(one.corked, false);
  batch.hold(one);
  socket.write('message');
  await turnEnds();
  assert.equal(writes, [['ended', 'queued', 'matched'], ['message']]);
});

test('every socket held in a turn is flushed; flush() empties the batch at once (shutdown)', async () => {
  const batch = new WriteBatch();
  const sockets = [recordingSocket(), recordingSocket(), recordingSocket()];
  for (const { socket } of sockets) {
    batch.hold(writer(socket));
    socket.write('a');
    socket.write('b');
  }
  batch.flush();
  for (const { writes, socket } of sockets) {
    assert.equal(writes, [['a', 'b']]);
    assert.is(socket.writableCorked, 0);
  }
  await turnEnds();
  for (const { writes } of sockets) assert.equal(writes, [['a', 'b']], 'the scheduled flush finds nothing left to write');
});

test('a socket destroyed while held is skipped without an error', async () => {
  const batch = new WriteBatch();
  const { socket, writes } = recordingSocket();
  const errors: Error[] = [];
  socket.on('error', (error) => errors.push(error));
  batch.hold(writer(socket));
  socket.write('lost');
  socket.destroy();
  await turnEnds();
  assert.equal(writes, []);
  assert.equal(errors, []);
});

test('a text frame written in one piece reads back as the same text, at every length encoding', async () => {
  // What a browser's WebSocket reads: ws's own receiver, as a client (frames from a server are unmasked).
  const receiver = new Receiver({ isServer: false });
  const read: string[] = [];
  receiver.on('message', (data: Buffer, isBinary: boolean) => read.push(`${isBinary ? 'binary' : 'text'}:${data.toString()}`));
  const texts = ['', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(63), '😀'.repeat(40), 'y'.repeat(65_535), 'z'.repeat(65_536), '{"type":"queued"}'];
  const chunks: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  for (const text of texts) writeTextFrame(socket, text);
  writeTextFrame(socket, Buffer.from('{"type":"signal"}'));
  await turnEnds();
  assert.is(chunks.length, texts.length + 1, 'one chunk per frame: header and payload together');
  for (const chunk of chunks) receiver.write(chunk);
  await turnEnds();
  assert.equal(read, [...texts, '{"type":"signal"}'].map((text) => `text:${text}`));
});

test.run();
