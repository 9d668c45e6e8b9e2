// Video: the local camera and microphone, and one WebRTC call per conversation. Signalling goes
// through the server (`signal` frames); the initiator sends the offer. In relay-only mode the
// browser gathers relay candidates only, so no address but the TURN server's is ever offered.
import type { IceServer, SignalData } from '../../../../server/protocol/messages.ts';

/** `stopped`: stop() was called while the browser was still asking. */
export type CameraResult = 'ok' | 'denied' | 'no_device' | 'error' | 'stopped';

/** The local camera and microphone: on while searching or talking, stopped at every other end. */
export class LocalMedia {
  stream: MediaStream | undefined;
  /** The request in flight: a second start() waits for it instead of opening the camera twice. */
  #starting: Promise<CameraResult> | undefined;
  /** Bumped by stop(): a request that resolves after a stop is stopped at once. */
  #generation = 0;

  start(): Promise<CameraResult> {
    if (this.stream) return Promise.resolve('ok');
    return (this.#starting ??= this.#open().finally(() => (this.#starting = undefined)));
  }

  async #open(): Promise<CameraResult> {
    if (!navigator.mediaDevices?.getUserMedia) return 'no_device';
    const generation = this.#generation;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: true });
      if (generation !== this.#generation) {
        for (const track of stream.getTracks()) track.stop();
        return 'stopped';
      }
      this.stream = stream;
      return 'ok';
    } catch (error) {
      const name = (error as DOMException).name;
      if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
      if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no_device';
      return 'error';
    }
  }

  /** Stops every track (the camera light goes off); the next start() asks for them again. */
  stop(): void {
    this.#generation++;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
  }

  /** Turns the camera or the microphone on or off; returns whether it is now on. */
  toggle(kind: 'video' | 'audio'): boolean {
    const tracks = kind === 'video' ? this.stream?.getVideoTracks() : this.stream?.getAudioTracks();
    const on = !tracks?.[0]?.enabled;
    for (const track of tracks ?? []) track.enabled = on;
    return on;
  }
}

export type CallState = 'connecting' | 'connected' | 'failed';

export interface CallOptions {
  stream: MediaStream;
  iceServers: IceServer[];
  relayOnly: boolean;
  initiator: boolean;
  remote: HTMLVideoElement;
  send: (data: SignalData) => void;
  onState: (state: CallState) => void;
  /** How long to wait for media to flow before calling the attempt failed. */
  timeoutMs?: number;
}

/** Only the fields the protocol accepts (`RTCIceCandidate.toJSON()` may grow new ones). */
function candidateData(candidate: RTCIceCandidate | null): SignalData {
  if (!candidate) return { candidate: null };
  const { candidate: line = '', sdpMid, sdpMLineIndex, usernameFragment } = candidate.toJSON();
  return { candidate: { candidate: line, sdpMid, sdpMLineIndex, usernameFragment } };
}

export class Call {
  readonly #pc: RTCPeerConnection;
  readonly #options: CallOptions;
  /** Candidates that arrived before the remote description. */
  #pending: RTCIceCandidateInit[] = [];
  #timer: ReturnType<typeof setTimeout>;
  #state: CallState = 'connecting';
  #closed = false;

  constructor(options: CallOptions) {
    this.#options = options;
    const pc = new RTCPeerConnection({
      iceServers: options.iceServers as RTCIceServer[],
      iceTransportPolicy: options.relayOnly ? 'relay' : 'all',
    });
    this.#pc = pc;
    for (const track of options.stream.getTracks()) pc.addTrack(track, options.stream);
    pc.onicecandidate = (event) => options.send(candidateData(event.candidate));
    pc.ontrack = (event) => {
      const remote = options.remote;
      if (remote.srcObject !== event.streams[0]) remote.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') this.#set('connected');
      else if (pc.connectionState === 'failed') this.#set('failed');
    };
    this.#timer = setTimeout(() => this.#state !== 'connected' && this.#set('failed'), options.timeoutMs ?? 20_000);
  }

  /** The initiator makes the offer; the other side waits for it. */
  async start(): Promise<void> {
    if (!this.#options.initiator) return;
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    this.#sendDescription();
  }

  async handle(data: SignalData): Promise<void> {
    if (this.#closed) return;
    const pc = this.#pc;
    try {
      if ('sdp' in data) {
        await pc.setRemoteDescription({ type: data.type, sdp: data.sdp });
        for (const candidate of this.#pending.splice(0)) await pc.addIceCandidate(candidate);
        if (data.type === 'offer') {
          await pc.setLocalDescription(await pc.createAnswer());
          this.#sendDescription();
        }
      } else if (data.candidate) {
        const init = data.candidate as RTCIceCandidateInit;
        if (pc.remoteDescription) await pc.addIceCandidate(init);
        else this.#pending.push(init);
      }
    } catch {
      // A malformed or late description from the other side: the timeout reports the failure.
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#pc.onicecandidate = this.#pc.ontrack = this.#pc.onconnectionstatechange = null;
    this.#pc.close();
    this.#options.remote.srcObject = null;
  }

  #sendDescription(): void {
    const description = this.#pc.localDescription;
    if (description && (description.type === 'offer' || description.type === 'answer')) {
      this.#options.send({ type: description.type, sdp: description.sdp });
    }
  }

  #set(state: CallState): void {
    if (this.#closed || this.#state === state) return;
    this.#state = state;
    if (state === 'connected') clearTimeout(this.#timer);
    this.#options.onState(state);
  }
}

/** Whether any of the servers is a TURN relay. */
export function hasTurn(servers: IceServer[]): boolean {
  return servers.some((server) => [server.urls].flat().some((url) => /^turns?:/.test(url)));
}

/**
 * One still of a video, at most `maxWidth` wide, as a JPEG — evidence for a report.
 * Resolves to null when the video shows nothing.
 */
export function captureFrame(video: HTMLVideoElement, maxWidth = 480, quality = 0.7): Promise<Blob | null> {
  const { videoWidth, videoHeight } = video;
  if (!videoWidth || !videoHeight) return Promise.resolve(null);
  const scale = Math.min(1, maxWidth / videoWidth);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(videoWidth * scale);
  canvas.height = Math.round(videoHeight * scale);
  canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}
