// The nudity classifier's model, from the installed `nsfwjs` package into the built site.
//
// nsfwjs ships its MobileNetV2 model as two JavaScript files (node_modules/nsfwjs/dist/models/
// mobilenet_v2/): the Keras topology and the weights as one base64 string. Bundling them as
// they are would give the browser 3.5 MB of script to parse; instead this plugin reads them at
// build time and emits the weights as one binary file (2.6 MB, a hashed name under /_astro/, so
// the browser caches it for a year) and the topology as a module of the worker. Only this one
// model is read: the package's other two (MobileNetV2Mid, InceptionV3: 38 MB) never reach the site.
//
// The worker imports `virtual:nsfw-model` → { topology, weightSpecs, weightsUrl, format, … }.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const ID = 'virtual:nsfw-model';
const RESOLVED = `\0${ID}`;
const MODEL = 'mobilenet_v2';

/** The package's model files, as the package itself would load them (CommonJS modules). */
export function readModel() {
  const require = createRequire(import.meta.url);
  // nsfwjs/dist/cjs/core.js → the package folder (its `exports` hide dist/models from require()).
  const root = dirname(dirname(dirname(require.resolve('nsfwjs/core'))));
  const folder = join(root, 'dist', 'models', MODEL);
  const json = require(join(folder, 'model.min.js'));
  const paths = json.weightsManifest.flatMap((group) => group.paths);
  const weights = Buffer.concat(paths.map((path) => Buffer.from(require(join(folder, `${path}.min.js`)), 'base64')));
  const expected = json.weightsManifest.flatMap((group) => group.weights).reduce((sum, spec) => sum + bytesOf(spec), 0);
  if (weights.length !== expected) throw new Error(`nsfwjs ${MODEL}: ${weights.length} bytes of weights, the manifest describes ${expected}`);
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return { json, weights, version };
}

function bytesOf(spec) {
  const count = spec.shape.reduce((n, d) => n * d, 1);
  if (spec.quantization) return count * { uint8: 1, uint16: 2, float16: 2 }[spec.quantization.dtype];
  return count * 4;
}

/** Vite plugin: `virtual:nsfw-model` for the nudity worker. */
export function nsfwModel() {
  return {
    name: 'strangerchat:nsfw-model',
    resolveId(id) {
      return id === ID ? RESOLVED : undefined;
    },
    load(id) {
      if (id !== RESOLVED) return undefined;
      const { json, weights, version } = readModel();
      const ref = this.emitFile({ type: 'asset', name: `nsfw-${MODEL}.bin`, source: weights });
      const artifacts = {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
      };
      // JSON.parse of a string is faster to start than an object literal this size.
      return [
        `export const version = ${JSON.stringify(version)};`,
        `export const weightBytes = ${weights.length};`,
        `export const artifacts = JSON.parse(${JSON.stringify(JSON.stringify(artifacts))});`,
        `export const weightsUrl = import.meta.ROLLUP_FILE_URL_${ref};`,
      ].join('\n');
    },
  };
}
