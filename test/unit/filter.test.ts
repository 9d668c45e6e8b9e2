// The message filter on its own: the evasion corpus (each trick people use to slip a word past
// a filter), the Scunthorpe corpus (ordinary words that contain a rude one), masking in the
// text as sent, the operator's own lists, and when contact details are refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfiguredFilter, BLOCK_MESSAGES, maskSpans, type FilterContext, type FilterSettings, type FilterVerdict } from '../../server/moderation/filter.ts';
import { RecentMessages } from '../../server/moderation/message-window.ts';
import { makeConfig } from '../../server/config.ts';
import { HOSTILE_INPUTS } from '../helpers/hostile-inputs.ts';
import { SPLIT_EVASIONS } from '../helpers/corpus.ts';

const ADULT: FilterContext = { band: 'adult', profile: 'community' };
const MINOR: FilterContext = { band: 'minor', profile: 'community' };

function filterWith(filters: Partial<FilterSettings>): ConfiguredFilter {
  return new ConfiguredFilter(makeConfig({ settings: { filters } }).settings.filters);
}

function verdicts(filter: ConfiguredFilter, texts: readonly string[], context = ADULT): Array<[string, FilterVerdict]> {
  return texts.map((text) => [text, filter.check(text, context)]);
}

function assertBlocked(filter: ConfiguredFilter, texts: readonly string[], context = ADULT): void {
  const passed = verdicts(filter, texts, context).filter(([, v]) => v.action !== 'block');
  assert.equal(passed.map(([t]) => t), [], 'these should have been blocked');
}

function assertUntouched(filter: ConfiguredFilter, texts: readonly string[], context = ADULT): void {
  const changed = verdicts(filter, texts, context).filter(([text, v]) => v.action !== 'pass' || v.text !== text);
  assert.equal(changed, [], 'these should have passed unchanged');
}

const blockProfanity = filterWith({ profanity: 'block' });
const maskProfanity = filterWith({ profanity: 'mask' });

/** One line per evasion technique, each spelling a word from obscenity's English list. */
const EVASIONS = {
  plain: ['fuck', 'shit', 'bitch'],
  case: ['FUCK', 'ShIt', 'bItCh'],
  leetspeak: ['b4stard', 'p3nis', 'b1tch', 's1ut', 'wh0re', 'a55', 'shi7', '@ss', '$hit', 'b!tch'],
  'zero-width and invisible characters': ['fu\u200Bck', 's\u200Ch\u200Dit', 'bi\u2060tch', 'sh\u00ADit', 'f\uFEFFuck', 'c\u034Funt'],
  'Cyrillic look-alikes': ['fu\u0441k', '\u0455hit', 'bit\u0441h', 'wh\u043Ere', '\u0410SS'],
  'Greek look-alikes': ['f\u03C5ck', 'b\u03B9tch', 'wh\u03BFre', 'd\u03B9ck'],
  'fullwidth and mathematical forms': ['\uFF46\uFF55\uFF43\uFF4B', '\u{1D41F}\u{1D42E}\u{1D41C}\u{1D424}', '\u24E2\u24D7\u24D8\u24E3'],
  'accents and diacritics': ['fück', 'shìt', 'bítch', 'cünt', 'fu\u0308ck', 'ŝĥîţ'],
  'small capitals': ['ꜰᴜᴄᴋ'],
  'repeated letters': ['fuuuuuck', 'shiiiiit', 'fuckkkk', 'biiiitch'],
  'separators between letters': ['f.u.c.k', 'f u c k', 'f-u-c-k', 'f_u_c_k', 'f*u*c*k', 's . h . i . t', 'b|i|t|c|h', 'F U C K YOU'],
  'several at once': ['Ƒ Ụ Ç Ķ', 'ｓ\u200Bｈ１ｔ', 's.\u200Bh.1.t', 'fᴜᴜᴜck'],
} as const;

for (const [technique, texts] of Object.entries(EVASIONS)) {
  test(`evasion: ${technique} is seen through`, () => assertBlocked(blockProfanity, texts));
}

/** Ordinary words and phrases that contain a rude one (the Scunthorpe problem). */
const SCUNTHORPE = [
  'class', 'assassin', 'Scunthorpe', 'cockpit', 'shiitake', 'I love shiitake mushrooms', 'the cockpit of a plane',
  'classic', 'passion', 'assess the grass', 'bass guitar', 'Sussex', 'Essex', 'Middlesex', 'therapist', 'grapes',
  'the pen is mightier', 'cocktail', 'peacock', 'Hancock', 'Dickens', 'Dickinson', 'analysis', 'canal', 'document',
  'circumstance', 'cumulative', 'title', 'constitution', 'Titanic', 'arsenal', 'button', 'Penistone', 'tit for tat',
  'I got 455 points', 'hello there', 'I am 15', 'see you at 3:30',
  'je suis en retard', 'désolé du retard', 'le bus a du retard', 'on va retarder le match',
];

test('false positives: ordinary words containing a rude one pass unchanged, blocking or masking', () => {
  assertUntouched(blockProfanity, SCUNTHORPE);
  assertUntouched(maskProfanity, SCUNTHORPE);
});

test('the English slur is still masked where the French word for a delay is allowed', () => {
  assert.equal(maskProfanity.check("you're a retard", ADULT), { action: 'pass', text: "you're a ******" });
  assert.equal(maskProfanity.check('so retarded', ADULT), { action: 'pass', text: 'so ******ed' });
});

test('false positives: separators in ordinary text do not join words into rude ones', () => {
  const texts = ['a sh it', 'this hit', 'I a m here', 'a b c', 'ok.bye', 'wait...what', 'is it a b c or d', 'as soon as', 'e.g. this'];
  assertUntouched(blockProfanity, texts);
});

test('profanity off: the built-in list does nothing; the operator lists still work', () => {
  const filter = filterWith({ profanity: 'off', block: ['grapefruit'] });
  assertUntouched(filter, ['fuck', 'shit']);
  assertBlocked(filter, ['gr4pefruit']);
});

test('profanity block: refused with reason words and a message for the sender', () => {
  const verdict = blockProfanity.check('well fuck this', ADULT);
  assert.equal(verdict, { action: 'block', reason: 'words', message: BLOCK_MESSAGES.words });
});

test('masking: the matched span of the text as sent becomes asterisks of the same length', () => {
  const cases: Array<[string, string]> = [
    ['what the fuck', 'what the ****'],
    ['FUCK you', '**** you'],
    ['oh shit, shit!', 'oh ****, ****!'],
    ['f.u.c.k off', '******* off'],
    ['f u c k', '*******'],
    ['\uFF46\uFF55\uFF43\uFF4B this', '**** this'],
    // Invisible characters are gone before anything is checked: the mask covers what is relayed.
    ['fu\u200Bck it', '**** it'],
    ['fu\u0308ck it', '***** it'],
    ['😀 shit 😀', '😀 **** 😀'],
    ['\u{1D41F}\u{1D42E}\u{1D41C}\u{1D424} off', '**** off'],
    ['you b1tch', 'you *****'],
    ['the fucking thing', 'the ****ing thing'],
  ];
  for (const [input, expected] of cases) {
    assert.equal(maskProfanity.check(input, ADULT), { action: 'pass', text: expected }, input);
  }
});

test('masking: each masked span has as many asterisks as it had characters', () => {
  assert.is(maskSpans('abcdef', [[1, 3]]), 'a**def');
  assert.is(maskSpans('ab😀cd', [[1, 5]]), 'a***d', 'an emoji is one character');
  assert.is(maskSpans('abcdef', [[1, 3], [2, 5], [5, 6]]), 'a*****', 'overlapping spans');
  assert.is(maskSpans('abc', []), 'abc');
});

test('operator block list: case, leetspeak, look-alikes, invisible characters, accents, repeats, separators', () => {
  const filter = filterWith({ profanity: 'off', block: ['toilets', 'banana'] });
  assertBlocked(filter, [
    'toilets', 'TOILETS', '7o1le7s', 't0i1ets', 'to!l3t$', 'toil3t5', 'b4n@n4', 'b@nana',
    'toi\u200Blets', 'тоilets', 'τoilets', 'ｔｏｉｌｅｔｓ', 'töìlêts',
    'toooilets', 'toilettts', 'baaanaaana',
    't.o.i.l.e.t.s', 't o i l e t s', 'b-a-n-a-n-a', 'my toilets!', '(banana)',
  ]);
  assertUntouched(filter, ['toilet', 'a toilet seat', 'bananas', 'bandana', '7011375']);
});

test('operator lists: doubled letters are the word’s own, three or more are stretching', () => {
  const filter = filterWith({ profanity: 'off', block: ['god'] });
  assertUntouched(filter, ['good', 'goods', 'so good']);
  assertBlocked(filter, ['god', 'gooood', 'g o d']);
});

test('operator lists: whole words by default; a * lets the word start earlier or go on', () => {
  const whole = filterWith({ profanity: 'off', block: ['ass'] });
  assertUntouched(whole, ['class', 'assassin', 'grass', 'passion']);
  assertBlocked(whole, ['ass', 'you ass!', 'a$$']);
  const prefix = filterWith({ profanity: 'off', block: ['nazi*'] });
  assertBlocked(prefix, ['nazi', 'nazis', 'n4zism']);
  assertUntouched(prefix, ['ghazi', 'the nazgul']);
  const suffix = filterWith({ profanity: 'off', mask: ['*hole'] });
  assert.equal(suffix.check('you asshole!', ADULT), { action: 'pass', text: 'you *******!' });
  assert.equal(suffix.check('a hole in one', ADULT), { action: 'pass', text: 'a **** in one' });
  assert.equal(suffix.check('holes', ADULT), { action: 'pass', text: 'holes' });
  // A leading wildcard is tried only where a run of its first letter starts (to stay linear on
  // "hhhh…"): a word whose own letters repeat that one still matches, and is masked whole.
  assert.equal(suffix.check('hhhole hohole ahhhole', ADULT), { action: 'pass', text: '****** ****** *******' });
  const leet = filterWith({ profanity: 'off', block: ['*ick'] });
  assertBlocked(leet, ['i!1ick', 'sick', 'dIIIIck', 'x!ck']);
  assertUntouched(leet, ['ic', 'icky']);
});

test('operator lists say otherwise: a listed word is blocked even where the built-in list allows it', () => {
  const filter = filterWith({ profanity: 'block', block: ['class', 'cock*'] });
  assertBlocked(filter, ['class', 'CLA$$', 'cockpit']);
  assertUntouched(filter, ['classic', 'assassin', 'Scunthorpe', 'shiitake']);
});

test('operator lists: phrases match across spaces and separators', () => {
  const filter = filterWith({ profanity: 'off', block: ['kill yourself'] });
  assertBlocked(filter, ['kill yourself', 'KILL  YOURSELF', 'kill.yourself', 'killyourself', 'k1ll y0urself now', 'go kill-yourself']);
  assertUntouched(filter, ['kill the lights yourself', 'skill yourself up']);
});

test('operator mask list: masked in place; the rest of the message is untouched', () => {
  const filter = filterWith({ profanity: 'off', mask: ['darn', 'heck'] });
  assert.equal(filter.check('darn it, what the HECK', ADULT), { action: 'pass', text: '**** it, what the ****' });
  assert.equal(filter.check('d4rn, d.a.r.n', ADULT), { action: 'pass', text: '****, *******' });
  assert.equal(filter.check('darning heckle', ADULT), { action: 'pass', text: 'darning heckle' });
});

test('block wins over mask: a message with a blocked and a masked word is refused', () => {
  const filter = filterWith({ profanity: 'mask', block: ['banana'], mask: ['darn'] });
  assert.is(filter.check('darn banana', ADULT).action, 'block');
  assert.is(filter.check('fuck this banana', ADULT).action, 'block');
  assert.is(filterWith({ profanity: 'mask', block: ['darn'], mask: ['darn'] }).check('darn', ADULT).action, 'block');
  assert.is(filterWith({ profanity: 'block', mask: ['fuck'] }).check('fuck', ADULT).action, 'block');
});

test('contact details: auto refuses them in the school profile and in the under-18 band only', () => {
  const filter = filterWith({});
  const text = 'call me on 555-123-4567';
  assert.equal(filter.check(text, { band: 'adult', profile: 'school' }), { action: 'block', reason: 'phone', message: BLOCK_MESSAGES.phone });
  assert.equal(filter.check(text, { band: 'minor', profile: 'school' }).action, 'block');
  assert.equal(filter.check(text, MINOR), { action: 'block', reason: 'phone', message: BLOCK_MESSAGES.phone });
  assert.equal(filter.check(text, ADULT), { action: 'pass', text });
  assert.equal(filter.check(text, { band: 'adult', profile: 'adult' }), { action: 'pass', text });
});

test('contact details: always and never override the profile and the band', () => {
  const always = filterWith({ contactDetails: 'always' });
  const never = filterWith({ contactDetails: 'never' });
  const link = 'see https://example.org/page';
  assert.equal(always.check(link, ADULT), { action: 'block', reason: 'link', message: BLOCK_MESSAGES.link });
  assert.equal(never.check(link, MINOR), { action: 'pass', text: link });
  assert.equal(never.check(link, { band: 'minor', profile: 'school' }), { action: 'pass', text: link });
});

test('contact details: the message to the sender names what was refused', () => {
  const filter = filterWith({ contactDetails: 'always' });
  const reasons = ['mail me at jo@example.org', 'call 555 123 4567', 'go to example.com', 'add me on snapchat'].map((text) => {
    const verdict = filter.check(text, ADULT);
    return verdict.action === 'block' ? [verdict.reason, verdict.message] : ['pass', text];
  });
  assert.equal(reasons, [
    ['email', BLOCK_MESSAGES.email],
    ['phone', BLOCK_MESSAGES.phone],
    ['link', BLOCK_MESSAGES.link],
    ['handle', BLOCK_MESSAGES.handle],
  ]);
  assert.is(new Set(Object.values(BLOCK_MESSAGES)).size, Object.keys(BLOCK_MESSAGES).length, 'each reason has its own message');
});

test('long hostile messages get a verdict (their cost is measured by bench/filter.ts)', () => {
  const filter = filterWith({ profanity: 'mask', block: Array.from({ length: 300 }, (_, i) => `word${i}*`), mask: ['*darn'], contactDetails: 'always' });
  for (const input of HOSTILE_INPUTS) {
    const verdict = filter.check(input, ADULT);
    assert.ok(verdict.action === 'pass' || verdict.action === 'block', input.slice(0, 10));
  }
  assert.is(filter.check('www.'.repeat(250), ADULT).action, 'block', 'a run of domains is a link');
  const leading = filterWith({ profanity: 'off', block: Array.from({ length: 300 }, (_, i) => `*word${i}`) });
  for (const input of HOSTILE_INPUTS) assert.is(leading.check(input, ADULT).action, 'pass', input.slice(0, 10));
  assert.is(leading.check(`${'w'.repeat(995)}ord17`, ADULT).action, 'block', 'a run of the first letter still ends in the entry');
});

test('every profile relays the text without its invisible characters, and checks that text', () => {
  const filter = filterWith({});
  for (const context of [ADULT, MINOR, { band: 'adult', profile: 'adult' } as const]) {
    assert.equal(filter.check('\u202Emoc.liamg@9002ekaj', context), { action: 'pass', text: 'moc.liamg@9002ekaj' });
    assert.equal(filter.check('hel\u200Blo \u{1F468}\u200D\u{1F469}\u200D\u{1F467}', context), { action: 'pass', text: 'hello \u{1F468}\u200D\u{1F469}\u200D\u{1F467}' });
  }
  const clean = 'nothing to remove here';
  const verdict = filter.check(clean, MINOR);
  assert.ok(verdict.action === 'pass' && Object.is(verdict.text, clean), 'clean text is passed on as it came');
});

test('a message with nothing visible left is refused as empty', () => {
  const filter = filterWith({});
  for (const text of ['\u200B', '\u202E\u202C', '\u2060\uFEFF', '   ', ' \u200B ']) {
    assert.equal(filter.check(text, ADULT), { action: 'block', reason: 'empty', message: BLOCK_MESSAGES.empty }, JSON.stringify(text));
  }
});

/** Sends `texts` from one sender, `at` ms apart; returns each verdict's action (and reason). */
function conversation(filter: ConfiguredFilter, texts: readonly string[], context: FilterContext = MINOR, stepMs = 1000): string[] {
  const recent = new RecentMessages();
  return texts.map((text, i) => {
    const verdict = filter.check(text, { ...context, recent, at: 1_000_000 + i * stepMs });
    return verdict.action === 'block' ? `block:${verdict.reason}` : 'pass';
  });
}

test('across messages: the message that completes a split contact detail is refused', () => {
  const filter = filterWith({});
  assert.equal(conversation(filter, ['555 123', '4567']), ['pass', 'block:phone']);
  assert.equal(conversation(filter, ['my snap is', 'jake_2009']), ['block:handle', 'pass'], '"my snap is" alone is refused, and not read again');
  assert.equal(conversation(filter, ['555 123', 'lol', '4567']), ['pass', 'pass', 'block:phone'], 'filler between the pieces');
  assert.equal(conversation(filter, ['555', 'wait', '123', '4567']), ['pass', 'pass', 'pass', 'block:phone']);
  assert.equal(conversation(filter, ['snap', 'lol', 'jake_2009']), ['pass', 'pass', 'block:handle']);
  assert.equal(conversation(filter, ['snap', 'jake_2009']), ['pass', 'block:handle']);
  assert.equal(conversation(filter, ['jake2009@', 'gmail']), ['pass', 'block:email']);
  assert.equal(conversation(filter, ['sn', 'ap: jake']), ['pass', 'block:handle'], 'a word cut in two');
  assert.equal(conversation(filter, ['06 12', '34', '56 78']), ['pass', 'pass', 'block:phone']);
});

test('across messages: every split in the corpus is refused at its last message, with its kind', () => {
  const filter = filterWith({});
  const wrong = SPLIT_EVASIONS.map((split) => ({ messages: split.messages, verdicts: conversation(filter, split.messages, { band: 'minor', profile: 'school' }) }))
    .filter(({ messages, verdicts }, i) => JSON.stringify(verdicts) !== JSON.stringify([...messages.slice(1).map(() => 'pass'), `block:${SPLIT_EVASIONS[i]!.kind}`]));
  assert.equal(wrong, []);
});

test('across messages: a refused message is not read with the next ones', () => {
  const filter = filterWith({});
  // The refused number stays out of the window: the next ordinary messages pass.
  assert.equal(conversation(filter, ['call 555 123 4567', 'ok', '4567 was my old locker lol']), ['block:phone', 'pass', 'pass']);
});

test('across messages: the window holds windowMessages messages and windowSeconds', () => {
  const filter = filterWith({ windowMessages: 3, windowSeconds: 60 });
  assert.equal(conversation(filter, ['555 123', 'lol', '4567']), ['pass', 'pass', 'block:phone'], 'within three messages');
  assert.equal(conversation(filter, ['555 123', 'lol', 'wait', '4567']), ['pass', 'pass', 'pass', 'pass'], 'three messages between');
  assert.equal(conversation(filter, ['555 123', '4567'], MINOR, 61_000), ['pass', 'pass'], 'more than a minute apart');
  assert.equal(conversation(filterWith({ windowMessages: 1 }), ['555 123', '4567']), ['pass', 'pass'], '1: each message alone');
});

test('across messages: cleared for a new conversation, and only where contact details are refused', () => {
  const filter = filterWith({});
  const recent = new RecentMessages();
  assert.is(filter.check('555 123', { ...MINOR, recent, at: 1 }).action, 'pass');
  recent.clear();
  assert.is(filter.check('4567', { ...MINOR, recent, at: 2 }).action, 'pass', 'a new conversation starts afresh');
  assert.equal(conversation(filter, ['555 123', '4567'], ADULT), ['pass', 'pass'], 'adults on a community instance may share numbers');
});

test('across messages: ordinary chat sent in pieces still passes', () => {
  const filter = filterWith({});
  const chats = [
    ["I'm 14", 'you?', '15', 'cool'],
    ['what year are you in', 'year 9', 'room 204 today'],
    ['we won 3-1', 'then 2-2', 'then lost 0-1'],
    ['le contrôle est à 10h30', 'salle 204', 'à 14h'],
    ['2', '+', '2', '=', '4'],
    ['14', '15', '16', '17'],
    ['2009', '2010'],
    ['ok.bye', 'see you at 5pm', 'lol'],
    ['see you @5pm', 'ok'],
    ['room 06 12', 'lol', 'still here', 'my snap is broken lol'.slice(0, 7)],
    ['I got 3', 'my brother got 4'],
  ];
  for (const chat of chats) assert.equal(conversation(filter, chat), chat.map(() => 'pass'), JSON.stringify(chat));
});

test.run();
