// When the stranger's video is blurred: the rule of the on-device nudity check, without the DOM
// (so a unit test drives it). The classifier (nsfwjs, in a worker) scores each frame; this
// decides, frame by frame, what the person sees. It never reports or bans anyone: a person does,
// with "Report with a still".
//
// - Blurred until checked: minors always, adults when the instance says so; the first clean
//   frame shows the video.
// - K positive frames in a row (Porn, Hentai or Sexy at or above its threshold) blur it again
//   with the reason. An adult may show it anyway (a run of positives must then start again after
//   a clean frame before it blurs again); a minor may not.
// - The check unavailable (no WebAssembly, the model failed to load, the worker stalled): a
//   minor's video stays blurred (fail closed); an adult's as the instance says, and may be shown.
import type { NudityFilterSettings } from '../../../../server/protocol/http.ts';

/** The classes of the nsfwjs models, as the library names them. */
export type NsfwClass = 'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy';
export type Scores = Record<NsfwClass, number>;

export type BlurReason = 'checking' | 'nudity' | 'unavailable';

/** What the person sees of the stranger's video. */
export interface GuardView {
  blurred: boolean;
  /** Why it is blurred (or, unblurred, `unavailable`: shown without a check). */
  reason: BlurReason | undefined;
  /** Whether this person may show a blurred video (adults only). */
  mayShow: boolean;
}

/** What a frame's result changed: `cleared` (checked and shown), `flagged` (blurred for nudity). */
export type GuardEvent = 'cleared' | 'flagged' | undefined;

/** Whether one frame's scores count towards blurring. */
export function isPositive(scores: Scores, settings: Pick<NudityFilterSettings, 'thresholds' | 'testTreatNeutralAsPositive'>): boolean {
  const { porn, hentai, sexy } = settings.thresholds;
  if (scores.Porn >= porn || scores.Hentai >= hentai || scores.Sexy >= sexy) return true;
  // Tests only: an ordinary picture counts as positive, so the real model can prove the blur path.
  return settings.testTreatNeutralAsPositive && scores.Neutral >= Math.min(porn, hentai, sexy);
}

export class NudityPolicy {
  readonly settings: NudityFilterSettings;
  readonly minor: boolean;
  /** The classifier runs for this person. */
  readonly checks: boolean;
  #view: GuardView;
  #streak = 0;
  /** False after an adult showed a flagged video: a clean frame must come before the next run counts. */
  #armed = true;
  #unavailable = false;

  constructor(settings: NudityFilterSettings, band: 'minor' | 'adult') {
    this.settings = settings;
    this.minor = band !== 'adult';
    this.checks = this.minor ? settings.minors : settings.adults;
    this.#view = this.#initial();
  }

  get view(): GuardView {
    return { ...this.#view };
  }

  /** Blurred from the start: until checked, or because the check is unavailable. */
  get #blurFirst(): boolean {
    return this.minor || this.settings.adultsBlurUntilChecked;
  }

  #initial(): GuardView {
    const mayShow = !this.minor;
    if (!this.checks) return { blurred: false, reason: undefined, mayShow };
    if (this.#unavailable) return { blurred: this.#blurFirst, reason: 'unavailable', mayShow };
    return { blurred: this.#blurFirst, reason: this.#blurFirst ? 'checking' : undefined, mayShow };
  }

  /** A new conversation: blurred again until its video is checked. */
  begin(): GuardView {
    this.#streak = 0;
    this.#armed = true;
    this.#view = this.#initial();
    return this.view;
  }

  /** One frame's scores. */
  frame(scores: Scores): GuardEvent {
    if (!this.checks || this.#unavailable) return undefined;
    if (!isPositive(scores, this.settings)) {
      this.#streak = 0;
      this.#armed = true;
      if (this.#view.reason === 'checking') {
        this.#view = { ...this.#view, blurred: false, reason: undefined };
        return 'cleared';
      }
      return undefined;
    }
    if (!this.#armed || this.#view.reason === 'nudity') return undefined;
    this.#streak++;
    if (this.#streak < this.settings.consecutiveFrames) return undefined;
    this.#streak = 0;
    this.#view = { ...this.#view, blurred: true, reason: 'nudity' };
    return 'flagged';
  }

  /** The check cannot run on this device (or stopped answering): minors stay blurred. */
  unavailable(): GuardView {
    if (!this.checks) return this.view;
    this.#unavailable = true;
    // A video already blurred for nudity stays so; anything else becomes "not checked".
    if (this.#view.reason !== 'nudity') this.#view = { blurred: this.#blurFirst || this.#view.blurred, reason: 'unavailable', mayShow: !this.minor };
    return this.view;
  }

  /** An adult shows the video anyway; false (nothing changes) for a minor. */
  show(): boolean {
    if (this.minor || !this.#view.blurred) return false;
    const { reason } = this.#view;
    // Shown after a flag: the same scene (often a false positive) must not blur it again and again.
    if (reason === 'nudity') this.#armed = false;
    this.#streak = 0;
    this.#view = { ...this.#view, blurred: false, reason: reason === 'unavailable' ? 'unavailable' : undefined };
    return true;
  }
}
