// What nsfwjs takes from `@tensorflow/tfjs`, without the rest of that package: the build maps
// the import to this module (web/astro.config.mjs). The full package would bring the WebGL and
// CPU backends, the graph-model converter and tfjs-data into the worker; the nudity check needs
// the core, the layers model loader (MobileNetV2 is a Keras layers model) and the WASM backend.
// nsfwjs calls tensor methods (`img.toFloat().div(…)`): the chained operations, which the full
// package registers (its gradients, for training, are left out).
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
export * from '@tensorflow/tfjs-core';
export { loadLayersModel, model } from '@tensorflow/tfjs-layers';

/** nsfwjs loads graph models with this; MobileNetV2 is not one, so it is never called. */
export function loadGraphModel(): never {
  throw new Error('graph models are not part of this build');
}
