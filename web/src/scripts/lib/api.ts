// JSON over HTTP with the server's one error shape: {"error":{"code","message",…}}.
import type { HttpErrorBody } from '../../../../server/protocol/http.ts';

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: HttpErrorBody['error'] };

/** A request unanswered this long has failed (a dead connection may otherwise hold it for minutes). */
const TIMEOUT_MS = 15_000;

/** A network failure (or no answer in time) is `status: 0`, code `network`. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return { ok: false, status: 0, error: { code: 'network', message: '' } };
  }
  const json = (await res.json().catch(() => ({}))) as T & Partial<HttpErrorBody>;
  if (res.ok) return { ok: true, status: res.status, data: json };
  return { ok: false, status: res.status, error: json.error ?? { code: 'generic', message: '' } };
}
