// "Never paired again" follows the person, against the real server: a reported person who drops
// the device cookie and comes back from the same address, asking for the reporter's interests
// while decoys queue, is never paired with the reporter — nor after a restart; a browser that was
// already on that (unshared) address before the report is kept away too; on a school's shared
// address the reporter keeps meeting the school, and only browsers new since the report are kept
// away. Addresses come through a trusted proxy (127.0.0.1) as X-Forwarded-For.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type RunningServer } from '../../server/app.ts';
import { silentLogger } from '../../server/logger.ts';
import { newServer, type TestServer } from '../helpers/server.ts';
import { join, report, type Person } from '../helpers/people.ts';
import type { ServerMessage } from '../../server/protocol/messages.ts';

/** Short, so that "paired at random after the wait" happens within a test. */
const INTEREST_WAIT_MS = 150;
/** How long "nothing arrives" is watched for: several interest waits. */
const QUIET_MS = 600;
const SHARED_DEVICES = 4;
const MINOR = 15;
const INTERESTS = ['horses', 'drawing'];

type Matched = Extract<ServerMessage, { type: 'matched' }>;

let server: TestServer;
let restarted: RunningServer | undefined;
const online: Person[] = [];

test.before.each(async () => {
  server = await newServer({
    trustedProxies: ['127.0.0.1'],
    pairing: { interestWaitMs: INTEREST_WAIT_MS },
    safety: { sharedAddressDevices: SHARED_DEVICES },
  });
});
test.after.each(async () => {
  for (const person of online.splice(0)) person.close();
  await restarted?.close();
  restarted = undefined;
  await server.stop();
});

async function person(address: string, options: { cookie?: string; url?: string; age?: number } = {}): Promise<Person> {
  const joined = await join(options.url ?? server.url, { address, age: options.age ?? MINOR, ...(options.cookie ? { cookie: options.cookie } : {}) });
  online.push(joined);
  return joined;
}

function find(who: Person, interests: string[] = INTERESTS): void {
  who.send({ type: 'find', mode: 'text', interests });
}

/** Pairs `a` (queued first) with `b` and returns b's matched message. */
async function pairTwo(a: Person, b: Person): Promise<void> {
  find(a);
  await a.next('queued');
  find(b);
  const [ma, mb] = await Promise.all([a.next('matched'), b.next('matched')]);
  assert.is(ma.conversationId, mb.conversationId);
}

/** The conversation each got, once both are matched. */
async function conversations(...people: Person[]): Promise<string[]> {
  return (await Promise.all(people.map((p) => p.next('matched')))).map((m: Matched) => m.conversationId);
}

/**
 * The reporter and the returning person both wait with the same interests; each decoy that
 * arrives is paired with one of them; the two are never paired together.
 */
async function neverTogetherWithDecoys(reporter: Person, returner: Person, url: string, decoyBase: number): Promise<void> {
  find(reporter);
  find(returner);
  await Promise.all([reporter.next('queued'), returner.next('queued')]);
  await Promise.all([reporter.none('matched', QUIET_MS), returner.none('matched', 0)]);
  const decoys = [await person(`192.0.2.${decoyBase}`, { url }), await person(`192.0.2.${decoyBase + 1}`, { url })];
  for (const decoy of decoys) find(decoy, INTERESTS);
  const [r, x, d1, d2] = await conversations(reporter, returner, ...decoys);
  assert.is.not(r, x, 'the reporter and the reported person were paired again');
  assert.equal(new Set([r, x]), new Set([d1, d2]), 'each decoy was paired with one of the two');
}

test('a reported person back with a new cookie from the same address, asking for the same interests, never meets the reporter; nor after a restart', async () => {
  const child = await person('203.0.113.10');
  const stranger = await person('198.51.100.20', { age: 16 });
  await pairTwo(child, stranger);
  await report(child, 'harassment');
  await stranger.next('ended');
  const rows = await server.db.selectFrom('pair_avoids').select(['key_a', 'key_b', 'expires_at']).orderBy('key_b').execute();
  assert.equal(
    rows.map((row) => [row.key_b.split(':')[0], row.expires_at === null ? 'for ever' : 'window']),
    [
      ['address', 'window'],
      ['device', 'for ever'],
    ],
    'stored: the device for ever, the address for the window',
  );

  // The cookie is dropped: a new browser, the same address, the child's interests.
  stranger.close();
  const returner = await person('198.51.100.20', { age: 16 });
  assert.is.not(returner.cookie, stranger.cookie, 'a new device cookie');
  await neverTogetherWithDecoys(child, returner, server.url, 50);

  // A restart: a new process on the same database, with what it loads at start only.
  for (const p of online.splice(0)) p.close();
  await server.close();
  restarted = await createServer(server.config, { db: server.db, logger: silentLogger(), feedIntervalMs: 100 });
  await restarted.ready;
  const childAgain = await person('203.0.113.10', { cookie: child.cookie, url: restarted.url });
  const returnerAgain = await person('198.51.100.20', { url: restarted.url, age: 16 });
  await neverTogetherWithDecoys(childAgain, returnerAgain, restarted.url, 60);
});

test('on an unshared address, even a browser that was there before the report is kept away; another address is not', async () => {
  const child = await person('203.0.113.11');
  const sibling = await person('198.51.100.30');
  const stranger = await person('198.51.100.30');
  await pairTwo(child, stranger);
  await report(child, 'harassment');
  await stranger.next('ended');

  find(child);
  find(sibling);
  await Promise.all([child.next('queued'), sibling.next('queued')]);
  await Promise.all([child.none('matched', QUIET_MS), sibling.none('matched', 0)]);
  // The neighbour at the next IPv4 address is someone else.
  const neighbour = await person('198.51.100.31');
  find(neighbour);
  const [c, n] = await conversations(child, neighbour);
  assert.is(c, n);
});

test('on a shared address (a school) the reporter keeps meeting the school; the reported pupil with a new cookie does not', async () => {
  const school = '192.0.2.200';
  const pupils: Person[] = [];
  for (let i = 0; i < SHARED_DEVICES + 1; i++) pupils.push(await person(school));
  const child = await person('203.0.113.12');
  const [reported, ...classmates] = pupils as [Person, ...Person[]];
  await pairTwo(child, reported);
  await report(child, 'harassment');
  await reported.next('ended');
  const [row] = await server.db.selectFrom('pair_avoids').select(['shared']).where('key_b', '=', `address:${school}`).execute();
  assert.is(row?.shared, 1, 'the school address was shared when the report was filed');

  // Every classmate (a browser known before the report) is still paired with the child.
  for (const classmate of classmates) {
    find(child, []);
    await child.next('queued');
    find(classmate, []);
    const [a, b] = await conversations(child, classmate);
    assert.is(a, b, 'a classmate was paired with the child');
    child.send({ type: 'leave' });
    await child.next('ended');
    await classmate.next('ended');
  }

  // The reported pupil drops the cookie and comes back from the school: kept away from the child.
  reported.close();
  const returner = await person(school);
  await neverTogetherWithDecoys(child, returner, server.url, 70);
});

test.run();
