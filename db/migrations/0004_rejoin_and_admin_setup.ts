import { type Kysely, sql } from 'kysely';

// Frozen in time: imports kysely only, never the app's types.
export async function up(db: Kysely<any>): Promise<void> {
  // The last membership of someone who left or was removed: what an invite code may give back.
  await db.schema
    .createTable('past_memberships')
    .addColumn('partition_id', 'text', (c) => c.notNull().references('partitions.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('owner', 'admin', 'member', 'viewer')`))
    .addColumn('removed_by', 'text')
    // The invite code's hash when they were removed: that code does not let them back in.
    .addColumn('invite_code_hash', 'text')
    .addColumn('ended_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('past_memberships_pkey', ['partition_id', 'user_id'])
    .execute();
  await db.schema.createIndex('past_memberships_user_id_idx').on('past_memberships').column('user_id').execute();

  // One-time tokens a node prints while the server has no administrator (hashes only).
  await db.schema
    .createTable('admin_setup_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}
