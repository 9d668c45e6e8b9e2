// Contact details and links in chat messages: a corpus of what must be caught (with the kind
// the sender is told about) and of ordinary chat that must not be (ages, times, years, scores,
// decimals, words containing "com", dots at sentence ends).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findContactDetails, isPhoneNumber, type ContactKind } from '../../server/moderation/contact-details.ts';

function misses(corpus: Record<string, ContactKind>): Array<[string, ContactKind | undefined, ContactKind]> {
  return Object.entries(corpus)
    .map(([text, kind]): [string, ContactKind | undefined, ContactKind] => [text, findContactDetails(text), kind])
    .filter(([, found, kind]) => found !== kind);
}

test('e-mail addresses, written out or disguised', () => {
  assert.equal(
    misses({
      'mail me: john.doe@gmail.com': 'email',
      'JOHN.DOE@GMAIL.COM': 'email',
      'john @ gmail.com': 'email',
      'name+tag@school.example.org': 'email',
      'name at gmail dot com': 'email',
      'name (at) yahoo (dot) com': 'email',
      'name[at]hotmail[dot]co.uk': 'email',
      'name {at} outlook {dot} com': 'email',
      'jane at gmail': 'email',
      'jane@icloud': 'email',
      'j\u200Bane@gm\u200Bail.com': 'email',
      'jane@gmаil.com': 'email', // Cyrillic а
      'ｊａｎｅ＠ｇｍａｉｌ．ｃｏｍ': 'email',
    }),
    [],
  );
});

test('phone numbers: international and national formats, spaced, dotted, dashed, dictated', () => {
  assert.equal(
    misses({
      'call 555-123-4567': 'phone',
      '(555) 123-4567': 'phone',
      '555.123.4567': 'phone',
      '5551234567': 'phone',
      '555 1234': 'phone',
      '+44 20 7946 0958': 'phone',
      '+447946095812': 'phone',
      '+1 (555) 123 4567': 'phone',
      '0044 20 7946 0958': 'phone',
      '07946 095812': 'phone',
      '06 12 34 56 78': 'phone',
      '030/1234567': 'phone',
      '5 5 5 - 1 2 3 - 4 5 6 7': 'phone',
      '0 7 9 4 6 0 9 5 8 1 2': 'phone',
      'five five five one two three four': 'phone',
      'my number is five 5 five 1 two 3 four': 'phone',
      'Five Five Five, one two three, four five six seven': 'phone',
      '5,5,5,1,2,3,4': 'phone',
      '\uFF15\uFF15\uFF15\uFF11\uFF12\uFF13\uFF14': 'phone',
      '٠٧٩٤٦٠٩٥٨١٢': 'phone', // Arabic-Indic digits
      '555\u200B123\u200B4567': 'phone',
    }),
    [],
  );
});

test('links: URLs, www, bare domains, shorteners and invite links', () => {
  assert.equal(
    misses({
      'https://example.org/x': 'link',
      'HTTP://EXAMPLE.ORG': 'link',
      'h t t p s : / / example': 'link',
      'go to www.example': 'link',
      'example.com': 'link',
      'visit my-site.co.uk today': 'link',
      'example.io': 'link',
      'example dot com': 'link',
      'example . com': 'link',
      'example(.)com': 'link',
      'example[.]net': 'link',
      'e x a m p l e . c o m': 'link',
      'ехаmрlе.com': 'link', // Cyrillic look-alikes
      'exa\u200Bmple.com': 'link',
      'ｅｘａｍｐｌｅ．ｃｏｍ': 'link',
      'example。com': 'link',
      't.me/somebody': 'link',
      'bit.ly/abc123': 'link',
      'discord.gg/xyz': 'link',
      'wa.me/15551234': 'link',
      'linktr.ee/me': 'link',
      'mysite.live/page': 'link',
      'find me at t.me': 'link',
    }),
    [],
  );
});

test('social handles and moving the chat elsewhere', () => {
  assert.equal(
    misses({
      '@cool_name': 'handle',
      'follow @Cool.Name': 'handle',
      'snap: coolname': 'handle',
      'snapchat - coolname': 'handle',
      'insta: x_y': 'handle',
      'discord: name#1234': 'handle',
      'ig: bob_12': 'handle',
      'sc = bob': 'handle',
      'add me on snapchat': 'handle',
      'Add me on snap pls': 'handle',
      'my ig is cool_kid': 'handle',
      'my snap is jj22': 'handle',
      "my insta's bob": 'handle',
      'my discord name is bob': 'handle',
      'my username is jj': 'handle',
      'hmu on insta': 'handle',
      'dm me on ig': 'handle',
      'text me on whatsapp': 'handle',
      'hit me up on telegram': 'handle',
      "what's your snap?": 'handle',
      'u have discord?': 'handle',
      'ur insta?': 'handle',
      "let's move to whatsapp": 'handle',
      'talk on signal?': 'handle',
      'ѕnap: bob': 'handle', // Cyrillic ѕ
    }),
    [],
  );
});

const ORDINARY = [
  // ages, times, years, counts
  "I'm 15", "I'm 15 and in year 10", 'at 3:30', 'see you at 10:45pm', '2024', 'in 2023 and 2024', 'from 1990-2024', '1990 2000',
  '1000 points', 'I have 1000000 points', '1,000,000 dollars', '1.000.000', '2 500 000', 'give me 5 mins', "I'm 5'11",
  'born 12/05/2009', '2009-05-12', '12.05.2009', 'room 101', 'top 10', 'level 99',
  // scores, decimals, lists, sums
  'we won 3-2', 'the score was 21-15, 21-18', '21-15 21-18', 'pi is 3.14159265', 'I scored 98.5%', 'that costs $19.99',
  'it is 10.30 now', '10.30 11.45', '1 2 3 4 5 6 7', '10 20 30 40 50', 'one two three four five six seven', 'version 2.1.3',
  'x = 10', '2 + 2 = 4', 'my scores: 10, 25, 33, 47', '1, 2, 3, 4, 5, 6, 7',
  // "com" inside words, dots in sentences
  'welcome!', 'we can become friends', 'I love computers', 'a compliment', 'ok.bye', 'wait...what', 'lol.so funny', 'i.e. this',
  'e.g. that', 'node.js is cool', 'index.html', 'the dot com bubble', 'u.s.a', 'end.of story', 'so...com on', 'hi.how are you',
  // "at", "@" and platform words in ordinary sentences
  'meet @ 5', 'see you @5pm', '@ 10', "I'm at home", 'look at this', 'ig that is fine', 'oh snap', 'I love tiktok videos',
  'my signal is bad', 'meet me in dc', 'call me later', 'my line is busy', 'join in line', 'what is your name?',
  'do you like discord servers', 'hello there', "what's up?", 'I am a b c', 'add me to the list',
];

test('ordinary chat carries no contact details', () => {
  const flagged = ORDINARY.map((text) => [text, findContactDetails(text)]).filter(([, kind]) => kind !== undefined);
  assert.equal(flagged, []);
});

test('isPhoneNumber: digit runs read as phone numbers or as numbers', () => {
  for (const run of ['555-123-4567', '+44 20 7946 0958', '06 12 34 56 78', '5551234567', '5 5 5 1 2 3 4', '555 555 5555']) {
    assert.ok(isPhoneNumber(run), run);
  }
  for (const run of ['123456', '1000000', '3.14159265', '1.000.000', '2009-05-12', '12/05/2009', '2019-2024', '1 2 3 4 5 6 7', '21-15 21-18']) {
    assert.not.ok(isPhoneNumber(run), run);
  }
});

test('a long hostile message is checked quickly', () => {
  const inputs = ['a.'.repeat(500), '1 '.repeat(500), '1-'.repeat(500), '@'.repeat(1000), 'a@'.repeat(500), 'my '.repeat(333), 'www.'.repeat(250), 'x'.repeat(1000)];
  const started = performance.now();
  for (const input of inputs) findContactDetails(input);
  const perMessage = (performance.now() - started) / inputs.length;
  assert.ok(perMessage < 20, `${perMessage.toFixed(1)} ms per message`);
});

test.run();
