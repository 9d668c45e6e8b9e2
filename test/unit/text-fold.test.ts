// Folding for the filter: look-alikes from Unicode's confusables data (UTS #39) and the English
// look-alike table, digits of any script, dots that stand for ".", and the two letters neither
// table maps (a named gap stays named only while it is one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import UTS39 from 'unhomoglyph/data.json' with { type: 'json' };
import { confusablesMap } from 'confusables';
import { FOLD_GAPS, foldText } from '../../server/moderation/text-fold.ts';

const fold = (text: string) => foldText(text).text;

test('look-alike letters of other scripts and styles fold to Latin', () => {
  const cases: Array<[string, string]> = [
    ['ѕnар', 'snap'], // Cyrillic
    ['іnѕtа', 'insta'],
    ['ԁіѕсоrԁ', 'discord'],
    ['ꜱɴᴀᴘ', 'snap'], // small capitals
    ['𝓼𝓷𝓪𝓹', 'snap'], // mathematical script
    ['ｓｎａｐ', 'snap'], // fullwidth
    ['ⓢⓝⓐⓟ', 'snap'], // circled
    ['Ꮪ𝗇ɑр', 'snap'], // Cherokee, sans-serif, Latin alpha, Cyrillic
    ['ꓢꓠꓮꓑ', 'snap'], // Lisu
    ['ΙΝЅΤΑ', 'insta'], // Greek and Cyrillic capitals
    ['в н к м т', 'b h k m t'], // Cyrillic lower case that imitates small capitals
  ];
  assert.equal(cases.map(([text]) => fold(text)), cases.map(([, latin]) => latin));
});

test('digits of any script are ASCII digits; dots that stand for "." are "."', () => {
  assert.is(fold('٠٧٩٤ ०७९४ ০৭৯৪ ０７９４ 𝟎𝟕𝟗𝟒'), '0794 0794 0794 0794 0794');
  assert.is(fold('a\u2024b a\u00B7b a\uFF0Eb a\u3002b a\u2022b a\u2219b a\u30FBb'), 'a.b a.b a.b a.b a.b a.b a.b');
});

test('the named gaps are letters that neither table maps to Latin', () => {
  const prototypes = UTS39 as Record<string, string>;
  for (const [char, latin] of Object.entries(FOLD_GAPS)) {
    const prototype = prototypes[char];
    assert.ok(prototype === undefined || /[^\x00-\x7F]/.test(prototype.normalize('NFKD')), `${char}: confusables.txt now maps it to ${prototype}`);
    assert.not.ok(confusablesMap.has(char) && confusablesMap.get(char)!.toLowerCase() === latin, `${char}: the confusables package now maps it`);
    assert.is(fold(char), latin);
  }
});

test('ordinary accented and non-Latin text folds without losing its letters', () => {
  assert.is(fold('ça va très bien'), 'ca va tres bien');
  assert.is(fold('你好'), '你好');
  assert.is(fold('Straße'), 'strasse');
});

test.run();
