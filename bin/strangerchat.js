#!/usr/bin/env node
// The strangerchat command: check the Node version, then run the compiled CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 16)) {
  console.error(`strangerchat needs Node.js 22.16 or newer; this is ${process.version}. See https://nodejs.org/.`);
  process.exit(1);
}
const { main } = await import('../dist/cli/main.js');
await main();
