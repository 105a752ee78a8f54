import { type Kysely, sql } from 'kysely';

// Frozen in time: imports kysely only, never the app's types.
/**
 * Profiles and per-user attention settings (issue 13).
 * - `users.status`: a short status line ('' = none).
 * - `users.avatar_id`: the current avatar in `avatars` (null = initials).
 * - `users.receipts_enabled`: false = others never see this user's read receipts, and this
 *   user sees none either.
 * - `avatars`: avatar images, global (a person has one avatar in every workspace). Bytes in
 *   `data` (embedded default) or under `object_key` in the S3 bucket.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column status text not null default ''`.execute(db);
  await sql`alter table users add column avatar_id text`.execute(db);
  await sql`alter table users add column receipts_enabled boolean not null default true`.execute(db);
  await db.schema
    .createTable('avatars')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('storage', 'text', (c) => c.notNull().defaultTo('db'))
    .addColumn('object_key', 'text')
    .addColumn('data', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('avatars_user_id_idx').on('avatars').column('user_id').execute();
}
