// Frozen: safeguarding alerts (`alerts`: what happened, about what, and who acknowledged it when)
// and their outbox (`alert_deliveries`: one row per e-mail recipient and per webhook, retried
// with backoff until sent or failed), so that a restart loses no pending delivery.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    /** report_sensitive | report_repeat | quarantine | band_switch */
    .addColumn('kind', 'text', (c) => c.notNull())
    /** What it is about: `report:<id>`, `device:<id>`, `identity:<hash>`. */
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('report_id', 'text')
    .addColumn('ban_id', 'text')
    /** JSON: ids and counts only, never chat text or evidence. */
    .addColumn('details', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'text')
    .addColumn('acknowledge_note', 'text')
    .execute();
  await db.schema.createIndex('alerts_created_at').on('alerts').column('created_at').execute();
  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text', (c) => c.notNull())
    /** email | webhook */
    .addColumn('channel', 'text', (c) => c.notNull())
    /** `moderator:<account id>` for e-mail (the address is read when sending), the URL for a webhook. */
    .addColumn('target', 'text', (c) => c.notNull())
    /** pending | sent | failed */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    /** A process sending it holds it until then (several processes share one outbox). */
    .addColumn('claimed_until', 'bigint')
    /** A code (`http_500`, `ECONNREFUSED`, an SMTP reply code), never a message that could quote an address. */
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .execute();
  await db.schema.createIndex('alert_deliveries_due').on('alert_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('alert_deliveries_alert_id').on('alert_deliveries').column('alert_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('alert_deliveries').execute();
  await db.schema.dropTable('alerts').execute();
}
