// Presence: the online count is pushed to every connection as `presence` when it changed (read from
// the Hub every few seconds, never on every connect), and GET /api/presence answers the last
// reading, cacheable for a few seconds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from '../helpers/client.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

const INTERVAL_MS = 200;
const server: TestServer = await newServer({}, { presenceIntervalMs: INTERVAL_MS });
test.after(() => server.stop());

test('the count is pushed when it changes, and only then', async () => {
  const ana = await connect(server.url);
  assert.is(ana.welcome.online, 1);
  const ben = await connect(server.url);
  assert.equal(await ana.next('presence', 2000), { type: 'presence', online: 2 });
  assert.equal(await ben.next('presence', 2000), { type: 'presence', online: 2 }, 'the newcomer hears it too');
  // Nothing changes: nothing is sent, however many readings pass.
  await ana.none('presence', INTERVAL_MS * 4);
  ben.ws.close();
  assert.equal(await ana.next('presence', 2000), { type: 'presence', online: 1 });
  const res = await fetch(`${server.url}/api/presence`);
  assert.is(res.status, 200);
  assert.is(res.headers.get('cache-control'), 'public, max-age=5');
  assert.equal(await res.json(), { online: 1 });
  ana.ws.close();
});

test.run();
