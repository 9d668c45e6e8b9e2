// Where the running strangerchat came from decides what an instance's package.json pins, so that
// `npm install` there fetches it again: the registry's version, the tarball it was installed
// from (by absolute path), or, from a clone, the version with advice to pack it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installSource, npmInstallStep } from '../../cli/install-source.ts';
import { tempDir } from '../helpers/server.ts';

let root = '';
test.before.each(() => {
  root = tempDir('strangerchat-install-');
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

/** A project with strangerchat in its node_modules, resolved from `resolved` per npm's hidden lockfile. */
function installed(resolved: string | undefined): string {
  const project = join(root, 'app');
  const pkg = join(project, 'node_modules', 'strangerchat');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"strangerchat","version":"1.2.3"}');
  if (resolved !== undefined) {
    writeFileSync(join(project, 'node_modules', '.package-lock.json'), JSON.stringify({ packages: { 'node_modules/strangerchat': { version: '1.2.3', resolved } } }));
  }
  return pkg;
}

test('from the registry: the version', () => {
  const source = installSource(installed('https://registry.npmjs.org/strangerchat/-/strangerchat-1.2.3.tgz'), '1.2.3');
  assert.equal(source, { kind: 'registry', spec: '1.2.3' });
  assert.match(npmInstallStep(source), /installs the strangerchat version pinned in package\.json/);
  assert.equal(installSource(installed(undefined), '1.2.3'), { kind: 'registry', spec: '1.2.3' }, 'no hidden lockfile: taken for the registry');
});

test('from a tarball: file: and its absolute path, resolved from the project folder', () => {
  writeFileSync(join(root, 'strangerchat-1.2.3.tgz'), '');
  const source = installSource(installed('file:../strangerchat-1.2.3.tgz'), '1.2.3');
  assert.equal(source, { kind: 'file', spec: `file:${join(root, 'strangerchat-1.2.3.tgz')}`, path: join(root, 'strangerchat-1.2.3.tgz') });
  assert.match(npmInstallStep(source), /installs strangerchat from .*strangerchat-1\.2\.3\.tgz \(as package\.json says\)/);
  rmSync(join(root, 'strangerchat-1.2.3.tgz'));
  assert.is(installSource(installed('file:../strangerchat-1.2.3.tgz'), '1.2.3').kind, 'registry', 'a tarball that is gone cannot be installed again');
});

test('from a clone, or a folder linked into node_modules: the version, and advice to pack', () => {
  const clone = join(root, 'clone');
  mkdirSync(clone);
  assert.equal(installSource(clone, '1.2.3'), { kind: 'source', spec: '1.2.3', path: clone });
  const project = join(root, 'linked');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  symlinkSync(clone, join(project, 'node_modules', 'strangerchat'));
  const linked = installSource(join(project, 'node_modules', 'strangerchat'), '1.2.3');
  assert.is(linked.kind, 'source');
  assert.match(npmInstallStep(linked), /npm pack there, then install the \.tgz/);
});

test.run();
