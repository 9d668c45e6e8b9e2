// Frozen: who is on duty (`moderator_duty`: one row per holder, until it expires, so a closed
// dashboard does not leave anyone on duty for ever) and the operator's pauses of the whole site
// (`site_pauses`: a row per pause, kept for the record once resumed or past its end).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('moderator_duty')
    /** `moderator:<account id>`, or `cli:<os user>` for the operator at the terminal without --as. */
    .addColumn('holder', 'text', (c) => c.primaryKey())
    .addColumn('moderator_id', 'text')
    /** The name shown: the account's username, or `cli:<os user>`. */
    .addColumn('name', 'text', (c) => c.notNull())
    /** dashboard | terminal */
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('since', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('moderator_duty_expires_at').on('moderator_duty').column('expires_at').execute();
  await db.schema
    .createTable('site_pauses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('paused_at', 'bigint', (c) => c.notNull())
    .addColumn('paused_by', 'text', (c) => c.notNull())
    /** Null: until someone resumes. */
    .addColumn('until', 'bigint')
    .addColumn('message', 'text')
    .addColumn('resumed_at', 'bigint')
    .addColumn('resumed_by', 'text')
    .execute();
  await db.schema.createIndex('site_pauses_resumed_at').on('site_pauses').column('resumed_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('site_pauses').execute();
  await db.schema.dropTable('moderator_duty').execute();
}
