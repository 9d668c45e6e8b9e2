/** A failure whose code and message are safe to show to a person (HTTP `{error:{code,message}}`). */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra fields for the error body, e.g. `until` for `banned`. */
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}
