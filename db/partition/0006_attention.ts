import { type Kysely, sql } from 'kysely';

/**
 * Attention and media (issue 13): read positions, mentions, per-room notification levels, and
 * what attachments need beyond template 2's `media` table.
 *
 * - `read_positions`: how far each member has read each room, as an event id of that room's
 *   partition log. It only moves forward. Unread counts are "messages of the room after it",
 *   receipts are "members whose position is at or past the message".
 * - `messages.mentions`: the ids of the people a message mentions, and `'room'` for `@room`.
 *   Written once, with the message (the send statement), never edited separately. A constant
 *   default: adding it to a workspace that has messages rewrites nothing.
 * - `room_notify`: a member's notification level for one room (`all`, `mentions`, `mute`);
 *   no row means the default: `all` in a DM, `mentions` in a room.
 * - `media`: the room an upload was made for (its access check before any message refers to
 *   it), where its bytes are (`db`: the `data` column; `s3`: `object_key` in the configured
 *   bucket, `data` null), its server-made thumbnail and an image's size.
 */
export async function up(db: Kysely<any>, t: (name: string) => string): Promise<void> {
  await db.schema
    .createTable(t('read_positions'))
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('read_positions')}_pkey`, ['room_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex(`${t('read_positions')}_user_idx`)
    .on(t('read_positions'))
    .column('user_id')
    .execute();

  await sql`alter table ${sql.table(t('messages'))} add column mentions text[] not null default '{}'`.execute(db);

  await db.schema
    .createTable(t('room_notify'))
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull().check(sql`level in ('all', 'mentions', 'mute')`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('room_notify')}_pkey`, ['room_id', 'user_id'])
    .execute();

  const media = sql.table(t('media'));
  await sql`alter table ${media} alter column data drop not null`.execute(db);
  await sql`alter table ${media} add column room_id text`.execute(db);
  await sql`alter table ${media} add column storage text not null default 'db'`.execute(db);
  await sql`alter table ${media} add column object_key text`.execute(db);
  await sql`alter table ${media} add column thumb bytea`.execute(db);
  await sql`alter table ${media} add column thumb_mime text`.execute(db);
  await sql`alter table ${media} add column width integer`.execute(db);
  await sql`alter table ${media} add column height integer`.execute(db);
}
