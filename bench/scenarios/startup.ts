// Scenario 6, start-up: `strangerchat start` to a 200 from /healthz, timed from the spawn: on a new
// instance (the database is created and migrated), on an empty migrated one, and on one holding
// many bans and reports, inserted with plain SQL (the columns of migrations/) before the start.
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Preset } from '../lib/presets.ts';
import { benchTempDir, startServer, writeBenchInstance } from '../lib/server.ts';
import { median, round2, sleep } from '../lib/stats.ts';

export interface StartupCase {
  /** Milliseconds from spawn to a 200 from /healthz, per run. */
  runs: number[];
  median: number;
  max: number;
  /** Milliseconds from spawn to the URL on stdout (listening), median. */
  listeningMedian: number;
  /** Milliseconds from spawn to a 200 from /readyz (bans and reported pairs loaded: everyone is served), per run. */
  readyRuns?: number[];
  readyMedian?: number;
}

export interface StartupResult {
  bans: number;
  activeBans: number;
  reports: number;
  databaseMB: number;
  /** A folder with no database yet: created and migrated by the start. */
  fresh: StartupCase;
  /** Migrated, no rows. */
  empty: StartupCase;
  populated: StartupCase;
  errorCount: number;
}

export async function runStartup(preset: Preset, log: (line: string) => void, packageRoot?: string): Promise<StartupResult> {
  const { runs, bans, reports } = preset.startup;
  const dir = benchTempDir('strangerchat-bench-startup-');
  let errorCount = 0;
  try {
    writeBenchInstance(dir, { heartbeatMs: 30_000 });
    const timed = async (): Promise<{ healthy: number; listening: number; ready: number }> => {
      const started = performance.now();
      const server = await startServer({ dir, benchStats: false, packageRoot });
      /** Milliseconds from spawn to the first 200 from `path`, polled every 5 ms. */
      const until200 = async (path: string): Promise<number> => {
        for (;;) {
          const ok = await fetch(`${server.url}${path}`).then((res) => res.status === 200, () => false);
          if (ok) return round2(performance.now() - started);
          if (performance.now() - started > 30_000) throw new Error(`no 200 from ${path} within 30 s`);
          await sleep(5);
        }
      };
      try {
        const healthy = await until200('/healthz');
        return { healthy, listening: round2(server.listeningAfterMs), ready: await until200('/readyz') };
      } finally {
        if ((await server.stop()) !== 0) errorCount++;
        errorCount += server.logs.errors.length;
      }
    };
    const measure = async (label: string, count: number): Promise<StartupCase> => {
      const results: Array<{ healthy: number; listening: number; ready: number }> = [];
      for (let i = 0; i < count; i++) results.push(await timed());
      const times = results.map((r) => r.healthy);
      const readyRuns = results.map((r) => r.ready);
      const out = {
        runs: times,
        median: median(times),
        max: Math.max(...times),
        listeningMedian: median(results.map((r) => r.listening)),
        readyRuns,
        readyMedian: median(readyRuns),
      };
      log(`startup: ${label} healthy after ${out.median} ms, ready after ${out.readyMedian} ms (median of ${count})`);
      return out;
    };
    const fresh = await measure('new instance', 1);
    const empty = await measure('empty database', runs);
    log(`startup: inserting ${bans} bans and ${reports} reports`);
    const database = join(dir, 'data', 'strangerchat.db');
    const activeBans = populate(database, bans, reports);
    const populated = await measure(`${bans} bans, ${reports} reports`, runs);
    return {
      bans,
      activeBans,
      reports,
      databaseMB: round2(statSync(database).size / 2 ** 20),
      fresh,
      empty,
      populated,
      errorCount,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Inserts bans of every kind (device, identity, address, IPv4 and IPv6 ranges; about 70 % still
 * active, the rest lifted or expired) and reports (one in five open, each with a short transcript).
 * Returns the number of active bans.
 */
export function populate(path: string, bans: number, reports: number): number {
  const db = new DatabaseSync(path);
  const now = Date.now();
  const day = 86_400_000;
  let active = 0;
  try {
    db.exec('BEGIN');
    const ban = db.prepare(
      `INSERT INTO bans (id, target_kind, target, reason, severity, note, created_by, created_at, expires_at, lifted_at, lifted_by, report_id, quarantine)
       VALUES (?, ?, ?, ?, ?, NULL, 'cli:bench', ?, ?, ?, ?, NULL, 0)`,
    );
    for (let i = 0; i < bans; i++) {
      const [kind, target] = banTarget(i);
      // The kind follows i % 10, the life of the ban the next digit, so every kind has every life.
      const life = Math.floor(i / 10) % 10;
      const lifted = life === 0;
      const expired = life === 1 || life === 2;
      const expiresAt = expired ? now - day : life < 6 ? null : now + 30 * day;
      if (!lifted && !expired) active++;
      ban.run(randomUUID(), kind, target, 'load test', i % 5 === 0 ? 'no_matching' : 'no_access', now - (i % 365) * day, expiresAt, lifted ? now - day : null, lifted ? 'cli:bench' : null);
    }
    const report = db.prepare(
      `INSERT INTO reports (id, conversation_id, reason, note, status, reporter_session_id, reported_session_id, transcript, evidence_token_hash, created_at,
         reporter_device_id, reported_device_id, reporter_address, reported_address, reported_age_band, mode, resolved_at, resolved_by, resolution)
       VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let i = 0; i < reports; i++) {
      const open = i % 5 === 0;
      const at = now - (i % 90) * day;
      const transcript = JSON.stringify([
        { from: 'a', sessionId: randomUUID(), text: 'hey there, how is your day going?', at },
        { from: 'b', sessionId: randomUUID(), text: 'something a moderator should read', at: at + 2000 },
      ]);
      report.run(
        randomUUID(), randomUUID(), 'harassment', open ? 'open' : 'resolved', randomUUID(), randomUUID(), transcript,
        randomBytes(32).toString('base64url'), at, randomUUID(), randomUUID(), `10.${i % 256}.${(i >> 8) % 256}.1`, `10.1.${i % 256}.2`,
        i % 3 ? 'minor' : 'adult', i % 2 ? 'text' : 'video', open ? null : at + day, open ? null : 'moderator:bench', open ? null : 'dismiss',
      );
    }
    db.exec('COMMIT');
  } finally {
    db.close();
  }
  return active;
}

function banTarget(i: number): [string, string] {
  const a = (i >> 16) & 255;
  const b = (i >> 8) & 255;
  const c = i & 255;
  switch (i % 10) {
    case 0:
    case 3:
    case 5:
    case 7:
    case 9:
      return ['device', randomUUID()];
    case 1:
    case 4:
      return ['ip', `10.${a}.${b}.${c}`];
    case 2:
      return ['identity', randomBytes(32).toString('base64url')];
    case 6:
      return ['cidr', `172.${16 + (a % 16)}.${b}.0/24`];
    default:
      return ['cidr', `2001:db8:${a.toString(16)}:${((b << 8) | c).toString(16)}::/64`];
  }
}
