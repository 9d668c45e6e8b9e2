// The message filter end to end, between real `ws` clients on the real server: what the sender
// is told, what the partner receives (or does not), per profile and age band, that the text
// relayed and kept for reports is the text that was checked (no invisible characters), that a
// sender's messages are read together within a conversation, and that the chat text never
// reaches the logs. (The whole attack corpus runs in filter-corpus.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { captureLogs } from '../helpers/logs.ts';
import { BLOCK_MESSAGES } from '../../server/moderation/filter.ts';

const ADULT = { acceptRules: true, age: 30 };
const MINOR = { acceptRules: true, age: 15 };
/** Said after a refused message: the partner's next message must be this one, not the refused one. */
const SENTINEL = 'still here';
const PHONE_MESSAGE = 'text me on 555-123-4567 tonight';
const LINK_MESSAGE = 'look at https://example.org/photos';

const servers: TestServer[] = [];
const clients: TestClient[] = [];

async function start(settings: Record<string, unknown>, logger?: ReturnType<typeof captureLogs>['logger']): Promise<TestServer> {
  const server = await newServer(settings, logger ? { logger } : {});
  servers.push(server);
  return server;
}

/** Two people with these bodies, paired in text mode; [first, second]. */
async function pairOf(server: TestServer, body: Record<string, unknown>, other = body): Promise<[TestClient, TestClient]> {
  const a = await connect(server.url, body);
  const b = await connect(server.url, other);
  clients.push(a, b);
  a.send({ type: 'find', mode: 'text' });
  await a.next('queued');
  b.send({ type: 'find', mode: 'text' });
  await Promise.all([a.next('matched'), b.next('matched')]);
  return [a, b];
}

/** `from` says `text`; resolves with what `to` receives. */
async function relay(from: TestClient, to: TestClient, text: string): Promise<string> {
  from.send({ type: 'message', text });
  return (await to.next('message')).text;
}

/**
 * `from` says `text` and is refused; `to` receives nothing (one sender's messages are relayed in
 * order, so the next thing it receives is what `from` says next), and the conversation goes on.
 */
async function refused(from: TestClient, to: TestClient, text: string): Promise<{ code: string; message: string }> {
  from.send({ type: 'message', text });
  const { code, message } = await from.next('error');
  assert.is(await relay(from, to, SENTINEL), SENTINEL, 'the refused text never arrived, and the conversation goes on');
  return { code, message };
}

test.after.each(() => {
  for (const client of clients.splice(0)) client.close();
});

test.after(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

test('school: a phone number is refused with filtered, for minors and adults alike; the partner receives nothing', async () => {
  const logs = captureLogs();
  const server = await start({ profile: 'school' }, logs.logger);
  const [pupilA, pupilB] = await pairOf(server, MINOR);
  const error = await refused(pupilA, pupilB, PHONE_MESSAGE);
  assert.equal(error, { code: 'filtered', message: BLOCK_MESSAGES.phone });
  assert.match(error.message, /can't be shared here/);

  const [staffA, staffB] = await pairOf(server, ADULT);
  assert.equal(await refused(staffA, staffB, LINK_MESSAGE), { code: 'filtered', message: BLOCK_MESSAGES.link });
  assert.equal(await refused(staffB, staffA, 'add me on snapchat'), { code: 'filtered', message: BLOCK_MESSAGES.handle });
  assert.not.ok(logs.text().includes('555-123-4567'), 'the refused text is not logged');
  assert.not.ok(logs.text().includes('example.org'), 'the refused text is not logged');
});

test('community: two adults can share a link; two minors cannot', async () => {
  const server = await start({ profile: 'community' });
  const [adultA, adultB] = await pairOf(server, ADULT);
  assert.is(await relay(adultA, adultB, LINK_MESSAGE), LINK_MESSAGE);
  assert.is(await relay(adultB, adultA, PHONE_MESSAGE), PHONE_MESSAGE);

  const [minorA, minorB] = await pairOf(server, MINOR);
  assert.equal(await refused(minorA, minorB, LINK_MESSAGE), { code: 'filtered', message: BLOCK_MESSAGES.link });
  assert.equal(await refused(minorB, minorA, 'my email is sam at gmail dot com'), { code: 'filtered', message: BLOCK_MESSAGES.email });
  assert.equal(await refused(minorA, minorB, 'five five five one two three four'), { code: 'filtered', message: BLOCK_MESSAGES.phone });
});

test('contactDetails always and never override the profile and the band', async () => {
  const strict = await start({ profile: 'adult', filters: { contactDetails: 'always' } });
  const [a, b] = await pairOf(strict, ADULT);
  assert.equal(await refused(a, b, LINK_MESSAGE), { code: 'filtered', message: BLOCK_MESSAGES.link });

  const open = await start({ profile: 'school', filters: { contactDetails: 'never' } });
  const [c, d] = await pairOf(open, MINOR);
  assert.is(await relay(c, d, LINK_MESSAGE), LINK_MESSAGE);
});

test('masking: the partner receives the masked text; the sender is not told off', async () => {
  const server = await start({ filters: { profanity: 'mask', mask: ['darn'] } });
  const [a, b] = await pairOf(server, ADULT);
  assert.is(await relay(a, b, 'what the FUCK, d4rn it'), 'what the ****, **** it');
  assert.is(await relay(a, b, 'f.u.c.k off'), '******* off');
  assert.is(await relay(b, a, 'a classic cockpit in Scunthorpe'), 'a classic cockpit in Scunthorpe');
  assert.equal(a.inbox.filter((m) => m.type === 'error'), [], 'the sender is not told off');
});

test('operator block list and profanity block: refused with filtered and the words message', async () => {
  const server = await start({ filters: { profanity: 'block', block: ['grapefruit'] } });
  const [a, b] = await pairOf(server, ADULT);
  assert.equal(await refused(a, b, 'I hate GR4PEFRU1T'), { code: 'filtered', message: BLOCK_MESSAGES.words });
  assert.equal(await refused(b, a, 'sh\u200Bit happens'), { code: 'filtered', message: BLOCK_MESSAGES.words });
  assert.is(await relay(a, b, 'grapes and assassins'), 'grapes and assassins');
});

test('every profile relays, and a report keeps, the text without its invisible characters', async () => {
  for (const profile of ['school', 'community', 'adult'] as const) {
    const server = await start({ profile });
    const body = profile === 'adult' ? ADULT : profile === 'community' ? MINOR : MINOR;
    const [a, b] = await pairOf(server, body);
    // U+202E would make this show as an e-mail address; without it, it shows as typed.
    assert.is(await relay(a, b, '\u202Emoc.liamg@9002ekaj'), 'moc.liamg@9002ekaj', profile);
    assert.is(await relay(a, b, 'hel\u200Blo\u2066 there \u{1F468}\u200D\u{1F469}\u200D\u{1F467}'), 'hello there \u{1F468}\u200D\u{1F469}\u200D\u{1F467}', profile);
    b.send({ type: 'report', reason: 'other' });
    const { reportId } = await b.next('reported');
    const row = await server.db.selectFrom('reports').select('transcript').where('id', '=', reportId).executeTakeFirstOrThrow();
    const lines = (JSON.parse(row.transcript) as Array<{ text: string }>).map((line) => line.text);
    assert.equal(lines, ['moc.liamg@9002ekaj', 'hello there \u{1F468}\u200D\u{1F469}\u200D\u{1F467}'], `${profile}: the transcript moderators read is the text relayed`);
  }
});

test('a message with nothing visible in it is refused as empty, in every profile', async () => {
  const server = await start({ profile: 'adult' });
  const [a, b] = await pairOf(server, ADULT);
  a.send({ type: 'message', text: '\u200B\u202E\u2060' });
  const error = await a.next('error');
  assert.equal({ code: error.code, message: error.message, reason: error.reason }, { code: 'filtered', message: BLOCK_MESSAGES.empty, reason: 'empty' });
  assert.is(await relay(a, b, SENTINEL), SENTINEL);
});

test("a pupil's messages are read together: the one that completes a number is refused; a new conversation starts afresh", async () => {
  const server = await start({ profile: 'school' });
  const [a, b] = await pairOf(server, MINOR);
  assert.is(await relay(a, b, 'call me on 06 12'), 'call me on 06 12');
  assert.is(await relay(a, b, 'lol'), 'lol');
  assert.equal(await refused(a, b, '34 56 78'), { code: 'filtered', message: BLOCK_MESSAGES.phone });
  assert.is(await relay(a, b, 'my snap'), 'my snap');
  assert.equal(await refused(a, b, 'is jake_2009'), { code: 'filtered', message: BLOCK_MESSAGES.handle });
  // The partner's messages are theirs: read apart from the sender's.
  assert.is(await relay(b, a, '34 56 78 is my score lol'), '34 56 78 is my score lol');

  // Next conversation: the window is empty again.
  a.send({ type: 'next' });
  await Promise.all([a.next('ended'), b.next('ended')]);
  b.send({ type: 'find', mode: 'text' });
  await Promise.all([a.next('matched'), b.next('matched')]);
  assert.is(await relay(a, b, '34 56 78'), '34 56 78', 'what was said to someone else is not read with this conversation');
});

test.run();
