// JSON logs through pino. Never pass SDP, ICE candidates or chat text: log ids.
import { pino, type Logger as PinoLogger, type Level } from 'pino';

export type Logger = PinoLogger;

export function createLogger(options: { level?: Level | 'silent'; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'strangerchat' },
      // Defence in depth: should a payload ever reach a log call, these keys are removed.
      redact: { paths: ['sdp', 'candidate', 'text', 'data.sdp', 'data.candidate', '*.sdp', '*.candidate', 'ticket'], remove: true },
    },
    options.destination as never,
  );
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
