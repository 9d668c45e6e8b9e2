// The message filter's shortcuts against the long way round, on many random and adversarial
// strings: the screen in front of obscenity must never hide a match obscenity would report,
// ASCII folding must equal folding code point by code point, and a list's quick yes/no must
// agree with its spans. A shortcut that drifts (a new obscenity, a changed pattern) fails here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from 'obscenity';
import { ProfanityList } from '../../server/moderation/profanity.ts';
import { WordList } from '../../server/moderation/filter.ts';
import { foldText, joinSpacedLetters } from '../../server/moderation/text-fold.ts';
import { HOSTILE_INPUTS } from '../helpers/hostile-inputs.ts';
import { seededRandom } from '../helpers/random.ts';

const RANDOM_STRINGS = 4000;
const ALLOWED = ['cockpit', 'pussycat', 'tit for tat'];

const dataset = englishDataset.build();
const obscenity = new RegExpMatcher({ ...dataset, whitelistedTerms: [...(dataset.whitelistedTerms ?? []), ...ALLOWED], ...englishRecommendedTransformers });
/** Pieces that make near misses likely: listed words, whitelisted words, leetspeak, separators, look-alikes. */
const PIECES = [
  'fuck', 'shit', 'ass', 'anal', 'cum', 'sex', 'tit', 'nig', 'cock', 'porn', 'rape', 'dick', 'whore', 'bitch', 'slut',
  ...(dataset.whitelistedTerms ?? []), ...ALLOWED, 'class', 'assume', 'document', 'hello', 'the', 'word', 'word12',
  '4', '@', '$', '5', '1', '|', '!', '0', '3', '7', '(', '/', ' ', '  ', '.', '-', '_', '*', 'ss', 'oo', 'eee',
  'ѕ', 'о', 'а', 'ｆ', '\u200B', 'é', 'ß', '😀', '\uD800', 'FUCK', 'ShIt',
];

function randomStrings(seed: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: RANDOM_STRINGS }, () => {
    let text = '';
    const pieces = 1 + Math.floor(next() * 8);
    for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(next() * PIECES.length)];
    return text;
  });
}

const ADVERSARIAL = [...HOSTILE_INPUTS, 'f'.repeat(1000), 'fu'.repeat(500), 'a$'.repeat(500), 's'.repeat(999) + 'x', '', ' ', '\uDC00abc'];

test('the screen in front of obscenity reports exactly what obscenity does', () => {
  const list = new ProfanityList(ALLOWED);
  const differ = [...randomStrings(1), ...ADVERSARIAL]
    .flatMap((text) => [text, foldText(text).text, joinSpacedLetters(foldText(text)).text])
    .filter((text) => JSON.stringify(list.matches(text)) !== JSON.stringify(obscenity.getAllMatches(text)));
  assert.equal(differ, []);
});

test('folding ASCII text at once equals folding it code point by code point', () => {
  const next = seededRandom(2);
  const texts = Array.from({ length: RANDOM_STRINGS }, () =>
    Array.from({ length: Math.floor(next() * 40) }, () => String.fromCharCode(Math.floor(next() * 0x80))).join(''),
  );
  for (const text of texts) {
    // A non-ASCII character at the end sends the text down the general path.
    const general = foldText(`${text}é`);
    const fast = foldText(text);
    // The fast path leaves out the position maps, which means "each unit from the same position".
    assert.equal(fast, { text: general.text.slice(0, -1) }, JSON.stringify(text));
    const identity = Array.from({ length: text.length }, (_, i) => i);
    assert.equal(general.start!.slice(0, -1), identity, JSON.stringify(text));
    assert.equal(general.end!.slice(0, -1), identity.map((i) => i + 1), JSON.stringify(text));
  }
});

test('folding the same non-ASCII text twice gives the same result (the per-character cache)', () => {
  for (const text of randomStrings(3)) assert.equal(foldText(text), foldText(text), JSON.stringify(text));
});

test('an operator list says it matches exactly when it has spans', () => {
  const lists = [
    new WordList(['ass', 'kill yourself', 'banana', 'god']),
    new WordList(Array.from({ length: 120 }, (_, i) => `word${i}*`)),
    new WordList(['*hole', '*darn', 'nazi*', '*ass*']),
  ];
  for (const list of lists) {
    for (const text of [...randomStrings(4), ...ADVERSARIAL, 'word7 word12 wordy', 'a hole', '455', 'a455']) {
      const folded = joinSpacedLetters(foldText(text));
      assert.is(list.matches(folded), list.spans(folded).length > 0, JSON.stringify(text));
    }
  }
});

test.run();
