// newPostgres(): a throwaway PostgreSQL cluster for one test file — initdb into a fresh folder,
// started on a free loopback port with its unix socket inside that folder, never the system's
// cluster — and stopped and removed in teardown (or when the process exits). PostgreSQL refuses
// to run as root, so as root the cluster is created and run as the `postgres` user.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's postgresql packages put their binaries, one folder per major version. */
const DEBIAN_PG_ROOT = '/usr/lib/postgresql';
/** The superuser the cluster is created with (trust authentication on loopback only). */
const SUPERUSER = 'strangerchat';
/** How long `pg_ctl start` may wait for the server to accept connections, in seconds. */
const START_TIMEOUT_SECONDS = 30;

export interface TestPostgres {
  /** postgres:// URL of a fresh, empty database in the cluster. */
  url: string;
  /** Creates another empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the cluster and removes its folder. */
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder (the one holding initdb and pg_ctl). */
export function findPostgresBin(): string {
  const versions = existsSync(DEBIAN_PG_ROOT)
    ? readdirSync(DEBIAN_PG_ROOT)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(DEBIAN_PG_ROOT, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `PostgreSQL is not installed (no ${DEBIAN_PG_ROOT}/*/bin/initdb): run scripts/install-system-deps.sh (as root or through sudo) to install it`,
    );
  }
  return join(DEBIAN_PG_ROOT, versions[0]!, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** uid and gid of the `postgres` user (Debian's package creates it). */
function postgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root, PostgreSQL needs the "postgres" user: run scripts/install-system-deps.sh to install PostgreSQL');
  }
}

/** Starts a fresh cluster with one empty database. Always call `stop()`. */
export async function newPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'strangerchat-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const serverLog = () => (existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8')}` : '');
  // As root, every command runs as `postgres` (initdb and postgres refuse root); otherwise as us.
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const exec = async (tool: string, args: string[]): Promise<void> => {
    const [file, argv] = command(tool, args);
    try {
      await run(file, argv, { cwd: dir, timeout: (START_TIMEOUT_SECONDS + 30) * 1000 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`${tool} failed: ${(error as Error).message}\n${stdout}${stderr}${serverLog()}`, { cause: error });
    }
  };

  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }

  let started = false;
  const stopSync = () => {
    if (!started) return;
    started = false;
    const [file, argv] = command('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
    try {
      execFileSync(file, argv, { cwd: dir, stdio: 'ignore' });
    } catch {
      // Already stopped; the folder is removed below either way.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed or killed test run must not leave a cluster behind.
  process.once('exit', stopSync);

  try {
    await exec('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions']);
    const port = await freePort();
    // Loopback TCP only, the socket inside the folder (never /var/run/postgresql), no durability:
    // the cluster lives for one test file.
    const options = [
      `-p ${port}`,
      `-c listen_addresses=127.0.0.1`,
      `-k ${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
    ].join(' ');
    started = true;
    await exec('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', String(START_TIMEOUT_SECONDS), '-o', options]);

    const createDatabase = async (name: string): Promise<string> => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TypeError(`"${name}" is not a plain database name`);
      await exec('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, name]);
      return `postgres://${SUPERUSER}@127.0.0.1:${port}/${name}`;
    };
    const url = await createDatabase('strangerchat_test');
    return {
      url,
      createDatabase,
      async stop() {
        process.removeListener('exit', stopSync);
        if (!started) return;
        started = false;
        try {
          await exec('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    process.removeListener('exit', stopSync);
    stopSync();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
