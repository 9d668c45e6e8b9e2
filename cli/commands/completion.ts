// `strangerchat completion bash|zsh|fish`: shell completion generated from the commander program
// itself (its commands, options and choices), so it never drifts from the CLI.
import type { Command, Option } from 'commander';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import type { GlobalOptions } from '../output.ts';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

export function registerCompletion(program: Command, ctx: Context): void {
  const command = program
    .command('completion')
    .argument('<shell>', `one of ${SHELLS.join(', ')}`)
    .description('print a shell completion script for bash, zsh or fish')
    .action(async (shell: string, _o: GlobalOptions, command: Command) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new CliError(`unknown shell "${shell}": choose ${SHELLS.join(', ')}`, ExitCode.Usage);
      let root = command;
      while (root.parent) root = root.parent;
      ctx.stdout.write(completionScript(root, shell as Shell));
    });
  withExamples(command, [
    'source <(strangerchat completion bash)      # in ~/.bashrc',
    'source <(strangerchat completion zsh)       # in ~/.zshrc, after compinit',
    'strangerchat completion fish > ~/.config/fish/completions/strangerchat.fish',
  ]);
}

/** One option as completion needs it. */
interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  takesValue: boolean;
  choices?: string[];
}

/** One command and everything below it. */
interface CommandSpec {
  /** Names from the root's first subcommand down, e.g. ["config", "set"]; [] for the root. */
  path: string[];
  description: string;
  options: OptionSpec[];
  subcommands: CommandSpec[];
}

function optionSpec(option: Option): OptionSpec {
  return {
    ...(option.short ? { short: option.short } : {}),
    ...(option.long ? { long: option.long } : {}),
    description: option.description,
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: [...option.argChoices] } : {}),
  };
}

/** The command tree from commander (help options included, the implicit `help` command left out). */
export function commandTree(command: Command, path: string[] = []): CommandSpec {
  const help = command.createHelp();
  return {
    path,
    description: command.description(),
    options: help.visibleOptions(command).map(optionSpec),
    subcommands: command.commands.filter((child) => !(child as Command & { _hidden?: boolean })._hidden).map((child) => commandTree(child, [...path, child.name()])),
  };
}

function flatten(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(flatten)];
}

function flags(option: OptionSpec): string[] {
  return [option.short, option.long].filter((flag): flag is string => Boolean(flag));
}

/** The options offered at a level: its own, and the root's global ones. */
function optionsAt(spec: CommandSpec, root: CommandSpec): OptionSpec[] {
  if (spec === root) return spec.options;
  const own = new Set(spec.options.flatMap(flags));
  return [...spec.options, ...root.options.filter((option) => !flags(option).some((flag) => own.has(flag)))];
}

export function completionScript(program: Command, shell: Shell): string {
  const root = commandTree(program);
  const name = program.name();
  if (shell === 'bash') return bash(name, root);
  if (shell === 'zsh') return zsh(name, root);
  return fish(name, root);
}

const fn = (name: string) => `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
/** A single-quoted word for bash and zsh. */
const singleQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
/** A single-quoted word for fish, which escapes quotes inside them with a backslash. */
const fishQuote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function transitions(root: CommandSpec): string {
  const steps = flatten(root)
    .filter((spec) => spec.path.length > 0)
    .map((spec) => `"/${spec.path.join('/')}"`);
  return steps.join('|');
}

function bash(name: string, root: CommandSpec): string {
  const all = flatten(root);
  const valueOptions = new Map<string, OptionSpec>();
  for (const spec of all) for (const option of optionsAt(spec, root)) if (option.takesValue) for (const flag of flags(option)) valueOptions.set(flag, option);
  const cases = all.map((spec) => {
    const words = [...spec.subcommands.map((sub) => sub.path.at(-1)!), ...optionsAt(spec, root).flatMap(flags)];
    return `    "${spec.path.length ? `/${spec.path.join('/')}` : ''}") words=${singleQuote(words.join(' '))} ;;`;
  });
  const valueCases = [...valueOptions.entries()].map(([flag, option]) =>
    option.choices ? `    ${flag}) COMPREPLY=($(compgen -W ${singleQuote(option.choices.join(' '))} -- "$cur")); return ;;` : `    ${flag}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`,
  );
  return `# ${name} completion for bash, generated from the CLI itself (${name} completion bash).
# Load it with: source <(${name} completion bash)
${fn(name)}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath="" word words="" i
  case "$prev" in
${valueCases.join('\n')}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$cmdpath/$word" in
      ${transitions(root)}) cmdpath="$cmdpath/$word" ;;
    esac
  done
  case "$cmdpath" in
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn(name)} ${name}
`;
}

function zsh(name: string, root: CommandSpec): string {
  const describe = (word: string, description: string) => singleQuote(`${word.replaceAll(':', '\\:')}:${description.replaceAll('\n', ' ')}`);
  const cases = flatten(root).map((spec) => {
    const items = [
      ...spec.subcommands.map((sub) => describe(sub.path.at(-1)!, sub.description)),
      ...optionsAt(spec, root).flatMap((option) => flags(option).map((flag) => describe(flag, option.description))),
    ];
    return `    "${spec.path.length ? `/${spec.path.join('/')}` : ''}") items=(${items.join(' ')}) ;;`;
  });
  return `#compdef ${name}
# ${name} completion for zsh, generated from the CLI itself (${name} completion zsh).
# Load it with: source <(${name} completion zsh)   (after compinit)
${fn(name)}() {
  local cmdpath="" word i
  local -a items
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    case "$cmdpath/$word" in
      ${transitions(root)}) cmdpath="$cmdpath/$word" ;;
    esac
  done
  case "$cmdpath" in
${cases.join('\n')}
  esac
  _describe -t commands '${name}' items
}
compdef ${fn(name)} ${name}
`;
}

function fish(name: string, root: CommandSpec): string {
  const lines = [
    `# ${name} completion for fish, generated from the CLI itself (${name} completion fish).`,
    `# Install it with: ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `complete -c ${name} -f`,
  ];
  const optionLine = (condition: string | undefined, option: OptionSpec) => {
    const parts = [`complete -c ${name}`];
    if (condition) parts.push(`-n ${fishQuote(condition)}`);
    if (option.short) parts.push(`-s ${option.short.replace(/^-/, '')}`);
    if (option.long) parts.push(`-l ${option.long.replace(/^--/, '')}`);
    if (option.choices) parts.push(`-x -a ${fishQuote(option.choices.join(' '))}`);
    else if (option.takesValue) parts.push('-r -F');
    parts.push(`-d ${fishQuote(option.description)}`);
    return parts.join(' ');
  };
  for (const option of root.options) lines.push(optionLine(undefined, option));
  for (const spec of flatten(root)) {
    const names = spec.subcommands.map((sub) => sub.path.at(-1)!);
    const inside = spec.path.map((word) => `__fish_seen_subcommand_from ${word}`);
    if (names.length) {
      const notYet = `not __fish_seen_subcommand_from ${names.join(' ')}`;
      const condition = spec.path.length ? [...inside, notYet].join('; and ') : '__fish_use_subcommand';
      for (const sub of spec.subcommands) lines.push(`complete -c ${name} -n ${fishQuote(condition)} -a ${sub.path.at(-1)} -d ${fishQuote(sub.description)}`);
    }
    if (spec.path.length) {
      for (const option of spec.options.filter((o) => o.long !== '--help')) lines.push(optionLine(inside.join('; and '), option));
    }
  }
  return `${lines.join('\n')}\n`;
}
