// Frozen: a keyed MAC of each audit entry (HMAC-SHA-256 of its hash under a key derived from the
// instance's secret), so that someone who can write to the database but does not hold `.env`
// cannot rebuild the chain. Entries written before it have none: they stay hash-chained only.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('mac', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_log').dropColumn('mac').execute();
}
