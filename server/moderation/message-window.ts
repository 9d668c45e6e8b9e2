// A sender's last few messages in one conversation, so that a contact detail split across
// messages ("555 123" then "4567", "my snap is" then "jake_2009") is judged as a person reads it.
// The connection keeps one per socket and drops it when a new conversation starts; the filter
// reads it and adds each message it lets through (filter.ts).

/**
 * How much of the earlier messages is read with the next one: a split contact detail sits at the
 * end of one message and the start of the next, and a bound keeps the cost of a long one fixed.
 */
export const WINDOW_CONTEXT_CHARS = 200;

/** What the window keeps: a count of messages and an age. */
export interface WindowLimits {
  /** Messages judged together, the new one included (1: none before it). */
  messages: number;
  /** The oldest of them may be this old. */
  maxAgeMs: number;
}

export class RecentMessages {
  #texts: string[] | undefined;
  #times: number[] | undefined;

  /**
   * The earlier messages still in the window at `at`, oldest first, joined by spaces and cut to
   * their last WINDOW_CONTEXT_CHARS characters at a space; '' when there are none.
   */
  before(at: number, limits: WindowLimits): string {
    const texts = this.#texts;
    const times = this.#times;
    if (!texts || !times) return '';
    this.#drop(at, limits);
    if (texts.length === 0) return '';
    const joined = texts.join(' ');
    if (joined.length <= WINDOW_CONTEXT_CHARS) return joined;
    const tail = joined.slice(-WINDOW_CONTEXT_CHARS);
    const space = tail.search(/\s/);
    return space < 0 ? tail : tail.slice(space + 1);
  }

  /** Records a message that was let through. */
  add(text: string, at: number, limits: WindowLimits): void {
    if (limits.messages <= 1) return;
    (this.#texts ??= []).push(text);
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
