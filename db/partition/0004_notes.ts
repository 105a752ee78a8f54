import { type Kysely, sql } from 'kysely';

/**
 * Shared notes (issue 11, seed 001): each note carries its pessimistic edit lock in its own row
 * (holder, the holder's session, when it was taken and when it expires, on the database clock)
 * and a fencing token that grows by one at every acquisition; every save is a version.
 */
export async function up(db: Kysely<any>, t: (name: string) => string): Promise<void> {
  await db.schema
    .createTable(t('notes'))
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('deleted_at', 'timestamptz')
    .addColumn('deleted_by', 'text')
    // The lock: all four set together, or all null (free).
    .addColumn('locked_by', 'text')
    .addColumn('lock_session_id', 'text')
    .addColumn('locked_at', 'timestamptz')
    .addColumn('lock_expires_at', 'timestamptz')
    // The fencing token: only ever grows, so a token from before the last acquisition is stale.
    .addColumn('lock_token', 'bigint', (c) => c.notNull().defaultTo(0))
    .addCheckConstraint(
      `${t('notes')}_lock_check`,
      sql`(locked_by is null) = (lock_session_id is null) and (locked_by is null) = (locked_at is null) and (locked_by is null) = (lock_expires_at is null)`,
    )
    .execute();
  // The workspace's list, most recently changed first.
  await sql`create index ${sql.id(`${t('notes')}_updated_idx`)} on ${sql.table(t('notes'))} (updated_at desc) where deleted_at is null`.execute(db);
  // The sweep reads only the locked notes.
  await sql`create index ${sql.id(`${t('notes')}_locked_idx`)} on ${sql.table(t('notes'))} (lock_expires_at) where locked_by is not null`.execute(db);

  await db.schema
    .createTable(t('note_versions'))
    .addColumn('note_id', 'text', (c) =>
      c
        .notNull()
        .references(`${t('notes')}.id`)
        .onDelete('cascade'),
    )
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('saved_by', 'text', (c) => c.notNull())
    .addColumn('saved_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint(`${t('note_versions')}_pkey`, ['note_id', 'version'])
    .execute();
}
