// docs/cli.md is generated from the commander program (scripts/gen-cli-docs.ts): it must be up to
// date, and every command, every exit code and an example for each command must be in it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ExitCode } from '../../cli/context.ts';
import { allCommands, commandPath, examplesOf } from '../../cli/help.ts';
import { buildProgram } from '../../cli/main.ts';
import { CLI_DOCS, currentCliDocs, renderCliDocs } from '../../scripts/gen-cli-docs.ts';
import { fakeContext, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

const docs = readFileSync(CLI_DOCS, 'utf8');

test('docs/cli.md is what the program generates (run node scripts/gen-cli-docs.ts after changing a command)', async () => {
  assert.fixture(docs, await currentCliDocs());
});

test('every command has a section, --help with examples, and its examples in the docs', async () => {
  const program = await buildProgram(fakeContext({ cwd: tempDir() }).ctx);
  const commands = allCommands(program).slice(1);
  for (const required of ['init', 'start', 'stop', 'status', 'doctor', 'config', 'migrate', 'backup', 'deploy', 'turn', 'version', 'completion']) {
    assert.ok(program.commands.some((c) => c.name() === required), `${required} is a command`);
  }
  for (const command of commands) {
    const path = commandPath(command);
    assert.match(docs, new RegExp(`^### ${path}$`, 'm'), `${path} has a section`);
    const examples = examplesOf(command);
    assert.ok(examples.length > 0, `${path} has examples`);
    for (const example of examples) assert.ok(docs.includes(example), `${path}: "${example}" is in the docs`);
    const help = await runCli([...path.split(' ').slice(1), '--help'], { cwd: tempDir() });
    assert.is(help.code, 0);
    assert.match(help.stdout, /Examples:/, `${path} --help shows examples`);
  }
});

test('the exit code table lists every code the CLI uses', () => {
  for (const code of Object.values(ExitCode)) assert.match(docs, new RegExp(`^\\| ${code} \\| `, 'm'), `exit code ${code}`);
  assert.match(docs, /STRANGERCHAT_DIR/);
  assert.match(docs, /--no-input/);
});

test('the generator follows the program: a new command gets a section', async () => {
  const program = await buildProgram(fakeContext({ cwd: tempDir() }).ctx);
  program.command('zeppelin').description('a command only this test has').option('--altitude <m>', 'how high');
  const generated = renderCliDocs(program);
  assert.match(generated, /^### strangerchat zeppelin$/m);
  assert.match(generated, /\| `--altitude <m>` \| how high \|/);
});

test.run();
