import { type Kysely, sql } from 'kysely';

/**
 * Conversations (issue 9): room kinds (public, private, direct messages) with a topic and
 * per-room roles; edits, deletes (for everyone, and per user), reactions, replies, pins and
 * announcements; and the ledger of client-made operation ids that makes every mutation safe
 * to repeat.
 */
export async function up(db: Kysely<any>, t: (name: string) => string): Promise<void> {
  await db.schema
    .alterTable(t('rooms'))
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('public')
        .check(sql`kind in ('public', 'private', 'dm')`),
    )
    .execute();
  await db.schema
    .alterTable(t('rooms'))
    .addColumn('topic', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  // A direct message's sorted member ids: opening the same conversation again finds it.
  await db.schema.alterTable(t('rooms')).addColumn('dm_key', 'text').execute();
  await sql`create unique index ${sql.id(`${t('rooms')}_dm_key_key`)} on ${sql.table(t('rooms'))} (dm_key) where dm_key is not null`.execute(db);
  // Names are unique among named rooms only: a direct message has none of its own.
  await sql`drop index ${sql.id(`${t('rooms')}_name_lower_key`)}`.execute(db);
  await sql`create unique index ${sql.id(`${t('rooms')}_name_lower_key`)} on ${sql.table(t('rooms'))} (lower(name)) where kind <> 'dm'`.execute(db);

  await db.schema
    .alterTable(t('room_members'))
    .addColumn('role', 'text', (c) =>
      c
        .notNull()
        .defaultTo('member')
        .check(sql`role in ('admin', 'member')`),
    )
    .execute();
  // Every room's creator administers it.
  await sql`update ${sql.table(t('room_members'))} rm set role = 'admin' from ${sql.table(t('rooms'))} r where r.id = rm.room_id and r.created_by = rm.user_id`.execute(
    db,
  );

  await db.schema.alterTable(t('messages')).addColumn('reply_to', 'text').execute();
  // A delete for everyone finds the replies that quote the message.
  await sql`create index ${sql.id(`${t('messages')}_reply_to_idx`)} on ${sql.table(t('messages'))} (reply_to) where reply_to is not null`.execute(db);
  await db.schema.alterTable(t('messages')).addColumn('edited_at', 'timestamptz').execute();
  await db.schema.alterTable(t('messages')).addColumn('deleted_at', 'timestamptz').execute();
  await db.schema.alterTable(t('messages')).addColumn('deleted_by', 'text').execute();
  await db.schema.alterTable(t('messages')).addColumn('pinned_at', 'timestamptz').execute();
  await db.schema.alterTable(t('messages')).addColumn('pinned_by', 'text').execute();
  await sql`create index ${sql.id(`${t('messages')}_pinned_idx`)} on ${sql.table(t('messages'))} (room_id, pinned_at) where pinned_at is not null`.execute(db);

  // The text a message had before each edit, and the event that carried the new one (so a
  // delete for everyone can remove every copy of the text).
  await db.schema
    .createTable(t('message_edits'))
    .addColumn('message_id', 'text', (c) =>
      c
        .notNull()
        .references(`${t('messages')}.id`)
        .onDelete('cascade'),
    )
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('editor_id', 'text', (c) => c.notNull())
    .addColumn('previous_body', 'text', (c) => c.notNull())
    .addColumn('edited_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('message_edits')}_pkey`, ['message_id', 'event_id'])
    .execute();

  // "Delete for me" (seed 003's per-user deletion records).
  await db.schema
    .createTable(t('message_hides'))
    .addColumn('message_id', 'text', (c) =>
      c
        .notNull()
        .references(`${t('messages')}.id`)
        .onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('hidden_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('message_hides')}_pkey`, ['user_id', 'message_id'])
    .execute();

  await db.schema
    .createTable(t('reactions'))
    .addColumn('message_id', 'text', (c) =>
      c
        .notNull()
        .references(`${t('messages')}.id`)
        .onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('emoji', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('reactions')}_pkey`, ['message_id', 'user_id', 'emoji'])
    .execute();

  await db.schema
    .createTable(t('announcements'))
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('author_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable(t('announcement_dismissals'))
    .addColumn('announcement_id', 'text', (c) =>
      c
        .notNull()
        .references(`${t('announcements')}.id`)
        .onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('dismissed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('announcement_dismissals')}_pkey`, ['user_id', 'announcement_id'])
    .execute();

  // Client-made operation ids (UUIDv7) of mutations, with the answer given: a repeat is
  // answered the same and changes nothing.
  await db.schema
    .createTable(t('ops'))
    .addColumn('op_id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('result', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
