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

  /** The earlier messages still in the window at `at`, oldest first, each cut to its last WINDOW_PIECE_CHARS. */
  earlier(at: number, limits: WindowLimits): readonly string[] {
    if (!this.#texts) return NONE;
    this.#drop(at, limits);
    return this.#texts;
  }

  /** Records a message that was let through. */
  add(text: string, at: number, limits: WindowLimits): void {
    if (limits.messages <= 1) return;
    (this.#texts ??= []).push(tail(text));
    (this.#times ??= []).push(at);
    this.#drop(at, limits);
  }

  /** Forgets everything (a new conversation). */
  clear(): void {
    this.#texts = undefined;
    this.#times = undefined;
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
