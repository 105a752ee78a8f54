import { sql, type Kysely } from 'kysely';
import { pt, type Database, type EventRow, type PartitionId } from '@parley/db';
import type { NewEvent, ParleyEvent } from './event.types.ts';

const MESSAGE_DEFAULTS = { replyTo: null, editedAt: null, deletedAt: null, pinnedAt: null, pinnedBy: null, reactions: [], mentions: [], attachment: null };

/** Rebuilds the wire event from its row. A created message's position and time are the event's. */
export function toParleyEvent(partitionId: string, row: EventRow): ParleyEvent {
  const data = row.data as Record<string, unknown>;
  const base = { id: row.id, partitionId, roomId: row.room_id, at: row.created_at, actorId: row.actor_id };
  if (row.type === 'message.created') {
    // Messages logged before edits, replies, pins and reactions existed lack those fields.
    // (Object.assign, not `{ ...MESSAGE_DEFAULTS, ...data }`: V8 copies a second spread whose
    // keys overlap the first one's on its slow path, about 20 times slower, on every live send.)
    const message = Object.assign({}, MESSAGE_DEFAULTS, data, { eventId: row.id, createdAt: row.created_at });
    return { ...base, type: 'message.created', data: message } as unknown as ParleyEvent;
  }
  return { ...base, type: row.type, data } as ParleyEvent;
}

/**
 * Appends events in the caller's transaction. The counter update and the inserts are one
 * statement, so the partition row lock (which makes commit order equal id order) is held for
 * one round trip plus the commit. Call it last in the transaction.
 */
export async function appendEvents(trx: Kysely<Database>, partitionId: PartitionId, events: NewEvent[]): Promise<ParleyEvent[]> {
  if (events.length === 0) return [];
  const n = events.length;
  const values = sql.join(events.map((e, i) => sql`(${i + 1}::int, ${e.type}::text, ${e.roomId}::text, ${e.actorId}::text, ${JSON.stringify(e.data)}::jsonb)`));
  const result = await sql<EventRow>`
    with c as (
      update partitions set last_event_id = last_event_id + ${n}::int
      where id = ${partitionId} returning last_event_id
    )
    insert into ${sql.table(pt(partitionId, 'events'))} (id, type, room_id, actor_id, data)
    select c.last_event_id - ${n}::int + v.ord, v.type, v.room_id, v.actor_id, v.data
    from c, (values ${values}) as v(ord, type, room_id, actor_id, data)
    returning id, type, room_id, actor_id, data, created_at`.execute(trx);
  if (result.rows.length !== n) throw new Error(`partition ${partitionId} is missing: no event appended`);
  return result.rows.sort((a, b) => a.id - b.id).map((row) => toParleyEvent(partitionId, row));
}

/** Events with `afterId < id <= upToId`, in order. */
export async function listEventsAfter(db: Kysely<Database>, partitionId: PartitionId, afterId: number, limit: number, upToId?: number): Promise<ParleyEvent[]> {
  let q = db.selectFrom(pt(partitionId, 'events')).selectAll().where('id', '>', afterId).orderBy('id').limit(limit);
  if (upToId !== undefined) q = q.where('id', '<=', upToId);
  return (await q.execute()).map((row) => toParleyEvent(partitionId, row));
}

export async function findLastEventId(db: Kysely<Database>, partitionId: PartitionId): Promise<number> {
  const row = await db.selectFrom('partitions').select('last_event_id').where('id', '=', partitionId).executeTakeFirst();
  return row?.last_event_id ?? 0;
}

/** The positions of several partitions at once (a missing partition has no row). */
export async function findEventPositions(db: Kysely<Database>, partitionIds: readonly string[]): Promise<{ id: string; last_event_id: number }[]> {
  return db
    .selectFrom('partitions')
    .select(['id', 'last_event_id'])
    .where(sql<boolean>`id = any(${[...partitionIds]}::text[])`)
    .execute();
}
