// Runs the frozen migrations in migrations/ with Kysely's Migrator. The migrator reports
// results instead of throwing; callers decide what to print.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely/migration';

/** migrations/ beside server/ — both in the sources and in dist/. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const MIGRATION_FILE = /^(?<name>[^.].*)\.(?:js|ts)$/;

/** Loads `<name>.ts` (sources) or `<name>.js` (dist), never declaration files. */
export class FolderMigrationProvider implements MigrationProvider {
  readonly #dir: string;
  constructor(dir = MIGRATIONS_DIR) {
    this.#dir = dir;
  }
  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const file of (await readdir(this.#dir)).sort()) {
      if (file.endsWith('.d.ts')) continue;
      const name = MIGRATION_FILE.exec(file)?.groups?.name;
      if (!name) continue;
      migrations[name] = (await import(pathToFileURL(join(this.#dir, file)).href)) as Migration;
    }
    return migrations;
  }
}

export function createMigrator(db: Kysely<any>, dir = MIGRATIONS_DIR): Migrator {
  return new Migrator({ db, provider: new FolderMigrationProvider(dir) });
}

/** Applies every pending migration; throws with the failing migration's name on error. */
export async function migrateToLatest(db: Kysely<any>, dir = MIGRATIONS_DIR): Promise<MigrationResultSet> {
  const result = await createMigrator(db, dir).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`, {
      cause: result.error,
    });
  }
  return result;
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(db: Kysely<any>, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await createMigrator(db, dir).getMigrations();
  return migrations.filter((m) => !m.executedAt).map((m) => m.name);
}
