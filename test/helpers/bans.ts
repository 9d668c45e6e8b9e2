// Bans as the operator writes them (a BanService on a second database connection, as the CLI
// will), and what a visitor sees of them over HTTP and at the WebSocket upgrade.
import { cliActor } from '../../server/access/actor.ts';
import { auditOf } from './audit.ts';
import { BanService } from '../../server/moderation/bans.ts';
import type { BanStatusResponse } from '../../server/http/ban-routes.ts';
import type { Ban, BanSeverity } from '../../server/moderation/ban-index.ts';
import type { TestClient } from './client.ts';
import type { TestServer } from './server.ts';

let nextBanId = 0;

/** A ban record as the index holds it, for tests of the index and the gates (no database). */
export function banRecord(targetKind: Ban['targetKind'], target: string, severity: BanSeverity = 'no_matching', extra: Partial<Ban> = {}): Ban {
  return {
    id: `ban-${++nextBanId}`,
    targetKind,
    target,
    reason: 'test',
    severity,
    note: null,
    createdBy: 'test',
    createdAt: 0,
    expiresAt: null,
    liftedAt: null,
    liftedBy: null,
    reportId: null,
    quarantine: false,
    ...extra,
  };
}

/** The operator at the terminal. */
export const CLI_ACTOR = cliActor('test');

/** A BanService on its own connection to the server's database: no index, only the feed reaches the server. */
export async function cliBans(server: TestServer, now: () => number = Date.now): Promise<BanService> {
  const db = await server.openSecondDb();
  return new BanService({ db, audit: auditOf(server, db, now), now });
}

/** The device id inside a `sc_device=<id>; sc_device.sig=…` cookie header. */
export function deviceOf(cookie: string): string {
  const id = /(?:^|;\s*)sc_device=([0-9a-f-]{36})/.exec(cookie)?.[1];
  if (!id) throw new Error(`no device cookie in "${cookie}"`);
  return id;
}

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function request<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  init: { method?: string; cookie?: string; body?: unknown } = {},
): Promise<HttpAnswer<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.cookie ? { cookie: init.cookie } : {}), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** What `GET /api/ban` tells this visitor. */
export async function banStatusOf(baseUrl: string, cookie?: string): Promise<BanStatusResponse> {
  const answer = await request<BanStatusResponse>(baseUrl, '/api/ban', { cookie });
  if (answer.status !== 200) throw new Error(`/api/ban answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Waits until `GET /api/ban` says this visitor is (or is no longer) banned: the feed has reached the server. */
export async function untilBanned(baseUrl: string, banned: boolean, cookie?: string, timeoutMs = 2000): Promise<BanStatusResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await banStatusOf(baseUrl, cookie);
    if (status.banned === banned) return status;
    if (Date.now() > deadline) throw new Error(`GET /api/ban still says ${JSON.stringify(status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** POST /api/session as an adult who accepts the rules. */
export function trySession(baseUrl: string, cookie?: string): Promise<HttpAnswer<{ ticket?: string; error?: Record<string, unknown> }>> {
  return request(baseUrl, '/api/session', { method: 'POST', cookie, body: { acceptRules: true, age: 20 } });
}

export interface UpgradeRefusal {
  status: number;
  body: { error: { code: string; message: string; [extra: string]: unknown } };
}

/** An upgrade that must be refused: the HTTP status and the parsed error body. */
export async function refusedUpgrade(open: Promise<TestClient>): Promise<UpgradeRefusal> {
  let client: TestClient;
  try {
    client = await open;
  } catch (error) {
    const { status, body } = error as { status?: number; body?: string };
    if (typeof status !== 'number') throw error;
    return { status, body: JSON.parse(body ?? '') as UpgradeRefusal['body'] };
  }
  client.close();
  throw new Error('the upgrade was accepted');
}
