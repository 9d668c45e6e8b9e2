// `strangerchat stats` on an instance the real server has counted: conversations by mode and a
// filtered message counted as they happened, sessions per day, a report; readable, --json, --csv,
// --transparency; and the table the server writes holds numbers only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pair } from '../helpers/client.ts';
import { newInstance, type TestInstance } from '../helpers/cli-instance.ts';

let instance: TestInstance;
test.before(async () => {
  instance = await newInstance('strangerchat-stats-');
  const path = join(instance.dir, 'strangerchat.json');
  writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), filters: { block: ['forbiddenword'] } }));
  const server = await instance.start();
  try {
    const [a, b] = await pair(server.url, 'text');
    a.send({ type: 'message', text: 'this has a forbiddenword in it' });
    assert.is((await a.next('error')).code, 'filtered');
    a.send({ type: 'report', reason: 'harassment' });
    await a.next('reported');
    const [c, d] = await pair(server.url, 'text');
    const [e, f] = await pair(server.url, 'video');
    for (const client of [a, b, c, d, e, f]) client.close();
  } finally {
    // The counts are written at the latest when the server stops.
    await server.stop();
  }
});
test.after(() => instance.remove());

test('stats --json: what the server counted today, and the report', async () => {
  const result = await instance.cli(['stats', '--json']);
  assert.is(result.code, 0, result.stderr);
  const stats = result.json();
  assert.is(stats.period.days, 31, '30 days back from now touch 31 UTC days');
  const today = stats.days.at(-1);
  assert.equal([today.sessions, today.conversations, today.textConversations, today.videoConversations, today.reports, today.filteredMessages], [6, 3, 2, 1, 1, 1]);
  assert.is(stats.filteredMessages.byReason.words, 1);
  assert.equal([stats.reports.total, stats.reports.byReason.harassment, stats.reports.byBand.adult, stats.reports.open], [1, 1, 1, 1]);
  assert.equal(stats.firstAction, { actedOn: 0, waiting: 1, medianMs: null, p90Ms: null });
  assert.equal(stats.usage.monthlyActiveDevices.length, 1);
  assert.is(stats.usage.monthlyActiveDevices[0].devices, 6, 'each test client is its own device');
});

test('the counts table holds days, metric names and numbers, nothing about a person', () => {
  const rows = instance.rows<{ day: string; metric: string; value: number }>('SELECT day, metric, value FROM daily_counts');
  assert.ok(rows.length > 0);
  for (const row of rows) {
    assert.match(row.day, /^\d{4}-\d{2}(-\d{2})?$/);
    assert.match(row.metric, /^(sessions|conversations\.(text|video)|filtered\.(words|email|phone|link|handle)|month\.active_devices)$/);
    assert.type(row.value, 'number');
  }
});

test('stats, readable: totals and the per-day table', async () => {
  const result = await instance.cli(['stats', '--since', '7d']);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /\(8 days, UTC\)/);
  assert.match(result.stdout, /conversations\s+3 \(text 2, video 1\)/);
  assert.match(result.stdout, /reports\s+1 \(open 1\)/);
  assert.match(result.stdout, /filtered\s+1 messages \(words 1,/);
  assert.match(result.stdout, /day\s+sessions\s+conversations\s+reports\s+bans\s+quarantines\s+filtered\n/);
});

test('stats --csv: one header and one row a day', async () => {
  const result = await instance.cli(['stats', '--since', '2d', '--csv']);
  assert.is(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.is(lines[0], 'day,sessions,conversations,text_conversations,video_conversations,reports,bans,quarantines,filtered_messages');
  assert.is(lines.length, 1 + 3);
  assert.match(lines.at(-1)!, /^\d{4}-\d{2}-\d{2},6,3,2,1,1,0,0,1$/);
});

test('stats --transparency: the DSA report, readable and as JSON', async () => {
  const text = await instance.cli(['stats', '--transparency']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Transparency report: chat\n/);
  for (const heading of ['Orders from Member States\' authorities (Art. 9 and 10)', 'Notices: reports filed by users', 'Complaints: appeals of bans (Art. 20)', 'Automated means (Art. 15(1)(e))', 'Average monthly active recipients (Art. 24(2))']) {
    assert.ok(text.stdout.includes(heading), heading);
  }
  assert.match(text.stdout, /1 notices: nudity 0, minor 0, harassment 1/);
  const json = await instance.cli(['stats', '--transparency', '--json']);
  const report = json.json();
  assert.equal([report.authorityOrders, report.outOfCourtDisputes, report.notices.total, report.ownInitiative.filteredMessages, report.averageMonthlyActiveRecipients], [null, null, 1, 1, 6]);
  const year = await instance.cli(['stats', '--transparency', '--year', String(new Date().getUTCFullYear()), '--json']);
  assert.is(year.json().period.from, Date.UTC(new Date().getUTCFullYear(), 0, 1));
});

test('usage errors exit 2', async () => {
  for (const args of [['--csv', '--json'], ['--year', '2026'], ['--transparency', '--csv'], ['--transparency', '--year', '26'], ['--since', '1d', '--until', '2d']]) {
    const result = await instance.cli(['stats', ...args]);
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
  }
  assert.match((await instance.cli(['stats', '--help'])).stdout, /Examples:\n\s+\$ strangerchat stats/);
});

test.run();
