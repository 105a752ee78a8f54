import { type Kysely, sql } from 'kysely';

/**
 * The chat tables of one partition. `t('messages')` is `messages_<partitionId>`; the
 * partition id was validated before it got here, so it is safe inside identifiers.
 */
export async function up(db: Kysely<any>, t: (name: string) => string): Promise<void> {
  await db.schema
    .createTable(t('rooms'))
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index ${sql.id(`${t('rooms')}_name_lower_key`)} on ${sql.table(t('rooms'))} (lower(name))`.execute(db);

  await db.schema
    .createTable(t('room_members'))
    .addColumn('room_id', 'text', (c) =>
      c
        .notNull()
        .references(`${t('rooms')}.id`)
        .onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('joined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('room_members')}_pkey`, ['room_id', 'user_id'])
    .execute();
  await db.schema
    .createIndex(`${t('room_members')}_user_id_idx`)
    .on(t('room_members'))
    .column('user_id')
    .execute();

  await db.schema
    .createTable(t('messages'))
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) =>
      c
        .notNull()
        .references(`${t('rooms')}.id`)
        .onDelete('cascade'),
    )
    .addColumn('author_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'uuid', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint(`${t('messages')}_client_id_key`, ['client_id'])
    .addUniqueConstraint(`${t('messages')}_event_id_key`, ['event_id'])
    .execute();
  await db.schema
    .createIndex(`${t('messages')}_room_event_idx`)
    .on(t('messages'))
    .columns(['room_id', 'event_id desc'])
    .execute();

  await db.schema
    .createTable(t('events'))
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
