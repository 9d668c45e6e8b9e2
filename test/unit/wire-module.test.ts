// One wire module: the web client imports nothing of the server but server/protocol/, and the CLI
// takes every shape it prints with --json (every type server/protocol/ defines) from there too, so
// a change to a wire shape is a change in one folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = join(import.meta.dirname, '..', '..');
const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g;
const FROM = /from\s+'([^']+)'/g;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path, ext);
    return ext.test(name) ? [path] : [];
  });
}

/** Every name the wire module exports. */
function wireNames(): Set<string> {
  const names = new Set<string>();
  for (const file of files(join(ROOT, 'server', 'protocol'), /\.ts$/)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^export (?:const|type|interface|function) (\w+)/gm)) names.add(match[1]!);
  }
  return names;
}

test('the web client imports from the server only through server/protocol/', () => {
  const strays: string[] = [];
  for (const file of files(join(ROOT, 'web', 'src'), /\.(ts|astro)$/)) {
    for (const [, path] of readFileSync(file, 'utf8').matchAll(FROM)) {
      if (path!.includes('server/') && !path!.includes('server/protocol/')) strays.push(`${relative(ROOT, file)}: ${path}`);
    }
  }
  assert.equal(strays, []);
});

test('the CLI takes every wire shape from server/protocol/, never from a service', () => {
  const wire = wireNames();
  assert.ok(wire.has('BanSeverity') && wire.has('InstanceStats') && wire.has('ModerationEvent'), 'the wire module was read');
  const strays: string[] = [];
  for (const file of files(join(ROOT, 'cli'), /\.ts$/)) {
    for (const [, , names, path] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (!path!.includes('server/') || path!.includes('server/protocol/')) continue;
      for (const raw of names!.split(',')) {
        const name = raw.replace(/\btype\b/, '').trim().split(/\s+as\s+/)[0]!;
        if (wire.has(name)) strays.push(`${relative(ROOT, file)}: ${name} from ${path}`);
      }
    }
  }
  assert.equal(strays, []);
});

test('the ban severities and the other enums are spelled out once, in server/protocol/', () => {
  const spelled: string[] = [];
  const lists = [/'no_access',\s*'no_matching'/, /'dismiss',\s*'ban',\s*'lift_quarantine'/, /'owner',\s*'admin',\s*'moderator',\s*'safeguarding',\s*'auditor'/, /'open',\s*'upheld',\s*'lifted'/];
  for (const dir of ['server', 'cli', join('web', 'src')]) {
    for (const file of files(join(ROOT, dir), /\.(ts|astro)$/)) {
      if (file.includes(join('server', 'protocol'))) continue;
      const text = readFileSync(file, 'utf8');
      for (const list of lists) if (list.test(text)) spelled.push(`${relative(ROOT, file)}: ${list.source}`);
    }
  }
  assert.equal(spelled, []);
});

test.run();
