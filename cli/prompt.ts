// Questions at the terminal through @inquirer/prompts, behind a small interface that tests fake.

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
  // Imported at the first question: most commands never ask one, and inquirer is ~30 modules.
  const prompts = () => import('@inquirer/prompts');
  return {
    input: async (q) => (await prompts()).input(q, context),
    password: async (q) => (await prompts()).password({ ...q, mask: '*' }, context),
    select: async (q) => (await prompts()).select(q, context),
    confirm: async (q) => (await prompts()).confirm(q, context),
  };
}
