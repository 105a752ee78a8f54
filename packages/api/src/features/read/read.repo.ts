import { sql, type Kysely } from 'kysely';
import { pt, type Database, type PartitionId } from '@parley/db';
import { MENTION_ROOM, UNREAD_COUNT_MAX } from '@parley/rules';

/** One room of a user with where they have read it up to (their row, or the default). */
export interface PositionRow {
  room_id: string;
  last_read: number;
  /** The event id of the room's last message (0: none). */
  last_message: number;
}

export interface ReadStateRow {
  room_id: string;
  last_read: number;
  last_message: number;
  unread: number;
  mentions: number;
}

/**
 * Where `userId` has read each room they are in up to: their row, or — never marked — the
 * last message sent before they joined (so joining a room with history does not make it all
 * unread; a direct message or a new room starts at 0: everything in it is new to them).
 */
function positions(partitionId: PartitionId, userId: string, roomId?: string) {
  const members = sql.table(pt(partitionId, 'room_members'));
  const reads = sql.table(pt(partitionId, 'read_positions'));
  const messages = sql.table(pt(partitionId, 'messages'));
  const oneRoom = roomId === undefined ? sql`` : sql`and rm.room_id = ${roomId}`;
  return sql`
    select rm.room_id,
      coalesce(rp.event_id,
        (select max(j.event_id) from ${messages} j where j.room_id = rm.room_id and j.created_at <= rm.joined_at),
        0)::bigint as last_read,
      coalesce((select max(l.event_id) from ${messages} l where l.room_id = rm.room_id), 0)::bigint as last_message
    from ${members} rm
    left join ${reads} rp on rp.room_id = rm.room_id and rp.user_id = rm.user_id
    where rm.user_id = ${userId} ${oneRoom}`;
}

/** The user's rooms with their read position and each room's last message. */
export async function listPositions(db: Kysely<Database>, partitionId: PartitionId, userId: string, roomId?: string): Promise<PositionRow[]> {
  const { rows } = await sql<PositionRow>`${positions(partitionId, userId, roomId)}`.execute(db);
  return rows.map((r) => ({ room_id: r.room_id, last_read: Number(r.last_read), last_message: Number(r.last_message) }));
}

/**
 * Per room of the user: the position, and the messages by others after it that are not
 * deleted nor hidden for them (and those mentioning them or `@room`), each count stopping at
 * {@link UNREAD_COUNT_MAX} so a long-abandoned busy room costs a bounded scan of its index.
 */
export async function listReadStates(db: Kysely<Database>, partitionId: PartitionId, userId: string): Promise<ReadStateRow[]> {
  const messages = sql.table(pt(partitionId, 'messages'));
  const hides = sql.table(pt(partitionId, 'message_hides'));
  const after = sql`m.room_id = x.room_id and m.event_id > x.last_read and m.author_id <> ${userId} and m.deleted_at is null
    and not exists (select 1 from ${hides} h where h.message_id = m.id and h.user_id = ${userId})`;
  const { rows } = await sql<ReadStateRow>`
    select x.room_id, x.last_read, x.last_message,
      (select count(*) from (select 1 from ${messages} m where ${after} limit ${UNREAD_COUNT_MAX}) u)::int as unread,
      (select count(*) from (select 1 from ${messages} m where ${after}
        and m.mentions && array[${userId}, ${MENTION_ROOM}]::text[] limit ${UNREAD_COUNT_MAX}) c)::int as mentions
    from (${positions(partitionId, userId)}) x
    order by x.room_id`.execute(db);
  return rows.map((r) => ({
    room_id: r.room_id,
    last_read: Number(r.last_read),
    last_message: Number(r.last_message),
    unread: Number(r.unread),
    mentions: Number(r.mentions),
  }));
}

/**
 * Moves the position forward to `eventId`; never back (a concurrent older mark loses).
 * Returns the new position, or undefined when it did not move.
 */
export async function advancePosition(db: Kysely<Database>, partitionId: PartitionId, roomId: string, userId: string, eventId: number) {
  const table = pt(partitionId, 'read_positions');
  return db
    .insertInto(table)
    .values({ room_id: roomId, user_id: userId, event_id: eventId })
    .onConflict((oc) =>
      oc
        .columns(['room_id', 'user_id'])
        .doUpdateSet({ event_id: eventId, updated_at: sql<string>`now()` })
        .where(sql.ref(`${table}.event_id`), '<', eventId),
    )
    .returning(['event_id', 'updated_at'])
    .executeTakeFirst();
}

/** The room's kind and how many members it has. */
export async function findRoomSize(db: Kysely<Database>, partitionId: PartitionId, roomId: string) {
  const rooms = sql.table(pt(partitionId, 'rooms'));
  const members = sql.table(pt(partitionId, 'room_members'));
  const { rows } = await sql<{ kind: string; members: number }>`
    select r.kind, (select count(*) from ${members} rm where rm.room_id = r.id)::int as members
    from ${rooms} r where r.id = ${roomId}`.execute(db);
  return rows[0];
}

/** The other members of the room who share receipts and have marked something, with how far. */
export function listReaders(db: Kysely<Database>, partitionId: PartitionId, roomId: string, exceptUserId: string) {
  const members = sql.table(pt(partitionId, 'room_members'));
  const reads = sql.table(pt(partitionId, 'read_positions'));
  return sql<{ user_id: string; display_name: string; event_id: number; updated_at: string }>`
    select rp.user_id, u.display_name, rp.event_id, rp.updated_at
    from ${reads} rp
    join ${members} rm on rm.room_id = rp.room_id and rm.user_id = rp.user_id
    join users u on u.id = rp.user_id
    where rp.room_id = ${roomId} and rp.user_id <> ${exceptUserId} and u.receipts_enabled
    order by rp.event_id desc, u.display_name`.execute(db);
}

/** The user's receipts setting, read fresh (a session's cached user may be older). */
export async function findReceiptsEnabled(db: Kysely<Database>, userId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('receipts_enabled').where('id', '=', userId).executeTakeFirst();
  return row?.receipts_enabled ?? false;
}

export async function updateReceiptsEnabled(db: Kysely<Database>, userId: string, enabled: boolean): Promise<void> {
  await db.updateTable('users').set({ receipts_enabled: enabled }).where('id', '=', userId).execute();
}
