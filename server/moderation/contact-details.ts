// Contact details and links in a chat message: e-mail addresses, links and web addresses (links.ts),
// social media handles and asking to move elsewhere (handles.ts), phone numbers
// (phone-numbers.ts). Moving a child from a moderated space to a private channel starts with
// one of these, so the school profile and the under-18 band refuse them (filter.ts decides
// when). Each reads folded text (look-alikes, digits of any script, fullwidth and mathematical
// forms as Latin and ASCII), and the text again with spaced-out characters joined
// ("e x a m p l e . c o m", "s.n.a.p"), so disguises do not help; ordinary chat passes: ages,
// times, scores, prices, dates, "ok.bye", "I'm at school.so tired" (each module says how).
import { collapseRepeats, handleIn, mayHoldHandle } from './handles.ts';
import { linkIn, mayHoldLink } from './links.ts';
import { hasPhoneNumber, mayHoldNumber } from './phone-numbers.ts';
import { foldText, joinSpacedLetters, joinSpacedSymbols, type FoldedText } from './text-fold.ts';

export type ContactKind = 'email' | 'phone' | 'link' | 'handle';

/** The first kind of contact detail in a message, or undefined when it carries none. */
export function findContactDetails(text: string): ContactKind | undefined {
  return contactDetailsIn(text, foldText(text));
}

/**
 * findContactDetails for text already folded (`folded` is foldText(text): the filter folds once).
 * `phones: false` leaves phone numbers out (a reading that glued digits of two messages together).
 */
export function contactDetailsIn(text: string, folded: FoldedText, { phones = true } = {}): ContactKind | undefined {
  const symbols = joinSpacedSymbols(folded);
  const letters = joinSpacedLetters(folded);
  const views = [folded.text, symbols.text, letters.text].filter((view, i, all) => all.indexOf(view) === i);
  let handle: ContactKind | undefined;
  for (const view of views) {
    const link = linkIn(view);
    if (link) return link;
    handle ??= handleIn(view);
  }
  // Stretched letters spaced out: "s-n-aa-p".
  if (!handle) {
    const collapsed = { text: collapseRepeats(folded.text) };
    const stretched = collapsed.text === folded.text ? collapsed : joinSpacedLetters(collapsed);
    if (stretched !== collapsed) handle = handleIn(stretched.text);
  }
  if (handle) return handle;
  return phones && hasPhoneNumber(text, folded) ? 'phone' : undefined;
}

/**
 * False when folded text cannot hold any contact detail (no digit, no number word, no platform,
 * nothing a link or an address is made of): a cheap look before reading messages together.
 */
export function mayHoldContactDetails(folded: string): boolean {
  return mayHoldNumber(folded) || mayHoldLink(folded) || mayHoldHandle(folded);
}
