import { sql, type Kysely } from 'kysely';
import { pt, type Database, type PartitionId, type RoomKind, type RoomRole } from '@parley/db';

/**
 * Which of `userIds` are in the room (with their room role), the room's kind, and, when
 * `withCount`, how many people it has: one round trip, by the room members' primary key.
 */
export async function findMentionable(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userIds: readonly string[], withCount: boolean) {
  const members = await db
    .selectFrom(pt(partitionId, 'room_members'))
    .select(['user_id', 'role'])
    .select([
      sql<RoomKind | null>`(select r.kind from ${sql.table(pt(partitionId, 'rooms'))} r where r.id = ${roomId})`.as('kind'),
      (withCount ? sql<string>`(select count(*) from ${sql.table(pt(partitionId, 'room_members'))} c where c.room_id = ${roomId})` : sql<string>`0`).as(
        'member_count',
      ),
    ])
    .where('room_id', '=', roomId)
    .where('user_id', 'in', userIds)
    .execute();
  return {
    roles: new Map<string, RoomRole>(members.map((m) => [m.user_id, m.role])),
    kind: members[0]?.kind ?? null,
    memberCount: Number(members[0]?.member_count ?? 0),
  };
}
