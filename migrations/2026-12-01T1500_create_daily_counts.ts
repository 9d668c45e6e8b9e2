// Frozen: counts of what the chat did per day (sessions, conversations by mode, messages the
// filter blocked) and per month (active devices), for `strangerchat stats` and the transparency
// report. Numbers only: no person, device or address is recorded here. `day` is a UTC date
// (2026-12-01) or, for monthly counts, a UTC month (2026-12). Also an index on sessions.created_at,
// which the per-day and per-month session counts read by range.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('daily_counts')
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('value', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('daily_counts_pk', ['day', 'metric'])
    .execute();
  await db.schema.createIndex('sessions_created_at').on('sessions').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('sessions_created_at').execute();
  await db.schema.dropTable('daily_counts').execute();
}
