// JSON logs through pino. Never pass SDP, ICE candidates or chat text: log ids.
import { createRequire } from 'node:module';
import { openRotatingLog } from './log-file.ts';
import { pino, type Logger as PinoLogger, type Level, type LoggerOptions, type StreamEntry } from 'pino';

export type Logger = PinoLogger;

const OPTIONS: LoggerOptions = {
  base: { service: 'strangerchat' },
  // Defence in depth: should a payload ever reach a log call, these keys are removed.
  redact: { paths: ['sdp', 'candidate', 'text', 'data.sdp', 'data.candidate', '*.sdp', '*.candidate', 'ticket'], remove: true },
};

/** How a log line reads on a terminal (pino-pretty), for `start` in the foreground and `strangerchat logs`. */
export const PRETTY_OPTIONS = { translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname,service' } as const;

export function createLogger(options: { level?: Level | 'silent'; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino({ ...OPTIONS, level: options.level ?? 'info' }, options.destination as never);
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export interface InstanceLogOptions {
  level: Level | 'silent';
  /**
   * Where a person reads the log as it happens (the terminal, or journald's pipe); `pretty` gives
   * readable lines instead of JSON. Omitted: no console copy (a background `start`).
   */
  console?: { stream: NodeJS.WritableStream & { fd?: unknown }; pretty: boolean; colour: boolean };
  /** The JSON-lines file, rotated by size (server/log-file.ts): `path` becomes path.1.log, path.2.log, … */
  file?: { path: string; maxMegabytes: number; keep: number };
}

export interface InstanceLogger {
  logger: Logger;
  /** Writes what is buffered and closes the file and the terminal stream (call once, at shutdown). */
  close(): Promise<void>;
}

/**
 * The running instance's logger, written in this thread: the rotated file (server/log-file.ts)
 * and a terminal that is a file descriptor go through pino's asynchronous SonicBoom, so a log line
 * costs the event loop its serialisation and a string append, never a write or a rotation. (A
 * pino transport did this in a worker thread: a second V8 heap, about a fifth of an idle server's
 * memory, for a server that logs a few lines a minute.) A console that is an in-process stream (a
 * test's capture) is written to directly.
 */
export function createInstanceLogger(options: InstanceLogOptions): InstanceLogger {
  if (options.level === 'silent') return { logger: silentLogger(), close: async () => {} };
  const level = options.level;
  const streams: StreamEntry[] = [];
  /** The streams this logger opened, ended at close. */
  const owned: EndableStream[] = [];
  const terminal = options.console;
  const warnOnce = onceWarning(terminal?.stream ?? process.stderr);
  if (options.file) {
    const file = openRotatingLog({ path: options.file.path, maxBytes: options.file.maxMegabytes * 1024 * 1024, keep: options.file.keep, onError: warnOnce });
    owned.push(file);
    streams.push({ level, stream: file });
  }
  if (terminal) {
    const fd = typeof terminal.stream.fd === 'number' ? terminal.stream.fd : undefined;
    let stream: StreamEntry['stream'];
    if (terminal.pretty) {
      // Only on a terminal someone watches, so pino-pretty is loaded only then.
      const build = (createRequire(import.meta.url)('pino-pretty') as { build: (o: object) => NodeJS.WritableStream }).build;
      const pretty = build({ ...PRETTY_OPTIONS, destination: fd ?? terminal.stream, colorize: terminal.colour });
      if (fd !== undefined) owned.push(pretty);
      stream = pretty;
    } else if (fd !== undefined) {
      // Not process.stderr itself: on Linux its writes to a pipe or file block the event loop.
      const destination = pino.destination({ fd, sync: false });
      destination.on('error', warnOnce);
      owned.push(destination);
      stream = destination;
    } else {
      stream = terminal.stream;
    }
    streams.push({ level, stream });
  }
  // The process id tells the lines of successive processes (restarts) apart in the one file.
  // No stream (--quiet with log.file off): an empty multistream, not pino's default of stdout.
  const destination = streams.length === 1 ? streams[0]!.stream : pino.multistream(streams);
  const logger = pino({ ...OPTIONS, base: { ...OPTIONS.base, pid: process.pid }, level }, destination);
  let closed: Promise<void> | undefined;
  return {
    logger,
    close() {
      closed ??= Promise.all(owned.map(endStream)).then(() => {});
      return closed;
    },
  };
}

/** A SonicBoom or a Node stream: what close() ends. */
interface EndableStream {
  end(): unknown;
  once(event: 'close' | 'error', listener: () => void): unknown;
  destroyed?: boolean;
}

/** Ends a stream and resolves once its last bytes are written (or it failed: nothing more to wait for). */
function endStream(stream: EndableStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    stream.once('close', resolve);
    stream.once('error', resolve);
    stream.end();
  });
}

/** The log cannot write: said once where a person may read it, not once a line. */
function onceWarning(stream: NodeJS.WritableStream): (error: Error) => void {
  let said = false;
  return (error) => {
    if (said) return;
    said = true;
    stream.write(`strangerchat: the log cannot be written: ${error.message}\n`);
  };
}
