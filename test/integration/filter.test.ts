// The message filter end to end, between real `ws` clients on the real server: what the sender
// is told, what the partner receives (or does not), per profile and age band, and that the
// chat text never reaches the logs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { captureLogs } from '../helpers/logs.ts';
import { BLOCK_MESSAGES } from '../../server/moderation/filter.ts';

const ADULT = { acceptRules: true, age: 30 };
const MINOR = { acceptRules: true, age: 15 };
/** How long "nothing arrives" is watched for. */
const QUIET_MS = 400;
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

/** `from` says `text` and is refused; `to` receives nothing, and the conversation goes on. */
async function refused(from: TestClient, to: TestClient, text: string): Promise<{ code: string; message: string }> {
  from.send({ type: 'message', text });
  const { code, message } = await from.next('error');
  await to.none('message', QUIET_MS);
  assert.is(await relay(from, to, 'still here'), 'still here', 'the conversation goes on after a refusal');
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
  await a.none('error', 100);
});

test('operator block list and profanity block: refused with filtered and the words message', async () => {
  const server = await start({ filters: { profanity: 'block', block: ['grapefruit'] } });
  const [a, b] = await pairOf(server, ADULT);
  assert.equal(await refused(a, b, 'I hate GR4PEFRU1T'), { code: 'filtered', message: BLOCK_MESSAGES.words });
  assert.equal(await refused(b, a, 'sh\u200Bit happens'), { code: 'filtered', message: BLOCK_MESSAGES.words });
  assert.is(await relay(a, b, 'grapes and assassins'), 'grapes and assassins');
});

test.run();
