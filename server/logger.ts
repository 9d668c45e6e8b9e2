// JSON logs through pino. Never pass SDP, ICE candidates or chat text: log ids.
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pino, type Logger as PinoLogger, type Level, type LoggerOptions, type StreamEntry, type TransportTargetOptions } from 'pino';

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
  /** The JSON-lines file, rotated by size (pino-roll): `path` becomes path.1.log, path.2.log, … */
  file?: { path: string; maxMegabytes: number; keep: number };
}

export interface InstanceLogger {
  logger: Logger;
  /** Flushes and ends the log's worker thread (call once, at shutdown). */
  close(): Promise<void>;
}

const resolvePackage = createRequire(import.meta.url).resolve;
/** Any interval: it only keeps the event loop alive while the log's worker finishes. */
const CLOSE_HOLD_MS = 1000;

/**
 * The running instance's logger. Everything that can go to a file descriptor (the rotated file,
 * and the process's own stderr) is written by pino transports in one worker thread, so a log
 * line costs the event loop its serialisation only, never a write or a rotation. A console that
 * is an in-process stream (a test's capture) is written in this thread.
 */
export function createInstanceLogger(options: InstanceLogOptions): InstanceLogger {
  if (options.level === 'silent') return { logger: silentLogger(), close: async () => {} };
  const level = options.level;
  const targets: TransportTargetOptions[] = [];
  if (options.file) {
    targets.push({
      target: resolvePackage('pino-roll'),
      level,
      options: {
        file: options.file.path,
        size: `${options.file.maxMegabytes}m`,
        mkdir: true,
        // Files of earlier processes count too, so restarts do not leave the folder growing.
        limit: { count: options.file.keep, removeOtherLogFiles: true },
      },
    });
  }
  const streams: StreamEntry[] = [];
  const terminal = options.console;
  if (terminal) {
    const fd = typeof terminal.stream.fd === 'number' ? terminal.stream.fd : undefined;
    if (fd !== undefined) {
      targets.push(
        terminal.pretty
          ? { target: resolvePackage('pino-pretty'), level, options: { ...PRETTY_OPTIONS, destination: fd, colorize: terminal.colour } }
          : { target: 'pino/file', level, options: { destination: fd } },
      );
    } else if (terminal.pretty) {
      // Only a test hands an in-process terminal; pino-pretty formats in this thread then.
      const pretty = resolvePackage('pino-pretty');
      const build = (createRequire(import.meta.url)(pretty) as { build: (o: object) => NodeJS.WritableStream }).build;
      streams.push({ level, stream: build({ ...PRETTY_OPTIONS, destination: terminal.stream, colorize: terminal.colour }) });
    } else {
      streams.push({ level, stream: terminal.stream });
    }
  }
  const transport = targets.length ? pino.transport({ targets }) : undefined;
  if (transport) streams.push({ level, stream: transport });
  // The process id tells the lines of successive processes (restarts) apart in the one file.
  const logger = pino({ ...OPTIONS, base: { ...OPTIONS.base, pid: process.pid }, level }, streams.length === 1 ? streams[0]!.stream : pino.multistream(streams));
  let closed: Promise<void> | undefined;
  return {
    logger,
    close() {
      closed ??= (async () => {
        if (!transport) return;
        // pino unrefs the worker (once it is ready, which may be later): the process is held
        // here until the worker has written and closed the files.
        const holding = setInterval(() => {}, CLOSE_HOLD_MS);
        try {
          const done = once(transport, 'close');
          transport.end();
          await done;
        } finally {
          clearInterval(holding);
        }
      })();
      return closed;
    },
  };
}
