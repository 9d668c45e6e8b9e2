// The audit chain's head outside the database: the newest entry this instance wrote (its id and
// hash), kept in the data folder, so that deleting the newest entries, or all of them, no longer
// leaves a chain that verifies. Each head is one file named by its id (data/audit-head/
// 0000000000000042.json), written whole and renamed into place; a writer then removes only the
// files older than its own. The newest file is therefore never removed, whichever of several
// processes (the server, the CLI) writes last: the head never goes backwards.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folder beside the database that holds the head. */
export const AUDIT_HEAD_DIR = 'audit-head';
const ID_DIGITS = 16;
const HEAD_FILE = /^(\d{16})\.json$/;
const HASH = /^[0-9a-f]{64}$/;

/** An entry of the chain, as an outside witness keeps it: `strangerchat audit head`. */
import { type AuditHead } from '../protocol/moderation.ts';
export type { AuditHead } from '../protocol/moderation.ts';

/** A head file that is there but cannot be read as one: the folder was tampered with or damaged. */
export class AuditHeadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditHeadError';
  }
}

export function isAuditHead(value: unknown): value is AuditHead {
  const head = value as AuditHead | null;
  return typeof head === 'object' && head !== null && Number.isSafeInteger(head.id) && head.id > 0 && typeof head.hash === 'string' && HASH.test(head.hash);
}

export class AuditHeadStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  #files(): Array<{ id: number; name: string }> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.flatMap((name) => {
      const match = HEAD_FILE.exec(name);
      return match ? [{ id: Number(match[1]), name }] : [];
    });
  }

  /** The newest head recorded, or undefined when none is. Throws AuditHeadError for a damaged file. */
  read(): AuditHead | undefined {
    for (;;) {
      const newest = this.#files().sort((a, b) => b.id - a.id)[0];
      if (!newest) return undefined;
      let text: string;
      try {
        text = readFileSync(join(this.dir, newest.name), 'utf8');
      } catch (error) {
        // Another writer removed it between the listing and the read: a newer one is there now.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      return this.#parse(newest, text);
    }
  }

  #parse(newest: { id: number; name: string }, text: string): AuditHead {
    let head: unknown;
    try {
      head = JSON.parse(text);
    } catch {
      throw new AuditHeadError(`${join(this.dir, newest.name)} is not a readable audit head`);
    }
    if (!isAuditHead(head) || head.id !== newest.id) throw new AuditHeadError(`${join(this.dir, newest.name)} does not hold the head its name says`);
    return { id: head.id, hash: head.hash };
  }

  /** Records `head` as the newest, unless a newer one is recorded; safe while other processes do the same. */
  advance(head: AuditHead): void {
    this.#write(head);
    for (const file of this.#files()) if (file.id < head.id) rmSync(join(this.dir, file.name), { force: true });
  }

  /** Replaces every recorded head by `head` (none: empty). Only a restore rewinds the chain, the server stopped. */
  reset(head: AuditHead | undefined): void {
    if (head) this.#write(head);
    for (const file of this.#files()) if (!head || file.id !== head.id) rmSync(join(this.dir, file.name), { force: true });
  }

  #write(head: AuditHead): void {
    if (!isAuditHead(head)) throw new TypeError(`AuditHeadStore: not a head: ${JSON.stringify(head)}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const name = `${String(head.id).padStart(ID_DIGITS, '0')}.json`;
    // Written whole beside it, then renamed: a reader never sees half a file. Two writers of one id write the same bytes.
    const partial = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.partial`);
    writeFileSync(partial, `${JSON.stringify({ id: head.id, hash: head.hash })}\n`, { mode: 0o600 });
    renameSync(partial, join(this.dir, name));
  }
}
