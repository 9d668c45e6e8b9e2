// The server logs JSON and never SDP, ICE candidates, chat text or tickets — even at trace level.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer } from '../helpers/server.ts';
import { getTicket, openSocket, pair } from '../helpers/client.ts';
import { captureLogs } from '../helpers/logs.ts';

const SDP_MARKER = 'a=ice-ufrag:SECRETUFRAG';
const CANDIDATE = 'candidate:842163049 1 udp 1677729535 198.51.100.77 61234 typ srflx raddr 0.0.0.0 rport 0 generation 0';
const CHAT_TEXT = 'my secret chat text 12345';

test('a whole conversation leaves no SDP, candidate, chat text or ticket in the logs', async () => {
  const logs = captureLogs();
  (logs.logger as { level: string }).level = 'trace';
  const server = await newServer({}, { logger: logs.logger });
  try {
    const { ticket } = await getTicket(server.url);
    const lone = await openSocket(server.url, ticket);
    await lone.next('welcome');
    lone.close();
    const [a, b] = await pair(server.url, 'video');
    a.send({ type: 'signal', data: { type: 'offer', sdp: `v=0\r\n${SDP_MARKER}\r\n` } });
    await b.next('signal');
    a.send({ type: 'signal', data: { candidate: { candidate: CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 } } });
    await b.next('signal');
    a.send({ type: 'message', text: CHAT_TEXT });
    await b.next('message');
    b.send({ type: 'message', text: 'x'.repeat(2000) });
    await b.next('error');
    b.send({ type: 'report', reason: 'harassment', note: 'they said mean things' });
    await b.next('reported');
    a.close();
    b.close();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    await server.stop();
  }
  const text = logs.text();
  assert.ok(logs.entries().length > 3, 'the server did log (JSON lines)');
  for (const secret of ['SECRETUFRAG', '198.51.100.77', 'typ srflx', CHAT_TEXT, 'they said mean things']) {
    assert.not.ok(text.includes(secret), `logs must not contain ${secret}`);
  }
  assert.ok(logs.entries().some((e) => e.msg === 'report filed' && typeof e.reportId === 'string'), 'ids are logged instead');
});

test.run();
