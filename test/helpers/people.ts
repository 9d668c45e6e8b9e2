// Chatters as the moderation tests need them: each with its own device cookie (or a shared one:
// tabs of one browser) and its own address, forwarded by a trusted proxy (the server under test
// trusts 127.0.0.1) on POST /api/session and on the WebSocket upgrade alike.
import { openSocket, type TestClient } from './client.ts';
import type { ServerMessage } from '../../server/protocol/messages.ts';

export interface PersonOptions {
  /** The address the proxy forwards (X-Forwarded-For). */
  address: string;
  /** An existing device cookie (another tab of the same browser); a new device by default. */
  cookie?: string;
  age?: number;
  /** The page's origin, for an instance with a public URL (the upgrade checks it). */
  origin?: string;
}

export type Person = TestClient & { cookie: string; address: string; welcome: Extract<ServerMessage, { type: 'welcome' }> };

/** POST /api/session from an address; resolves with the raw response and the device cookie. */
export async function requestSession(baseUrl: string, options: PersonOptions): Promise<{ res: Response; cookie: string }> {
  const res = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': options.address, ...(options.cookie ? { cookie: options.cookie } : {}) },
    body: JSON.stringify({ acceptRules: true, age: options.age ?? 25 }),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') || options.cookie || '';
  return { res, cookie };
}

/** A person online: session, then the upgrade from the same address, then `welcome`. */
export async function join(baseUrl: string, options: PersonOptions): Promise<Person> {
  const { res, cookie } = await requestSession(baseUrl, options);
  if (res.status !== 201) throw new Error(`session refused: ${res.status} ${await res.text()}`);
  const { ticket } = (await res.json()) as { ticket: string };
  const client = await openSocket(baseUrl, ticket, { 'x-forwarded-for': options.address, ...(options.origin ? { origin: options.origin } : {}) });
  const welcome = await client.next('welcome');
  return Object.assign(client, { cookie, address: options.address, welcome });
}

/** Pairs two idle people: `first` queues, then `second`; both must be matched with each other. */
export async function pairUp(first: TestClient, second: TestClient, mode: 'text' | 'video' = 'text'): Promise<void> {
  first.send({ type: 'find', mode });
  await first.next('queued');
  second.send({ type: 'find', mode });
  await Promise.all([first.next('matched'), second.next('matched')]);
}

/** The reporter reports their partner; resolves with the report id and evidence token. */
export async function report(reporter: TestClient, reason = 'harassment', note?: string): Promise<{ reportId: string; evidenceToken: string }> {
  reporter.send({ type: 'report', reason, ...(note ? { note } : {}) });
  await reporter.next('ended');
  const filed = await reporter.next('reported');
  return { reportId: filed.reportId, evidenceToken: filed.evidenceToken };
}

/** `target` (already idle) is paired with `reporter`, who reports them; the target is told the stranger left. */
export async function reportedBy(target: TestClient, reporter: TestClient, reason = 'harassment'): Promise<{ reportId: string; evidenceToken: string }> {
  await pairUp(target, reporter);
  const filed = await report(reporter, reason);
  await target.next('ended');
  return filed;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real 1×1 JPEG (as Chromium's canvas.toDataURL('image/jpeg') writes it). */
export const TINY_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAABAAEDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABQf/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCWAAqu/9k=',
  'base64',
);

/** Uploads one evidence frame; `auth` picks how the token travels. */
export function uploadFrame(
  baseUrl: string,
  reportId: string,
  token: string | null,
  body: Uint8Array,
  options: { contentType?: string; auth?: 'bearer' | 'header' } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'image/jpeg' };
  if (token !== null) {
    if (options.auth === 'header') headers['x-evidence-token'] = token;
    else headers.authorization = `Bearer ${token}`;
  }
  return fetch(`${baseUrl}/api/reports/${encodeURIComponent(reportId)}/evidence`, { method: 'POST', headers, body: new Uint8Array(body) });
}

/** The device id inside a device cookie. */
export function deviceOf(cookie: string): string {
  const id = /sc_device=([0-9a-f-]{36})/.exec(cookie)?.[1];
  if (!id) throw new Error(`no device id in cookie ${cookie}`);
  return id;
}
