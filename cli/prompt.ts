// Questions at the terminal through @inquirer/prompts, behind a small interface that tests fake.
import { confirm, input, password, select } from '@inquirer/prompts';

export interface Choice<T extends string> {
  value: T;
  name: string;
  description?: string;
}

export interface Prompter {
  input(question: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  password(question: { message: string; validate?: (value: string) => true | string }): Promise<string>;
  select<T extends string>(question: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  confirm(question: { message: string; default?: boolean }): Promise<boolean>;
}

export function inquirerPrompter(): Prompter {
  // Prompts write to stderr so that stdout stays the command's result.
  const context = { output: process.stderr };
  return {
    input: (q) => input(q, context),
    password: (q) => password({ ...q, mask: '*' }, context),
    select: (q) => select(q, context),
    confirm: (q) => confirm(q, context),
  };
}
