import { sql, type Kysely } from 'kysely';
import type { Database, NewUser } from '@parley/db';

export function findUserByUsername(db: Kysely<Database>, username: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
}

export function insertUser(db: Kysely<Database>, user: NewUser) {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export function updateUserPassword(db: Kysely<Database>, userId: string, passwordHash: string) {
  return db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

export async function anyUserExists(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Serializes "is this the first account?" between concurrent registrations on an empty
 * database (held until the transaction ends). Only taken while no user exists.
 */
export async function lockFirstAccount(trx: Kysely<Database>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('parley:first-account'))`.execute(trx);
}
