// TURN REST credentials and the ICE server list handed to each person, with an injected clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createIceServers, mintTurnCredentials, turnPassword } from '../../server/access/turn.ts';
import { parseSettings } from '../../server/config.ts';

const SECRET = 'correct horse battery staple';
/** 2026-01-05T08:00:00.999Z: the expiry is whole seconds, rounded down. */
const NOW_MS = 1_767_600_000_999;

test('the password is base64(HMAC-SHA1(secret, username)), as coturn computes it', () => {
  // Computed independently: printf %s '1767603600:alice' | openssl dgst -sha1 -hmac "$SECRET" -binary | base64
  assert.is(turnPassword(SECRET, '1767603600:alice'), 'aEaptKxx75eQ2rZmly/BDsum2sE=');
});

test('credentials expire ttl seconds after now and name the person', () => {
  const credentials = mintTurnCredentials(SECRET, 'alice', NOW_MS, 3600);
  assert.equal(credentials, { username: '1767603600:alice', credential: 'aEaptKxx75eQ2rZmly/BDsum2sE=', expiresAt: 1_767_603_600 });
  assert.throws(() => mintTurnCredentials('', 'alice', NOW_MS, 3600), /secret is empty/);
  assert.throws(() => mintTurnCredentials(SECRET, 'a:b', NOW_MS, 3600), /must not contain ":"/);
});

const turn = (settings: Record<string, unknown>) => parseSettings({ turn: settings }).turn;
const TURN_URLS = ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp'];
const STUN_URLS = ['stun:turn.example.org:3478'];

test('relay-only: TURN with fresh credentials on every call, never STUN', () => {
  let now = NOW_MS;
  const iceServers = createIceServers({ turn: turn({ urls: TURN_URLS, stunUrls: STUN_URLS, credentialTtlSeconds: 600 }), secret: SECRET, now: () => now });
  const first = iceServers('p1', true);
  assert.is(first.length, 1);
  assert.equal(first[0]?.urls, TURN_URLS);
  assert.is(first[0]?.username, '1767600600:p1');
  assert.is(first[0]?.credential, turnPassword(SECRET, '1767600600:p1'));
  now += 60_000;
  assert.is(iceServers('p1', true)[0]?.username, '1767600660:p1', 'a later call mints later credentials');
});

test('not relay-only: TURN and STUN; no TURN configured: STUN only, or nothing', () => {
  const both = createIceServers({ turn: turn({ urls: TURN_URLS, stunUrls: STUN_URLS }), secret: SECRET, now: () => NOW_MS })('p2', false);
  assert.equal(
    both.map((server) => server.urls),
    [TURN_URLS, STUN_URLS],
  );
  assert.equal(createIceServers({ turn: turn({ stunUrls: STUN_URLS }), secret: undefined, now: () => NOW_MS })('p3', false), [{ urls: STUN_URLS }]);
  assert.equal(createIceServers({ turn: turn({ stunUrls: STUN_URLS }), secret: undefined, now: () => NOW_MS })('p4', true), []);
});

test('the serialised list is the list, and follows the credentials from second to second', () => {
  let now = NOW_MS;
  const iceServers = createIceServers({ turn: turn({ urls: TURN_URLS, stunUrls: STUN_URLS }), secret: SECRET, now: () => now });
  for (const relayOnly of [true, false]) assert.is(iceServers.json('p5', relayOnly), JSON.stringify(iceServers('p5', relayOnly)));
  const before = iceServers.json('p5', true);
  now += 1000;
  assert.is.not(iceServers.json('p5', true), before, 'a new second mints new credentials');
  assert.is(iceServers.json('p5', true), JSON.stringify(iceServers('p5', true)));
  const stunOnly = createIceServers({ turn: turn({ stunUrls: STUN_URLS }), secret: undefined, now: () => now });
  assert.is(stunOnly.json('p6', false), JSON.stringify([{ urls: STUN_URLS }]));
  assert.is(stunOnly.json('p6', true), '[]');
});

test('TURN urls without a secret are refused at once', () => {
  assert.throws(() => createIceServers({ turn: turn({ urls: TURN_URLS }), secret: undefined, now: () => NOW_MS }), /secret is missing/);
});

test.run();
