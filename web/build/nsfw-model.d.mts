// Types of nsfw-model.mjs (the build plugin, plain JavaScript like the Astro config that loads it).
import type { Plugin } from 'vite';

/** The MobileNetV2 model as nsfwjs ships it: its model.json, its weights decoded, the package version. */
export function readModel(): { json: { modelTopology: unknown; weightsManifest: Array<{ paths: string[]; weights: unknown[] }> }; weights: Buffer; version: string };

/** Vite plugin: `virtual:nsfw-model` for the nudity worker. */
export function nsfwModel(): Plugin;
