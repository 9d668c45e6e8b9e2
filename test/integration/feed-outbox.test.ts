// The moderation feed as an outbox: a ban, its audit entry and its feed event commit together or
// not at all, and every server reads the rows in commit order with their payloads validated — a
// row that does not match its schema is skipped, and the feed goes on to the next one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sql } from 'kysely';
import { newServer, type TestServer } from '../helpers/server.ts';
import { connect, type TestClient } from '../helpers/client.ts';
import { CLI_ACTOR, cliBans } from '../helpers/bans.ts';
import { publishEvent } from '../../server/moderation/events.ts';

const FEED_DEADLINE_MS = 2000;

let server: TestServer;
const clients: TestClient[] = [];
test.before(async () => {
  server = await newServer();
});
test.after.each(() => {
  for (const client of clients.splice(0)) client.close();
});
test.after(() => server.stop());

async function rowCounts(): Promise<{ bans: number; audit: number; events: number }> {
  const count = async (table: 'bans' | 'audit_log' | 'moderation_events') =>
    Number((await server.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { bans: await count('bans'), audit: await count('audit_log'), events: await count('moderation_events') };
}

test('a feed row that does not match its schema is skipped; the events after it still arrive', async () => {
  const person = await connect(server.url);
  clients.push(person);
  const cli = await server.openSecondDb();
  // What an older or a damaged writer could leave: an unknown kind, a payload of the wrong shape, no JSON at all.
  await cli.insertInto('moderation_events').values({ kind: 'ban_exploded', payload: '{"banId":"x"}', created_at: Date.now() }).execute();
  await cli.insertInto('moderation_events').values({ kind: 'announcement', payload: '{"text":42}', created_at: Date.now() }).execute();
  await cli.insertInto('moderation_events').values({ kind: 'announcement', payload: 'not json', created_at: Date.now() }).execute();
  await cli.insertInto('moderation_events').values({ kind: 'session_killed', payload: '{"sessionId":"s","extra":true}', created_at: Date.now() }).execute();
  const text = 'Maintenance at noon.';
  await publishEvent(cli, { kind: 'announcement', payload: { text } }, Date.now());
  assert.equal(await person.next('notice', FEED_DEADLINE_MS), { type: 'notice', text }, 'only the valid event is acted on');
  await person.none('notice', 300);
  assert.is(person.closeCode, undefined, 'no malformed event closed anything');
});

test('a ban whose audit entry cannot be written leaves no ban and no feed event', async () => {
  const operator = await cliBans(server);
  const before = await rowCounts();
  // A real failure inside the transaction, after the ban row is written: the audit log refuses every append.
  await sql`create trigger refuse_audit before insert on audit_log begin select raise(abort, 'audit refused'); end`.execute(server.db);
  try {
    let failed = false;
    try {
      await operator.add({ target: '198.51.100.77', reason: 'never written' }, CLI_ACTOR);
    } catch {
      failed = true;
    }
    assert.ok(failed, 'the ban was refused');
    assert.equal(await rowCounts(), before, 'no half of it stayed: no ban row, no audit entry, no event');
  } finally {
    await sql`drop trigger refuse_audit`.execute(server.db);
  }
  // The same ban once the log accepts appends: all three rows, together.
  const ban = await operator.add({ target: '198.51.100.77', reason: 'written whole' }, CLI_ACTOR);
  const after = await rowCounts();
  assert.equal(after, { bans: before.bans + 1, audit: before.audit + 1, events: before.events + 1 });
  const event = await server.db.selectFrom('moderation_events').select(['kind', 'payload']).orderBy('id', 'desc').executeTakeFirstOrThrow();
  assert.equal({ kind: event.kind, payload: JSON.parse(event.payload) }, { kind: 'ban_added', payload: { banId: ban.id } });
  await operator.lift(ban.id, CLI_ACTOR);
});

test.run();
