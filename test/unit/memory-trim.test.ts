// When `start` hands memory back to the system (cli/start-memory.ts): only when the process is
// quiet, its young generation has grown, and it has not just done so; and the collection itself
// shrinks a grown young generation in this very process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getHeapSpaceStatistics } from 'node:v8';
import { GROWN_YOUNG_BYTES, MIN_TRIM_GAP_MS, shouldTrim, startMemoryTrimmer, TRIM_CHECK_MS } from '../../cli/start-memory.ts';

const MB = 1024 * 1024;
const quiet = { cpuMs: 50, elapsedMs: TRIM_CHECK_MS, youngBytes: 24 * MB, sinceTrimMs: Infinity };

test('a quiet process with a grown young generation is trimmed', () => {
  assert.ok(shouldTrim(quiet));
});

test('a busy process is not: the pause would delay its work', () => {
  assert.not.ok(shouldTrim({ ...quiet, cpuMs: TRIM_CHECK_MS * 0.2 }));
});

test('a young generation at its small size is left alone', () => {
  assert.not.ok(shouldTrim({ ...quiet, youngBytes: GROWN_YOUNG_BYTES }));
});

test('at most one trim a minute, whatever the load does', () => {
  assert.not.ok(shouldTrim({ ...quiet, sinceTrimMs: MIN_TRIM_GAP_MS - 1 }));
  assert.ok(shouldTrim({ ...quiet, sinceTrimMs: MIN_TRIM_GAP_MS }));
});

test('the first collection shrinks a young generation grown by surviving allocations', () => {
  const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
  // Objects that survive scavenges make V8 grow the young generation, as start-up does.
  const kept: object[] = [];
  for (let i = 0; i < 400_000; i++) kept.push({ i, s: `item ${i}` });
  const grown = young();
  kept.length = 0;
  const trimmer = startMemoryTrimmer();
  trimmer.stop();
  const after = young();
  assert.ok(grown > GROWN_YOUNG_BYTES, `grown to ${(grown / MB).toFixed(1)} MB`);
  assert.ok(after < grown / 2, `${(grown / MB).toFixed(1)} MB → ${(after / MB).toFixed(1)} MB`);
  assert.is(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'no gc() on the global');
});

test.run();
