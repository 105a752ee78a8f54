import type { Kysely } from 'kysely';
import type { Database } from '@parley/db';

export async function insertBlock(db: Kysely<Database>, blockerId: string, blockedId: string) {
  const r = await db
    .insertInto('blocks')
    .values({ blocker_id: blockerId, blocked_id: blockedId })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function deleteBlock(db: Kysely<Database>, blockerId: string, blockedId: string) {
  const r = await db.deleteFrom('blocks').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export function listBlocked(db: Kysely<Database>, blockerId: string) {
  return db
    .selectFrom('blocks')
    .innerJoin('users', 'users.id', 'blocks.blocked_id')
    .select(['users.id', 'users.username', 'users.display_name', 'blocks.created_at'])
    .where('blocks.blocker_id', '=', blockerId)
    .orderBy('blocks.created_at')
    .execute();
}

/** Whether any block stands between `userId` and any of `others`, in either direction. */
export async function anyBlockBetween(db: Kysely<Database>, userId: string, others: readonly string[]) {
  if (others.length === 0) return false;
  const row = await db
    .selectFrom('blocks')
    .select('blocker_id')
    .where((eb) =>
      eb.or([eb.and([eb('blocker_id', '=', userId), eb('blocked_id', 'in', others)]), eb.and([eb('blocked_id', '=', userId), eb('blocker_id', 'in', others)])]),
    )
    .executeTakeFirst();
  return Boolean(row);
}

export async function userExists(db: Kysely<Database>, userId: string) {
  return Boolean(await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst());
}
