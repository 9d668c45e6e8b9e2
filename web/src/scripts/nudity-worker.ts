// The nudity classifier, in a Web Worker: nsfwjs's MobileNetV2 on TensorFlow.js's WebAssembly
// backend (SIMD where the browser has it). It receives small frames of the stranger's video
// (224×224 RGBA pixels, transferred, never copied anywhere else), answers each with the five
// class probabilities and the time the inference took, and nothing else: no frame leaves the
// device, and the page decides what to do (lib/nudity-policy.ts).
//
// Everything it loads comes from this instance: this script, the .wasm file and the model's
// weights, all under /_astro/ with hashed names (cached for a year). The chat page is not
// cross-origin isolated, so the threaded WASM build (which needs SharedArrayBuffer, and starts its
// threads from blob: URLs the CSP refuses) is never used: one thread, once a second, is enough.
import { enableProdMode, env, ready, setBackend, type io } from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { NSFWJS } from 'nsfwjs/core';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import { artifacts, weightsUrl } from 'virtual:nsfw-model';
import type { NsfwClass, Scores } from './lib/nudity-policy.ts';

/** Page → worker: one frame, its pixels transferred. */
export interface FrameRequest {
  type: 'frame';
  id: number;
  width: number;
  height: number;
  pixels: ArrayBuffer;
}

/** Worker → page. `ready` once the model answers; `failed` when it never will. */
export type WorkerAnswer =
  | { type: 'ready'; simd: boolean; loadMs: number }
  | { type: 'result'; id: number; scores: Scores; ms: number }
  | { type: 'failed'; reason: string };

/** The model's input size (MobileNetV2, 224×224). */
export const MODEL_SIZE = 224;

const scope = self as unknown as { postMessage(message: WorkerAnswer): void; onmessage: ((event: MessageEvent<FrameRequest>) => void) | null };
const post = (message: WorkerAnswer) => scope.postMessage(message);

/** The model's weights from this instance, as TensorFlow.js's loader wants them. */
const handler: io.IOHandler = {
  async load() {
    const response = await fetch(weightsUrl, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`weights: HTTP ${response.status}`);
    return { ...(artifacts as io.ModelArtifacts), weightData: await response.arrayBuffer() };
  },
};

async function start(): Promise<NSFWJS> {
  const started = performance.now();
  enableProdMode();
  // Threads need cross-origin isolation, which the chat page does not have (see the header).
  env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    // Never fetched (threads are off); the map must name it.
    'tfjs-backend-wasm-threaded-simd.wasm': wasmSimdUrl,
  });
  if (!(await setBackend('wasm'))) throw new Error('the WebAssembly backend did not start');
  await ready();
  const model = new NSFWJS(handler, { size: MODEL_SIZE });
  // load() also runs the model once on zeros: the first real frame is not the slow one.
  await model.load();
  post({ type: 'ready', simd: Boolean(await env().getAsync('WASM_HAS_SIMD_SUPPORT')), loadMs: Math.round(performance.now() - started) });
  return model;
}

const loading = start();
loading.catch((error: unknown) => post({ type: 'failed', reason: error instanceof Error ? error.message : String(error) }));

scope.onmessage = (event) => {
  const request = event.data;
  if (request?.type !== 'frame') return;
  void loading.then(async (model) => {
    const image = new ImageData(new Uint8ClampedArray(request.pixels), request.width, request.height);
    const started = performance.now();
    const predictions = await model.classify(image, 5);
    const ms = performance.now() - started;
    const scores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 } as Scores;
    for (const { className, probability } of predictions) scores[className as NsfwClass] = probability;
    post({ type: 'result', id: request.id, scores, ms });
  }).catch((error: unknown) => post({ type: 'failed', reason: error instanceof Error ? error.message : String(error) }));
};
