// `strangerchat version`: this CLI's version, the Node.js running it, and the database driver of
// the instance here (when there is one) — what a bug report needs.
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';
import { packageVersion } from '../version.ts';

export function registerVersion(program: Command, ctx: Context): void {
  const command = program
    .command('version')
    .description('print the strangerchat and Node.js versions and the database driver of the instance (if any)')
    .action(async (_o: GlobalOptions, command: Command) => version(ctx, command.optsWithGlobals<GlobalOptions>()));
  withExamples(command, ['strangerchat version', 'strangerchat version --json']);
}

export async function version(ctx: Context, options: GlobalOptions): Promise<void> {
  const output = new Output(ctx, options);
  let database: string | null = null;
  try {
    database = instanceConfig(ctx, options).config.database.driver;
  } catch {
    // No instance here (or an invalid one): the versions are still worth printing.
  }
  const report = { version: packageVersion(), node: process.version, database };
  output.result(report, () => [`strangerchat ${report.version}`, `node ${report.node}`, `database ${database ?? '- (no instance here)'}`].join('\n'));
}
