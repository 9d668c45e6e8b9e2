// Frozen: a report between two people on one network (an IPv4 address or an IPv6 /64) is
// flagged; such reports do not count toward the automatic quarantine. Earlier reports count as
// they did (0).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('reports').addColumn('same_network', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('reports').dropColumn('same_network').execute();
}
