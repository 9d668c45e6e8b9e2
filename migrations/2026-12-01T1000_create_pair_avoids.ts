// Frozen: who must never be paired with whom after a report, by key: `device:<id>`,
// `identity:<hash>` and `address:<IPv4 or IPv6 /64>` (an address for a window only). One row per
// pair of keys; loaded by every server at start. The device pairs of the reports filed before this
// migration, and their identity pairs, are copied in, so nothing already avoided is forgotten.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pair_avoids')
    .addColumn('key_a', 'text', (c) => c.notNull())
    .addColumn('key_b', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    /** Null: for ever. */
    .addColumn('expires_at', 'bigint')
    /** 1: key_b is an address that was shared when the report was filed. */
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('report_id', 'text')
    .addPrimaryKeyConstraint('pair_avoids_pk', ['key_a', 'key_b'])
    .execute();
  await db.schema.createIndex('pair_avoids_expires_at').on('pair_avoids').column('expires_at').execute();

  const pairs: Array<[string, string, string, string]> = [
    ['device:', 'reporter_device_id', 'device:', 'reported_device_id'],
    ['device:', 'reporter_device_id', 'identity:', 'reported_identity_hash'],
    ['identity:', 'reporter_identity_hash', 'device:', 'reported_device_id'],
    ['identity:', 'reporter_identity_hash', 'identity:', 'reported_identity_hash'],
  ];
  for (const [prefixA, columnA, prefixB, columnB] of pairs) {
    await db
      .insertInto('pair_avoids')
      .columns(['key_a', 'key_b', 'created_at'])
      .expression(
        db
          .selectFrom('reports')
          .select([
            sql<string>`${sql.lit(prefixA)} || ${sql.ref(columnA)}`.as('key_a'),
            sql<string>`${sql.lit(prefixB)} || ${sql.ref(columnB)}`.as('key_b'),
            (eb) => eb.fn.min('created_at').as('created_at'),
          ])
          .where(columnA, 'is not', null)
          .where(columnB, 'is not', null)
          .groupBy([columnA, columnB]),
      )
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pair_avoids').execute();
}
