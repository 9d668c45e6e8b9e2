// Shell completion is generated from the commander program: every command and option is in every
// shell's script, a command added to the program appears without touching the generator, and the
// bash script really completes (run in bash with COMP_WORDS, as bash itself would).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { buildProgram } from '../../cli/main.ts';
import { allCommands } from '../../cli/help.ts';
import { completionScript } from '../../cli/commands/completion.ts';
import { fakeContext, runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/server.ts';

const program = () => buildProgram(fakeContext({ cwd: tempDir() }).ctx);

/** What bash's completion offers for a command line (the last word is being completed). */
async function complete(line: string[]): Promise<string[]> {
  const script = completionScript(await program(), 'bash');
  const words = line.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _strangerchat; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

test('every command and every long option is in each shell script', async () => {
  const commands = allCommands(await program()).slice(1);
  assert.ok(commands.length >= 20, 'subcommands included');
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const script = completionScript(await program(), shell);
    for (const command of commands) {
      assert.ok(script.includes(command.name()), `${shell}: ${command.name()}`);
      for (const option of command.options) if (option.long) assert.ok(script.includes(option.long.replace(/^--/, shell === 'fish' ? '' : '--')), `${shell}: ${option.long}`);
    }
  }
});

test('a command added to the program shows up: nothing is listed by hand', async () => {
  const p = await program();
  p.command('zeppelin').description('a command only this test has').option('--altitude <m>', 'how high');
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const script = completionScript(p, shell);
    assert.match(script, /zeppelin/);
    assert.match(script, /altitude/);
  }
});

test('bash completes commands, subcommands, options and option choices', async () => {
  execFileSync('bash', ['-n', '-c', completionScript(await program(), 'bash')]);
  assert.equal(await complete(['strangerchat', 'con']), ['config']);
  assert.equal(await complete(['strangerchat', 'config', 'se']), ['set']);
  assert.equal(await complete(['strangerchat', 'backup', 'pr']), ['prune']);
  assert.equal(await complete(['strangerchat', 'init', '--pro']), ['--profile']);
  assert.equal(await complete(['strangerchat', 'init', '--profile', '']), ['school', 'community', 'adult']);
  assert.equal(await complete(['strangerchat', 'status', '--js']), ['--json'], 'global options everywhere');
  assert.equal(await complete(['strangerchat', 'deploy', '--wr']), ['--write']);
});

test('zsh and fish scripts are well formed and name the program', async () => {
  const zsh = completionScript(await program(), 'zsh');
  assert.match(zsh, /^#compdef strangerchat$/m);
  assert.match(zsh, /compdef _strangerchat strangerchat/);
  assert.not.match(zsh, /local path\b/, 'never shadows zsh\'s $path');
  assert.match(zsh, /'config:read and change the settings/);
  const fish = completionScript(await program(), 'fish');
  assert.match(fish, /complete -c strangerchat -n '__fish_use_subcommand' -a init -d /);
  assert.match(fish, /complete -c strangerchat -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from get set unset list validate path' -a set/);
  assert.match(fish, /-l profile -x -a 'school community adult'/);
  assert.match(fish, /-d 'read the owner\\'s password/, "fish escapes a quote with a backslash");
  for (const line of fish.split('\n').filter((l) => l && !l.startsWith('#'))) assert.is((line.replaceAll("\\'", '').match(/'/g) ?? []).length % 2, 0, `balanced quotes: ${line}`);
});

test('the command prints the script; an unknown shell exits 2', async () => {
  const cwd = tempDir();
  const bash = await runCli(['completion', 'bash'], { cwd });
  assert.is(bash.code, 0);
  assert.match(bash.stdout, /complete -o default -F _strangerchat strangerchat/);
  const unknown = await runCli(['completion', 'powershell'], { cwd });
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /bash, zsh, fish/);
});

test.run();
