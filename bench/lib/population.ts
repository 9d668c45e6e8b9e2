// The simulated people: real `ws` clients, each with its own session (POST /api/session, then
// /ws?ticket=…), spread over loopback source addresses. One process holds them all, so every
// timestamp the scenarios compare comes from one clock (performance.now()).
import WebSocket from 'ws';
import type { ServerMessage } from '../../server/protocol/messages.ts';
import type { HttpClient } from './http.ts';
import type { ServerProcess } from './server.ts';
import { Tally, waitFor } from './stats.ts';

/** What a scenario does with each message a client receives. */
export type MessageHandler = (client: BenchClient, message: ServerMessage) => void;

export class BenchClient {
  readonly slot: number;
  readonly address: string;
  readonly ws: WebSocket;
  /** The device cookie: a reconnecting person keeps their device, as a browser does. */
  readonly cookie: string;
  id = '';
  open = false;
  /** Set before the generator closes the socket itself, so the close is not counted as an error. */
  closing = false;
  /** The last conversation event this client heard, to tell a crossing race from a real error. */
  lastLifecycle: 'none' | 'matched' | 'ended' = 'none';

  constructor(slot: number, address: string, ws: WebSocket, cookie: string) {
    this.slot = slot;
    this.address = address;
    this.ws = ws;
    this.cookie = cookie;
  }

  send(message: object): void {
    if (this.open) this.ws.send(JSON.stringify(message));
  }

  /** Sends a frame serialised in advance (the relay's generator must not be what limits the rate). */
  sendText(frame: string): void {
    if (this.open) this.ws.send(frame);
  }

  /** Closes on purpose: `clean` sends a close frame, otherwise the TCP connection is dropped. */
  close(clean = true): void {
    this.closing = true;
    if (clean) this.ws.close(1000, 'bye');
    else this.ws.terminate();
  }
}

export interface PopulationOptions {
  baseUrl: string;
  addresses: string[];
  http: HttpClient;
  /** The share of people who are 15 (the minors' band); DEFAULT_MINORS_SHARE when absent. */
  minorsShare?: number;
}

/**
 * Seven in ten people are 15 by default: a minor's messages are screened for contact details,
 * alone and with their last ones, so this share drives the relay's filter cost (bench --minors).
 */
export const DEFAULT_MINORS_SHARE = 0.7;

/**
 * The age a slot's person declares: 15 (the minors' band, with its filters) or 20. The slot's
 * last digit, then the one before it, decide: minors stay spread over the slots (0.7 is slots
 * ending in 0–6), in steps of a hundredth.
 */
export function ageOf(slot: number, minorsShare = DEFAULT_MINORS_SHARE): number {
  return (slot % 10) * 10 + (Math.floor(slot / 10) % 10) < minorsShare * 100 ? 15 : 20;
}

export class Population {
  readonly clients: Array<BenchClient | undefined> = [];
  /** Errors seen since the last reset: `error:<code>` frames, `close:<code>`, `session:<status>`, `connect:<why>`. */
  errors = new Tally();
  /**
   * `not_matched` answers to a message or signal that crossed the partner's `ended` on the wire:
   * the protocol's expected outcome of a race, counted apart from errors.
   */
  crossedEnds = 0;
  handler: MessageHandler = () => {};
  onClose: (client: BenchClient, code: number) => void = () => {};
  readonly #options: PopulationOptions;
  readonly #wsBase: string;

  constructor(options: PopulationOptions) {
    this.#options = options;
    this.#wsBase = options.baseUrl.replace(/^http/, 'ws');
  }

  /** The age the person of a slot declares (ageOf with this population's share of minors). */
  ageOf(slot: number): number {
    return ageOf(slot, this.#options.minorsShare);
  }

  resetCounters(): void {
    this.errors = new Tally();
    this.crossedEnds = 0;
  }

  /** Open clients, in slot order. */
  openClients(): BenchClient[] {
    return this.clients.filter((client): client is BenchClient => client?.open === true);
  }

  /** Connects the person of a slot (again, with their device cookie); undefined when refused (counted). */
  async connect(slot: number, cookie = ''): Promise<BenchClient | undefined> {
    const address = this.#options.addresses[slot % this.#options.addresses.length]!;
    let ticket: string;
    let deviceCookie = cookie;
    try {
      const res = await this.#options.http.send('POST', '/api/session', {
        body: JSON.stringify({ acceptRules: true, age: this.ageOf(slot) }),
        cookie,
        localAddress: address,
      });
      if (res.status !== 201) {
        this.errors.add(`session:${res.status}`);
        return undefined;
      }
      ticket = (JSON.parse(res.body) as { ticket: string }).ticket;
      const set = res.setCookie.map((line) => line.split(';')[0]).join('; ');
      if (set) deviceCookie = set;
    } catch (error) {
      this.errors.add(`connect:${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return undefined;
    }
    const ws = new WebSocket(`${this.#wsBase}/ws?ticket=${encodeURIComponent(ticket)}`, {
      localAddress: address,
      perMessageDeflate: false,
      handshakeTimeout: 20_000,
    });
    const client = new BenchClient(slot, address, ws, deviceCookie);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade_${res.statusCode}`)));
        ws.once('error', (error) => reject(error));
        ws.once('close', (code) => reject(new Error(`closed_${code}`)));
        ws.on('message', (data: Buffer) => {
          const message = JSON.parse(data.toString()) as ServerMessage;
          if (message.type === 'welcome') {
            client.id = message.id;
            client.open = true;
            resolve();
            return;
          }
          this.#dispatch(client, message);
        });
      });
    } catch (error) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      this.errors.add(`connect:${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return undefined;
    }
    ws.removeAllListeners('error');
    ws.removeAllListeners('close');
    ws.removeAllListeners('unexpected-response');
    ws.on('error', () => {});
    ws.on('close', (code) => {
      client.open = false;
      if (!client.closing) this.errors.add(`close:${code}`);
      this.onClose(client, code);
    });
    this.clients[slot] = client;
    return client;
  }

  #dispatch(client: BenchClient, message: ServerMessage): void {
    switch (message.type) {
      case 'matched':
        client.lastLifecycle = 'matched';
        break;
      case 'ended':
        client.lastLifecycle = 'ended';
        break;
      case 'error':
        if (message.code === 'not_matched' && client.lastLifecycle === 'ended') this.crossedEnds++;
        else this.errors.add(`error:${message.code}`);
        break;
      case 'banned':
        this.errors.add('banned');
        break;
    }
    this.handler(client, message);
  }

  /** Connects slots until `total` are open, `concurrency` at a time. */
  async grow(total: number, concurrency = 64): Promise<{ connected: number; failed: number; ms: number }> {
    const started = performance.now();
    let next = 0;
    let failed = 0;
    const missing: number[] = [];
    for (let slot = 0; slot < total; slot++) if (!this.clients[slot]?.open) missing.push(slot);
    await Promise.all(
      Array.from({ length: Math.min(concurrency, missing.length) }, async () => {
        while (next < missing.length) {
          const slot = missing[next++]!;
          if (!(await this.connect(slot))) failed++;
        }
      }),
    );
    return { connected: this.openClients().length, failed, ms: performance.now() - started };
  }

  /**
   * Ends every conversation and queue entry (`leave` from everyone), then waits until the server's
   * own figures agree: nobody queued, no conversation, as many online as the generator holds open.
   * What remains is a leak.
   */
  async settle(server: ServerProcess, timeoutMs = 10_000): Promise<SettleResult> {
    const previous = this.handler;
    this.handler = () => {};
    for (const client of this.openClients()) {
      client.send({ type: 'leave' });
      client.lastLifecycle = 'ended';
    }
    let last = await server.stats();
    await waitFor(async () => {
      last = await server.stats();
      const open = this.openClients().length;
      return last.hub.queued === 0 && last.hub.conversations === 0 && last.hub.online === open;
    }, timeoutMs, 50);
    this.handler = previous;
    const open = this.openClients().length;
    return {
      online: last.hub.online,
      open,
      queued: last.hub.queued,
      conversations: last.hub.conversations,
      leaked: last.hub.queued + last.hub.conversations + Math.abs(last.hub.online - open),
    };
  }

  /** Closes every client (terminate: the server sees dropped connections, as after a network loss). */
  closeAll(): void {
    for (const client of this.clients) if (client?.open) client.close(false);
  }
}

export interface SettleResult {
  /** The server's figures after everyone left. */
  online: number;
  queued: number;
  conversations: number;
  /** Clients the generator holds open. */
  open: number;
  /** Queue entries + conversations + |online − open|: zero when nothing leaked. */
  leaked: number;
}
