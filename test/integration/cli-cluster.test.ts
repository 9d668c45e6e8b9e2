// The terminal on a cluster: a moderation command typed on any machine (`ban add`) writes its row
// to PostgreSQL, the source of truth, and wakes every node through Redis pub/sub, so no node waits
// for its feed poll; with Redis unreachable the command still succeeds, at once, and says the
// nodes will see it at their next poll; and `start` with a Redis it cannot reach says so. A
// private PostgreSQL and a private Redis.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runBin, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';
import { newPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { newRedis, type TestRedis } from '../helpers/redis.ts';
import { connectRedis, type RedisConnection } from '../../server/cluster/redis/client.ts';
import { DEFAULT_PREFIX } from '../../server/cluster/redis/redis-cluster.ts';
import { sleep } from '../helpers/people.ts';

let postgres: TestPostgres;
let redis: TestRedis;
let subscriber: RedisConnection;
let here: string;
let env: Record<string, string>;
const wakeUps: number[] = [];

test.before(async () => {
  [postgres, redis] = await Promise.all([newPostgres(), newRedis()]);
  here = tempDir('strangerchat-cli-cluster-');
  env = { STRANGERCHAT_DATABASE_URL: await postgres.createDatabase('cli_cluster'), STRANGERCHAT_REDIS_URL: redis.url };
  const made = await runCli(['init', 'chat', '--yes', '--port', '0'], { cwd: here, env });
  assert.is(made.code, 0, made.stderr);
  const migrated = await runCli(['migrate', 'up', '-C', 'chat'], { cwd: here, env });
  assert.is(migrated.code, 0, migrated.stderr);
  subscriber = await connectRedis(redis.url, { name: 'test-subscriber' });
  // The channel every node subscribes to (redis-cluster.ts).
  await subscriber.subscribe(`${DEFAULT_PREFIX}feed`, () => void wakeUps.push(Date.now()));
});

test.after(async () => {
  await subscriber?.close();
  await redis?.stop();
  await postgres?.stop();
  if (here) rmSync(here, { recursive: true, force: true });
});

test('a ban typed in the terminal wakes the nodes through Redis, not only by their poll', async () => {
  const before = wakeUps.length;
  const banned = await runCli(['ban', 'add', '203.0.113.5', '--reason', 'spam', '--duration', '1d', '-C', join(here, 'chat')], { cwd: here, env });
  assert.is(banned.code, 0, banned.stderr);
  for (let i = 0; i < 50 && wakeUps.length === before; i++) await sleep(20);
  assert.is(wakeUps.length, before + 1, 'one wake-up published for the one committed change');
  const listed = await runCli(['ban', 'list', '--json', '-C', join(here, 'chat')], { cwd: here, env });
  assert.is(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /203\.0\.113\.5/, 'the row is written: it stays the source of truth');
});

test('with Redis unreachable the ban is still written, at once, and the terminal says the nodes poll for it', async () => {
  const unreachable = { ...env, STRANGERCHAT_REDIS_URL: `unix://${join(here, 'no-redis.sock')}` };
  const started = Date.now();
  const banned = await runCli(['ban', 'add', '203.0.113.6', '--reason', 'spam', '--duration', '1d', '-C', join(here, 'chat')], { cwd: here, env: unreachable });
  const took = Date.now() - started;
  assert.is(banned.code, 0, banned.stderr);
  assert.match(banned.stderr, /could not wake the nodes through Redis/);
  assert.ok(took < 5000, `the command took ${took} ms`);
  const listed = await runCli(['ban', 'list', '--json', '-C', join(here, 'chat')], { cwd: here, env });
  assert.match(listed.stdout, /203\.0\.113\.6/);
});

test('start on a cluster whose Redis cannot be reached says so and exits, instead of waiting for ever', async () => {
  const unreachable = { ...env, STRANGERCHAT_REDIS_URL: `unix://${join(here, 'no-redis.sock')}` };
  const started = await runBin(['start', '-C', join(here, 'chat')], { cwd: here, env: unreachable, timeoutMs: 30_000 });
  assert.is.not(started.code, 0);
  assert.match(started.stderr, /could not reach Redis at unix:\/\/.*no-redis\.sock/);
});

test.run();
