// Frozen: an optional e-mail address per moderator account, where changes to safeguarding
// accounts are announced to the safeguarding accounts. Never required.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('moderators').addColumn('email', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('moderators').dropColumn('email').execute();
}
