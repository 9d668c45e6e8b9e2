// `strangerchat turn credentials`: mints TURN REST credentials as the server does for each person,
// to test the coturn server by hand (e.g. with trickle-ice in a browser or turnutils_uclient).
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { mintTurnCredentials } from '../../server/access/turn.ts';
import { CliError, ExitCode, type Context } from '../context.ts';
import { withExamples } from '../help.ts';
import { instanceConfig } from '../instance.ts';
import { Output, type GlobalOptions } from '../output.ts';

interface CredentialOptions extends GlobalOptions {
  ttl?: number;
}

export function registerTurn(program: Command, ctx: Context): void {
  const turn = program.command('turn').description('the TURN server (coturn) this instance hands out');
  withExamples(turn, ['strangerchat turn credentials --ttl 600']);
  const credentials = turn
    .command('credentials')
    .description('mint short-lived TURN credentials (username, credential, urls) with the shared secret, as the server does per person')
    .option('--ttl <seconds>', 'lifetime in seconds (default: turn.credentialTtlSeconds)', parseTtl)
    .action(async (_o: CredentialOptions, command: Command) => turnCredentials(ctx, command.optsWithGlobals<CredentialOptions>()));
  withExamples(credentials, ['strangerchat turn credentials', 'strangerchat turn credentials --ttl 600 --json']);
}

function parseTtl(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 86_400) {
    throw new CliError(`--ttl must be a whole number of seconds from 1 to 86400, got "${value}"`, ExitCode.Usage);
  }
  return Number(value);
}

export async function turnCredentials(ctx: Context, options: CredentialOptions): Promise<void> {
  const output = new Output(ctx, options);
  const { config } = instanceConfig(ctx, options);
  const secret = config.secrets.turnSecret;
  if (!secret) {
    throw new CliError('no TURN shared secret: add STRANGERCHAT_TURN_SECRET to .env (the value of coturn\'s static-auth-secret) and set turn.urls; strangerchat deploy coturn renders a matching turnserver.conf');
  }
  const urls = [...config.settings.turn.urls];
  if (urls.length === 0) output.warn('turn.urls is empty: these credentials work, but the server hands out no TURN server (strangerchat config set turn.urls \'["turn:turn.example.org:3478"]\')');
  const ttl = options.ttl ?? config.settings.turn.credentialTtlSeconds;
  const minted = mintTurnCredentials(secret, `cli-${randomBytes(4).toString('hex')}`, Date.now(), ttl);
  output.result({ urls, username: minted.username, credential: minted.credential, ttl, expiresAt: minted.expiresAt * 1000 }, () =>
    [`urls        ${urls.join(' ') || '-'}`, `username    ${minted.username}`, `credential  ${minted.credential}`, `expires     ${output.time(minted.expiresAt * 1000)}`].join('\n'),
  );
}
