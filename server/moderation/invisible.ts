// Invisible characters out of a chat message before anything checks it, so that what is relayed,
// stored and shown to moderators is exactly the text that was checked. A right-to-left override
// (U+202E) makes "moc.liamg@9002ekaj" render as an e-mail address; zero-width characters and
// tags hide text from a filter and from a moderator's eye. What stays is what renders: emoji
// sequences keep their joiners and presentation selectors, and scripts that need a joiner or a
// non-joiner between letters (Arabic, Persian, the Indic scripts) keep it there.

/**
 * Format characters (bidi controls U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069, zero-width
 * characters, soft hyphen, word joiner, tags, interlinear annotation …), every other default-
 * ignorable code point (Hangul fillers, combining grapheme joiner …) and variation selectors.
 */
const REMOVABLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}]/u;
const ASCII = /^[\x00-\x7F]*$/;
const ZWNJ = 0x200c;
const ZWJ = 0x200d;
/** Text and emoji presentation selectors: kept after a character that has an emoji form. */
const VS15 = 0xfe0e;
const VS16 = 0xfe0f;
/** A subdivision flag (🏴 + tag letters + cancel tag, e.g. England's): its tags are the flag. */
const TAG_FLAG = /^\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,6}\u{E007F}/u;
const BLACK_FLAG = 0x1f3f4;
const EMOJI = /\p{Emoji}/u;
/** What an emoji ZWJ sequence joins, and what may sit between a pictograph and its joiner. */
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI_TAIL = /[\p{Emoji_Modifier}\u{FE0F}\u{20E3}]/u;
/** Scripts whose spelling uses ZWJ and ZWNJ between letters. */
const JOINING_LETTER =
  /[\p{sc=Arabic}\p{sc=Syriac}\p{sc=Nko}\p{sc=Mongolian}\p{sc=Devanagari}\p{sc=Bengali}\p{sc=Gurmukhi}\p{sc=Gujarati}\p{sc=Oriya}\p{sc=Tamil}\p{sc=Telugu}\p{sc=Kannada}\p{sc=Malayalam}\p{sc=Sinhala}]/u;

/** The code point before `index` (a whole surrogate pair when there is one). */
function before(text: string, index: number): string {
  if (index <= 0) return '';
  const low = text.charCodeAt(index - 1);
  return low >= 0xdc00 && low <= 0xdfff && index >= 2 ? text.slice(index - 2, index) : text[index - 1]!;
}

function at(text: string, index: number): string {
  const code = text.codePointAt(index);
  return code === undefined ? '' : String.fromCodePoint(code);
}

/** True when the removable character at `index` belongs to what renders around it. */
function keeps(text: string, index: number, code: number, kept: string): boolean {
  const previous = before(kept, kept.length);
  if (code === VS15 || code === VS16) return previous !== '' && EMOJI.test(previous);
  if (code === ZWJ || code === ZWNJ) {
    const next = at(text, index + 1);
    if (code === ZWJ && (PICTOGRAPH.test(previous) || EMOJI_TAIL.test(previous)) && PICTOGRAPH.test(next)) return true;
    return JOINING_LETTER.test(previous) && JOINING_LETTER.test(next);
  }
  return false;
}

/**
 * The message without its invisible characters. Text without any (ASCII, most chat) is returned
 * as it came, without allocating.
 */
export function withoutInvisible(text: string): string {
  if (ASCII.test(text) || !REMOVABLE.test(text)) return text;
  let kept = '';
  let from = 0;
  for (let index = 0; index < text.length; ) {
    const code = text.codePointAt(index)!;
    const width = code > 0xffff ? 2 : 1;
    if (code === BLACK_FLAG) {
      const flag = TAG_FLAG.exec(text.slice(index, index + 32));
      if (flag) {
        index += flag[0].length;
        continue;
      }
    }
    if (REMOVABLE.test(String.fromCodePoint(code))) {
      kept += text.slice(from, index);
      from = index + width;
      if (keeps(text, index, code, kept)) kept += String.fromCodePoint(code);
    }
    index += width;
  }
  return kept + text.slice(from);
}

/** True when nothing visible is left: only spaces, or nothing at all. */
export function isBlank(text: string): boolean {
  return text.trim() === '';
}
