// Frozen: sign-ins with the school's OpenID provider in flight, one per browser that pressed
// "Continue with …". Only a keyed hash of the browser's transaction id is stored; the state, nonce
// and PKCE verifier are derived from that id and never written down. A row is spent once.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oidc_sign_ins')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    /** member | moderator */
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('oidc_sign_ins_expires_at').on('oidc_sign_ins').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oidc_sign_ins').execute();
}
