// The message filter. This first version blocks the operator's own words and phrases,
// matched case-insensitively on word boundaries after removing zero-width characters.
/** Zero-width and invisible formatting characters that evasion inserts between letters. */
const INVISIBLE = /[\u200B-\u200F\u2060-\u2064\uFEFF\u00AD]/g;

export type FilterVerdict = { action: 'pass'; text: string } | { action: 'block' };

export interface MessageFilter {
  check(text: string): FilterVerdict;
}

export class WordListFilter implements MessageFilter {
  readonly #pattern: RegExp | undefined;

  constructor(blocked: readonly string[]) {
    const words = blocked.map((w) => w.trim().toLowerCase()).filter(Boolean);
    this.#pattern = words.length
      ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'iu')
      : undefined;
  }

  check(text: string): FilterVerdict {
    if (this.#pattern && this.#pattern.test(text.normalize('NFKC').replace(INVISIBLE, ''))) return { action: 'block' };
    return { action: 'pass', text };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
