// A real HTTP receiver on 127.0.0.1 port 0 for the alerts' webhooks: it keeps every request (its
// headers and exact body), answers with the status a test sets, and checks a signature the way a
// receiver should (docs/moderation.md): HMAC-SHA256 of "<t>.<body>", a recent t, in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface TestWebhook {
  url: string;
  port: number;
  received: ReceivedHook[];
  /** The status every request is answered with (200 by default). */
  status: number;
  close(): Promise<void>;
}

export async function startWebhook(port = 0): Promise<TestWebhook> {
  const received: ReceivedHook[] = [];
  const hook = { url: '', port: 0, received, status: 200, close: async () => {} } as TestWebhook;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(hook.status, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  hook.port = typeof address === 'object' && address ? address.port : 0;
  hook.url = `http://127.0.0.1:${hook.port}/hooks/strangerchat`;
  hook.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return hook;
}

/** True when the request's X-Strangerchat-Signature is the HMAC of its body under `secret`, signed within `toleranceSeconds` of now. */
export function verifySignature(hook: ReceivedHook, secret: string, toleranceSeconds = 300, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const header = String(hook.headers['x-strangerchat-signature'] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${hook.body}`).digest('hex'));
  const given = Buffer.from(match[2]!);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
