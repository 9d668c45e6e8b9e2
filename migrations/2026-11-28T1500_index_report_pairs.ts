// Frozen: a covering index for the "never pair these two again" pairs every server loads at
// start-up (a full scan of reports took most of a populated instance's start-up time).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('reports_device_pairs').on('reports').columns(['reporter_device_id', 'reported_device_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('reports_device_pairs').execute();
}
