// Field limits of protocol v1, in a module of their own: the web client imports them without
// bundling the schemas (and zod) that enforce them in messages.ts.

/** Field limits of protocol v1. Lengths of text count code points, as the schemas do (an emoji is one). */
export const Limits = {
  maxInterests: 10,
  interestMinLength: 1,
  interestMaxLength: 32,
  messageMaxLength: 1000,
  reportNoteMaxLength: 500,
  sdpMaxLength: 32 * 1024,
  candidateMaxLength: 1024,
} as const;
