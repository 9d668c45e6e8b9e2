// The command-line behaviour shared by the docs generators: write the page, or with --check
// exit 1 when the committed page differs from what the code generates.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

/** True when the module at `moduleFile` is the script Node was asked to run. */
export function isMain(moduleFile: string): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(moduleFile);
  } catch {
    return false;
  }
}

export async function writeOrCheck(path: string, generate: () => string | Promise<string>, script: string): Promise<void> {
  const docs = await generate();
  const name = relative(process.cwd(), path) || path;
  if (process.argv.includes('--check')) {
    const stale = readFileSync(path, 'utf8') !== docs;
    console.log(stale ? `${name} is out of date: run node ${script}` : `${name} is up to date`);
    process.exitCode = stale ? 1 : 0;
  } else {
    writeFileSync(path, docs);
    console.log(`wrote ${name}`);
  }
}
