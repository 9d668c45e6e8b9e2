// Preloaded into a `strangerchat start` by a test (node --import): at exit, writes the Node
// built-in modules the process loaded (process.moduleLoadList) to STRANGERCHAT_TEST_BUILTINS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.STRANGERCHAT_TEST_BUILTINS_FILE;
// Not in @types/node: Node's own list of what it loaded ("NativeModule http", "Internal Binding fs", …).
const loaded = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
if (file) process.on('exit', () => writeFileSync(file, loaded.join('\n')));
