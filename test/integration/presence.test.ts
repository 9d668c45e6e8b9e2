// Presence: the online count is pushed to every connection as `presence` when it changed (read from
// the Hub every few seconds, never on every connect), and GET /api/presence answers the last
// reading, cacheable for a few seconds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type TestClient } from '../helpers/client.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

const INTERVAL_MS = 200;
const server: TestServer = await newServer({}, { presenceIntervalMs: INTERVAL_MS });
test.after(() => server.stop());

/** The next `presence` saying `online`, skipping earlier readings (a reading may fall between two connects). */
async function until(client: TestClient, online: number): Promise<void> {
  for (;;) if ((await client.next('presence', 3000)).online === online) return;
}

test('the count is pushed when it changes, and only then', async () => {
  const ana = await connect(server.url);
  assert.is(ana.welcome.online, 1);
  const ben = await connect(server.url);
  await until(ana, 2);
  await until(ben, 2);
  // Nothing changes: nothing is sent, however many readings pass.
  await ana.none('presence', INTERVAL_MS * 4);
  await ben.none('presence', INTERVAL_MS);
  ben.ws.close();
  assert.equal(await ana.next('presence', 3000), { type: 'presence', online: 1 });
  const res = await fetch(`${server.url}/api/presence`);
  assert.is(res.status, 200);
  assert.is(res.headers.get('cache-control'), 'public, max-age=5');
  const body = await res.json();
  assert.is(body.online, 1);
  assert.is(body.availability.state, 'open', 'the pages read whether the space is open from the same answer');
  ana.ws.close();
});

test.run();
