import { type Kysely, sql } from 'kysely';

// Frozen in time: imports kysely only, never the app's types.
/**
 * Web Push (issue 13: notifications with the tab closed).
 * - `push_subscriptions`: one browser's push subscription (its push service `endpoint`, unique,
 *   and the keys the payload is encrypted to), for the user signed in there.
 * - `push_vapid`: the server's VAPID key pair (one row, made by the first node that needs it):
 *   browsers subscribe to its public key, and push services check that pushes are signed by it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('push_subscriptions')
    .addColumn('endpoint', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('p256dh', 'text', (c) => c.notNull())
    .addColumn('auth', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('push_subscriptions_user_id_idx').on('push_subscriptions').column('user_id').execute();
  await db.schema
    .createTable('push_vapid')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('private_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
