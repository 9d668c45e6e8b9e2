// A sender's last few messages in one conversation, so that a contact detail split across
// messages ("555 123" then "4567", "my snap is" then "jake_2009") is judged as a person reads it.
// The connection keeps one per socket and drops it when a new conversation starts; the filter
// reads it and adds each message it lets through (filter.ts).

/**
 * How much of each message is read with the others: the end of an earlier one, the start of the
 * new one. A contact detail split across messages sits at those ends, and the bound keeps the
 * cost of reading long messages together small.
 */
export const WINDOW_PIECE_CHARS = 64;

/** What the window keeps: a count of messages and an age. */
export interface WindowLimits {
  /** Messages judged together, the new one included (1: none before it). */
  messages: number;
  /** The oldest of them may be this old. */
  maxAgeMs: number;
}

const NONE: readonly string[] = [];

export class RecentMessages {
  #texts: string[] | undefined;
  #times: number[] | undefined;
  /** Per message: read clean with every earlier one still here, its start being all of it (see `add`). */
  #screened: boolean[] | undefined;

  /** The earlier messages still in the window at `at`, oldest first, each cut to its last WINDOW_PIECE_CHARS. */
  earlier(at: number, limits: WindowLimits): readonly string[] {
    if (!this.#texts) return NONE;
    this.#drop(at, limits);
    return this.#texts;
  }

  /**
   * Records a message that was let through. `screened`: the filter's look at its start glued to
   * the end of each earlier message found nothing. For a message short enough that its start and
   * what is kept of it are the same text, those glued pairs are exactly the ones a later message
   * would read again between it and the messages before it (`earlierPairsScreened`).
   */
  add(text: string, at: number, limits: WindowLimits, screened = false): void {
    if (limits.messages <= 1) return;
    (this.#texts ??= []).push(tail(text));
    (this.#times ??= []).push(at);
    (this.#screened ??= []).push(screened && text.length <= WINDOW_PIECE_CHARS);
    this.#drop(at, limits);
  }

  /**
   * True when every pair of the earlier messages (as `earlier` last returned them) was already
   * read clean, the end of the older glued to the start of the newer: each message after the
   * first was screened with all of those before it when it came (the window only drops from the
   * front, so those still here were among them).
   */
  earlierPairsScreened(): boolean {
    const screened = this.#screened;
    if (!screened) return true;
    for (let i = 1; i < screened.length; i++) if (!screened[i]) return false;
    return true;
  }

  /** Forgets everything (a new conversation). */
  clear(): void {
    this.#texts = undefined;
    this.#times = undefined;
    this.#screened = undefined;
  }

  /** Keeps the messages that can still precede the next one: the last (limits.messages - 1), young enough. */
  #drop(at: number, limits: WindowLimits): void {
    const texts = this.#texts!;
    const times = this.#times!;
    let first = Math.max(0, texts.length - (limits.messages - 1));
    while (first < texts.length && at - times[first]! > limits.maxAgeMs) first++;
    if (first > 0) {
      texts.splice(0, first);
      times.splice(0, first);
      this.#screened!.splice(0, first);
    }
  }
}

/** The end of an earlier message, cut at a space when there is one. */
function tail(text: string): string {
  if (text.length <= WINDOW_PIECE_CHARS) return text;
  const end = text.slice(-WINDOW_PIECE_CHARS);
  const space = end.search(/\s/);
  return space < 0 ? end : end.slice(space + 1);
}

/** The start of a new message, cut at a space when there is one. */
export function head(text: string): string {
  if (text.length <= WINDOW_PIECE_CHARS) return text;
  const start = text.slice(0, WINDOW_PIECE_CHARS);
  const space = start.search(/\s\S*$/);
  return space <= 0 ? start : start.slice(0, space);
}
