// Frozen: bans, evidence on reports (both sides' device, identity, address; frames), appeals,
// and the hash-chained audit log.
// Portable to SQLite and PostgreSQL: frames are blob there and bytea here; the audit log's id is
// an autoincrement on SQLite and an identity column on PostgreSQL (Kysely's autoIncrement() would
// compile to MySQL's auto_increment).
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('bans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    /** ip | cidr | device | identity */
    .addColumn('target_kind', 'text', (c) => c.notNull())
    /** Normalised: an IPv4 address, a CIDR range (IPv6 addresses are stored as their /64), a device id, an identity hash. */
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    /** no_access | no_matching */
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('lifted_at', 'bigint')
    .addColumn('lifted_by', 'text')
    /** The report that led to it, if any. */
    .addColumn('report_id', 'text')
    /** 1 for an automatic quarantine awaiting review. */
    .addColumn('quarantine', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('bans_target').on('bans').columns(['target_kind', 'target']).execute();
  await db.schema.createIndex('bans_active').on('bans').columns(['lifted_at', 'expires_at']).execute();

  await db.schema.alterTable('reports').addColumn('reporter_device_id', 'text').execute();
  await db.schema.alterTable('reports').addColumn('reported_device_id', 'text').execute();
  await db.schema.alterTable('reports').addColumn('reporter_identity_hash', 'text').execute();
  await db.schema.alterTable('reports').addColumn('reported_identity_hash', 'text').execute();
  await db.schema.alterTable('reports').addColumn('reporter_address', 'text').execute();
  await db.schema.alterTable('reports').addColumn('reported_address', 'text').execute();
  await db.schema.alterTable('reports').addColumn('reported_age_band', 'text').execute();
  await db.schema.alterTable('reports').addColumn('mode', 'text').execute();
  await db.schema.alterTable('reports').addColumn('resolved_at', 'bigint').execute();
  await db.schema.alterTable('reports').addColumn('resolved_by', 'text').execute();
  /** dismiss | ban | lift_quarantine */
  await db.schema.alterTable('reports').addColumn('resolution', 'text').execute();
  await db.schema.alterTable('reports').addColumn('resolution_note', 'text').execute();
  /** Set once retention removed the evidence. */
  await db.schema.alterTable('reports').addColumn('evidence_purged_at', 'bigint').execute();
  await db.schema.createIndex('reports_reported_device').on('reports').columns(['reported_device_id', 'created_at']).execute();

  await db.schema
    .createTable('report_frames')
    .addColumn('report_id', 'text', (c) => c.notNull().references('reports.id').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('jpeg', postgres ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('report_frames_pk', ['report_id', 'idx'])
    .execute();

  await db.schema
    .createTable('appeals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('ban_id', 'text', (c) => c.notNull().references('bans.id').onDelete('cascade'))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'bigint')
    .addColumn('decision_note', 'text')
    .execute();
  await db.schema.createIndex('appeals_status').on('appeals').columns(['status', 'created_at']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', (c) => (postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
    .addColumn('at', 'bigint', (c) => c.notNull())
    /** moderator:<name>, cli:<os user>, system:<what> */
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('reason', 'text')
    /** JSON with further details. */
    .addColumn('details', 'text')
    /** SHA-256 of the previous row; unique, so two writers can never both extend the same row. */
    .addColumn('prev_hash', 'text', (c) => c.notNull().unique())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.dropTable('appeals').execute();
  await db.schema.dropTable('report_frames').execute();
  await db.schema.dropIndex('reports_reported_device').execute();
  for (const column of [
    'evidence_purged_at', 'resolution_note', 'resolution', 'resolved_by', 'resolved_at', 'mode', 'reported_age_band',
    'reported_address', 'reporter_address', 'reported_identity_hash', 'reporter_identity_hash', 'reported_device_id', 'reporter_device_id',
  ]) {
    await db.schema.alterTable('reports').dropColumn(column).execute();
  }
  await db.schema.dropTable('bans').execute();
}
