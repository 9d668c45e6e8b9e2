// Contact details in chat messages, unit by unit: the attack corpus (test/fixtures/contact-
// evasions.json, each entry with the kind the sender is told) and the ordinary chat that must
// pass (test/fixtures/ordinary-chat.json), class by class so that a failure names its class; then
// the phone-number reading on its own. The same corpus runs end to end in
// test/integration/filter-corpus.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findContactDetails } from '../../server/moderation/contact-details.ts';
import { withoutInvisible } from '../../server/moderation/invisible.ts';
import { isPhoneNumber, numberRuns } from '../../server/moderation/phone-numbers.ts';
import { spelledNumbersAsDigits } from '../../server/moderation/number-words.ts';
import { byClass, EVASIONS, ORDINARY } from '../helpers/corpus.ts';

/** What the filter reads: the message without its invisible characters. */
const kindOf = (text: string) => findContactDetails(withoutInvisible(text));

test('the corpus is as large as the issue asks, in English and French', () => {
  assert.ok(EVASIONS.length >= 200, `${EVASIONS.length} evasions`);
  assert.ok(ORDINARY.length >= 150, `${ORDINARY.length} ordinary messages`);
  for (const lang of ['en', 'fr']) {
    assert.ok(EVASIONS.filter((e) => e.lang === lang).length >= 100, `evasions in ${lang}`);
    assert.ok(ORDINARY.filter((o) => o.lang === lang).length >= 75, `ordinary messages in ${lang}`);
  }
});

for (const [name, evasions] of byClass(EVASIONS)) {
  test(`evasion class ${name}: each is refused, with the kind the sender is told`, () => {
    const missed = evasions.map((e) => ({ text: e.text, expected: e.kind, found: kindOf(e.text) })).filter((r) => r.found !== r.expected);
    assert.equal(missed, []);
  });
}

for (const [name, messages] of byClass(ORDINARY)) {
  test(`ordinary class ${name}: no contact detail`, () => {
    const flagged = messages.map((m) => ({ text: m.text, found: kindOf(m.text) })).filter((r) => r.found !== undefined);
    assert.equal(flagged, []);
  });
}

/** The phone rule on one number as written. */
function readsAsPhone(text: string): boolean {
  return numberRuns(spelledNumbersAsDigits(text)).some(isPhoneNumber);
}

test('numbers: digit groups, what stands between them, and where a number ends', () => {
  assert.equal(numberRuns('call 555-123-4567 now'), [{ groups: ['555', '123', '4567'], separators: ['-', '-'], international: false }]);
  assert.equal(numberRuns('+33 6 12'), [{ groups: ['33', '6', '12'], separators: [' ', ' '], international: true }]);
  assert.equal(numberRuns('06a12b34').map((r) => r.groups), [['06', '12634']], 'one letter between digits joins them; b reads as 6');
  assert.equal(numberRuns("I'm 14 and 15").map((r) => r.groups), [['14'], ['15']], 'a word keeps numbers apart');
  assert.equal(numberRuns('0 7 l E 2').map((r) => r.groups), [['0', '7', '1', '3', '2']], 'a look-alike alone among digits dictated one by one is a digit');
  assert.equal(numberRuns('06 O 12').map((r) => r.groups), [['06', '0', '12']], 'so is an O anywhere in a number');
  assert.equal(numberRuns('12/05 À 10H30').map((r) => r.groups), [['12', '05', '10', '30']], 'but a word of one letter between longer groups is a word');
  assert.equal(numberRuns('12.30 TO 13.15').map((r) => r.groups), [['12', '30'], ['13', '15']], 'and so is a word of two ("TO", "IS")');
  assert.equal(numberRuns('O6 l2 34').map((r) => r.groups), [['06', '12', '34']], 'look-alikes with digits in one word are digits');
  assert.equal(numberRuns('555 -------------- 1234').map((r) => r.groups), [['555'], ['1234']], 'a long gap ends a number');
  assert.equal(numberRuns('5😀5😀5').map((r) => r.groups), [['5', '5', '5']], 'an emoji is a separator');
});

test('spelled numbers: English and French, compounds, leetspeak, words run together', () => {
  const cases: Array<[string, string]> = [
    ['five five five', '5 5 5'],
    ['thirty four', '34'],
    ['soixante-dix-huit', '78'],
    ['quatre-vingt-dix-neuf', '99'],
    ['vingt et un', '21'],
    ['quatre vingts', '80'],
    ['five hundred fifty five', '555'],
    ['double five', '55'],
    ['oh seven', '0 7'],
    ['f1ve s3ven', '5 7'],
    ['fivefivefive', '5 5 5'],
    ['oh my god', 'oh my god'],
    ['someone is done with the phone', 'someone is done with the phone'],
    ['five and a half', '5 and a half'],
  ];
  assert.equal(cases.map(([text]) => spelledNumbersAsDigits(text)), cases.map(([, digits]) => digits));
});

test('phone numbers against numbers that only look long', () => {
  for (const text of ['555-123-4567', '+44 20 7946 0958', '06 12 34 56 78', '5551234567', '5 5 5 1 2 3 4', '555 555 5555', '06.12-34.56-78', '612.345.678', '06, 12, 34, 56, 78', '5, 5, 5, 1, 2, 3, 4']) {
    assert.ok(readsAsPhone(text), text);
  }
  for (const text of ['1000000', '1111111', '1234567', '3.14159265', '1.000.000', '1,234,567', '2009-05-12', '12/05/2009', '2019-2024', '1 2 3 4 5 6 7', '21-15 21-18', '10:30-11:45', '12*12=144', '1500-2300', '10, 25, 33, 47', '12/05/2009 à 10h30', '9 (2023-2024']) {
    assert.not.ok(readsAsPhone(text), text);
  }
});

test('the cleaning comes first: a right-to-left override shows the text as it was typed', () => {
  // U+202E makes "moc.liamg@9002ekaj" render as jake2009@gmail.com; without it, it is gibberish.
  assert.is(withoutInvisible('\u202Emoc.liamg@9002ekaj'), 'moc.liamg@9002ekaj');
  assert.is(kindOf('\u202Emoc.liamg@9002ekaj'), undefined, 'what is relayed is what was checked: not an address');
});

test.run();
