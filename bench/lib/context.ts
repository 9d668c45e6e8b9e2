// What every scenario that talks to the shared server receives.
import type { HttpClient } from './http.ts';
import type { Population } from './population.ts';
import type { Preset } from './presets.ts';
import type { ServerProcess } from './server.ts';

export interface BenchContext {
  server: ServerProcess;
  population: Population;
  http: HttpClient;
  addresses: string[];
  preset: Preset;
  /** Progress for the person running the bench (stderr). */
  log: (line: string) => void;
}

/** Event-loop delay beyond the sampling interval (milliseconds), and how many ticks it is drawn from. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** The server's garbage-collection pauses in the same span (absent in results from before they were read). */
  gc?: { count: number; totalMs: number; maxMs: number; maxKind: string };
}

/** The server's event-loop figures as a step records them. */
export function loopDelayOf(stats: { eventLoop: { p50: number; p99: number; max: number; samples: number }; gc: NonNullable<LoopDelay['gc']> }): LoopDelay {
  return { p50: stats.eventLoop.p50, p99: stats.eventLoop.p99, max: stats.eventLoop.max, samples: stats.eventLoop.samples, gc: stats.gc };
}

/** Server log lines at error and warn level that appeared since `mark()`. */
export function logWatch(server: ServerProcess): { errors(): number; warnings(): number; sample(): string[] } {
  const errors = server.logs.errors.length;
  const warnings = server.logs.warnings.length;
  const other = server.logs.other.length;
  return {
    errors: () => server.logs.errors.length - errors,
    warnings: () => server.logs.warnings.length - warnings,
    sample: () =>
      [...server.logs.errors.slice(errors), ...server.logs.warnings.slice(warnings), ...server.logs.other.slice(other)]
        .slice(0, 5)
        .map((line) => line.slice(0, 300)),
  };
}

export const randomExp = (mean: number): number => -Math.log(1 - Math.random()) * mean;

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** Ordinary chat lines: no digits, links or handles, so no filter blocks or rewrites them. */
export const SENTENCES = [
  'hey there, how is your day going?',
  'not bad, just finished school for today',
  'what kind of music do you listen to?',
  'mostly indie and some jazz, you?',
  'i have been learning to play the guitar',
  'that sounds fun, how long have you played?',
  'do you like board games or video games more?',
  'honestly both, chess is my favourite though',
  'the weather here is really grey this week',
  'same here, it has rained every single day',
] as const;

const SENTENCE_SET = new Set<string>(SENTENCES);
export const isSentence = (text: string): boolean => SENTENCE_SET.has(text);

/**
 * A relay candidate as a browser under iceTransportPolicy "relay" gathers it: it passes the
 * relay-only filter of the minors' conversations unchanged, so every signal still arrives (adults'
 * are forwarded as sent, minors' re-serialised after the filter).
 */
export function candidate(n: number): { candidate: { candidate: string; sdpMid: string; sdpMLineIndex: number } } {
  return {
    candidate: {
      candidate: `candidate:${842163049 + n} 1 udp 41885439 192.0.2.${(n % 250) + 1} ${50000 + (n % 10000)} typ relay raddr 0.0.0.0 rport 0 generation 0 ufrag sbkW network-cost 999`,
      sdpMid: '0',
      sdpMLineIndex: 0,
    },
  };
}

/** An offer or answer of realistic size (about 2.5 KB, the size of a browser's audio+video SDP). */
export function sessionDescription(type: 'offer' | 'answer'): { type: 'offer' | 'answer'; sdp: string } {
  return { type, sdp: SDP };
}

const SDP = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS stream',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 103 104 9 0 8 106 105 13 110 112 113 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:sbkW',
  'a=ice-pwd:8yJrPcFQpYHhOmBZfRh9dH2b',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 1B:3E:1F:7D:DC:0A:56:6B:7C:49:9A:1C:6A:1E:E3:9B:1D:47:CF:8E:82:26:F8:15:50:29:AA:63:5E:7D:2F:11',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=sendrecv',
  'a=msid:stream audio0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=ssrc:1001 cname:bench',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 45 46',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:sbkW',
  'a=ice-pwd:8yJrPcFQpYHhOmBZfRh9dH2b',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 1B:3E:1F:7D:DC:0A:56:6B:7C:49:9A:1C:6A:1E:E3:9B:1D:47:CF:8E:82:26:F8:15:50:29:AA:63:5E:7D:2F:11',
  'a=setup:actpass',
  'a=mid:1',
  'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
  'a=extmap:13 urn:3gpp:video-orientation',
  'a=sendrecv',
  'a=msid:stream video0',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:98 VP9/90000',
  'a=fmtp:98 profile-id=0',
  'a=rtpmap:100 H264/90000',
  'a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:45 AV1/90000',
  'a=ssrc-group:FID 2001 2002',
  'a=ssrc:2001 cname:bench',
  'a=ssrc:2002 cname:bench',
  '',
].join('\r\n');
