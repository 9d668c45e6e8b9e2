// The usage counts and the stats on PostgreSQL (a throwaway cluster, like postgres-migrations):
// the additive and keep-the-larger upserts of UsageRecorder, the distinct-device count, and
// StatsService reading them back, so the same SQL holds on both engines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase, type Db } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { UsageCounters, UsageRecorder } from '../../server/chat/usage.ts';
import { StatsService } from '../../server/moderation/stats.ts';
import { cliActor } from '../../server/access/actor.ts';
import { silentLogger } from '../../server/logger.ts';
import { newPostgres, type TestPostgres } from '../helpers/postgres.ts';

let cluster: TestPostgres | undefined;
const databases: Db[] = [];
test.after(async () => {
  for (const db of databases) await db.destroy();
  await cluster?.stop();
});

test('counts add up across two nodes, sessions and monthly devices never go down, and stats reads them', async () => {
  cluster = await newPostgres();
  const url = await cluster.createDatabase('stats');
  const db = await openDatabase({ driver: 'postgres', url });
  const other = await openDatabase({ driver: 'postgres', url });
  databases.push(db, other);
  await migrateToLatest(db);
  const now = () => Date.parse('2026-12-02T10:00:00Z');
  const a = new UsageCounters(now);
  const b = new UsageCounters(now);
  const nodeA = new UsageRecorder({ db, counters: a, now, logger: silentLogger() });
  const nodeB = new UsageRecorder({ db: other, counters: b, now, logger: silentLogger() });
  a.conversationStarted('text');
  b.conversationStarted('text');
  b.conversationStarted('video');
  a.messageFiltered('link');
  await nodeA.flush();
  await nodeB.flush();
  a.conversationStarted('text');
  await nodeA.flush();
  for (const [id, device] of [['s1', 'd1'], ['s2', 'd1'], ['s3', 'd2']] as const) {
    await db.insertInto('sessions').values({ id, device_id: device, age_band: 'adult', age: 30, address: '', created_at: now() - 1000, ended_at: null, identity_hash: null, invite_id: null }).execute();
  }
  await nodeA.recount();
  await db.deleteFrom('sessions').execute();
  await nodeB.recount();

  const stats = await new StatsService({ db, now }).collect(cliActor('tester'), { from: Date.parse('2026-12-01T00:00:00Z'), to: now() });
  const today = stats.days.find((d) => d.day === '2026-12-02')!;
  assert.equal([today.sessions, today.textConversations, today.videoConversations, today.filteredMessages], [3, 3, 1, 1]);
  assert.equal(stats.usage.monthlyActiveDevices, [{ month: '2026-12', devices: 2 }]);
  assert.is(stats.filteredMessages.byReason.link, 1);
  await nodeA.stop();
  await nodeB.stop();
});

test.run();
