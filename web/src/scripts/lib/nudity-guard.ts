// The stranger's video, checked on this device: about once a second a 224×224 frame of the
// <video> is drawn to a canvas and its pixels transferred to the classifier worker
// (scripts/nudity-worker.ts, loaded only in video mode and cached by the browser); the answer
// goes through lib/nudity-policy.ts, which says whether the video is blurred and why. No frame
// leaves the device: the worker is this site's own script, and it answers with five numbers.
//
// The chat page calls prepare() once its camera is on and it knows the person's band (so the
// model loads while it searches), begin() when a video conversation starts (blurred at once, before
// any frame is drawn, when the video must be checked first) and end() when it ends.
import type { NudityFilterSettings } from '../../../../server/protocol/http.ts';
import type { FrameRequest, WorkerAnswer } from '../nudity-worker.ts';
import { NudityPolicy, type GuardView } from './nudity-policy.ts';
import { $, t } from './page.ts';
import { captureFrame } from './rtc.ts';

/** The model's input: frames are drawn at its size, so the worker has nothing to resize. */
const FRAME_SIZE = 224;
/** The model not ready after this long (a slow or failed download): the check is unavailable. */
const LOAD_TIMEOUT_MS = 60_000;
/** A frame unanswered for this long: the worker has stalled, and the check is unavailable. */
const STALL_MS = 15_000;

export interface GuardHooks {
  /** "Report with a still": the report dialog, with the still taken when the video was blurred. */
  report(still: Blob | undefined): void;
}

export class NudityGuard {
  readonly #settings: NudityFilterSettings;
  readonly #video: HTMLVideoElement;
  readonly #hooks: GuardHooks;
  /** Until `welcome` says otherwise, the person is treated as a minor. */
  #policy: NudityPolicy;
  #worker: Worker | undefined;
  #modelReady = false;
  /** The check cannot run on this device (until the page is loaded again). */
  #failed = false;
  #loadTimer: ReturnType<typeof setTimeout> | undefined;
  #frameTimer: ReturnType<typeof setInterval> | undefined;
  /** The frame being classified, and when it was sent. */
  #inFlight: { id: number; at: number } | undefined;
  #nextId = 0;
  #active = false;
  #still: Blob | undefined;
  #canvas: HTMLCanvasElement | undefined;

  constructor(settings: NudityFilterSettings, video: HTMLVideoElement, hooks: GuardHooks) {
    this.#settings = settings;
    this.#video = video;
    this.#hooks = hooks;
    this.#policy = new NudityPolicy(settings, 'minor');
    $('guard-show').addEventListener('click', () => {
      if (this.#policy.show()) this.#render(t('guard.live.shown'));
    });
    $('guard-report').addEventListener('click', () => this.#hooks.report(this.#still));
  }

  /** The person's band (from `welcome`), and the model loading when their video is checked. */
  prepare(band: 'minor' | 'adult'): void {
    if (this.#policy.minor !== (band !== 'adult')) {
      this.#policy = new NudityPolicy(this.#settings, band);
      if (this.#failed) this.#policy.unavailable();
      if (this.#active) this.begin();
    }
    if (this.#policy.checks) this.#load();
  }

  /** A video conversation starts: blurred now if it must be checked first. */
  begin(): void {
    this.#active = true;
    this.#still = undefined;
    this.#inFlight = undefined;
    const view = this.#policy.begin();
    this.#render(view.blurred ? t(view.reason === 'unavailable' ? this.#unavailableKey() : 'guard.live.checking') : '');
    clearInterval(this.#frameTimer);
    if (!this.#policy.checks) return;
    this.#load();
    if (this.#failed) return;
    this.#frameTimer = setInterval(() => this.#tick(), this.#settings.intervalMs);
  }

  /** The conversation ended: nothing is checked until the next one. */
  end(): void {
    this.#active = false;
    clearInterval(this.#frameTimer);
    this.#frameTimer = undefined;
    this.#inFlight = undefined;
    this.#still = undefined;
    this.#render('', { blurred: false, reason: undefined, mayShow: false });
  }

  #load(): void {
    if (this.#worker || this.#failed) return;
    if (typeof Worker !== 'function' || typeof WebAssembly !== 'object') return this.#unavailable();
    try {
      // A classic worker (the build makes one file of it): the oldest browsers with WASM run it.
      this.#worker = new Worker(new URL('../nudity-worker.ts', import.meta.url));
    } catch {
      return this.#unavailable();
    }
    this.#worker.onmessage = (event: MessageEvent<WorkerAnswer>) => this.#answer(event.data);
    this.#worker.onerror = () => this.#unavailable();
    this.#loadTimer = setTimeout(() => this.#modelReady || this.#unavailable(), LOAD_TIMEOUT_MS);
  }

  #answer(answer: WorkerAnswer): void {
    if (answer.type === 'ready') {
      this.#modelReady = true;
      clearTimeout(this.#loadTimer);
      return;
    }
    if (answer.type === 'failed') return this.#unavailable();
    if (!this.#inFlight || answer.id !== this.#inFlight.id || !this.#active) return;
    this.#inFlight = undefined;
    const event = this.#policy.frame(answer.scores);
    if (event === 'cleared') this.#render(t('guard.live.cleared'));
    else if (event === 'flagged') {
      this.#render(t(this.#policy.minor ? 'guard.live.flaggedMinor' : 'guard.live.flagged'));
      // What was seen, for the report: the video itself (the blur is only drawn over it).
      void captureFrame(this.#video).then((still) => (this.#still = still ?? undefined));
    }
  }

  #tick(): void {
    const worker = this.#worker;
    if (!worker || !this.#modelReady || !this.#active) return;
    if (this.#inFlight) {
      if (Date.now() - this.#inFlight.at > STALL_MS) this.#unavailable();
      return;
    }
    const video = this.#video;
    if (!video.videoWidth || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    const canvas = (this.#canvas ??= Object.assign(document.createElement('canvas'), { width: FRAME_SIZE, height: FRAME_SIZE }));
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) return this.#unavailable();
    // Squashed to a square, as nsfwjs itself resizes what it is given.
    context.drawImage(video, 0, 0, FRAME_SIZE, FRAME_SIZE);
    const pixels = context.getImageData(0, 0, FRAME_SIZE, FRAME_SIZE).data.buffer;
    const request: FrameRequest = { type: 'frame', id: ++this.#nextId, width: FRAME_SIZE, height: FRAME_SIZE, pixels };
    this.#inFlight = { id: request.id, at: Date.now() };
    worker.postMessage(request, [pixels]);
  }

  #unavailable(): void {
    if (this.#failed) return;
    this.#failed = true;
    clearTimeout(this.#loadTimer);
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#modelReady = false;
    clearInterval(this.#frameTimer);
    this.#frameTimer = undefined;
    this.#inFlight = undefined;
    this.#policy.unavailable();
    if (this.#active) this.#render(t(this.#unavailableKey()));
  }

  #unavailableKey(): string {
    return this.#policy.minor ? 'guard.live.unavailableMinor' : this.#policy.view.blurred ? 'guard.live.unavailableAdult' : 'guard.live.unavailableShown';
  }

  /** Shows the view: the blur, the reason and what the person can do, and says it (a live region). */
  #render(announcement: string, view: GuardView = this.#policy.view): void {
    const wrap = this.#video.parentElement!;
    wrap.dataset.guard = view.blurred ? 'blurred' : 'clear';
    const overlay = $('guard');
    overlay.hidden = !view.blurred;
    if (view.blurred) {
      const who = this.#policy.minor ? 'Minor' : 'Adult';
      $('guard-text').textContent = t(view.reason === 'nudity' || view.reason === 'unavailable' ? `guard.${view.reason}${who}` : 'guard.checking');
      $('guard-show').hidden = !view.mayShow;
      $('guard-show').textContent = t(view.reason === 'nudity' ? 'guard.showAnyway' : 'guard.show');
      $('guard-report').hidden = view.reason !== 'nudity';
    }
    this.#video.setAttribute('aria-label', t(view.blurred ? 'guard.videoBlurred' : 'video.remote'));
    // Emptied first, so the same words said twice are announced twice.
    const live = $('guard-live');
    live.textContent = '';
    if (announcement) setTimeout(() => (live.textContent = announcement), 100);
  }
}
