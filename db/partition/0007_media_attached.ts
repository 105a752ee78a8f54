import { type Kysely, sql } from 'kysely';

/**
 * A file goes with one message at most: a unique index on `messages.media_id` (where set). It
 * also answers "which message carries this file?" without reading the room, and it makes a race
 * of two sends attaching the same upload fail one of them instead of storing both. `if not
 * exists`: a workspace upgraded from an older template gets it once, whatever the order.
 */
export async function up(db: Kysely<any>, t: (name: string) => string): Promise<void> {
  await sql`create unique index if not exists ${sql.id(`${t('messages')}_media_id_key`)}
    on ${sql.table(t('messages'))} (media_id) where media_id is not null`.execute(db);
}
