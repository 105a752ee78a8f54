import { sql, type Kysely } from 'kysely';
import { pt, type Database, type NotifyLevel, type PartitionId, type RoomKind } from '@parley/db';

/** The server's VAPID keys, made by the first caller: a racing node's insert does nothing, and both read the one stored. */
export async function ensureVapidKeys(db: Kysely<Database>, make: () => { publicKey: string; privateKey: string }) {
  const stored = await db.selectFrom('push_vapid').select(['public_key', 'private_key']).where('id', '=', 1).executeTakeFirst();
  if (stored) return stored;
  const keys = make();
  await db
    .insertInto('push_vapid')
    .values({ id: 1, public_key: keys.publicKey, private_key: keys.privateKey })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return db.selectFrom('push_vapid').select(['public_key', 'private_key']).where('id', '=', 1).executeTakeFirstOrThrow();
}

/** One browser, one subscription: a browser now signed in as someone else pushes to them. */
export function upsertSubscription(db: Kysely<Database>, userId: string, s: { endpoint: string; p256dh: string; auth: string }) {
  return db
    .insertInto('push_subscriptions')
    .values({ endpoint: s.endpoint, user_id: userId, p256dh: s.p256dh, auth: s.auth })
    .onConflict((oc) => oc.column('endpoint').doUpdateSet({ user_id: userId, p256dh: s.p256dh, auth: s.auth }))
    .execute();
}

export function deleteSubscription(db: Kysely<Database>, endpoint: string, userId?: string) {
  let q = db.deleteFrom('push_subscriptions').where('endpoint', '=', endpoint);
  if (userId) q = q.where('user_id', '=', userId);
  return q.execute();
}

/**
 * The push subscriptions of the room's members other than the author, with each member's level
 * for the room and the room's kind. Starts from the subscriptions (few), probing the room's
 * members by their primary key.
 */
/** Whether the server has any push subscription at all (one index probe). */
export async function anySubscription(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('push_subscriptions')
    .select(sql<number>`1`.as('one'))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export function listRoomSubscriptions(db: Kysely<Database>, partitionId: PartitionId, roomId: string, authorId: string) {
  const members = sql.table(pt(partitionId, 'room_members'));
  const rooms = sql.table(pt(partitionId, 'rooms'));
  const notify = sql.table(pt(partitionId, 'room_notify'));
  return sql<{ endpoint: string; user_id: string; p256dh: string; auth: string; level: NotifyLevel | null; kind: RoomKind; name: string }>`
    select s.endpoint, s.user_id, s.p256dh, s.auth, n.level, r.kind, r.name
    from ${members} rm
      join push_subscriptions s on s.user_id = rm.user_id
      join ${rooms} r on r.id = rm.room_id
      left join ${notify} n on n.room_id = rm.room_id and n.user_id = rm.user_id
    where rm.room_id = ${roomId} and rm.user_id <> ${authorId}`
    .execute(db)
    .then((r) => r.rows);
}
