// The moderators' API (/api/mod/…): JSON with the server's one error shape, the CSRF header on
// every request that changes something, and one place that notices a session has ended.
import type { HttpErrorBody } from '../../../../server/protocol/http.ts';

export type ApiError = HttpErrorBody['error'];
export type Result<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: ApiError };

/** The moderator session's CSRF token (from login or /me); sent on every non-GET request. */
let csrfToken = '';
let sessionLost: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when an authenticated request answers 401: the session expired or was ended. */
export function onSessionLost(handler: () => void): void {
  sessionLost = handler;
}

async function send(method: string, path: string, body?: unknown): Promise<Response | undefined> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  try {
    return await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    return undefined;
  }
}

/** A network failure is `status: 0`, code `network`. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<Result<T>> {
  const res = await send(method, path, body);
  if (!res) return { ok: false, status: 0, error: { code: 'network', message: '' } };
  const json = res.status === 204 ? {} : ((await res.json().catch(() => ({}))) as Partial<HttpErrorBody>);
  if (res.ok) return { ok: true, status: res.status, data: json as T };
  const error = json.error ?? { code: 'generic', message: '' };
  if (res.status === 401 && error.code === 'unauthorised') sessionLost();
  return { ok: false, status: res.status, error };
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => call<T>('POST', path, body);

/** A binary answer (an evidence frame) as a Blob. */
export async function getBlob(path: string): Promise<Result<Blob>> {
  const res = await send('GET', path);
  if (!res) return { ok: false, status: 0, error: { code: 'network', message: '' } };
  if (res.ok) return { ok: true, status: res.status, data: await res.blob() };
  const json = (await res.json().catch(() => ({}))) as Partial<HttpErrorBody>;
  const error = json.error ?? { code: 'generic', message: '' };
  if (res.status === 401 && error.code === 'unauthorised') sessionLost();
  return { ok: false, status: res.status, error };
}

/** `?a=1&b=2`, leaving out empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
