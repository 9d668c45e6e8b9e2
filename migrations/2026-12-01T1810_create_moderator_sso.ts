// Frozen: moderators who sign in with the school's OpenID provider. One row per verified identity
// (a keyed hash of iss|sub, never an address): the account it signs in as, once there is one, and
// the owner or safeguarding role its claims asked for and an owner confirmed from the terminal.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('moderator_sso')
    .addColumn('identity_hash', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('moderator_id', 'text', (c) => c.unique().references('moderators.id'))
    /** owner | safeguarding: asked for by the claims, awaiting an owner's confirmation. */
    .addColumn('pending_role', 'text')
    /** owner | safeguarding: confirmed once by an owner; the claims must still ask for it. */
    .addColumn('confirmed_role', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_sign_in_at', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('moderator_sso').execute();
}
