// The chatter-facing site: static HTML per language, built into dist/web and served by the server
// (server/http/static.ts), which fills in the instance's name, rules and settings at request time.
import { defineConfig } from 'astro/config';

export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  outDir: new URL('../dist/web/', import.meta.url).pathname,
  output: 'static',
  // `/chat` is served from `<lang>/chat.html`; the server maps the paths.
  build: { format: 'preserve', inlineStylesheets: 'never', assets: '_astro' },
  compressHTML: true,
  devToolbar: { enabled: false },
  // The CSP forbids inline scripts and styles: every script and stylesheet is an external file.
  vite: { build: { assetsInlineLimit: 0 } },
});
