// Plain node:http requests from a chosen loopback source address (127.0.0.x), over keep-alive
// agents: fetch cannot pick its source address without an extra dependency.
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
  setCookie: string[];
}

export class HttpClient {
  readonly #base: URL;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(baseUrl: string) {
    this.#base = new URL(baseUrl);
  }

  /**
   * Sends a request. A request on a reused keep-alive socket that the server closed at the same
   * moment fails with ECONNRESET before the server saw it (Node's documented keep-alive race):
   * it is sent once more on a new socket.
   */
  async send(method: string, path: string, options: { body?: string; cookie?: string; localAddress?: string } = {}): Promise<HttpAnswer> {
    try {
      return await this.#send(method, path, options);
    } catch (error) {
      if ((error as { reusedSocket?: boolean }).reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
        return this.#send(method, path, options);
      }
      throw error;
    }
  }

  #send(method: string, path: string, options: { body?: string; cookie?: string; localAddress?: string }): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    if (options.cookie) headers.cookie = options.cookie;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#base.hostname,
          port: this.#base.port,
          method,
          path,
          headers,
          agent: this.#agent,
          localAddress: options.localAddress,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), setCookie: res.headers['set-cookie'] ?? [] }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(options.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The loopback source addresses the generator spreads its clients over: 127.0.0.2, 127.0.0.3, … */
export function sourceAddresses(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 250) throw new RangeError(`--addresses must be 1–250, got ${count}`);
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
}
