import { sql, type Kysely } from 'kysely';
import { pt, ptAs, type Database, type PartitionId } from '@parley/db';

export function findRoom(db: Kysely<Database>, partitionId: PartitionId, roomId: string) {
  return db.selectFrom(pt(partitionId, 'rooms')).selectAll().where('id', '=', roomId).executeTakeFirst();
}

export function findRoomByName(db: Kysely<Database>, partitionId: PartitionId, name: string) {
  return db
    .selectFrom(pt(partitionId, 'rooms'))
    .selectAll()
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
}

export function insertRoom(
  db: Kysely<Database>,
  partitionId: PartitionId,
  values: { id: string; name: string; created_by: string },
) {
  return db.insertInto(pt(partitionId, 'rooms')).values(values).returningAll().executeTakeFirstOrThrow();
}

/** Inserts the membership; returns false when it already existed. */
export async function insertRoomMember(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string) {
  const r = await db
    .insertInto(pt(partitionId, 'room_members'))
    .values({ room_id: roomId, user_id: userId })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function deleteRoomMember(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string) {
  const r = await db
    .deleteFrom(pt(partitionId, 'room_members'))
    .where('room_id', '=', roomId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function isRoomMember(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string) {
  const row = await db
    .selectFrom(pt(partitionId, 'room_members'))
    .select('room_id')
    .where('room_id', '=', roomId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Boolean(row);
}

export async function listUserRoomIds(db: Kysely<Database>, partitionId: PartitionId, userId: string) {
  const rows = await db
    .selectFrom(pt(partitionId, 'room_members'))
    .select('room_id')
    .where('user_id', '=', userId)
    .execute();
  return rows.map((r) => r.room_id);
}

export function listRooms(db: Kysely<Database>, partitionId: PartitionId, userId: string) {
  return db
    .selectFrom(ptAs(partitionId, 'rooms', 'r'))
    .selectAll('r')
    .select((eb) => [
      eb
        .selectFrom(ptAs(partitionId, 'room_members', 'rm'))
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('rm.room_id', '=', 'r.id')
        .as('member_count'),
      eb
        .exists(
          eb
            .selectFrom(ptAs(partitionId, 'room_members', 'me'))
            .select('me.room_id')
            .whereRef('me.room_id', '=', 'r.id')
            .where('me.user_id', '=', userId),
        )
        .as('joined'),
    ])
    .orderBy('r.created_at')
    .execute();
}

/** Takes the user out of every room of the partition; returns the rooms they were in. */
export async function deleteAllRoomMemberships(db: Kysely<Database>, partitionId: PartitionId, userId: string) {
  const rows = await db.deleteFrom(pt(partitionId, 'room_members')).where('user_id', '=', userId).returning('room_id').execute();
  return rows.map((r) => r.room_id);
}
