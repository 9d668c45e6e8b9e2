// Modules the site's build (Vite) provides: asset URLs and the nudity model (web/build/nsfw-model.mjs).
declare module '*?url' {
  const url: string;
  export default url;
}

declare module 'virtual:nsfw-model' {
  /** The model's topology and weight specs (tf.io.ModelArtifacts without the weights). */
  export const artifacts: unknown;
  /** The weights, one binary file under /_astro/. */
  export const weightsUrl: string;
  export const weightBytes: number;
  /** The nsfwjs version the model came from. */
  export const version: string;
}
