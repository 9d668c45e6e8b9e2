// The chat-message shortcut in front of the protocol schema: whatever it takes, the schema must
// take too and give the same value; a valid plain message must be taken (or the shortcut does
// nothing); everything else must be left to the schema, so its error answers stay the same.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientMessage, Limits, plainChatMessage, plainClientMessage } from '../../server/protocol/messages.ts';
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

/** Values for the other types' fields: right ones, wrong types, limits and one past them. */
const FIELD_VALUES: unknown[] = [
  'text', 'video', 'Video', 'offer', 'answer', 'pranswer', true, false, 0, 1, 255, 256, -1, 1.5, null, [], {}, '', '0',
  'v=0\r\n', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(256), 'x'.repeat(257), 'c'.repeat(Limits.candidateMaxLength), 'c'.repeat(Limits.candidateMaxLength + 1),
  's'.repeat(Limits.sdpMaxLength), 's'.repeat(Limits.sdpMaxLength + 1), ['music'], ['  Music '],
];
const CANDIDATE_KEYS = ['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment'];

function randomObject(keys: readonly string[], extra: readonly string[], value: () => unknown): string {
  const parts = keys.filter(() => next() < 0.8).map((key) => `${JSON.stringify(key)}:${JSON.stringify(value())}`);
  if (next() < 0.1) parts.push(`${JSON.stringify(pick(extra))}:${JSON.stringify(pick(FIELD_VALUES))}`);
  return `{${parts.sort(() => next() - 0.5).join(',')}}`;
}

/** A frame of any other type, as JSON.parse gives it: mostly well-formed, often subtly not. */
function randomOtherFrame(): object {
  const type = pick(['next', 'leave', 'ping', 'typing', 'find', 'signal', 'signal', 'signal', 'report']);
  const fields: string[] = [`"type":${JSON.stringify(type)}`];
  const extra = ['__proto__', 'constructor', 'at', 'interests', 'data', 'type'];
  if (type === 'typing' && next() < 0.9) fields.push(`"on":${JSON.stringify(pick([true, false, ...FIELD_VALUES]))}`);
  if (type === 'find') {
    if (next() < 0.9) fields.push(`"mode":${JSON.stringify(pick(['text', 'video', ...FIELD_VALUES]))}`);
    if (next() < 0.2) fields.push(`"interests":${JSON.stringify(pick(FIELD_VALUES))}`);
  }
  if (type === 'signal' && next() < 0.95) {
    const shape = next();
    const data =
      shape < 0.35
        ? randomObject(['type', 'sdp'], ['candidate', 'sdpMid'], () => pick(['offer', 'answer', 'v=0\r\n', ...FIELD_VALUES]))
        : shape < 0.45
          ? pick(['{"candidate":null}', 'null', '[]', '"x"', '{}'])
          : `{"candidate":${randomObject(CANDIDATE_KEYS, ['type', 'foo', '__proto__'], () => pick(['candidate:1 1 udp 1 192.0.2.1 9 typ relay', '0', 0, ...FIELD_VALUES]))}}`;
    fields.push(`"data":${data}`);
  }
  if (next() < 0.1) fields.push(`${JSON.stringify(pick(extra))}:${JSON.stringify(pick(FIELD_VALUES))}`);
  return JSON.parse(`{${fields.sort(() => next() - 0.5).join(',')}}`) as object;
}

test('the shortcut for the other common frames: what it takes, the schema takes with the same value, and it takes most valid ones', () => {
  let taken = 0;
  let valid = 0;
  for (let i = 0; i < FRAMES; i++) {
    const frame = randomOtherFrame();
    const fast = plainClientMessage(frame);
    const parsed = ClientMessage.safeParse(frame);
    if (parsed.success) valid++;
    if (!fast) continue;
    taken++;
    assert.ok(parsed.success, `the schema refused what the shortcut took: ${JSON.stringify(frame).slice(0, 200)}`);
    assert.equal(fast, parsed.data, JSON.stringify(frame).slice(0, 200));
  }
  // Only a find with interests (trimmed and lower-cased by the schema) and a report are left to it.
  assert.ok(taken > valid * 0.7, `the shortcut took ${taken} of ${valid} valid frames`);
});

test('the usual signals, find, next and typing are taken as the schema gives them', () => {
  for (const json of [
    '{"type":"signal","data":{"type":"offer","sdp":"v=0\\r\\n"}}',
    '{"type":"signal","data":{"candidate":null}}',
    '{"type":"signal","data":{"candidate":{"candidate":"candidate:1 1 udp 1 192.0.2.1 9 typ relay","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":null}}}',
    '{"type":"find","mode":"video"}',
    '{"type":"next"}',
    '{"type":"typing","on":true}',
  ]) {
    const frame = JSON.parse(json) as object;
    const parsed = ClientMessage.safeParse(frame);
    assert.ok(parsed.success, json);
    assert.equal(plainClientMessage(frame), parsed.data, json);
  }
  for (const json of ['{"type":"find","mode":"video","interests":["Music"]}', '{"type":"signal","data":{"type":"offer","sdp":"v=0","x":1}}', '{"type":"next","__proto__":{}}']) {
    assert.is(plainClientMessage(JSON.parse(json) as object), undefined, json);
  }
});

test.run();
