// Whether `start` runs under a service manager: then `restart` and `update` must go through it
// (systemd would otherwise see its service stop, and the new process would run outside it).
import { readFileSync } from 'node:fs';

export interface Supervisor {
  kind: 'systemd';
  /** The unit, e.g. strangerchat.service. */
  unit: string;
}

/** systemd sets INVOCATION_ID for every process it starts; the unit is the process's cgroup. */
export function detectSupervisor(env: Record<string, string | undefined>, cgroupFile = '/proc/self/cgroup'): Supervisor | undefined {
  if (!env.INVOCATION_ID) return undefined;
  let unit = 'strangerchat.service';
  try {
    const found = /([^/\s]+\.service)\s*$/m.exec(readFileSync(cgroupFile, 'utf8'));
    if (found) unit = found[1]!;
  } catch {
    // not Linux, or no /proc: the default name of `strangerchat deploy systemd`
  }
  return { kind: 'systemd', unit };
}
