// The contact-detail corpus end to end: two pupils (a minor pair) on a `school` instance, real ws
// clients on the real server. Every evasion in test/fixtures/contact-evasions.json is refused
// with `filtered` and the reason of its kind, and never reaches the partner; every split is
// relayed piece by piece until the piece that completes it, which is refused; every ordinary
// message in test/fixtures/ordinary-chat.json reaches the partner byte for byte (without its
// invisible characters). The server's clock is the test's: between two entries it moves past
// the window of recent messages, so each entry is judged alone, as the default settings would
// judge it a few minutes after the last one.
//
// Nothing here waits for "nothing to arrive": after each entry the sender says a sentinel, and
// because one sender's messages are relayed in order, the partner's next message is either the
// entry or the sentinel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { BLOCK_MESSAGES } from '../../server/moderation/filter.ts';
import { EVASIONS, ORDINARY, SPLIT_EVASIONS } from '../helpers/corpus.ts';

const PUPIL = { acceptRules: true, age: 14 };
const SENTINEL = 'ok';
/** Past filters.windowSeconds (120 by default): the next entry is judged on its own. */
const PAST_THE_WINDOW_MS = 121_000;

let clock = Date.now();
let server: TestServer;
let sender: TestClient;
let partner: TestClient;

test.before(async () => {
  server = await newServer({ profile: 'school' }, { now: () => clock });
  sender = await connect(server.url, PUPIL);
  partner = await connect(server.url, PUPIL);
  sender.send({ type: 'find', mode: 'text' });
  await sender.next('queued');
  partner.send({ type: 'find', mode: 'text' });
  await Promise.all([sender.next('matched'), partner.next('matched')]);
});

test.after(async () => {
  sender.close();
  partner.close();
  await server.stop();
});

type Outcome = { relayed: string } | { refused: { code: string; message: string; reason?: string } };

/** Sends one message and the sentinel; what became of the message. */
async function send(text: string): Promise<Outcome> {
  sender.send({ type: 'message', text });
  sender.send({ type: 'message', text: SENTINEL });
  const first = (await partner.next('message')).text;
  if (first !== SENTINEL) {
    assert.is((await partner.next('message')).text, SENTINEL, `the sentinel after ${JSON.stringify(text)} is relayed`);
    return { relayed: first };
  }
  const { code, message, reason } = await sender.next('error');
  return { refused: { code, message, reason } };
}

function nextEntry(): void {
  clock += PAST_THE_WINDOW_MS;
}

test('the corpus is sent from one pupil to another on a school instance', () => {
  assert.ok(EVASIONS.length >= 200 && ORDINARY.length >= 150);
});

test('every evasion is refused with filtered and the reason of its kind; the partner receives nothing', async () => {
  const wrong: Array<{ class: string; text: string; outcome: Outcome }> = [];
  for (const evasion of EVASIONS) {
    const outcome = await send(evasion.text);
    const expected = { code: 'filtered', message: BLOCK_MESSAGES[evasion.kind], reason: evasion.kind };
    if (!('refused' in outcome) || JSON.stringify(outcome.refused) !== JSON.stringify(expected)) wrong.push({ class: evasion.class, text: evasion.text, outcome });
    nextEntry();
  }
  assert.equal(wrong, []);
});

test('every split is relayed piece by piece until the piece that completes it, which is refused', async () => {
  const wrong: Array<{ class: string; messages: string[]; outcomes: Outcome[] }> = [];
  for (const split of SPLIT_EVASIONS) {
    const outcomes: Outcome[] = [];
    for (const piece of split.messages) {
      sender.send({ type: 'message', text: piece });
      if (piece === split.messages.at(-1)) break;
      outcomes.push({ relayed: (await partner.next('message')).text });
    }
    sender.send({ type: 'message', text: SENTINEL });
    const first = (await partner.next('message')).text;
    if (first === SENTINEL) {
      const { code, message, reason } = await sender.next('error');
      outcomes.push({ refused: { code, message, reason } });
    } else {
      outcomes.push({ relayed: first });
      await partner.next('message');
    }
    const expected: Outcome[] = [
      ...split.messages.slice(0, -1).map((piece) => ({ relayed: piece })),
      { refused: { code: 'filtered', message: BLOCK_MESSAGES[split.kind], reason: split.kind } },
    ];
    if (JSON.stringify(outcomes) !== JSON.stringify(expected)) wrong.push({ class: split.class, messages: split.messages, outcomes });
    nextEntry();
  }
  assert.equal(wrong, []);
});

test('every ordinary message reaches the partner byte for byte, without its invisible characters', async () => {
  const wrong: Array<{ class: string; text: string; outcome: Outcome }> = [];
  for (const message of ORDINARY) {
    const outcome = await send(message.text);
    if (!('relayed' in outcome) || outcome.relayed !== (message.delivered ?? message.text)) wrong.push({ class: message.class, text: message.text, outcome });
    nextEntry();
  }
  assert.equal(wrong, []);
});

test.run();
