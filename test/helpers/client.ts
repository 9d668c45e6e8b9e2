// A real `ws` client speaking protocol v1, with a message inbox the tests await on.
import WebSocket from 'ws';
import type { ServerMessage } from '../../server/protocol/messages.ts';

export const DEFAULT_WAIT_MS = 3000;

/** POST /api/session; returns the ticket and the device cookie. */
export async function getTicket(
  baseUrl: string,
  body: Record<string, unknown> = { acceptRules: true, age: 20 },
  cookie?: string,
): Promise<{ ticket: string; cookie: string }> {
  const res = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`session refused: ${res.status} ${await res.text()}`);
  const json = (await res.json()) as { ticket: string };
  const setCookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { ticket: json.ticket, cookie: setCookie || cookie || '' };
}

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

export class TestClient {
  readonly ws: WebSocket;
  readonly inbox: ServerMessage[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<number>;
  #waiters: Array<() => void> = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.inbox.push(JSON.parse(data.toString()) as ServerMessage);
      this.#wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.#wake();
        resolve(code);
      }),
    );
    ws.on('error', () => {});
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Waits for the next message of a type (consuming everything before it). */
  async next<T extends ServerMessage['type']>(type: T, timeoutMs = DEFAULT_WAIT_MS): Promise<Of<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type);
      if (index >= 0) return this.inbox.splice(0, index + 1).pop() as Of<T>;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) while waiting for ${type}; inbox: ${JSON.stringify(this.inbox)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${type}; inbox: ${JSON.stringify(this.inbox)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves when nothing of this type arrives within the window. */
  async none(type: ServerMessage['type'], windowMs = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, windowMs));
    const found = this.inbox.find((m) => m.type === type);
    if (found) throw new Error(`unexpected ${type}: ${JSON.stringify(found)}`);
  }

  async waitClose(timeoutMs = DEFAULT_WAIT_MS): Promise<number> {
    return Promise.race([
      this.closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error('socket did not close')), timeoutMs)),
    ]);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

/** Opens a WebSocket; resolves once open (rejects with the HTTP status when refused). */
export function openSocket(baseUrl: string, ticket: string | null, headers: Record<string, string> = {}): Promise<TestClient> {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws${ticket === null ? '' : `?ticket=${encodeURIComponent(ticket)}`}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers });
    const client = new TestClient(ws);
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}

/** Accepts the rules, connects, and waits for `welcome`. */
export async function connect(baseUrl: string, body?: Record<string, unknown>): Promise<TestClient & { welcome: Of<'welcome'>; cookie: string }> {
  const { ticket, cookie } = await getTicket(baseUrl, body);
  const client = await openSocket(baseUrl, ticket);
  const welcome = await client.next('welcome');
  return Object.assign(client, { welcome, cookie });
}

/** Connects two adults and pairs them in a mode; returns [initiator, other]. */
export async function pair(baseUrl: string, mode: 'text' | 'video' = 'text'): Promise<[TestClient, TestClient]> {
  const a = await connect(baseUrl);
  const b = await connect(baseUrl);
  a.send({ type: 'find', mode });
  await a.next('queued');
  b.send({ type: 'find', mode });
  const [ma, mb] = await Promise.all([a.next('matched'), b.next('matched')]);
  return ma.initiator ? [a, b] : mb.initiator ? [b, a] : Promise.reject(new Error('no initiator'));
}
