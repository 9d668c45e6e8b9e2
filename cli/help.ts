// Examples for --help, kept as data so docs/cli.md (scripts/gen-cli-docs.ts) prints the same ones.
import type { Command } from 'commander';

const EXAMPLES = new WeakMap<Command, string[]>();

/** Adds "Examples:" to a command's --help and records them for the generated docs. */
export function withExamples(command: Command, examples: string[]): Command {
  EXAMPLES.set(command, examples);
  command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
  return command;
}

export function examplesOf(command: Command): string[] {
  return EXAMPLES.get(command) ?? [];
}

const NOTES = new WeakMap<Command, Array<{ title: string; text: string }>>();

/**
 * Adds a titled section to a command's --help (a file format, its exit codes) and records it for
 * the generated docs. Call it before withExamples, so the examples stay last.
 */
export function withNotes(command: Command, title: string, text: string): Command {
  NOTES.set(command, [...notesOf(command), { title, text }]);
  command.addHelpText('after', `\n${title}:\n${text.replace(/^/gm, '  ')}\n`);
  return command;
}

export function notesOf(command: Command): Array<{ title: string; text: string }> {
  return NOTES.get(command) ?? [];
}

/** Every command below (and including) `root`, depth first, in registration order. */
export function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((child) => allCommands(child))];
}

/** "strangerchat config set": the names from the root down. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}
