// Property tests of the relay-only SDP filter (ice-filter.ts), which reads a description in one
// pass with character tests: take a browser's offer, damage it at random — characters that break
// lines for some parser, line ends of the other kind, lines cut, repeated or spliced in from a
// hostile client — and check what a partner could receive. fast-check shrinks a failure to its
// smallest case; the seed replays it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isCanonicalDescriptionFrame, stripSdpForRelayOnly } from '../../server/chat/ice-filter.ts';
import { referenceStripSdp } from '../helpers/sdp-filter-reference.ts';

const RUNS = 1500;
const SEED = 20261202;

const chromium = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'chromium-offer.sdp'), 'utf8');
const BASES = [chromium.replace(/\r?\n/g, '\r\n'), chromium.replace(/\r?\n/g, '\n')];
/** Characters some parser reads as a line break, or that hide one: never in a description that passes. */
const BREAKERS = ['\r', '\u2028', '\u2029', '\u0085', '\0', '\x0b', '\x0c', '\x1b', '\x7f', 'é', '\uFEFF'];
/** What a hostile client splices in: addresses, repeats, sections, over-long lines. */
const SPLICES = [
  'a=candidate:1 1 udp 2122260223 192.168.1.23 54400 typ host generation 0',
  'a=candidate:2 1 udp 41885439 198.51.100.20 61234 typ relay raddr 203.0.113.7 rport 54400',
  'c=IN IP4 203.0.113.7',
  'o=- 1 2 IN IP4 203.0.113.7',
  'a=rtcp:54400 IN IP4 203.0.113.7',
  'm=audio 54400 UDP/TLS/RTP/SAVPF 111',
  'a=mid:1',
  'a=x-address:203.0.113.7',
  `a=fmtp:111 ${'x'.repeat(1100)}`,
  'v=0',
  'A=mid:0',
  '',
];
const SENDER_ADDRESSES = ['192.168.1.23', '203.0.113.7'];

const damage = fc.record({
  base: fc.nat({ max: BASES.length - 1 }),
  edits: fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), line: fc.constantFrom(...SPLICES) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.nat({ max: 60 }) }),
      fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), from: fc.nat() }),
    ),
    { maxLength: 5 },
  ),
});

type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

/** The damaged text: spliced lines go in at a line start, cuts may land anywhere. */
function apply({ base, edits }: Damage): string {
  let sdp = BASES[base]!;
  for (const edit of edits) {
    const lines = sdp.split('\n');
    if (edit.kind === 'splice') lines.splice(edit.at % (lines.length + 1), 0, `${edit.line}\r`);
    else if (edit.kind === 'repeat') lines.splice(edit.at % (lines.length + 1), 0, lines[edit.from % lines.length]!);
    else {
      const at = edit.at % (sdp.length + 1);
      sdp = sdp.slice(0, at) + sdp.slice(at + edit.length);
      continue;
    }
    sdp = lines.join('\n');
  }
  return sdp;
}

function check<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>): void {
  fc.assert(property, { numRuns: RUNS, seed: SEED });
}

test('whatever passes is printable CRLF lines, with no sender address, and reads the same a second time', () => {
  check(
    fc.property(damage, (input) => {
      const stripped = stripSdpForRelayOnly(apply(input));
      if (stripped === undefined) return;
      assert.ok(stripped.startsWith('v=0\r\n') && stripped.endsWith('\r\n'));
      const lines = stripped.slice(0, -2).split('\r\n');
      for (const line of lines) assert.match(line, /^[a-z]=[\x20-\x7e]*$/, JSON.stringify(line));
      for (const address of SENDER_ADDRESSES) assert.not.ok(stripped.includes(address), `${address} passed`);
      assert.is(lines.filter((line) => line.startsWith('v=')).length, 1);
      assert.is(stripSdpForRelayOnly(stripped), stripped, 'a rebuilt description is rebuilt as itself');
    }),
  );
});

test('a line-breaking or non-ASCII character anywhere refuses the whole description', () => {
  check(
    fc.property(damage, fc.nat(), fc.constantFrom(...BREAKERS), (input, at, breaker) => {
      const sdp = apply(input);
      const where = at % (sdp.length + 1);
      // A CR just before an LF is a CRLF line end, which SDP allows.
      if (breaker === '\r' && sdp[where] === '\n') return;
      assert.is(stripSdpForRelayOnly(sdp.slice(0, where) + breaker + sdp.slice(where)), undefined);
    }),
  );
});

test('LF and CRLF line ends read alike', () => {
  check(
    fc.property(damage, (input) => {
      const sdp = apply(input).replace(/\r\n/g, '\n');
      assert.is(stripSdpForRelayOnly(sdp), stripSdpForRelayOnly(sdp.replace(/\n/g, '\r\n')));
    }),
  );
});

test('the filter reads every damaged offer as the round-2 filter did (differential), and an unchanged one is given back as it came', () => {
  check(
    fc.property(damage, fc.boolean(), (input, breakOne) => {
      let sdp = apply(input);
      // Now and then a character no line may hold, anywhere: both must refuse alike.
      if (breakOne) sdp = `${sdp.slice(0, input.edits.length * 37)}\u2028${sdp.slice(input.edits.length * 37)}`;
      const stripped = stripSdpForRelayOnly(sdp);
      assert.is(stripped, referenceStripSdp(sdp));
      if (stripped !== undefined && stripped === sdp) assert.ok(sdp.endsWith('\r\n'));
    }),
  );
  for (const base of BASES) assert.is(stripSdpForRelayOnly(base), referenceStripSdp(base));
  const clean = referenceStripSdp(BASES[0]!)!;
  assert.is(stripSdpForRelayOnly(clean), clean, 'a CRLF offer with nothing to remove comes back unchanged');
});

/** Other spellings of one signal frame: each parses to the same message, and only the first is JSON.stringify's. */
const SPELLINGS: Array<(type: string, sdp: string) => string> = [
  (type, sdp) => JSON.stringify({ type: 'signal', data: { type, sdp } }),
  (type, sdp) => JSON.stringify({ type: 'signal', data: { sdp, type } }),
  (type, sdp) => JSON.stringify({ data: { type, sdp }, type: 'signal' }),
  (type, sdp) => JSON.stringify({ type: 'signal', data: { type, sdp } }, null, 1),
  (type, sdp) => JSON.stringify({ type: 'signal', data: { type, sdp } }).replace('\\r\\n', '\\u000d\\n'),
  (type, sdp) => JSON.stringify({ type: 'signal', data: { type, sdp } }).replace('\\n', '\\u000a'),
  (type, sdp) => JSON.stringify({ type: 'signal', data: { type, sdp } }).replace('/', '\\/'),
  (type, sdp) => JSON.stringify({ type: 'signal', data: { type, sdp } }).replace('v=0', '\\u0076=0'),
  (type, sdp) => `{"type":"signal","data":{"type":"${type}","sdp":"x","sdp":${JSON.stringify(sdp)}}}`,
  (type, sdp) => `{"type":"signal","type":"signal","data":{"type":"${type}","sdp":${JSON.stringify(sdp)}}}`,
  (type, sdp) => ` ${JSON.stringify({ type: 'signal', data: { type, sdp } })}`,
];

test('a description frame counts as its own serialisation exactly when it is JSON.stringify\'s spelling (differential)', () => {
  check(
    fc.property(damage, fc.constantFrom('offer', 'answer'), fc.nat({ max: SPELLINGS.length - 1 }), fc.constantFrom('', '"', '\\', '\t', 'é', '\n', '\r\n'), (input, type, spelling, extra) => {
      // What the filter keeps, and now and then a character it would not have kept, to see the check refuse it alone.
      const kept = stripSdpForRelayOnly(apply(input)) ?? BASES[1]!;
      const sdp = extra ? kept.replace('s=-', `s=-${extra}`) : kept;
      const text = SPELLINGS[spelling]!(type, sdp);
      const frame = Buffer.from(text);
      const parsed = JSON.parse(text) as { data: { type: 'offer' | 'answer'; sdp: string } };
      assert.is(parsed.data.sdp, sdp);
      assert.is(isCanonicalDescriptionFrame(frame, { type, sdp }), text === JSON.stringify({ type: 'signal', data: { type, sdp } }) && !/["\\\t\u0080-\uffff]/.test(sdp), text);
    }),
  );
});

test('a browser offer kept by the filter goes as it came; re-spelt, it is serialised again', () => {
  const sdp = stripSdpForRelayOnly(BASES[0]!)!;
  assert.ok(isCanonicalDescriptionFrame(Buffer.from(JSON.stringify({ type: 'signal', data: { type: 'offer', sdp } })), { type: 'offer', sdp }));
  assert.not.ok(isCanonicalDescriptionFrame(Buffer.from(JSON.stringify({ type: 'signal', data: { type: 'offer', sdp } })), { type: 'answer', sdp }));
  for (const spell of SPELLINGS.slice(1)) assert.not.ok(isCanonicalDescriptionFrame(Buffer.from(spell('offer', sdp)), { type: 'offer', sdp }));
});

test('an m= line run into its c= line does not carry the address through as formats', () => {
  const sdp = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96 97 IN IP4 192.168.1.23', 'a=mid:0', ''].join('\r\n');
  assert.is(stripSdpForRelayOnly(sdp), undefined);
  assert.ok(stripSdpForRelayOnly(sdp.replace(' IN IP4 192.168.1.23', ''))?.includes('m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n'));
});

test.run();
