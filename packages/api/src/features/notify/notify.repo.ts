import { sql, type Kysely } from 'kysely';
import { pt, ptAs, type Database, type NotifyLevel, type PartitionId, type RoomKind } from '@parley/db';

/** Every room the user is in, its kind, and the level they chose for it (null: none chosen). */
export function listRoomLevels(db: Kysely<Database>, partitionId: PartitionId, userId: string) {
  const rooms = sql.table(pt(partitionId, 'rooms'));
  const notify = sql.table(pt(partitionId, 'room_notify'));
  return db
    .selectFrom(ptAs(partitionId, 'room_members', 'rm'))
    .select([
      'rm.room_id',
      sql<RoomKind>`(select r.kind from ${rooms} r where r.id = rm.room_id)`.as('kind'),
      sql<NotifyLevel | null>`(select n.level from ${notify} n where n.room_id = rm.room_id and n.user_id = rm.user_id)`.as('level'),
    ])
    .where('rm.user_id', '=', userId)
    .orderBy('rm.room_id')
    .execute();
}

export function findLevel(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string) {
  return db
    .selectFrom(pt(partitionId, 'room_notify'))
    .select('level')
    .where('room_id', '=', roomId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
    .then((r) => r?.level ?? null);
}

export function upsertLevel(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string, level: NotifyLevel) {
  return db
    .insertInto(pt(partitionId, 'room_notify'))
    .values({ room_id: roomId, user_id: userId, level })
    .onConflict((oc) => oc.columns(['room_id', 'user_id']).doUpdateSet({ level, updated_at: sql`now()` }))
    .execute();
}
