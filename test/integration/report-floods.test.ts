// Report floods and fabricated reports against the real server: reports are capped per browser
// (across its tabs) and per address (an IPv6 /64, across its browsers), not only per connection;
// two sessions on one network reporting each other are flagged and do not count toward the
// automatic quarantine; and a quarantine written by another process holds at the very next
// `find` or `next`, not only when the moderation feed is next read (here: once an hour).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newServer, type TestServer } from '../helpers/server.ts';
import { createModerator, loginModerator } from '../helpers/moderators.ts';
import { deviceOf, join, pairUp, report, reportedBy, type Person } from '../helpers/people.ts';
import { auditOf } from '../helpers/audit.ts';
import { BanService } from '../../server/moderation/bans.ts';
import { QUARANTINE_ACTOR, QUARANTINE_REASON } from '../../server/moderation/quarantine.ts';
import { CloseCode } from '../../server/protocol/close-codes.ts';

const QUIET_MS = 500;
const HOUR_MS = 3600_000;

const servers: TestServer[] = [];
const online: Person[] = [];
test.after.each(async () => {
  for (const person of online.splice(0)) person.close();
  for (const server of servers.splice(0)) await server.stop();
});

async function start(settings: Record<string, unknown>, feedIntervalMs?: number): Promise<TestServer> {
  const server = await newServer({ trustedProxies: ['127.0.0.1'], ...settings }, feedIntervalMs ? { feedIntervalMs } : {});
  servers.push(server);
  return server;
}

async function person(server: TestServer, address: string, cookie?: string): Promise<Person> {
  const joined = await join(server.url, { address, ...(cookie ? { cookie } : {}) });
  online.push(joined);
  return joined;
}

/** Sends a report and returns the error code it got (undefined: it was filed). */
async function reportCode(who: Person): Promise<string | undefined> {
  who.send({ type: 'report', reason: 'spam' });
  const deadline = Date.now() + 3000;
  for (;;) {
    const answer = who.inbox.find((m) => m.type === 'error' || m.type === 'reported');
    if (answer) {
      who.inbox.splice(0, who.inbox.indexOf(answer) + 1);
      return answer.type === 'error' ? answer.code : undefined;
    }
    if (Date.now() > deadline) throw new Error(`no answer to the report; inbox: ${JSON.stringify(who.inbox)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("reports are capped per browser across its tabs: the cap holds on a tab that never reported", async () => {
  const server = await start({ rateLimits: { reportsPer10Minutes: 10, reportsPer10MinutesPerDevice: 3, reportsPer10MinutesPerAddress: 100 } });
  const first = await person(server, '198.51.100.60');
  const tabs = [first, await person(server, '198.51.100.60', first.cookie), await person(server, '198.51.100.60', first.cookie)];
  assert.is(await reportCode(tabs[0]!), 'nothing_to_report');
  assert.is(await reportCode(tabs[0]!), 'nothing_to_report');
  assert.is(await reportCode(tabs[1]!), 'nothing_to_report');
  // The third tab is in a real conversation: its report is refused, and the conversation goes on.
  const victim = await person(server, '203.0.113.60');
  await pairUp(tabs[2]!, victim);
  assert.is(await reportCode(tabs[2]!), 'rate_limited');
  await victim.none('ended', QUIET_MS);
  tabs[2]!.send({ type: 'message', text: 'still here' });
  assert.is((await victim.next('message')).text, 'still here');
  assert.equal(await server.db.selectFrom('reports').select('id').execute(), []);
  // Another browser on the same address has its own allowance.
  const sibling = await person(server, '198.51.100.60');
  assert.is(await reportCode(sibling), 'nothing_to_report');
});

test('reports are capped per address, an IPv6 /64 across its browsers; the next /64 is another address', async () => {
  const server = await start({ rateLimits: { reportsPer10MinutesPerDevice: 10, reportsPer10MinutesPerAddress: 4 } });
  const codes: Array<string | undefined> = [];
  for (let i = 1; i <= 5; i++) codes.push(await reportCode(await person(server, `2001:db8:5:5::${i}`)));
  assert.equal(codes, ['nothing_to_report', 'nothing_to_report', 'nothing_to_report', 'nothing_to_report', 'rate_limited']);
  assert.is(await reportCode(await person(server, '2001:db8:5:6::1')), 'nothing_to_report');
});

test('two sessions on one network reporting each other are flagged and do not count toward quarantine', async () => {
  const server = await start({ moderation: { quarantineReporters: 2, quarantineWindowMinutes: 60 } });
  const target = await person(server, '198.51.100.70');
  // A second browser on the target's own address: the two report each other.
  const sockPuppet = await person(server, '198.51.100.70');
  await pairUp(target, sockPuppet);
  await report(sockPuppet);
  await target.next('ended');
  // Within the grace period, the conversation that just ended.
  assert.is(await reportCode(target), undefined, 'filed');
  const flags = await server.db.selectFrom('reports').select(['same_network']).execute();
  assert.equal(flags.map((f) => f.same_network), [1, 1], 'both reports flagged');

  // One reporter from elsewhere: with the flagged report counted, that would make two.
  await reportedBy(target, await person(server, '203.0.113.70'));
  await target.none('banned', QUIET_MS);
  assert.is(target.closeCode, undefined, 'not quarantined by one person on its own network');

  // A second independent reporter does it.
  await reportedBy(target, await person(server, '192.0.2.70'));
  assert.equal(await target.next('banned', 2000), { type: 'banned', reason: QUARANTINE_REASON, until: null });

  await createModerator(server, 'mona', 'moderator');
  const mona = await loginModerator(server, 'mona');
  const listed = (await (await mona.request('/api/mod/reports?status=all')).json()) as { reports: Array<{ sameNetwork: boolean }> };
  assert.equal(listed.reports.map((r) => r.sameNetwork).sort(), [false, false, true, true], 'moderators see the flag');
});

/** A quarantine as the automatic one writes it, from another process (the CLI, another node). */
async function quarantineFromElsewhere(server: TestServer, who: Person): Promise<void> {
  const db = await server.openSecondDb();
  const bans = new BanService({ db, audit: auditOf(server, db), now: Date.now });
  await bans.add({ target: { kind: 'device', target: deviceOf(who.cookie) }, reason: QUARANTINE_REASON, severity: 'no_matching', quarantine: true }, QUARANTINE_ACTOR);
}

test('a quarantine written by another process holds at the very next find, though the feed is read once an hour', async () => {
  const server = await start({}, HOUR_MS);
  const waiting = await person(server, '203.0.113.80');
  waiting.send({ type: 'find', mode: 'text' });
  await waiting.next('queued');
  const target = await person(server, '198.51.100.80');
  await quarantineFromElsewhere(server, target);
  target.send({ type: 'find', mode: 'text' });
  assert.equal(await target.next('banned'), { type: 'banned', reason: QUARANTINE_REASON, until: null });
  assert.is(await target.waitClose(), CloseCode.Banned);
  await waiting.none('matched', QUIET_MS);
  // The person waiting is pairable: someone else is matched with them at once.
  const other = await person(server, '192.0.2.80');
  other.send({ type: 'find', mode: 'text' });
  await Promise.all([waiting.next('matched'), other.next('matched')]);
});

test('and at the very next `next`: the conversation ends for a ban, and no new one starts', async () => {
  const server = await start({}, HOUR_MS);
  const target = await person(server, '198.51.100.81');
  const partner = await person(server, '203.0.113.81');
  await pairUp(target, partner);
  const waiting = await person(server, '192.0.2.81');
  waiting.send({ type: 'find', mode: 'text' });
  await waiting.next('queued');
  await quarantineFromElsewhere(server, target);
  target.send({ type: 'next' });
  assert.equal(await partner.next('ended'), { type: 'ended', by: 'system', reason: 'ban' });
  assert.is((await target.next('banned')).reason, QUARANTINE_REASON);
  assert.is(await target.waitClose(), CloseCode.Banned);
  await waiting.none('matched', QUIET_MS);
});

test.run();
