// The instance's log file and `strangerchat logs`: `start` writes JSON lines to data/logs
// (rotated by size, server/log-file.ts) as well as the terminal, readable on a
// TTY; `logs` reads them back across rotations, filtered by -n, --level and --since, readable or
// as JSON lines, and -f follows new lines and rotations until Ctrl-C.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { logs } from '../../cli/commands/logs.ts';
import { createInstanceLogger } from '../../server/logger.ts';
import { fakeContext, runCli, startInProcess } from '../helpers/cli.ts';
import { pair } from '../helpers/client.ts';
import { newInstance, until, type TestInstance } from '../helpers/cli-instance.ts';

let instance: TestInstance;
test.before.each(async () => {
  instance = await newInstance('strangerchat-logs-');
});
test.after.each(() => instance.remove());

const logsDir = () => join(instance.dir, 'data', 'logs');
const ESC = '\u001b[';

function setSettings(change: (settings: Record<string, any>) => void): void {
  const path = join(instance.dir, 'strangerchat.json');
  const settings = JSON.parse(readFileSync(path, 'utf8'));
  change(settings);
  writeFileSync(path, JSON.stringify(settings, null, 2));
}

function line(time: number, level: number, msg: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ level, time, service: 'strangerchat', ...extra, msg })}\n`;
}

test('start writes its log to data/logs as JSON lines; a conversation leaves no chat text there', async () => {
  const started = await instance.start();
  try {
    const [a, b] = await pair(started.url);
    a.send({ type: 'message', text: 'the secret words 4711' });
    await b.next('message');
    a.close();
    b.close();
  } finally {
    assert.is(await started.stop(), 0);
  }
  const files = readdirSync(logsDir());
  assert.equal(files, ['strangerchat.1.log']);
  const text = readFileSync(join(logsDir(), files[0]!), 'utf8');
  const entries = text.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: number });
  assert.ok(entries.some((e) => e.msg === 'listening'), text);
  assert.ok(entries.some((e) => e.msg === 'stopped'), 'the last lines are flushed before start returns');
  assert.not.ok(text.includes('the secret words'), 'no chat text in the log file');
});

test('logs prints the last lines readably; --json prints them as JSON lines; -n limits them', async () => {
  const started = await instance.start();
  try {
    await until('the log file', () => (existsSync(join(logsDir(), 'strangerchat.1.log')) && readFileSync(join(logsDir(), 'strangerchat.1.log'), 'utf8').includes('bans and reported pairs loaded') ? true : undefined));
    const human = await instance.cli(['logs']);
    assert.is(human.code, 0, human.stderr);
    assert.match(human.stdout, /INFO.*: listening\n\s+url: "http:\/\/127\.0\.0\.1:\d+"/);
    assert.not.match(human.stdout, /"level":/, 'pretty, not JSON');
    assert.not.ok(human.stdout.includes(ESC), 'no colours when stdout is not a terminal');
    const json = await instance.cli(['logs', '-n', '2', '--json']);
    assert.is(json.code, 0, json.stderr);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    assert.equal(lines.map((l) => l.msg), ['listening', 'bans and reported pairs loaded']);
  } finally {
    await started.stop();
  }
});

test('logs reads across rotated files, oldest first, and filters by --level and --since', async () => {
  mkdirSync(logsDir(), { recursive: true });
  const t0 = Date.parse('2026-11-28T10:00:00Z');
  writeFileSync(join(logsDir(), 'strangerchat.1.log'), line(t0, 30, 'one') + line(t0 + 1000, 50, 'two failed'));
  writeFileSync(join(logsDir(), 'strangerchat.2.log'), line(t0 + 2000, 40, 'three warned') + line(t0 + 3000, 30, 'four'));
  // A file the log did not write is not read.
  writeFileSync(join(logsDir(), 'other.log'), line(t0, 60, 'not ours'));
  const msgs = async (...args: string[]) => {
    const result = await instance.cli(['logs', '--json', ...args]);
    assert.is(result.code, 0, result.stderr);
    return result.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
  };
  assert.equal(await msgs(), ['one', 'two failed', 'three warned', 'four']);
  assert.equal(await msgs('-n', '3'), ['two failed', 'three warned', 'four']);
  assert.equal(await msgs('--level', 'warn'), ['two failed', 'three warned']);
  assert.equal(await msgs('--level', 'warn', '-n', '1'), ['three warned']);
  assert.equal(await msgs('--since', '2026-11-28T10:00:02Z'), ['three warned', 'four']);
  const bad = await instance.cli(['logs', '--level', 'loud']);
  assert.is(bad.code, 2);
  const badSince = await instance.cli(['logs', '--since', 'yesterday']);
  assert.is(badSince.code, 2);
  assert.match(badSince.stderr, /--since/);
});

test('the file is rotated by size and only log.filesKept rotated files are kept', async () => {
  const base = join(logsDir(), 'strangerchat.log');
  const { logger, close } = createInstanceLogger({ level: 'info', file: { path: base, maxMegabytes: 1, keep: 2 } });
  // Once the file is open (lines logged before it is ready reach the file in one write).
  logger.info('first');
  await until('the first line in the file', () => (existsSync(join(logsDir(), 'strangerchat.1.log')) ? true : undefined));
  const padding = 'x'.repeat(1000);
  // As a server logs: a little at a time (a file is rotated between writes, not within one).
  for (let i = 0; i < 4000; i++) {
    logger.info({ i, padding }, 'filler');
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
  }
  await close();
  const files = readdirSync(logsDir()).sort();
  assert.ok(files.length === 3, `the current file and 2 rotated ones: ${files.join(', ')}`);
  for (const name of files) {
    assert.match(name, /^strangerchat\.\d+\.log$/);
    // A file is rotated after the write that takes it past 1 MiB: one burst over at most.
    const size = statSync(join(logsDir(), name)).size;
    assert.ok(size < 2 * 1024 * 1024, `${name} holds ${size} bytes: it was rotated near 1 MiB`);
  }
  const result = await instance.cli(['logs', '--json', '-n', '1000000']);
  const numbers = result.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { i?: number }).i)
    .filter((i) => i !== undefined);
  assert.is(numbers.at(-1), 3999, 'the newest line is last');
  assert.ok(numbers.every((n, k) => k === 0 || n === numbers[k - 1]! + 1), 'the kept files read in order, with no gap or repeat');
});

test('a smaller log.filesKept removes the oldest files at start; the newest file is continued', async () => {
  mkdirSync(logsDir(), { recursive: true });
  for (let n = 1; n <= 5; n++) writeFileSync(join(logsDir(), `strangerchat.${n}.log`), line(Date.now(), 30, `file ${n}`));
  writeFileSync(join(logsDir(), 'notes.txt'), 'not a log file');
  const { logger, close } = createInstanceLogger({ level: 'info', file: { path: join(logsDir(), 'strangerchat.log'), maxMegabytes: 1, keep: 2 } });
  logger.info('continued');
  await close();
  await until('the old files removed', () => (readdirSync(logsDir()).length === 4 ? true : undefined));
  assert.equal(readdirSync(logsDir()).sort(), ['notes.txt', 'strangerchat.3.log', 'strangerchat.4.log', 'strangerchat.5.log']);
  const newest = readFileSync(join(logsDir(), 'strangerchat.5.log'), 'utf8').trim().split('\n');
  assert.equal(newest.map((l) => (JSON.parse(l) as { msg: string }).msg), ['file 5', 'continued']);
});

test('a process that exits without closing the log loses none of its last lines', async () => {
  // The crash path: process.exit() right after a burst, with the file's writes still in flight.
  const script = [
    `import { createInstanceLogger } from ${JSON.stringify(new URL('../../server/logger.ts', import.meta.url).href)};`,
    `const { logger } = createInstanceLogger({ level: 'info', file: { path: ${JSON.stringify(join(logsDir(), 'strangerchat.log'))}, maxMegabytes: 64, keep: 2 } });`,
    `for (let i = 0; i < 5000; i++) logger.info({ i }, 'burst');`,
    `setImmediate(() => { logger.fatal('last words'); process.exit(1); });`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(child.status, 1, child.stderr);
  const msgs = readFileSync(join(logsDir(), 'strangerchat.1.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; i?: number });
  // A write already in flight at exit lands after the synchronous flush: every line once, but
  // not always in order.
  assert.is(msgs.length, 5001);
  assert.equal([...new Set(msgs.map((m) => m.i ?? -1))].sort((a, b) => a - b), [-1, ...Array.from({ length: 5000 }, (_, k) => k)]);
  assert.ok(msgs.some((m) => m.msg === 'last words'));
});

test('a log with neither terminal nor file (--quiet, log.file off) writes nothing, not even to stdout', () => {
  const script = [
    `import { createInstanceLogger } from ${JSON.stringify(new URL('../../server/logger.ts', import.meta.url).href)};`,
    `const { logger, close } = createInstanceLogger({ level: 'info' });`,
    `logger.info('nowhere');`,
    `await close();`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.is(child.status, 0, child.stderr);
  assert.is(child.stdout, '', 'stdout is for results');
});

test('logs -f prints new lines as they are written, follows a rotation, and exits 0 on Ctrl-C', async () => {
  mkdirSync(logsDir(), { recursive: true });
  const first = join(logsDir(), 'strangerchat.1.log');
  writeFileSync(first, line(Date.now(), 30, 'before'));
  const fake = fakeContext({ cwd: instance.here });
  const running = logs(fake.ctx, { dir: instance.dir, follow: true, json: true }, { pollIntervalMs: 20 });
  const seen = (msg: string) => until(`"${msg}" on stdout`, () => (fake.stdout().includes(`"msg":"${msg}"`) ? true : undefined));
  await seen('before');
  // Half a line, then the rest: printed once, whole.
  const later = line(Date.now(), 30, 'appended');
  appendFileSync(first, later.slice(0, 20));
  await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(fake.stdout().includes('appended'));
  appendFileSync(first, later.slice(20));
  await seen('appended');
  writeFileSync(join(logsDir(), 'strangerchat.2.log'), line(Date.now(), 40, 'after the rotation'));
  await seen('after the rotation');
  fake.signal('SIGINT');
  await running;
  const msgs = fake.stdout().trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
  assert.equal(msgs, ['before', 'appended', 'after the rotation']);
});

test('start on a terminal prints readable lines, coloured unless NO_COLOR; --quiet prints none', async () => {
  const coloured = await startInProcess(['-C', instance.dir], { cwd: instance.here, tty: true });
  await coloured.stop();
  assert.match(coloured.fake.stderr(), /INFO.*listening/);
  assert.not.match(coloured.fake.stderr(), /"level":30/);
  assert.ok(coloured.fake.stderr().includes(ESC), 'colours on a terminal');

  const plain = await startInProcess(['-C', instance.dir], { cwd: instance.here, tty: true, env: { NO_COLOR: '1' } });
  await plain.stop();
  assert.match(plain.fake.stderr(), /INFO.*listening/);
  assert.not.ok(plain.fake.stderr().includes(ESC), 'no colours with NO_COLOR');

  const quiet = await startInProcess(['-C', instance.dir, '--quiet'], { cwd: instance.here });
  await quiet.stop();
  assert.not.match(quiet.fake.stderr(), /listening/, 'the log went to its file only');
  const text = readFileSync(join(logsDir(), 'strangerchat.1.log'), 'utf8');
  assert.is(text.split('\n').filter((l) => l.includes('"msg":"listening"')).length, 3, 'the three starts appended to one file');
});

test('with log.file off, start writes no file and logs says how to turn it on', async () => {
  setSettings((s) => (s.log = { file: false }));
  const started = await instance.start();
  await started.stop();
  assert.not.ok(existsSync(logsDir()));
  const result = await instance.cli(['logs']);
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, /\(log\.file is off\): turn it on with strangerchat config set log\.file true/);
  rmSync(logsDir(), { recursive: true, force: true });
});

test('logs --help has examples', async () => {
  const result = await runCli(['logs', '--help'], { cwd: instance.here });
  assert.is(result.code, 0);
  assert.match(result.stdout, /Examples:\n\s+\$ strangerchat logs/);
});

test.run();
