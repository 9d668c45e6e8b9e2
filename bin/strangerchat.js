#!/usr/bin/env node
// The strangerchat command: check the Node version, then run the compiled CLI.
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 16)) {
  console.error(`strangerchat needs Node.js 22.16 or newer; this is ${process.version}. See https://nodejs.org/.`);
  process.exit(1);
}

/**
 * Young-generation size (MB per semi-space) for `start`. Left to itself V8 grows it to 32 MB and
 * more under the steady stream of short-lived objects a busy server makes (every relayed frame):
 * RSS that stays, the size of several thousand idle connections. At 10,000 clients 12 MB relayed
 * as fast as 16 and 32 within the noise of our runs, where 4 and 8 MB collected so often that the
 * relay ceiling halved (docs/benchmarks.md). A flag given to node or in NODE_OPTIONS wins.
 */
const START_SEMI_SPACE_MB = 12;
const SEMI_SPACE_FLAG = '--max-semi-space-size';

/** The command word: the first argument that is neither an option nor the value of -C/--dir. */
function commandOf(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-C' || args[i] === '--dir') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

// V8 reads heap sizes only when the process starts, so `start` replaces itself once with the
// flag set (process.execve: Node >= 22.15, not on Windows; same process id, same stdio).
if (
  commandOf(process.argv.slice(2)) === 'start' &&
  typeof process.execve === 'function' &&
  ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => flag.startsWith(SEMI_SPACE_FLAG))
) {
  process.execve(process.execPath, [
    process.execPath,
    `${SEMI_SPACE_FLAG}=${START_SEMI_SPACE_MB}`,
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    ...process.argv.slice(2),
  ]);
}

// V8's compiled code for the CLI and its packages, kept on disk between runs (Node >= 22.1): a start
// compiles about half as much. A cache that cannot be used (read-only disk, no tmp) is only slower.
try {
  (await import('node:module')).enableCompileCache?.();
} catch {
  // start without it
}
const { main } = await import('../dist/cli/main.js');
await main();
