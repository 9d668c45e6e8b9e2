// The contact-detail corpus (test/fixtures): disguised contact details that must be refused and
// ordinary chat that must pass, read by the unit tests and, end to end, by the integration test.
import { readFileSync } from 'node:fs';
import type { ContactKind } from '../../server/moderation/contact-details.ts';

export interface Evasion {
  class: string;
  lang: string;
  kind: ContactKind;
  text: string;
}

/** A contact detail sent in pieces: the last message completes it and is the one refused. */
export interface SplitEvasion {
  class: string;
  lang: string;
  kind: ContactKind;
  messages: string[];
}

export interface OrdinaryMessage {
  class: string;
  lang: string;
  text: string;
  /** What the partner receives when it differs from `text` (invisible characters removed). */
  delivered?: string;
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

const evasions = fixture<{ evasions: Evasion[]; splits: SplitEvasion[] }>('contact-evasions.json');
export const EVASIONS: readonly Evasion[] = evasions.evasions;
export const SPLIT_EVASIONS: readonly SplitEvasion[] = evasions.splits;
export const ORDINARY: readonly OrdinaryMessage[] = fixture<{ messages: OrdinaryMessage[] }>('ordinary-chat.json').messages;

/** Items grouped by their class, in the order the file has them. */
export function byClass<T extends { class: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.class, [...(groups.get(item.class) ?? []), item]);
  return groups;
}
