#!/usr/bin/env node
// The strangerchat command: check the Node version, then run the compiled CLI.
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 16)) {
  console.error(`strangerchat needs Node.js 22.16 or newer; this is ${process.version}. See https://nodejs.org/.`);
  process.exit(1);
}

/**
 * V8 heap settings for `start`, measured with the load harness at 10,000 clients
 * (docs/benchmarks.md). A flag the operator gives to node (or --max-semi-space-size in
 * NODE_OPTIONS) wins over ours.
 *
 * - Young generation, 12 MB per semi-space: left to itself V8 grows it to 32 MB and more under
 *   the stream of short-lived objects a busy server makes (every relayed frame), RSS that stays,
 *   the size of several thousand idle connections; 4 and 8 MB collected so often that the relay
 *   ceiling halved.
 * - Old generation grown to twice its live size before a full collection (V8's own factor here
 *   was about 1.3): part of every scavenge is promoted, so the old generation filled every few
 *   seconds under load, and each full collection's 10-25 ms pause was the relay's and the
 *   pairing's p99. Twice as much headroom made them rare: relay p99 at 5,000 frames/s went from
 *   13-50 ms to 6-10 ms, for about a quarter more peak RSS under full load (250 -> 313 MB at
 *   10,000 people) and the same idle memory.
 */
const START_V8_FLAGS = ['--max-semi-space-size=12', '--heap-growing-percent=100'];

/** The command word: the first argument that is neither an option nor the value of -C/--dir. */
function commandOf(args) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-C' || args[i] === '--dir') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

// V8 reads heap settings only when the process starts, so `start` replaces itself once with the
// flags set (process.execve: Node >= 22.15, not on Windows; same process id, same stdio).
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const missing = START_V8_FLAGS.filter((flag) => !given.some((g) => g.startsWith(flag.slice(0, flag.indexOf('=')))));
if (commandOf(process.argv.slice(2)) === 'start' && typeof process.execve === 'function' && missing.length > 0) {
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
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
