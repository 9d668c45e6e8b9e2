// What the page needs for the on-device nudity check: the settings in /api/config and in every
// page (never a copy of a server default in the client), per profile, and the person's band in
// `welcome` (the server's decision, which the page applies).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, makeConfig } from '../../server/config.ts';
import type { PublicConfig } from '../../server/protocol/http.ts';
import { join } from '../helpers/people.ts';
import { newServer, type TestServer } from '../helpers/server.ts';

const servers: TestServer[] = [];
test.after(async () => {
  for (const server of servers) await server.stop();
});

async function configOf(settings: Record<string, unknown>): Promise<PublicConfig['nudityFilter']> {
  const server = await newServer(settings);
  servers.push(server);
  const body = (await (await fetch(`${server.url}/api/config`)).json()) as PublicConfig;
  return body.nudityFilter;
}

test('by default: on for under-18s, off for adults outside schools, blurred until checked, 2 frames a second apart', async () => {
  assert.equal(await configOf({}), {
    minors: true,
    adults: false,
    adultsBlurUntilChecked: true,
    thresholds: { porn: 0.5, hentai: 0.5, sexy: 0.7 },
    consecutiveFrames: 2,
    intervalMs: 1000,
    testTreatNeutralAsPositive: false,
  });
  const school = await configOf({ profile: 'school' });
  assert.equal([school.minors, school.adults], [true, true], 'a school checks everyone, staff included');
  const adults = await configOf({ profile: 'adult' });
  assert.equal([adults.minors, adults.adults], [true, false], 'optional for adults');
});

test("the operator's settings reach the page as given", async () => {
  const tuned = await configOf({
    nudityFilter: { adults: true, adultsBlurUntilChecked: false, thresholds: { sexy: 0.9 }, consecutiveFrames: 4, intervalMs: 2000, testTreatNeutralAsPositive: true },
  });
  assert.equal(tuned, {
    minors: true,
    adults: true,
    adultsBlurUntilChecked: false,
    thresholds: { porn: 0.5, hentai: 0.5, sexy: 0.9 },
    consecutiveFrames: 4,
    intervalMs: 2000,
    testTreatNeutralAsPositive: true,
  });
  const off = await configOf({ profile: 'school', nudityFilter: { enabled: false } });
  assert.equal([off.minors, off.adults], [false, false]);
});

test('the chat page carries the same settings as /api/config', async () => {
  const server = await newServer({ nudityFilter: { consecutiveFrames: 5 } });
  servers.push(server);
  const api = (await (await fetch(`${server.url}/api/config`)).json()) as PublicConfig;
  const html = await (await fetch(`${server.url}/chat`)).text();
  const block = /<script type="application\/json" id="sc-config">([^<]*)<\/script>/.exec(html)?.[1];
  // Without a built site the page is a note; the built pages are checked by browser-static.
  if (block) assert.equal((JSON.parse(block) as PublicConfig).nudityFilter, api.nudityFilter);
  assert.is(api.nudityFilter.consecutiveFrames, 5);
});

test('out-of-range settings are refused with the key named', () => {
  for (const [settings, key] of [
    [{ nudityFilter: { thresholds: { porn: 0 } } }, 'nudityFilter.thresholds.porn'],
    [{ nudityFilter: { thresholds: { sexy: 1.5 } } }, 'nudityFilter.thresholds.sexy'],
    [{ nudityFilter: { consecutiveFrames: 0 } }, 'nudityFilter.consecutiveFrames'],
    [{ nudityFilter: { intervalMs: 100 } }, 'nudityFilter.intervalMs'],
    [{ nudityFilter: { blurEverything: true } }, 'nudityFilter'],
  ] as const) {
    try {
      makeConfig({ settings });
      assert.unreachable(`${key} accepted`);
    } catch (error) {
      assert.instance(error, ConfigError);
      assert.ok((error as ConfigError).keys.includes(key), `${key}: ${(error as ConfigError).keys.join(', ')}`);
    }
  }
});

test("welcome tells the page the person's band", async () => {
  const server = await newServer({});
  servers.push(server);
  const minor = await join(server.url, { address: '203.0.113.50', age: 15 });
  const adult = await join(server.url, { address: '203.0.113.51', age: 30 });
  assert.is(minor.welcome.band, 'minor');
  assert.is(adult.welcome.band, 'adult');
  minor.close();
  adult.close();
});

test.run();
