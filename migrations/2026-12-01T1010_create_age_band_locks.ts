// Frozen: the age band a device (`device:<id>`) or a verified identity (`identity:<hash>`) last
// started a session in, until when it sticks, and how often a switch to the other band was refused.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('age_band_locks')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    /** minor | adult */
    .addColumn('band', 'text', (c) => c.notNull())
    .addColumn('declared_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('switch_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_attempt_at', 'bigint')
    .execute();
  await db.schema.createIndex('age_band_locks_expires_at').on('age_band_locks').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('age_band_locks').execute();
}
