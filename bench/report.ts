// Renders a results JSON as markdown, so docs/benchmarks.md is regenerated, never hand-copied.
//
//   node bench/report.ts [results.json]                      print (default: the newest in bench/results)
//   node bench/report.ts [results.json] --write docs/benchmarks.md
//                                                           replace what sits between the markers
//   <!-- bench:results:start --> and <!-- bench:results:end --> in that file
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { renderResults } from './lib/render.ts';
import type { BenchResults } from './lib/results.ts';
import { ROOT } from './lib/server.ts';

export const START_MARKER = '<!-- bench:results:start -->';
export const END_MARKER = '<!-- bench:results:end -->';

/** Puts the rendered results between the markers of a markdown document. */
export function spliceResults(document: string, rendered: string): string {
  const start = document.indexOf(START_MARKER);
  const end = document.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`the document has no ${START_MARKER} … ${END_MARKER} section`);
  return `${document.slice(0, start + START_MARKER.length)}\n\n${rendered.trim()}\n\n${document.slice(end)}`;
}

function newestResults(): string {
  const dir = join(ROOT, 'bench', 'results');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    // no results yet
  }
  if (!files.length) throw new Error(`no results in ${dir}: run node bench/run.ts first`);
  return join(dir, files.sort().at(-1)!);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { write: { type: 'string' } } });
  const file = positionals[0] ?? newestResults();
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  if (results.schema !== 1) throw new Error(`${file}: unknown results schema ${String(results.schema)}`);
  const rendered = renderResults(results, relative(ROOT, file));
  if (values.write) {
    writeFileSync(values.write, spliceResults(readFileSync(values.write, 'utf8'), rendered));
    process.stderr.write(`wrote the results of ${relative(ROOT, file)} into ${values.write}\n`);
  } else {
    process.stdout.write(rendered);
  }
}
