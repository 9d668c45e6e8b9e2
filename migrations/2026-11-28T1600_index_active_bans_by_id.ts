// Frozen: the active bans in id order, which every server reads at start-up a page at a time
// (`lifted_at IS NULL AND id > ? ORDER BY id`); with bans_active alone each page sorted every
// active ban again.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('bans_unlifted_id').on('bans').columns(['lifted_at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('bans_unlifted_id').execute();
}
