// The chat-message shortcut in front of the protocol schema: whatever it takes, the schema must
// take too and give the same value; a valid plain message must be taken (or the shortcut does
// nothing); everything else must be left to the schema, so its error answers stay the same.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientMessage, Limits, plainChatMessage } from '../../server/protocol/messages.ts';
import { seededRandom } from '../helpers/random.ts';

const FRAMES = 20_000;

const next = seededRandom(7);
const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
const MAX = Limits.messageMaxLength;
const TEXTS = ['', ' ', 'hi', 'x'.repeat(MAX), 'x'.repeat(MAX + 1), '😀'.repeat(MAX / 2), '😀'.repeat(MAX), '😀'.repeat(MAX + 1), 'é\u200B', '\uD800'];
const VALUES: unknown[] = [...TEXTS, 0, 1, true, null, [], ['hi'], { text: 'hi' }];

/** A frame as JSON.parse would give it: sometimes right, often subtly wrong. */
function randomFrame(): object {
  const parts: string[] = [];
  const type = pick(['message', 'message', 'message', 'Message', 'signal', 'typing', 'find', 5, null]);
  if (next() < 0.95) parts.push(`"type":${JSON.stringify(type)}`);
  if (next() < 0.9) parts.push(`"text":${JSON.stringify(pick(VALUES))}`);
  if (next() < 0.15) parts.push(`${JSON.stringify(pick(['__proto__', 'constructor', 'at', 'on', 'data']))}:${JSON.stringify(pick(VALUES))}`);
  if (next() < 0.05) parts.push(`"text":"again"`);
  return JSON.parse(`{${parts.sort(() => next() - 0.5).join(',')}}`) as object;
}

test('whatever the shortcut takes, the schema takes with the same value', () => {
  let taken = 0;
  for (let i = 0; i < FRAMES; i++) {
    const frame = randomFrame();
    const fast = plainChatMessage(frame);
    if (!fast) continue;
    taken++;
    const parsed = ClientMessage.safeParse(frame);
    assert.ok(parsed.success, `the schema refused what the shortcut took: ${JSON.stringify(frame)}`);
    assert.equal(fast, parsed.data);
  }
  // About one random frame in twelve is a valid plain message: the shortcut must take them.
  assert.ok(taken > FRAMES / 20, `the shortcut took only ${taken} of ${FRAMES} frames`);
});

test('every valid plain message is taken, up to the limit in UTF-16 units', () => {
  for (const text of TEXTS) {
    const frame = JSON.parse(JSON.stringify({ type: 'message', text })) as object;
    const valid = ClientMessage.safeParse(frame).success;
    // The schema counts code points: 1,000 emoji (2,000 units) fit, and are left to it.
    const expected = valid && text.length <= Limits.messageMaxLength;
    assert.is(plainChatMessage(frame) !== undefined, expected, `${text.length} units: ${text.slice(0, 4)}`);
  }
  assert.equal(plainChatMessage({ text: 'hello', type: 'message' }), { type: 'message', text: 'hello' }, 'key order does not matter');
});

test('an extra key, even __proto__ from JSON, goes to the schema, which refuses it', () => {
  for (const json of ['{"type":"message","text":"hi","__proto__":{"x":1}}', '{"type":"message","text":"hi","at":1}', '{"type":"message"}']) {
    const frame = JSON.parse(json) as object;
    assert.is(plainChatMessage(frame), undefined, json);
    assert.not.ok(ClientMessage.safeParse(frame).success, json);
  }
});

test.run();
