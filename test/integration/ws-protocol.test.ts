// Every client message of protocol v1, end to end between real `ws` clients on the real server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, getTicket, openSocket, type TestClient } from '../helpers/client.ts';
import { publishEvent } from '../../server/moderation/events.ts';
import type { ServerMessage } from '../../server/protocol/messages.ts';

const BLOCKED_WORD = 'badword';
const ADULT = { acceptRules: true, age: 30 };
const MINOR = { acceptRules: true, age: 15 };
/** How long "nothing arrives" is watched for. */
const QUIET_MS = 400;
/** DESIGN.md: a change made in another process reaches every node within 2 s. */
const FEED_DEADLINE_MS = 2000;

type Client = Awaited<ReturnType<typeof connect>>;
type Matched = Extract<ServerMessage, { type: 'matched' }>;

let server: TestServer;
/** When set, the server's clock stands still (lines stamped in the same millisecond). */
let frozenAt: number | undefined;
const clients: TestClient[] = [];

async function join(body: Record<string, unknown> = ADULT): Promise<Client> {
  const client = await connect(server.url, body);
  clients.push(client);
  return client;
}

/** Polls a condition (the server notices a close a moment after the client sends it). */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `a` queues first, then `b` finds; both hear `matched`. */
async function pairUp(a: TestClient, b: TestClient, mode: 'text' | 'video' = 'text'): Promise<[Matched, Matched]> {
  a.send({ type: 'find', mode });
  await a.next('queued');
  b.send({ type: 'find', mode });
  return Promise.all([a.next('matched'), b.next('matched')]);
}

/** The device id inside a `sc_device=…` cookie. */
function deviceOf(cookie: string): string {
  const id = /sc_device=([0-9a-f-]{36})/.exec(cookie)?.[1];
  if (!id) throw new Error(`no device id in cookie ${cookie}`);
  return id;
}

async function sessionIdsOf(cookie: string): Promise<string[]> {
  const rows = await server.db.selectFrom('sessions').select('id').where('device_id', '=', deviceOf(cookie)).orderBy('created_at').execute();
  return rows.map((row) => row.id);
}

test.before(async () => {
  // Everyone here connects from 127.0.0.1: a report's address window (test/integration/pairing-safety.test.ts)
  // would keep the reporter from everyone new, so only the device rule is checked here.
  server = await newServer({ filters: { block: [BLOCKED_WORD] }, safety: { reportedAddressAvoidDays: 0 } }, { now: () => frozenAt ?? Date.now() });
});
test.after.each(async () => {
  frozenAt = undefined;
  for (const client of clients.splice(0)) client.close();
  await until(async () => (await server.stats()).online === 0);
});
test.after(() => server.stop());

test('find: the first is queued; the second is matched with them, exactly one initiator', async () => {
  const a = await join();
  const b = await join();
  const [ma, mb] = await pairUp(a, b);
  assert.is(ma.conversationId, mb.conversationId);
  assert.type(ma.conversationId, 'string');
  assert.is(Number(ma.initiator) + Number(mb.initiator), 1, 'exactly one side is the initiator');
  assert.is(ma.mode, 'text');
  assert.is(mb.mode, 'text');
  assert.equal(ma.commonInterests, []);
  assert.equal(mb.commonInterests, []);
  assert.equal(await server.stats(), { online: 2, queued: 0, inConversation: 2, conversations: 1 });
});

test('find: shared interests are named to both sides (trimmed and lowercased)', async () => {
  const a = await join();
  const b = await join();
  a.send({ type: 'find', mode: 'text', interests: ['chess', 'music'] });
  await a.next('queued');
  b.send({ type: 'find', mode: 'text', interests: ['  Music ', 'films'] });
  const [ma, mb] = await Promise.all([a.next('matched'), b.next('matched')]);
  assert.equal(ma.commonInterests, ['music']);
  assert.equal(mb.commonInterests, ['music']);
});

test('find: text and video queues are separate', async () => {
  const a = await join();
  const b = await join();
  a.send({ type: 'find', mode: 'text' });
  b.send({ type: 'find', mode: 'video' });
  await Promise.all([a.next('queued'), b.next('queued')]);
  await Promise.all([a.none('matched', QUIET_MS), b.none('matched', 0)]);
  assert.is((await server.stats()).queued, 2);
});

test('find: while in a conversation it answers already_matched and changes nothing', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b);
  a.send({ type: 'find', mode: 'video' });
  assert.is((await a.next('error')).code, 'already_matched');
  a.send({ type: 'message', text: 'still here' });
  assert.is((await b.next('message')).text, 'still here');
  assert.equal(await server.stats(), { online: 2, queued: 0, inConversation: 2, conversations: 1 });
});

test('find: two tabs of one browser are never paired with each other', async () => {
  const tab = await join();
  const { ticket } = await getTicket(server.url, ADULT, tab.cookie);
  const otherTab = await openSocket(server.url, ticket);
  clients.push(otherTab);
  await otherTab.next('welcome');
  for (const client of [tab, otherTab]) {
    client.send({ type: 'find', mode: 'text' });
    await client.next('queued');
  }
  await Promise.all([tab.none('matched', QUIET_MS), otherTab.none('matched', 0)]);
  assert.is((await server.stats()).queued, 2);
});

test('message: the partner gets the text and a server time; the sender gets no echo', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b);
  const before = Date.now();
  a.send({ type: 'message', text: 'hello there' });
  const received = await b.next('message');
  assert.equal(Object.keys(received).sort(), ['at', 'text', 'type'], 'nothing but the text and the time');
  assert.is(received.text, 'hello there');
  assert.ok(received.at >= before && received.at <= Date.now(), 'at is the server time of the message');
  await a.none('message', QUIET_MS);
});

test('message: outside a conversation it answers not_matched', async () => {
  const a = await join();
  a.send({ type: 'message', text: 'anyone?' });
  const error = await a.next('error');
  assert.is(error.code, 'not_matched');
});

test('message: a blocked word is answered with filtered and the partner receives nothing', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b);
  a.send({ type: 'message', text: `you are a ${BLOCKED_WORD.toUpperCase()}!` });
  const error = await a.next('error');
  assert.is(error.code, 'filtered');
  assert.type(error.message, 'string');
  await b.none('message', QUIET_MS);
  a.send({ type: 'message', text: 'sorry, hello' });
  assert.is((await b.next('message')).text, 'sorry, hello');
});

test('typing: relayed to the partner, on and off', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b);
  a.send({ type: 'typing', on: true });
  assert.is((await b.next('typing')).on, true);
  a.send({ type: 'typing', on: false });
  assert.is((await b.next('typing')).on, false);
  await a.none('typing', 0);
});

test('signal: in video mode offers, answers and candidates are relayed exactly', async () => {
  const a = await join();
  const b = await join();
  const [ma] = await pairUp(a, b, 'video');
  const [initiator, answerer] = ma.initiator ? [a, b] : [b, a];
  const offer = { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\n' };
  const answer = { type: 'answer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' };
  const candidate = {
    candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' },
  };
  const endOfCandidates = { candidate: null };

  initiator.send({ type: 'signal', data: offer });
  assert.equal((await answerer.next('signal')).data, offer);
  answerer.send({ type: 'signal', data: answer });
  assert.equal((await initiator.next('signal')).data, answer);
  for (const data of [candidate, endOfCandidates]) {
    initiator.send({ type: 'signal', data });
    assert.equal((await answerer.next('signal')).data, data);
  }
  await initiator.none('signal', 0);
});

test('signal: a frame forwarded as written arrives as a text frame meaning exactly what was validated', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b, 'video');
  const frames: Array<{ text: string; binary: boolean }> = [];
  b.ws.on('message', (data, isBinary) => frames.push({ text: data.toString(), binary: isBinary }));
  const offer = { type: 'offer', sdp: 'v=0\r\ns=\u00e9\u2028-\r\n' };
  // Key order, spacing and escapes as a client may write them; a repeated key means its last value
  // to the server's parser and to the partner's alike.
  const written = [
    `{ "data" : { "sdp" : ${JSON.stringify(offer.sdp)}, "type":"offer" },\n "type" : "signal" }`,
    '{"type":"signal","data":{"candidate":null},"data":{"type":"answer","sdp":"v=0\\u000d\\n"}}',
  ];
  for (const frame of written) a.send(frame);
  assert.equal((await b.next('signal')).data, offer);
  assert.equal((await b.next('signal')).data, { type: 'answer', sdp: 'v=0\r\n' });
  assert.equal(frames.map((f) => f.binary), [false, false]);
  // A frame the schema refuses (an extra key) is never forwarded.
  a.send('{"type":"signal","data":{"candidate":null},"extra":1}');
  assert.is((await a.next('error')).code, 'bad_message');
  await b.none('signal', QUIET_MS);
});

test('signal: in text mode it is refused with wrong_mode and not relayed', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b, 'text');
  a.send({ type: 'signal', data: { type: 'offer', sdp: 'v=0\r\n' } });
  assert.is((await a.next('error')).code, 'wrong_mode');
  await b.none('signal', QUIET_MS);
});

test('next: ends the conversation for both, requeues the sender, who meets someone new', async () => {
  const a = await join();
  const b = await join();
  const [first] = await pairUp(a, b);
  a.send({ type: 'next' });
  assert.equal(await a.next('ended'), { type: 'ended', by: 'self', reason: 'next' });
  assert.equal(await b.next('ended'), { type: 'ended', by: 'stranger', reason: 'next' });
  await a.next('queued');

  const c = await join();
  c.send({ type: 'find', mode: 'text' });
  const [ma, mc] = await Promise.all([a.next('matched'), c.next('matched')]);
  assert.is(ma.conversationId, mc.conversationId);
  assert.is.not(ma.conversationId, first.conversationId);
  await b.none('matched', 0);
});

test('leave: ends the conversation for both; leaving the queue removes the entry', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b);
  a.send({ type: 'leave' });
  assert.equal(await a.next('ended'), { type: 'ended', by: 'self', reason: 'left' });
  assert.equal(await b.next('ended'), { type: 'ended', by: 'stranger', reason: 'left' });
  assert.is((await server.stats()).conversations, 0);

  a.send({ type: 'find', mode: 'text' });
  await a.next('queued');
  a.send({ type: 'leave' });
  await until(async () => (await server.stats()).queued === 0);
  const c = await join();
  c.send({ type: 'find', mode: 'text' });
  await c.next('queued');
  await Promise.all([c.none('matched', QUIET_MS), a.none('matched', 0)]);
});

test('report: ends the conversation, files it with the transcript, and the two never meet again', async () => {
  const first = await join();
  const second = await join();
  const [match] = await pairUp(first, second);
  // The side that is not the initiator reports, so its lines are not simply listed first.
  const [reported, reporter] = match.initiator ? [first, second] : [second, first];
  // Both lines share one millisecond: the transcript must still keep the order they were sent in.
  frozenAt = Date.now();
  reporter.send({ type: 'message', text: 'hi' });
  await reported.next('message');
  reported.send({ type: 'message', text: 'something nasty' });
  await reporter.next('message');

  frozenAt = undefined;
  reporter.send({ type: 'report', reason: 'harassment', note: 'rude from the start' });
  assert.equal(await reporter.next('ended'), { type: 'ended', by: 'self', reason: 'report' });
  const filed = await reporter.next('reported');
  assert.type(filed.reportId, 'string');
  assert.type(filed.evidenceToken, 'string');
  assert.ok(filed.evidenceToken.length >= 16);
  // The reported side is not told it was reported (no cue for retaliation).
  assert.equal(await reported.next('ended'), { type: 'ended', by: 'stranger', reason: 'left' });

  const [reporterSession] = await sessionIdsOf(reporter.cookie);
  const [reportedSession] = await sessionIdsOf(reported.cookie);
  const row = await server.db.selectFrom('reports').selectAll().where('id', '=', filed.reportId).executeTakeFirst();
  assert.ok(row, 'the report row exists');
  assert.is(row.conversation_id, match.conversationId);
  assert.is(row.reason, 'harassment');
  assert.is(row.note, 'rude from the start');
  assert.is(row.status, 'open');
  assert.is(row.reporter_session_id, reporterSession);
  assert.is(row.reported_session_id, reportedSession);
  const transcript = (JSON.parse(row.transcript) as Array<{ by: string; text: string }>).map(({ by, text }) => ({ by, text }));
  assert.equal(transcript, [
    { by: 'reporter', text: 'hi' },
    { by: 'reported', text: 'something nasty' },
  ]);
  assert.is.not(row.evidence_token_hash, filed.evidenceToken, 'only a hash of the evidence token is stored');

  // Both come back later with new sessions from the same browsers.
  reporter.close();
  reported.close();
  await until(async () => (await server.stats()).online === 0);
  const comeback = async (cookie: string) => {
    const { ticket, cookie: sameCookie } = await getTicket(server.url, ADULT, cookie);
    assert.is(deviceOf(sameCookie), deviceOf(cookie), 'the device cookie was reused');
    const client = await openSocket(server.url, ticket);
    clients.push(client);
    await client.next('welcome');
    return client;
  };
  const reporterAgain = await comeback(reporter.cookie);
  const reportedAgain = await comeback(reported.cookie);
  assert.is((await sessionIdsOf(reporter.cookie)).length, 2, 'a second session on the same device');
  for (const client of [reporterAgain, reportedAgain]) {
    client.send({ type: 'find', mode: 'text' });
    await client.next('queued');
  }
  await Promise.all([reporterAgain.none('matched', QUIET_MS), reportedAgain.none('matched', 0)]);
  assert.is((await server.stats()).queued, 2);

  // Both are still pairable with other people.
  const others = [await join(), await join()];
  for (const other of others) other.send({ type: 'find', mode: 'text' });
  const [x, y, mx, my] = await Promise.all([
    reporterAgain.next('matched'),
    reportedAgain.next('matched'),
    others[0]!.next('matched'),
    others[1]!.next('matched'),
  ]);
  assert.is.not(x.conversationId, y.conversationId);
  assert.equal(new Set([x.conversationId, y.conversationId]), new Set([mx.conversationId, my.conversationId]));
});

test('report: without a recent conversation it answers nothing_to_report', async () => {
  const a = await join();
  a.send({ type: 'report', reason: 'spam' });
  assert.is((await a.next('error')).code, 'nothing_to_report');
});

test('ping is answered with pong', async () => {
  const a = await join();
  a.send({ type: 'ping' });
  assert.equal(await a.next('pong'), { type: 'pong' });
});

test('disconnect: the partner hears ended{stranger, disconnected}; a queued entry goes at once', async () => {
  const a = await join();
  const b = await join();
  await pairUp(a, b);
  a.close();
  assert.equal(await b.next('ended'), { type: 'ended', by: 'stranger', reason: 'disconnected' });
  assert.is((await server.stats()).conversations, 0);

  const queued = await join();
  queued.send({ type: 'find', mode: 'text' });
  await queued.next('queued');
  queued.close();
  await until(async () => (await server.stats()).queued === 0);
  b.send({ type: 'find', mode: 'text' });
  await b.next('queued');
  await b.none('matched', QUIET_MS);
});

test('age bands: an adult and a minor are never paired; two minors are', async () => {
  const adult = await join(ADULT);
  const minor = await join(MINOR);
  adult.send({ type: 'find', mode: 'text' });
  await adult.next('queued');
  minor.send({ type: 'find', mode: 'text' });
  await minor.next('queued');
  await Promise.all([adult.none('matched', QUIET_MS), minor.none('matched', 0)]);
  assert.is((await server.stats()).queued, 2);

  const otherMinor = await join(MINOR);
  otherMinor.send({ type: 'find', mode: 'text' });
  const [m1, m2] = await Promise.all([minor.next('matched'), otherMinor.next('matched')]);
  assert.is(m1.conversationId, m2.conversationId);
  await adult.none('matched', 0);
  assert.is((await server.stats()).queued, 1);
});

test('announcement: an event written through another database connection reaches everyone as notice', async () => {
  const idle = await join();
  const queued = await join();
  queued.send({ type: 'find', mode: 'video' });
  await queued.next('queued');
  const a = await join();
  const b = await join();
  await pairUp(a, b);

  const cli = await server.openSecondDb();
  const text = 'The chat closes at 22:00 tonight.';
  await publishEvent(cli, { kind: 'announcement', payload: { text } }, Date.now());
  const notices = await Promise.all([idle, queued, a, b].map((client) => client.next('notice', FEED_DEADLINE_MS)));
  for (const notice of notices) assert.equal(notice, { type: 'notice', text });
});

test('session_killed: that socket closes with 4401 and its partner hears ended{system, moderator}', async () => {
  const target = await join();
  const partner = await join();
  await pairUp(target, partner);
  const [sessionId] = await sessionIdsOf(target.cookie);

  const cli = await server.openSecondDb();
  await publishEvent(cli, { kind: 'session_killed', payload: { sessionId: sessionId! } }, Date.now());
  assert.is(await target.waitClose(FEED_DEADLINE_MS), 4401);
  assert.equal(await partner.next('ended', FEED_DEADLINE_MS), { type: 'ended', by: 'system', reason: 'moderator' });
  partner.send({ type: 'ping' });
  await partner.next('pong');
  assert.is(partner.closeCode, undefined, 'the partner stays connected');
});

test.run();
