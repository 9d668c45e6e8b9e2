// A server loads its bans after it starts listening, a page at a time, so that a populated
// instance answers /healthz at once. Until the last page is in memory nothing else is served:
// a ban that only the last page holds is enforced on the very first request and upgrade.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from '../../server/app.ts';
import { makeConfig } from '../../server/config.ts';
import { openDatabase } from '../../server/db/database.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { silentLogger } from '../../server/logger.ts';
import { TicketService } from '../../server/access/tickets.ts';
import { openSocket } from '../helpers/client.ts';
import { refusedUpgrade, request } from '../helpers/bans.ts';
import { tempDir } from '../helpers/server.ts';

/** Enough bans for many pages of the start-up load. */
const OTHER_BANS = 20_000;
const INSERT_BATCH = 500;
/** Ids that sort after every random UUID: these bans are in the last page. */
const LAST_IDS = { address: 'ffffffff-ffff-4fff-bfff-fffffffffff1', device: 'ffffffff-ffff-4fff-bfff-fffffffffff2' };

test('bans in the last page are enforced on the first request and upgrade; /healthz answers meanwhile', async () => {
  const dir = tempDir();
  const config = makeConfig({ dir, settings: { server: { host: '127.0.0.1', port: 0, shutdownGraceSeconds: 1 } } });
  const db = await openDatabase(config.database);
  try {
    await migrateToLatest(db);
    const now = Date.now();
    const row = (id: string, kind: string, target: string, severity: string) => ({
      id, target_kind: kind, target, reason: 'test', severity, note: null, created_by: 'cli:test', created_at: now, expires_at: null, lifted_at: null, lifted_by: null, report_id: null, quarantine: 0,
    });
    await db.transaction().execute(async (tx) => {
      for (let done = 0; done < OTHER_BANS; done += INSERT_BATCH) {
        const batch = Array.from({ length: INSERT_BATCH }, () => row(randomUUID(), 'device', randomUUID(), 'no_matching'));
        await tx.insertInto('bans').values(batch).execute();
      }
    });
    // A person with a ticket from before the restart, whose device is banned.
    const deviceId = randomUUID();
    await db.insertInto('sessions').values({ id: randomUUID(), device_id: deviceId, age_band: 'adult', age: 30, address: '198.51.100.7', created_at: now, ended_at: null, identity_hash: null, invite_id: null }).execute();
    const session = await db.selectFrom('sessions').select('id').where('device_id', '=', deviceId).executeTakeFirstOrThrow();
    const ticket = await new TicketService({ db, secret: config.secrets.sessionSecret, now: Date.now }).issue(session.id, 60);
    await db.insertInto('bans').values([row(LAST_IDS.device, 'device', deviceId, 'no_matching'), row(LAST_IDS.address, 'ip', '127.0.0.1', 'no_access')]).execute();

    const server = await createServer(config, { db, logger: silentLogger() });
    try {
      const [upgrade, health, banned, early] = await Promise.all([
        refusedUpgrade(openSocket(server.url, ticket)),
        request(server.url, '/healthz'),
        request(server.url, '/api/session', { method: 'POST', body: { acceptRules: true, age: 30 } }),
        request(server.url, '/readyz'),
      ]);
      assert.is(health.status, 200);
      assert.is(upgrade.status, 403, 'the banned device is refused at the upgrade');
      assert.is(upgrade.body.error.code, 'banned');
      assert.is(banned.status, 403, 'the banned address gets no session');
      assert.is((banned.body as { error: { code: string } }).error.code, 'banned');
      // Readiness is answered at once too: "starting" while the bans load (usually, with 20,000), then "ready".
      if (early.status !== 200) assert.equal([early.status, (early.body as { error: { code: string } }).error.code], [503, 'starting']);
      await server.ready;
      const ready = await request(server.url, '/readyz');
      assert.equal([ready.status, ready.body], [200, { status: 'ready' }]);
    } finally {
      await server.close();
    }
  } finally {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
