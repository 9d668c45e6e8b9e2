// RtcPeer: one real @roamhq/wrtc RTCPeerConnection whose SDP and ICE candidates travel only through
// a TestClient's `signal` relay, as a browser's would. It records the candidates and descriptions the
// remote side sent (the relay-only tests check them) and the data-channel messages it receives.
import wrtc from '@roamhq/wrtc';
import type { RawData } from 'ws';
import type { ServerMessage, SignalData } from '../../server/protocol/messages.ts';
import type { TestClient } from './client.ts';

/** How long the wait helpers wait by default: ICE on loopback takes well under a second. */
export const RTC_WAIT_MS = 15_000;

/** The candidate fields protocol v1 accepts (the server's schema is strict about them). */
export type WireCandidate = Extract<SignalData, { candidate: unknown }>['candidate'];

export interface RtcPeerOptions {
  /** The initiator (from `matched`) creates the data channel and sends the offer. */
  initiator: boolean;
  /** Passed to RTCPeerConnection: `iceServers` from `welcome`/`matched`, `iceTransportPolicy`. */
  config?: RTCConfiguration;
  /** Label of the data channel the initiator opens. */
  channelLabel?: string;
}

export class RtcPeer {
  readonly pc: RTCPeerConnection;
  readonly client: TestClient;
  readonly initiator: boolean;
  /** Every ICE candidate received from the remote side through the relay, in arrival order. */
  readonly remoteCandidates: NonNullable<WireCandidate>[] = [];
  /** True once the remote side signalled the end of its candidates (`{candidate: null}`). */
  remoteEndOfCandidates = false;
  /** Every offer or answer received from the remote side through the relay, in arrival order. */
  readonly remoteDescriptions: Array<{ type: 'offer' | 'answer'; sdp: string }> = [];
  /** Every ICE candidate this side gathered and sent. */
  readonly localCandidates: NonNullable<WireCandidate>[] = [];
  /** Messages received on the data channel, in order (strings, or ArrayBuffers for binary). */
  readonly received: Array<string | ArrayBuffer> = [];
  /** Failures inside signal handling (a rejected setRemoteDescription, addIceCandidate, …). */
  readonly errors: Error[] = [];
  /** `error` frames the server sent this client while the peer listened (a refused signal, …). */
  readonly serverErrors: Array<Extract<ServerMessage, { type: 'error' }>> = [];
  channel: RTCDataChannel | undefined;

  readonly #channelLabel: string;
  /** Remote candidates that arrived before the remote description; added once it is set. */
  #pending: RTCIceCandidateInit[] = [];
  /** Signals are handled one at a time, in arrival order. */
  #signalChain: Promise<void> = Promise.resolve();
  #waiters: Array<() => void> = [];
  #closed = false;
  readonly #onFrame = (data: RawData) => {
    let message: ServerMessage;
    try {
      message = JSON.parse(data.toString()) as ServerMessage;
    } catch {
      return; // TestClient owns malformed frames; they are not ours.
    }
    this.#onMessage(message);
  };

  constructor(client: TestClient, options: RtcPeerOptions) {
    this.client = client;
    this.initiator = options.initiator;
    this.#channelLabel = options.channelLabel ?? 'chat';
    this.pc = new wrtc.RTCPeerConnection(options.config ?? {});
    this.pc.addEventListener('icecandidate', (event) => {
      if (this.#closed) return;
      // An empty candidate line is another spelling of end-of-candidates.
      const candidate = event.candidate?.candidate ? toWireCandidate(event.candidate) : null;
      if (candidate) this.localCandidates.push(candidate);
      this.client.send({ type: 'signal', data: { candidate } });
    });
    this.pc.addEventListener('connectionstatechange', () => this.#wake());
    this.pc.addEventListener('iceconnectionstatechange', () => this.#wake());
    this.pc.addEventListener('datachannel', (event) => this.#adopt(event.channel));
    // Signals that reached the client before this peer existed are handled first, then live frames.
    for (const message of client.inbox) if (message.type === 'signal') this.#onMessage(message);
    client.ws.on('message', this.#onFrame);
  }

  /** Starts negotiation: the initiator opens the data channel and sends the offer; the other side waits for it. */
  async start(): Promise<void> {
    if (!this.initiator) return;
    this.#adopt(this.pc.createDataChannel(this.#channelLabel));
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.#sendDescription('offer');
  }

  /** Resolves with the data channel once it is open. */
  async channelOpen(timeoutMs = RTC_WAIT_MS): Promise<RTCDataChannel> {
    await this.#waitFor(() => this.channel?.readyState === 'open', timeoutMs, 'the data channel to open');
    return this.channel as RTCDataChannel;
  }

  /** Sends on the open data channel. */
  send(data: string | ArrayBuffer): void {
    if (this.channel?.readyState !== 'open') throw new Error(`data channel is not open (${this.channel?.readyState ?? 'none'})`);
    // Two calls because RTCDataChannel.send's overloads do not accept the union.
    if (typeof data === 'string') this.channel.send(data);
    else this.channel.send(data);
  }

  /** Waits for the next data-channel message (consuming it). */
  async nextMessage(timeoutMs = RTC_WAIT_MS): Promise<string | ArrayBuffer> {
    await this.#waitFor(() => this.received.length > 0, timeoutMs, 'a data-channel message');
    return this.received.shift() as string | ArrayBuffer;
  }

  /**
   * Waits until the remote side's end-of-candidates arrived. The relay keeps order, so by then every
   * candidate it sent has arrived too; a data channel can open on a peer-reflexive candidate before
   * that, so tests that inspect the received candidates wait for this first.
   */
  async remoteCandidatesDone(timeoutMs = RTC_WAIT_MS): Promise<void> {
    await this.#waitFor(() => this.remoteEndOfCandidates, timeoutMs, "the remote side's end of candidates");
  }

  /** Waits until the peer connection reports `connected`. */
  async connected(timeoutMs = RTC_WAIT_MS): Promise<void> {
    await this.#waitFor(() => this.pc.connectionState === 'connected', timeoutMs, 'the peer connection to connect');
  }

  /** Closes the data channel and the peer connection and stops listening to the relay. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.client.ws.off('message', this.#onFrame);
    try {
      this.channel?.close();
    } catch {
      // Already closed by the remote side.
    }
    this.pc.close();
    this.#wake();
  }

  #onMessage(message: ServerMessage): void {
    if (message.type === 'error') {
      this.serverErrors.push(message);
      this.#wake();
      return;
    }
    if (message.type !== 'signal') return;
    const signal = message.data;
    this.#signalChain = this.#signalChain
      .then(() => this.#handleSignal(signal))
      .catch((error: unknown) => this.#fail(error));
  }

  async #handleSignal(data: SignalData): Promise<void> {
    if (this.#closed) return;
    if ('type' in data) {
      this.remoteDescriptions.push({ type: data.type, sdp: data.sdp });
      await this.pc.setRemoteDescription({ type: data.type, sdp: data.sdp });
      if (data.type === 'offer') {
        const answer = await this.pc.createAnswer();
        await this.pc.setLocalDescription(answer);
        this.#sendDescription('answer');
      }
      const pending = this.#pending;
      this.#pending = [];
      for (const candidate of pending) await this.pc.addIceCandidate(candidate);
      return;
    }
    if (data.candidate === null) {
      // End of candidates: recorded only; connectivity on the candidates already received is what counts.
      this.remoteEndOfCandidates = true;
      this.#wake();
      return;
    }
    const candidate = data.candidate;
    this.remoteCandidates.push(candidate);
    this.#wake();
    const init: RTCIceCandidateInit = {
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid ?? null,
      sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      ...(candidate.usernameFragment ? { usernameFragment: candidate.usernameFragment } : {}),
    };
    if (this.pc.remoteDescription) await this.pc.addIceCandidate(init);
    else this.#pending.push(init);
  }

  #sendDescription(type: 'offer' | 'answer'): void {
    const description = this.pc.localDescription;
    if (!description?.sdp) throw new Error(`no local ${type} to send`);
    this.client.send({ type: 'signal', data: { type, sdp: description.sdp } });
  }

  #adopt(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.addEventListener('open', () => this.#wake());
    channel.addEventListener('close', () => this.#wake());
    channel.addEventListener('message', (event: MessageEvent<string | ArrayBuffer>) => {
      this.received.push(event.data);
      this.#wake();
    });
  }

  #fail(error: unknown): void {
    this.errors.push(error instanceof Error ? error : new Error(String(error)));
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits for a condition, failing early on a signalling error, a closed peer or a closed socket. */
  async #waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (done()) return;
      const state = () => `connection ${this.pc.connectionState}, ice ${this.pc.iceConnectionState}, signaling ${this.pc.signalingState}, ${this.remoteCandidates.length} remote candidates`;
      if (this.errors.length) throw new Error(`signalling failed while waiting for ${what}: ${this.errors.map((e) => e.message).join('; ')}`);
      if (this.serverErrors.length) throw new Error(`the server refused a frame while waiting for ${what}: ${JSON.stringify(this.serverErrors)}`);
      if (this.#closed) throw new Error(`peer closed while waiting for ${what}`);
      if (this.pc.connectionState === 'failed') throw new Error(`peer connection failed while waiting for ${what} (${state()})`);
      if (this.client.closeCode !== undefined) throw new Error(`signalling socket closed (${this.client.closeCode}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${state()})`);
      await new Promise<void>((resolve) => {
        // Polls too: not every state change in wrtc raises an event we listen to.
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Keeps exactly the fields protocol v1 accepts; anything more is refused by the server's strict schema. */
export function toWireCandidate(candidate: RTCIceCandidate): NonNullable<WireCandidate> {
  const json = candidate.toJSON();
  return {
    candidate: json.candidate ?? '',
    sdpMid: json.sdpMid ?? null,
    sdpMLineIndex: json.sdpMLineIndex ?? null,
    ...(json.usernameFragment ? { usernameFragment: json.usernameFragment } : {}),
  };
}

/** The candidate type (`host`, `srflx`, `prflx`, `relay`) read from a candidate line. */
export function candidateType(candidate: { candidate: string }): string | undefined {
  return /\btyp (\w+)/.exec(candidate.candidate)?.[1];
}
