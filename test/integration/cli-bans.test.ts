// `strangerchat ban …` in-process on a real instance: batches with their tally and exit codes (2 for
// a bad target or duration before anything is written, 6 for a partly failed batch), the audit
// entries as cli:<os user>, check/list/export/import, and a ban typed while the server runs
// disconnecting the person within 2 s.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { connect, type TestClient } from '../helpers/client.ts';
import { deviceOf, trySession } from '../helpers/bans.ts';
import { pairUp } from '../helpers/people.ts';
import { newInstance, until, type TestInstance } from '../helpers/cli-instance.ts';

const DEVICE = '0b7e6c1a-4a8e-4c36-9d0e-5f1f2b3c4d5e';
const DAY_MS = 86_400_000;
let instance: TestInstance;

test.before.each(async () => {
  instance = await newInstance('strangerchat-bans-');
});
test.after.each(() => instance.remove());

const bans = () => instance.rows<{ id: string; target_kind: string; target: string; lifted_at: number | null; expires_at: number | null; created_by: string }>('SELECT * FROM bans ORDER BY created_at, target');

test('ban add bans several targets at once, audited as cli:<os user>, and skips what is already banned as long', async () => {
  const added = await instance.cli(['ban', 'add', '203.0.113.7', '198.51.100.0/24', `device:${DEVICE}`, '--reason', 'spam', '--duration', '7d', '--json'], { osUser: 'ops' });
  assert.is(added.code, 0, added.stderr);
  const result = added.json();
  assert.equal([result.added, result.skipped, result.failed], [3, 0, 0]);
  assert.equal(result.results.map((r: { input: string; status: string; ban: { targetKind: string } }) => [r.input, r.status, r.ban.targetKind]), [
    ['203.0.113.7', 'added', 'ip'],
    ['198.51.100.0/24', 'added', 'cidr'],
    [`device:${DEVICE}`, 'added', 'device'],
  ]);
  const first = result.results[0].ban;
  assert.is(first.expiresAt - first.createdAt, 7 * DAY_MS);
  assert.is(first.status, 'active');
  assert.is(first.severity, 'no_access');
  assert.is(first.createdBy, 'cli:ops');
  assert.is(bans().length, 3);
  const entries = instance.audit().filter((e) => e.action === 'ban.add');
  assert.equal(
    entries.map((e) => [e.actor, e.target, e.reason]),
    [
      ['cli:ops', 'ip:203.0.113.7', 'spam'],
      ['cli:ops', 'cidr:198.51.100.0/24', 'spam'],
      ['cli:ops', `device:${DEVICE}`, 'spam'],
    ],
  );

  // A shorter ban on the same targets adds nothing; a longer one does.
  const again = await instance.cli(['ban', 'add', '203.0.113.7', '198.51.100.0/24', '--reason', 'spam', '--duration', '1d']);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /^added 0, skipped 2, failed 0$/m);
  assert.match(again.stdout, /skipped\s+\S+\s+203\.0\.113\.7 .*\(already banned\)/);
  const milder = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'spam again', '--duration', '1d', '--severity', 'no_matching']);
  assert.match(milder.stdout, /^added 0, skipped 1, failed 0$/m, 'a no_access ban covers a no_matching one that ends sooner');
  const permanent = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'spam again', '--permanent', '--json']);
  assert.is(permanent.json().added, 1);
  assert.is(permanent.json().results[0].ban.expiresAt, null);
  assert.is(bans().length, 4);
});

test('a bad target, duration or missing reason exits 2 and bans nobody', async () => {
  const badTarget = await instance.cli(['ban', 'add', '203.0.113.7', 'not-an-address', '--reason', 'spam']);
  assert.is(badTarget.code, 2);
  assert.match(badTarget.stderr, /"not-an-address" is not an IP address, CIDR range, device:<id> or identity:<hash>/);
  const tooWide = await instance.cli(['ban', 'add', '0.0.0.0/0', '--reason', 'spam']);
  assert.is(tooWide.code, 2);
  assert.match(tooWide.stderr, /covers too much of the Internet/);
  const badDuration = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'spam', '--duration', '7x']);
  assert.is(badDuration.code, 2);
  assert.match(badDuration.stderr, /--duration: "7x" is not a duration/);
  const zero = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'spam', '--duration', '0m']);
  assert.is(zero.code, 2);
  const noReason = await instance.cli(['ban', 'add', '203.0.113.7']);
  assert.is(noReason.code, 2);
  assert.match(noReason.stderr, /--reason/);
  const nothing = await instance.cli(['ban', 'add', '--reason', 'spam']);
  assert.is(nothing.code, 2);
  const badCheck = await instance.cli(['ban', 'check', 'somebody']);
  assert.is(badCheck.code, 2);
  assert.is(bans().length, 0);
  assert.is(instance.audit().filter((e) => e.action.startsWith('ban.')).length, 0);
});

test('ban list filters by status; ban remove lifts (kept on record), skips what is lifted, and a partly failed batch exits 6', async () => {
  const added = (await instance.cli(['ban', 'add', '203.0.113.7', '203.0.113.8', '--reason', 'spam', '--permanent', '--json'])).json();
  const [one, two] = added.results.map((r: { ban: { id: string } }) => r.ban.id);
  // A ban whose time ran out, as if added long ago.
  const db = new DatabaseSync(join(instance.dir, 'data', 'strangerchat.db'));
  db.prepare(`INSERT INTO bans (id, target_kind, target, reason, severity, note, created_by, created_at, expires_at, lifted_at, lifted_by, report_id, quarantine)
    VALUES ('11111111-2222-4333-8444-555555555555', 'ip', '192.0.2.1', 'old', 'no_access', NULL, 'cli:old', 1000, 2000, NULL, NULL, NULL, 0)`).run();
  db.close();

  const listed = await instance.cli(['ban', 'list', '--json']);
  assert.is(listed.code, 0);
  assert.equal(listed.json().bans.map((b: { target: string }) => b.target).sort(), ['203.0.113.7', '203.0.113.8']);
  assert.equal((await instance.cli(['ban', 'list', '--expired', '--json'])).json().bans.map((b: { target: string; status: string }) => [b.target, b.status]), [['192.0.2.1', 'expired']]);
  assert.is((await instance.cli(['ban', 'list', '--active', '--lifted'])).code, 2);

  // A unique prefix names a ban, as the table shows it.
  const removed = await instance.cli(['ban', 'remove', one.slice(0, 8), 'ffffffff', '--reason', 'appeal accepted']);
  assert.is(removed.code, 6, removed.stderr);
  assert.match(removed.stdout, /^removed 1, skipped 0, failed 1$/m);
  assert.match(removed.stderr, /failed ffffffff: no ban has an id starting with ffffffff/);
  const lifted = bans().find((b) => b.id === one)!;
  assert.ok(lifted.lifted_at, 'the lifted ban stays on record');
  const liftEntry = instance.audit().find((e) => e.action === 'ban.lift')!;
  assert.equal([liftEntry.actor, liftEntry.target, liftEntry.reason], ['cli:tester', 'ip:203.0.113.7', 'appeal accepted']);
  assert.equal((await instance.cli(['ban', 'list', '--lifted', '--json'])).json().bans.map((b: { id: string }) => b.id), [one]);

  const skipped = await instance.cli(['ban', 'remove', one, two, '--json']);
  assert.is(skipped.code, 0, skipped.stderr);
  assert.equal([skipped.json().removed, skipped.json().skipped, skipped.json().failed], [1, 1, 0]);
  const allFailed = await instance.cli(['ban', 'remove', 'ffffffff']);
  assert.is(allFailed.code, 1);
  assert.match(allFailed.stdout, /removed 0, skipped 0, failed 1/);
  const malformed = await instance.cli(['ban', 'remove', 'ffffffff', 'not-an-id!']);
  assert.is(malformed.code, 2, 'a malformed id is a usage error: nothing is tried');
  assert.match(malformed.stderr, /"not-an-id!" is not a ban id/);
});

test('a ban that could lock the instance out is refused without --force (exit 2, nothing written), naming the risk', async () => {
  const refused = async (target: string, risk: RegExp, code: string) => {
    const result = await instance.cli(['ban', 'add', target, '--reason', 'x', '--permanent', '--json']);
    assert.is(result.code, 2, `${target}: ${result.stderr}`);
    assert.is(result.json().error.code, 'lockout_risk');
    assert.match(result.json().error.message, risk, target);
    assert.match(result.stderr, /Pass --force if that is really meant/);
    assert.ok(code);
  };
  await refused('127.0.0.1', /127\.0\.0\.1 covers loopback/, 'loopback');
  await refused('::1', /covers loopback/, 'loopback');
  await refused('127.0.0.0/24', /covers loopback/, 'loopback');
  await refused('10.20.30.40', /private or carrier-grade NAT address and no trusted proxy is configured/, 'private_range');
  await refused('100.64.1.2', /carrier-grade NAT/, 'private_range');
  await refused('198.51.0.0/15', /wider than a \/16/, 'wide_range');
  await refused('2001:db8::/31', /wider than a \/32/, 'wide_range');
  // Two batches in one: a risky target stops the whole batch before anything is written.
  const mixed = await instance.cli(['ban', 'add', '203.0.113.7', '127.0.0.1', '--reason', 'x', '--permanent']);
  assert.is(mixed.code, 2);
  assert.is(bans().length, 0, 'nothing was banned');

  // The instance's own settings decide: its trusted proxies, and its listening address.
  assert.is((await instance.cli(['config', 'set', 'trustedProxies', '["203.0.113.0/28"]'])).code, 0);
  assert.is((await instance.cli(['config', 'set', 'server.host', '198.51.100.80'])).code, 0);
  await refused('203.0.113.0/24', /covers the trusted proxy 203\.0\.113\.0\/28: everyone who arrives through it would be banned/, 'trusted_proxy');
  await refused('198.51.100.80', /covers this server's own address 198\.51\.100\.80/, 'own_address');
  const privateNow = await instance.cli(['ban', 'add', '10.20.30.40', '100.0.0.0/16', '2001:db8::/32', '--reason', 'x', '--permanent', '--json']);
  assert.is(privateNow.code, 0, `with a trusted proxy, a private address is a person's; /16 and /32 are allowed: ${privateNow.stderr}`);
  assert.is(privateNow.json().added, 3);

  const forced = await instance.cli(['ban', 'add', '127.0.0.1', '--reason', 'testing the proxy', '--permanent', '--force', '--json']);
  assert.is(forced.code, 0, forced.stderr);
  assert.is(forced.json().added, 1);
  assert.match(forced.stderr, /warning --force: 127\.0\.0\.1 covers loopback/);
  assert.is(bans().filter((b) => b.target === '127.0.0.1').length, 1);
  const tooWideEvenForced = await instance.cli(['ban', 'add', '10.0.0.0/7', '--reason', 'x', '--permanent', '--force']);
  assert.is(tooWideEvenForced.code, 2, 'the hard limit (/8) stays');
});

test('on a terminal a risky ban is confirmed naming its risk (default no; --yes does not confirm it) and the duration is asked', async () => {
  const declined = await instance.cli(['ban', 'add', '127.0.0.1', '--reason', 'x'], { tty: true, answers: { anyway: false } });
  assert.is(declined.code, 1);
  assert.match(declined.asked[0]!, /^127\.0\.0\.1 covers loopback: a reverse proxy on this machine, and everyone it forwards, would be banned\. Ban 127\.0\.0\.1 anyway\?$/);
  assert.match(declined.stderr, /nothing was banned/);
  const withYes = await instance.cli(['ban', 'add', '127.0.0.1', '--reason', 'x', '--permanent', '--yes'], { tty: true, answers: {} });
  assert.is(withYes.code, 2, '--yes takes the default answer, which is no');
  assert.is(bans().length, 0);

  const confirmed = await instance.cli(['ban', 'add', '127.0.0.1', '--reason', 'x', '--json'], { tty: true, answers: { anyway: true, 'How long': '7d' } });
  assert.is(confirmed.code, 0, confirmed.stderr);
  assert.equal(confirmed.asked.map((q) => /Ban 127\.0\.0\.1 anyway\?|How long should the ban last\?/.exec(q)?.[0]), ['Ban 127.0.0.1 anyway?', 'How long should the ban last?']);
  const ban = confirmed.json().results[0].ban;
  assert.is(ban.expiresAt - ban.createdAt, 7 * DAY_MS);
  const other = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'x', '--json'], { tty: true, answers: { 'How long': 'other', Duration: '1d12h' } });
  assert.is(other.code, 0, other.stderr);
  assert.is(other.json().results[0].ban.expiresAt - other.json().results[0].ban.createdAt, 36 * 3_600_000);
  const permanent = await instance.cli(['ban', 'add', '203.0.113.8', '--reason', 'x', '--json'], { tty: true, answers: { 'How long': 'permanent' } });
  assert.is(permanent.json().results[0].ban.expiresAt, null);
});

test('a ban with no --duration nor --permanent exits 2 when nobody can be asked, naming both flags', async () => {
  const noTerminal = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'x']);
  assert.is(noTerminal.code, 2);
  assert.match(noTerminal.stderr, /missing --duration \(no terminal to ask; pass --duration \(30m, 12h, 7d, 2w\) or --permanent\)/);
  const noInput = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'x', '--no-input'], { tty: true, answers: {} });
  assert.is(noInput.code, 2);
  assert.match(noInput.stderr, /missing --duration \(with --no-input nothing is asked/);
  assert.equal(noInput.asked, []);
  const both = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'x', '--duration', '7d', '--permanent']);
  assert.is(both.code, 2);
  assert.match(both.stderr, /give --duration or --permanent, not both/);
  assert.is(bans().length, 0);
  const typed = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'x', '--duration', 'permanent', '--json']);
  assert.is(typed.json().results[0].ban.expiresAt, null, '--duration permanent still means permanent');
});

test('ban remove takes what ban add took: an address (an IPv6 one as its /64), a range, a device; a covered address names the covering ban', async () => {
  const added = await instance.cli(['ban', 'add', '203.0.113.7', '198.51.100.0/24', '2001:db8::1', `device:${DEVICE}`, '--reason', 'spam', '--permanent', '--json']);
  assert.is(added.code, 0, added.stderr);
  // A second, milder ban on the same address: removing the address lifts both.
  const milder = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'again', '--severity', 'no_matching', '--duration', '30d']);
  assert.is(milder.code, 0);
  const before = bans().filter((b) => b.target === '203.0.113.7');
  assert.is(before.length, 1, 'a no_access permanent ban covers the milder one');

  const removed = await instance.cli(['ban', 'remove', '203.0.113.7', '198.51.100.0/24', '2001:db8::5', `device:${DEVICE}`, '--reason', 'appeal accepted', '--json']);
  assert.is(removed.code, 0, removed.stderr);
  assert.equal([removed.json().removed, removed.json().skipped, removed.json().failed], [4, 0, 0]);
  assert.equal(removed.json().results.map((r: { input: string; ban: { target: string } }) => [r.input, r.ban.target]), [
    ['203.0.113.7', '203.0.113.7'],
    ['198.51.100.0/24', '198.51.100.0/24'],
    ['2001:db8::5', '2001:db8::/64'],
    [`device:${DEVICE}`, DEVICE],
  ]);
  assert.ok(bans().every((b) => b.lifted_at !== null), 'every one is lifted, and kept on record');
  assert.equal(instance.audit().filter((e) => e.action === 'ban.lift').map((e) => [e.target, e.reason]), [
    ['ip:203.0.113.7', 'appeal accepted'],
    ['cidr:198.51.100.0/24', 'appeal accepted'],
    ['ip:2001:db8::/64', 'appeal accepted'],
    [`device:${DEVICE}`, 'appeal accepted'],
  ]);
  const again = await instance.cli(['ban', 'remove', '203.0.113.7']);
  assert.is(again.code, 0);
  assert.match(again.stdout, /^removed 0, skipped 1, failed 0$/m);
  assert.match(again.stdout, /already lifted/);

  // (Test addresses are chosen to be no test machine's own: 192.0.2.0/24 sometimes is.)
  assert.is((await instance.cli(['ban', 'add', '198.51.100.128/25', '--reason', 'raid', '--permanent'])).code, 0);
  const covered = await instance.cli(['ban', 'remove', '198.51.100.200']);
  assert.is(covered.code, 1);
  assert.match(covered.stderr, /no ban on 198\.51\.100\.200 itself; it is covered by [0-9a-f]{8} \(198\.51\.100\.128\/25\): remove that by its id/);
  const nothing = await instance.cli(['ban', 'remove', '203.0.113.99']);
  assert.is(nothing.code, 1);
  assert.match(nothing.stderr, /no ban on 203\.0\.113\.99$/m);
  const malformed = await instance.cli(['ban', 'remove', '198.51.100.128/25', '999.1.1.1']);
  assert.is(malformed.code, 2, 'a target that does not parse is a usage error, before anything is lifted');
  assert.ok(bans().some((b) => b.target === '198.51.100.128/25' && b.lifted_at === null));
});

test('times are shown in the terminal\'s local time with the offset, or in UTC with --utc; --json keeps milliseconds', async () => {
  const added = await instance.cli(['ban', 'add', '203.0.113.7', '--reason', 'x', '--duration', '7d', '--json']);
  const { expiresAt } = added.json().results[0].ban;
  assert.type(expiresAt, 'number');
  const paris = await instance.cli(['ban', 'list'], { env: { TZ: 'Europe/Paris' } });
  const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(expiresAt).replace(',', '');
  assert.match(paris.stdout, new RegExp(`${local} \\+0[12]:00`), paris.stdout);
  const utc = await instance.cli(['ban', 'list', '--utc'], { env: { TZ: 'Europe/Paris' } });
  assert.ok(utc.stdout.includes(new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, '').replace('.000Z', '')), utc.stdout);
  assert.match(utc.stdout, /\d{2}:\d{2}:\d{2}(\.\d{3})?Z/);
});

test('ban check names the ban that matches and why; an unbanned subject matches nothing', async () => {
  await instance.cli(['ban', 'add', '198.51.100.0/24', '--reason', 'raid', '--duration', '2w']);
  await instance.cli(['ban', 'add', `device:${DEVICE}`, '--reason', 'harassment', '--severity', 'no_matching', '--permanent']);
  const inRange = await instance.cli(['ban', 'check', '198.51.100.42', '--json']);
  assert.is(inRange.code, 0, inRange.stderr);
  assert.is(inRange.json().banned, true);
  assert.equal(inRange.json().matches.map((m: { why: string; ban: { target: string } }) => [m.ban.target, m.why]), [['198.51.100.0/24', 'address 198.51.100.42 in 198.51.100.0/24']]);
  const human = await instance.cli(['ban', 'check', `device:${DEVICE}`]);
  assert.match(human.stdout, /is banned \(1 matching ban/);
  assert.match(human.stdout, /why: device 0b7e6c1a/);
  const clear = await instance.cli(['ban', 'check', '203.0.113.9', '--json']);
  assert.equal(clear.json(), { subject: '203.0.113.9', banned: false, matches: [] });
  assert.match((await instance.cli(['ban', 'check', '203.0.113.9'])).stdout, /no active ban matches 203\.0\.113\.9/);
});

test('ban import reads targets, comments and target,reason,duration lines; bad lines fail the batch partly (exit 6)', async () => {
  const file = join(instance.here, 'blocklist.txt');
  writeFileSync(
    file,
    [
      '# known spam sources',
      '203.0.113.7',
      '',
      '198.51.100.0/24,raid from this network,2w',
      '  203.0.113.9 , "links, again and again" , 1d',
      'not-a-target',
      '203.0.113.10,spam,7x',
      `device:${DEVICE},,30d`,
      '203.0.113.7',
    ].join('\n'),
  );
  const imported = await instance.cli(['ban', 'import', file, '--reason', 'imported', '--json']);
  assert.is(imported.code, 6, imported.stderr);
  const result = imported.json();
  assert.equal([result.added, result.skipped, result.failed], [4, 1, 2]);
  assert.match(imported.stderr, /failed line 6 \(not-a-target\): target: "not-a-target" is not an IP address/);
  assert.match(imported.stderr, /failed line 7 \(203\.0\.113\.10\): duration: "7x" is not a duration/);
  const byTarget = new Map(bans().map((b) => [b.target, b]));
  const rows = instance.rows<{ target: string; reason: string; expires_at: number | null; created_at: number }>('SELECT target, reason, expires_at, created_at FROM bans');
  const reasonOf = (target: string) => rows.find((r) => r.target === target)!;
  assert.is(reasonOf('203.0.113.7').reason, 'imported');
  assert.is(reasonOf('203.0.113.7').expires_at, null, 'the shared duration defaults to permanent');
  assert.is(reasonOf('198.51.100.0/24').reason, 'raid from this network');
  assert.is(reasonOf('198.51.100.0/24').expires_at! - reasonOf('198.51.100.0/24').created_at, 14 * DAY_MS);
  assert.is(reasonOf('203.0.113.9').reason, 'links, again and again');
  assert.is(reasonOf(DEVICE).reason, 'imported');
  assert.is(byTarget.size, 4);

  const human = await instance.cli(['ban', 'import', file, '--reason', 'imported']);
  assert.is(human.code, 6);
  assert.match(human.stdout, /^added 0, skipped 5, failed 2$/m);

  const noReason = join(instance.here, 'bare.txt');
  writeFileSync(noReason, '203.0.113.20\n');
  const failed = await instance.cli(['ban', 'import', noReason]);
  assert.is(failed.code, 1, 'every line failed');
  assert.match(failed.stderr, /no reason: give one on the line \(target,reason\) or with --reason/);
  writeFileSync(noReason, '# nothing\n\n');
  assert.is((await instance.cli(['ban', 'import', noReason, '--reason', 'x'])).code, 2);
  const fromStdin = await instance.cli(['ban', 'import', '-', '--reason', 'piped', '--json'], { stdin: '203.0.113.21\n203.0.113.22\n' });
  assert.is(fromStdin.json().added, 2);
});

test('ban export prints plain targets (re-importable), json, and nginx deny lines for no_access address bans only', async () => {
  await instance.cli(['ban', 'add', '203.0.113.7', '198.51.100.0/24', `device:${DEVICE}`, '--reason', 'spam', '--permanent']);
  await instance.cli(['ban', 'add', '203.0.113.50', '--reason', 'read-only', '--severity', 'no_matching', '--permanent']);
  const plain = await instance.cli(['ban', 'export']);
  assert.is(plain.code, 0);
  assert.equal(plain.stdout.trim().split('\n').sort(), ['198.51.100.0/24', '203.0.113.50', '203.0.113.7', `device:${DEVICE}`]);
  const nginx = await instance.cli(['ban', 'export', '--format', 'nginx']);
  const denies = nginx.stdout.split('\n').filter((line) => line.startsWith('deny'));
  assert.equal(denies.sort(), ['deny 198.51.100.0/24;', 'deny 203.0.113.7;']);
  const json = await instance.cli(['ban', 'export', '--format', 'json']);
  assert.is(JSON.parse(json.stdout).length, 4);

  // What plain export writes, another instance imports.
  const other = await newInstance('strangerchat-bans-other-');
  try {
    const file = join(other.here, 'bans.txt');
    writeFileSync(file, plain.stdout);
    const imported = await other.cli(['ban', 'import', file, '--reason', 'from the other instance']);
    assert.is(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /added 4, skipped 0, failed 0/);
  } finally {
    other.remove();
  }
});

test('a ban typed while the server runs disconnects the person within 2 s (banned, then 4403); lifting it lets them back', async () => {
  const server = await instance.start();
  const clients: TestClient[] = [];
  try {
    const a = await connect(server.url);
    const b = await connect(server.url);
    clients.push(a, b);
    await pairUp(a, b);
    const device = deviceOf(a.cookie);
    const added = await instance.cli(['ban', 'add', `device:${device}`, '--reason', 'test', '--permanent', '--json']);
    assert.is(added.code, 0, added.stderr);
    assert.match(added.stderr, /the running server \(pid \d+\) applies it within 2 s/);
    const banned = await a.next('banned', 2000);
    assert.is(banned.reason, 'test');
    assert.is(banned.until, null);
    assert.is(await a.waitClose(2000), 4403);
    const ended = await b.next('ended', 2000);
    assert.is(ended.reason, 'ban');
    assert.is((await trySession(server.url, a.cookie)).status, 403);

    const removed = await instance.cli(['ban', 'remove', added.json().results[0].ban.id]);
    assert.is(removed.code, 0, removed.stderr);
    await until('the lifted ban to reach the server', async () => ((await trySession(server.url, a.cookie)).status === 201 ? true : undefined), 2000);
  } finally {
    for (const client of clients) client.close();
    assert.is(await server.stop(), 0);
  }
});

test.run();
