// Checks of single answers (flags and prompts) against the one settings schema, so a rule is
// never written twice: an answer is valid exactly when strangerchat.json would accept it.
import { describeIssue, InstanceSettings } from '../server/config.ts';
import { USERNAME_PATTERN } from '../server/access/moderators.ts';
import { passwordProblem } from '../server/access/passwords.ts';
import { CliError, ExitCode } from './context.ts';

/** The first problem the schema finds in partial settings, as "key: message", or undefined. */
export function settingProblem(partial: Record<string, unknown>): string | undefined {
  const result = InstanceSettings.safeParse(partial);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  return `${issue.path.join('.') || '(root)'}: ${describeIssue(issue)}`;
}

/** A prompt validator from a settings check: true, or the message to show. */
export function promptCheck(check: (value: string) => string | undefined): (value: string) => true | string {
  return (value) => check(value) ?? true;
}

export const check = {
  name: (value: string) => settingProblem({ name: value.trim() }),
  port: (value: string) => (/^\d+$/.test(value.trim()) ? settingProblem({ server: { port: Number(value) } }) : 'a port is a whole number from 0 to 65535 (e.g. 8080)'),
  publicUrl: (value: string) => settingProblem({ publicUrl: value.trim() }),
  contact: (value: string) => settingProblem({ contact: value.trim() }),
  emailDomain: (value: string) => settingProblem({ email: { domains: [value.trim()] } }),
  turnUrl: (value: string) => settingProblem({ turn: { urls: [value.trim()] } }),
  username: (value: string) =>
    USERNAME_PATTERN.test(value.trim().toLowerCase()) ? undefined : 'a username is 3 to 32 characters: lower-case letters, digits, and . _ - (not first), e.g. head.teacher',
  password: (value: string) => {
    const problem = passwordProblem(value);
    return problem ? `the password ${problem}` : undefined;
  },
};

/** A commander argument parser that exits 2 naming the flag when the check fails. */
export function flagParser(flag: string, problem: (value: string) => string | undefined): (value: string) => string;
export function flagParser<T>(flag: string, problem: (value: string) => string | undefined, convert: (value: string) => T): (value: string) => T;
export function flagParser(flag: string, problem: (value: string) => string | undefined, convert: (value: string) => unknown = (v) => v.trim()) {
  return (value: string): unknown => {
    const found = problem(value);
    // The flag names the setting already: "--port: must be at most 65535 (e.g. 8080), got …".
    if (found) throw new CliError(`${flag}: ${found.replace(/^[\w.]+: /, '')}; got "${value}"`, ExitCode.Usage);
    return convert(value);
  };
}

/** Like flagParser, for an option given several times: the values are collected. */
export function repeatableParser(flag: string, problem: (value: string) => string | undefined) {
  const one = flagParser(flag, problem);
  return (value: string, previous: string[] | undefined): string[] => {
    const values = value.split(',').map((v) => v.trim()).filter(Boolean);
    return [...(previous ?? []), ...values.map((v) => one(v))];
  };
}

/** Splits "a, b c" into ["a","b","c"]. */
export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).map((v) => v.trim()).filter(Boolean);
}
