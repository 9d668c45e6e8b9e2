// The rule of the on-device nudity check (web/src/scripts/lib/nudity-policy.ts), frame by frame:
// who sees the stranger's video blurred, when it is shown, when it blurs again, who may show it,
// and what happens when the check cannot run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isPositive, NudityPolicy, type Scores } from '../../web/src/scripts/lib/nudity-policy.ts';
import { makeConfig, resolveNudityFilter } from '../../server/config.ts';
import type { NudityFilterSettings } from '../../server/protocol/http.ts';

const settings = (overrides: Record<string, unknown> = {}): NudityFilterSettings =>
  resolveNudityFilter(makeConfig({ settings: { nudityFilter: { adults: true, consecutiveFrames: 3, ...overrides } } }).settings);

const scores = (top: keyof Scores, p = 0.9): Scores => {
  const rest = (1 - p) / 4;
  return { Drawing: rest, Hentai: rest, Neutral: rest, Porn: rest, Sexy: rest, [top]: p };
};
const CLEAN = scores('Neutral');
const PORN = scores('Porn');

test('a frame counts when one of Porn, Hentai or Sexy reaches its own threshold', () => {
  const s = settings({ thresholds: { porn: 0.5, hentai: 0.6, sexy: 0.8 } });
  assert.ok(isPositive(scores('Porn', 0.5), s));
  assert.ok(isPositive(scores('Hentai', 0.6), s));
  assert.not.ok(isPositive(scores('Hentai', 0.59), s));
  assert.not.ok(isPositive(scores('Sexy', 0.79), s), 'Sexy has its own, higher threshold');
  assert.ok(isPositive(scores('Sexy', 0.8), s));
  assert.not.ok(isPositive(scores('Drawing', 0.99), s), 'a drawing is not nudity');
  assert.not.ok(isPositive(CLEAN, s));
  assert.ok(isPositive(CLEAN, settings({ testTreatNeutralAsPositive: true })), 'the test setting makes Neutral count');
});

test("a minor's video is blurred until the first clean frame, then shown", () => {
  const policy = new NudityPolicy(settings({ adults: false }), 'minor');
  assert.equal(policy.view, { blurred: true, reason: 'checking', mayShow: false });
  assert.is(policy.frame(CLEAN), 'cleared');
  assert.equal(policy.view, { blurred: false, reason: undefined, mayShow: false });
});

test('K positive frames in a row blur it again, with the reason; a minor cannot show it, even after clean frames', () => {
  const policy = new NudityPolicy(settings(), 'minor');
  policy.frame(CLEAN);
  assert.is(policy.frame(PORN), undefined);
  assert.is(policy.frame(PORN), undefined);
  assert.is(policy.frame(CLEAN), undefined, 'a clean frame breaks the run');
  assert.is(policy.frame(PORN), undefined);
  assert.is(policy.frame(PORN), undefined);
  assert.is(policy.view.blurred, false);
  assert.is(policy.frame(PORN), 'flagged', 'the third in a row');
  assert.equal(policy.view, { blurred: true, reason: 'nudity', mayShow: false });
  assert.not.ok(policy.show(), 'a minor may not show it');
  for (let i = 0; i < 5; i++) policy.frame(CLEAN);
  assert.is(policy.view.blurred, true, 'it stays blurred for the rest of the conversation');
  assert.is(policy.view.reason, 'nudity');
});

test('positive frames while still checking blur it for nudity, never show it', () => {
  const policy = new NudityPolicy(settings(), 'minor');
  policy.frame(PORN);
  policy.frame(PORN);
  assert.is(policy.view.reason, 'checking');
  assert.is(policy.frame(PORN), 'flagged');
  assert.is(policy.view.reason, 'nudity');
});

test('an adult may show a flagged video; the same scene does not blur it again, a new run after a clean frame does', () => {
  const policy = new NudityPolicy(settings(), 'adult');
  assert.equal(policy.view, { blurred: true, reason: 'checking', mayShow: true }, 'blurred until checked by default');
  policy.frame(CLEAN);
  for (let i = 0; i < 3; i++) policy.frame(PORN);
  assert.equal(policy.view, { blurred: true, reason: 'nudity', mayShow: true });
  assert.ok(policy.show());
  assert.is(policy.view.blurred, false);
  for (let i = 0; i < 10; i++) assert.is(policy.frame(PORN), undefined, 'shown by choice: the same positives do not blur it again');
  policy.frame(CLEAN);
  policy.frame(PORN);
  policy.frame(PORN);
  assert.is(policy.frame(PORN), 'flagged', 'after a clean frame, a new run blurs it');
});

test('adults: shown at once when the instance does not blur until checked; not checked at all when adults are off', () => {
  const shownFirst = new NudityPolicy(settings({ adultsBlurUntilChecked: false }), 'adult');
  assert.equal(shownFirst.view, { blurred: false, reason: undefined, mayShow: true });
  for (let i = 0; i < 2; i++) shownFirst.frame(PORN);
  assert.is(shownFirst.frame(PORN), 'flagged');
  const unchecked = new NudityPolicy(settings({ adults: false }), 'adult');
  assert.not.ok(unchecked.checks);
  assert.equal(unchecked.view, { blurred: false, reason: undefined, mayShow: true });
  assert.is(unchecked.frame(PORN), undefined);
  assert.ok(new NudityPolicy(settings({ adults: false }), 'minor').checks, 'minors are checked whatever adults get');
});

test('the check unavailable: a minor stays blurred (fail closed); an adult as the instance says, and may show it', () => {
  const minor = new NudityPolicy(settings(), 'minor');
  minor.frame(CLEAN);
  assert.equal(minor.unavailable(), { blurred: true, reason: 'unavailable', mayShow: false }, 'even a video already shown');
  assert.is(minor.frame(CLEAN), undefined, 'no late result shows it');
  assert.equal(minor.begin(), { blurred: true, reason: 'unavailable', mayShow: false }, 'the next conversation too');
  const adult = new NudityPolicy(settings(), 'adult');
  assert.equal(adult.unavailable(), { blurred: true, reason: 'unavailable', mayShow: true });
  assert.ok(adult.show());
  assert.equal(adult.view, { blurred: false, reason: 'unavailable', mayShow: true });
  const adultShownFirst = new NudityPolicy(settings({ adultsBlurUntilChecked: false }), 'adult');
  assert.equal(adultShownFirst.unavailable(), { blurred: false, reason: 'unavailable', mayShow: true });
  const flagged = new NudityPolicy(settings({ consecutiveFrames: 1 }), 'adult');
  flagged.frame(PORN);
  assert.is(flagged.unavailable().reason, 'nudity', 'a video blurred for nudity keeps its reason');
});

test('each conversation starts blurred again', () => {
  const policy = new NudityPolicy(settings(), 'minor');
  policy.frame(CLEAN);
  assert.equal(policy.begin(), { blurred: true, reason: 'checking', mayShow: false });
  policy.frame(PORN);
  policy.frame(PORN);
  policy.begin();
  policy.frame(CLEAN);
  policy.frame(PORN);
  assert.is(policy.frame(PORN), undefined, 'a run does not carry over from the last conversation');
});

test('the settings as each profile gets them: on for minors everywhere, for adults in schools', () => {
  const of = (input: Record<string, unknown>) => resolveNudityFilter(makeConfig({ settings: input }).settings);
  assert.equal([of({}).minors, of({}).adults], [true, false], 'community');
  assert.equal([of({ profile: 'adult' }).minors, of({ profile: 'adult' }).adults], [true, false]);
  assert.equal([of({ profile: 'school' }).minors, of({ profile: 'school' }).adults], [true, true]);
  assert.is(of({ profile: 'school', nudityFilter: { adults: false } }).adults, false);
  assert.equal([of({ nudityFilter: { enabled: false, adults: true } }).minors, of({ nudityFilter: { enabled: false, adults: true } }).adults], [false, false], 'off is off for everyone');
  assert.is(of({}).testTreatNeutralAsPositive, false);
});

test.run();
