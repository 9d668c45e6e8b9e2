// The pid file of a running instance (data/strangerchat.pid): what `status` and `stop` read.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServerConfig } from '../server/config.ts';

export interface PidInfo {
  pid: number;
  url: string;
  startedAt: number;
  version: string;
}

export function pidFilePath(config: ServerConfig): string {
  const dataDir = config.database.driver === 'sqlite' ? dirname(config.database.path) : join(config.dir, 'data');
  return join(dataDir, 'strangerchat.pid');
}

export function writePidFile(config: ServerConfig, info: PidInfo): void {
  writeFileSync(pidFilePath(config), `${JSON.stringify(info)}\n`);
}

export function removePidFile(config: ServerConfig): void {
  rmSync(pidFilePath(config), { force: true });
}

/** The running instance, or undefined when there is no pid file or its process is gone. */
export function readRunning(config: ServerConfig): PidInfo | undefined {
  const path = pidFilePath(config);
  if (!existsSync(path)) return undefined;
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as PidInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
