import { type Kysely, sql } from 'kysely';

/** Attachments of one partition (seed 000's `media_<id>`), referenced by messages. */
export async function up(db: Kysely<any>, t: (name: string) => string): Promise<void> {
  await db.schema
    .createTable(t('media'))
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('uploader_id', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .alterTable(t('messages'))
    .addColumn('media_id', 'text', (c) => c.references(`${t('media')}.id`))
    .execute();
}
