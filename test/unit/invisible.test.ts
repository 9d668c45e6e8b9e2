// Invisible characters out of chat messages: what goes (bidi controls, format characters,
// variation selectors outside emoji, tags), what stays because it renders (emoji sequences,
// flags, keycaps, the joiners of Arabic and Indic spelling), and that clean text costs nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isBlank, withoutInvisible } from '../../server/moderation/invisible.ts';
import { seededRandom } from '../helpers/random.ts';

const BIDI_CONTROLS = ['\u061C', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
/** Format characters and other default-ignorables a filter would not see and a reader cannot. */
const OTHER_INVISIBLE = [
  '\u00AD', '\u180E', '\u200B', '\u200C', '\u200D', '\u2060', '\u2061', '\u2062', '\u2063', '\u2064', '\uFEFF', '\uFFF9', '\uFFFA', '\uFFFB',
  '\u034F', '\u115F', '\u3164', '\uFFA0', '\u{E0001}', '\u{E0041}', '\u{1D173}', '\uFE00', '\uFE0E', '\uFE0F', '\u{E0100}', '\u180B',
];

test('bidi controls are removed wherever they are', () => {
  for (const control of BIDI_CONTROLS) {
    assert.is(withoutInvisible(`${control}moc.liamg@9002ekaj`), 'moc.liamg@9002ekaj', JSON.stringify(control));
    assert.is(withoutInvisible(`a${control}b${control}`), 'ab', JSON.stringify(control));
  }
});

test('format characters, fillers, tags and stray variation selectors are removed', () => {
  for (const char of OTHER_INVISIBLE) assert.is(withoutInvisible(`sn${char}ap`), 'snap', JSON.stringify(char));
  assert.is(withoutInvisible('jake\u{E006A}\u{E0061}\u{E006B}\u{E0065}'), 'jake', 'ASCII smuggled in tag characters');
});

test('what renders stays: emoji sequences, presentation selectors, flags, keycaps', () => {
  const kept = [
    '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', // family
    '\u{1F469}\u{1F3FD}\u200D\u{1F4BB}', // technologist, skin tone
    '\u2764\uFE0F\u200D\u{1F525}', // heart on fire
    '\u{1F3F3}\uFE0F\u200D\u{1F308}', // rainbow flag
    '\u{1F441}\uFE0F\u200D\u{1F5E8}\uFE0F', // eye in speech bubble
    '\u2764\uFE0F', // red heart, emoji presentation
    '\u263A\uFE0E', // smiling face, text presentation
    '1\uFE0F\u20E3', // keycap 1
    '#\uFE0F\u20E3', // keycap #
    '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', // England
    '\u{1F1EB}\u{1F1F7}', // France
    'family \u{1F468}\u200D\u{1F469}\u200D\u{1F466}\u200D\u{1F466} trip',
  ];
  for (const text of kept) assert.is(withoutInvisible(text), text, text);
});

test('joiners stay inside the scripts that spell with them, and go between Latin letters', () => {
  assert.is(withoutInvisible('\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645'), '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645', 'Persian ZWNJ');
  assert.is(withoutInvisible('\u0915\u094D\u200D\u0937'), '\u0915\u094D\u200D\u0937', 'Devanagari ZWJ after a virama');
  assert.is(withoutInvisible('in\u200Csta'), 'insta');
  assert.is(withoutInvisible('a\u200D😀'), 'a😀', 'a joiner after a letter joins no emoji');
  assert.is(withoutInvisible('😀\u200Da'), '😀a', 'a joiner before a letter joins no emoji');
  assert.is(withoutInvisible('🏴\u{E0041}x'), '🏴x', 'tags that make no flag go');
});

test('text without invisible characters is returned as it came (no copy)', () => {
  for (const text of ['hello there', 'ça va très bien', 'привет', '😂😂', '']) assert.ok(Object.is(withoutInvisible(text), text), text);
});

test('cleaning is idempotent and never leaves a removable character outside an emoji sequence', () => {
  const next = seededRandom(12);
  const pieces = ['a', 'é', '5', ' ', '😀', '👩', '🏽', '💻', '\u200D', '\u200C', '\uFE0F', '\u202E', '\u{E0067}', '🏴', '\u{E007F}', 'ی', 'क', '्', '\u00AD'];
  for (let i = 0; i < 3000; i++) {
    let text = '';
    for (let j = Math.floor(next() * 10); j > 0; j--) text += pieces[Math.floor(next() * pieces.length)];
    const once = withoutInvisible(text);
    assert.is(withoutInvisible(once), once, JSON.stringify(text));
    assert.not.match(once, /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u00AD]/, JSON.stringify(text));
  }
});

test('blank: only spaces, or nothing', () => {
  assert.ok(isBlank(''));
  assert.ok(isBlank('  \n\t'));
  assert.not.ok(isBlank(' a '));
  assert.not.ok(isBlank('😀'));
});

test.run();
