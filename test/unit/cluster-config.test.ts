// The cluster's setting: a Redis URL (STRANGERCHAT_REDIS_URL overriding redis.url) makes the
// process a node, which needs PostgreSQL: on SQLite it refuses to start, naming the keys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { redactRedisUrl, redisClientOptions, versionAtLeast } from '../../server/cluster/redis/client.ts';

const SECRET = 'a-session-secret-that-is-long-enough-0123456789';

function instance(settings: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-cluster-config-'));
  writeFileSync(join(dir, 'strangerchat.json'), JSON.stringify(settings));
  writeFileSync(join(dir, 'rules.md'), '# Rules');
  return dir;
}

test('a Redis URL on SQLite is refused with a message naming redis.url and the database', () => {
  const dir = instance();
  try {
    loadConfig({ dir, env: { STRANGERCHAT_SESSION_SECRET: SECRET, STRANGERCHAT_REDIS_URL: 'redis://localhost:6379' }, version: '0' });
    assert.unreachable('a node on SQLite must not start');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.equal((error as ConfigError).keys, ['redis.url', 'database']);
    assert.match((error as Error).message, /STRANGERCHAT_DATABASE_URL/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with PostgreSQL the environment URL overrides the file, and a malformed URL is refused', () => {
  const dir = instance({ redis: { url: 'redis://file-host:6379' } });
  try {
    const env = { STRANGERCHAT_SESSION_SECRET: SECRET, STRANGERCHAT_DATABASE_URL: 'postgres://u@h/db' };
    assert.is(loadConfig({ dir, env, version: '0' }).settings.redis.url, 'redis://file-host:6379');
    assert.is(loadConfig({ dir, env: { ...env, STRANGERCHAT_REDIS_URL: 'unix:///run/redis.sock' }, version: '0' }).settings.redis.url, 'unix:///run/redis.sock');
    assert.throws(() => loadConfig({ dir, env: { ...env, STRANGERCHAT_REDIS_URL: 'http://nope' }, version: '0' }), (error: unknown) => error instanceof ConfigError && /redis\.url/.test((error as Error).message));
    // Without any Redis URL: one process, as before.
    const plain = instance();
    assert.is(loadConfig({ dir: plain, env: { STRANGERCHAT_SESSION_SECRET: SECRET }, version: '0' }).settings.redis.url, undefined);
    rmSync(plain, { recursive: true, force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the adapter reads unix socket URLs, hides passwords, and compares versions', () => {
  assert.equal(redisClientOptions('unix:///tmp/r.sock?db=2'), { socket: { path: '/tmp/r.sock' }, database: 2 });
  assert.equal(redisClientOptions('redis://h:6379'), { url: 'redis://h:6379' });
  assert.not.match(redactRedisUrl('redis://user:hunter2@h:6379'), /hunter2/);
  assert.ok(versionAtLeast('7.0.15', '7.0.0'));
  assert.not.ok(versionAtLeast('6.2.14', '7.0.0'));
});

test.run();
