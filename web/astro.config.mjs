// The chatter-facing site: static HTML per language, built into dist/web and served by the server
// (server/http/static.ts), which fills in the instance's name, rules and settings at request time.
import { defineConfig } from 'astro/config';
import { nsfwModel } from './build/nsfw-model.mjs';

/** nsfwjs imports all of `@tensorflow/tfjs`; the nudity worker needs only part of it. */
const tfjsAlias = { find: /^@tensorflow\/tfjs$/, replacement: new URL('./src/scripts/lib/tfjs-for-nsfwjs.ts', import.meta.url).pathname };

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  outDir: new URL('../dist/web/', import.meta.url).pathname,
  output: 'static',
  // `/chat` is served from `<lang>/chat.html`; the server maps the paths.
  build: { format: 'preserve', inlineStylesheets: 'never', assets: '_astro' },
  compressHTML: true,
  devToolbar: { enabled: false },
  vite: {
    // The CSP forbids inline scripts and styles: every script and stylesheet is an external file.
    build: { assetsInlineLimit: 0 },
    resolve: { alias: [tfjsAlias] },
    // The nudity worker (scripts/nudity-worker.ts): one classic script (no module worker needed),
    // with the model's weights and the .wasm files beside it under /_astro/.
    worker: { format: 'iife', plugins: () => [nsfwModel()] },
  },
});
