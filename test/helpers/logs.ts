// A real pino logger writing into memory, so tests can read what the server logged.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../server/logger.ts';

export interface CapturedLogs {
  logger: Logger;
  /** Every line logged so far, parsed. */
  entries(): Array<Record<string, unknown>>;
  /** Everything logged, raw, for "never logs X" assertions. */
  text(): string;
}

export function captureLogs(level: 'debug' | 'info' = 'debug'): CapturedLogs {
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw += chunk.toString();
      callback();
    },
  });
  const logger = createLogger({ level, destination });
  return {
    logger,
    entries: () => raw.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => raw,
  };
}
