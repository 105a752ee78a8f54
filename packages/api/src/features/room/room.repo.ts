import { sql, type Kysely } from 'kysely';
import { pt, ptAs, type Database, type PartitionId, type RoomKind, type RoomRole } from '@parley/db';

export function findRoom(db: Kysely<Database>, partitionId: PartitionId, roomId: string) {
  return db.selectFrom(pt(partitionId, 'rooms')).selectAll().where('id', '=', roomId).executeTakeFirst();
}

export function findRoomByName(db: Kysely<Database>, partitionId: PartitionId, name: string) {
  return db
    .selectFrom(pt(partitionId, 'rooms'))
    .selectAll()
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .where('kind', '<>', 'dm')
    .executeTakeFirst();
}

export function findRoomByDmKey(db: Kysely<Database>, partitionId: PartitionId, dmKey: string) {
  return db.selectFrom(pt(partitionId, 'rooms')).selectAll().where('dm_key', '=', dmKey).executeTakeFirst();
}

export function insertRoom(
  db: Kysely<Database>,
  partitionId: PartitionId,
  values: { id: string; name: string; created_by: string; kind: RoomKind; topic: string; dm_key?: string | null },
) {
  return db.insertInto(pt(partitionId, 'rooms')).values(values).returningAll().executeTakeFirstOrThrow();
}

export function updateRoom(db: Kysely<Database>, partitionId: PartitionId, roomId: string, values: { name?: string; topic?: string }) {
  return db.updateTable(pt(partitionId, 'rooms')).set(values).where('id', '=', roomId).returningAll().executeTakeFirstOrThrow();
}

/** Inserts the membership; returns false when it already existed. */
export async function insertRoomMember(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string, role: RoomRole = 'member') {
  const r = await db
    .insertInto(pt(partitionId, 'room_members'))
    .values({ room_id: roomId, user_id: userId, role })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function deleteRoomMember(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string) {
  const r = await db.deleteFrom(pt(partitionId, 'room_members')).where('room_id', '=', roomId).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The user's role in the room, or undefined when not a member. */
export async function findRoomRole(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string) {
  const row = await db
    .selectFrom(pt(partitionId, 'room_members'))
    .select('role')
    .where('room_id', '=', roomId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role;
}

export async function isRoomMember(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string) {
  return (await findRoomRole(db, partitionId, roomId, userId)) !== undefined;
}

export function updateRoomRole(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string, role: RoomRole) {
  return db.updateTable(pt(partitionId, 'room_members')).set({ role }).where('room_id', '=', roomId).where('user_id', '=', userId).execute();
}

export function countRoomAdmins(db: Kysely<Database>, partitionId: PartitionId, roomId: string) {
  return db
    .selectFrom(pt(partitionId, 'room_members'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('room_id', '=', roomId)
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
}

export async function listUserRoomIds(db: Kysely<Database>, partitionId: PartitionId, userId: string) {
  const rows = await db.selectFrom(pt(partitionId, 'room_members')).select('room_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.room_id);
}

export function listRoomMembers(db: Kysely<Database>, partitionId: PartitionId, roomId: string) {
  return db
    .selectFrom(ptAs(partitionId, 'room_members', 'rm'))
    .innerJoin('users as u', 'u.id', 'rm.user_id')
    .select(['rm.user_id', 'u.display_name', 'rm.role', 'rm.joined_at'])
    .where('rm.room_id', '=', roomId)
    .orderBy('rm.joined_at')
    .execute();
}

/**
 * The rooms a user may see in the list: public ones, the ones they are in (private rooms,
 * direct messages), and with `allPrivate` (workspace owners and admins, who moderate) every
 * private room. Never another people's direct message.
 */
export function listRooms(db: Kysely<Database>, partitionId: PartitionId, userId: string, allPrivate: boolean) {
  const members = sql.table(pt(partitionId, 'room_members'));
  const myRole = sql<RoomRole | null>`(select me.role from ${members} me where me.room_id = r.id and me.user_id = ${userId})`;
  return db
    .selectFrom(ptAs(partitionId, 'rooms', 'r'))
    .selectAll('r')
    .select([
      myRole.as('my_role'),
      sql<number>`(select count(*) from ${members} rm where rm.room_id = r.id)`.as('member_count'),
      sql<string[] | null>`case when r.kind = 'dm' then (select array_agg(x.user_id order by x.user_id) from ${members} x where x.room_id = r.id) end`.as(
        'member_ids',
      ),
    ])
    .where((eb) => eb.or([eb('r.kind', '=', 'public'), eb(myRole, 'is not', null), ...(allPrivate ? [eb('r.kind', '=', 'private')] : [])]))
    .orderBy('r.created_at')
    .execute();
}

/** Takes the user out of every room of the partition; returns the rooms they were in. */
export async function deleteAllRoomMemberships(db: Kysely<Database>, partitionId: PartitionId, userId: string) {
  const rows = await db.deleteFrom(pt(partitionId, 'room_members')).where('user_id', '=', userId).returning('room_id').execute();
  return rows.map((r) => r.room_id);
}
