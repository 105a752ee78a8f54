import { sql, type Kysely } from 'kysely';
import { pt, ptAs, type Database, type EventRow, type MessageRow, type PartitionId } from '@parley/db';

type MessageWithAuthor = MessageRow & { author_name: string };

export function findMessageByClientId(db: Kysely<Database>, partitionId: PartitionId, clientId: string) {
  return db
    .selectFrom(ptAs(partitionId, 'messages', 'm'))
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .selectAll('m')
    .select('u.display_name as author_name')
    .where('m.client_id', '=', clientId)
    .executeTakeFirst() as Promise<MessageWithAuthor | undefined>;
}

export interface NewMessage {
  id: string;
  roomId: string;
  authorId: string;
  clientId: string;
  body: string;
  /** The `message.created` event's data (the event id and time are added when it is read). */
  eventData: object;
}

/**
 * Inserts messages and their `message.created` events in one statement (group commit): the
 * counter row is bumped by n and locked for a single round trip, and the messages get the n
 * consecutive ids in input order. A duplicate `client_id` aborts the whole statement, so a
 * retried send never consumes an event id. Returns one result per input, in input order.
 */
export async function insertMessagesWithEvents(
  db: Kysely<Database>,
  partitionId: PartitionId,
  items: readonly NewMessage[],
): Promise<{ message: MessageRow; event: EventRow }[]> {
  if (items.length === 0) return [];
  const n = items.length;
  const messages = sql.table(pt(partitionId, 'messages'));
  const events = sql.table(pt(partitionId, 'events'));
  const values = sql.join(
    items.map(
      (m, i) =>
        sql`(${i + 1}::int, ${m.id}::text, ${m.roomId}::text, ${m.authorId}::text, ${m.clientId}::uuid, ${m.body}::text, ${JSON.stringify(m.eventData)}::jsonb)`,
    ),
  );
  const result = await sql<MessageRow & { event_created_at: string; event_data: unknown }>`
    with c as (
      update partitions set last_event_id = last_event_id + ${n}::int where id = ${partitionId} returning last_event_id
    ), v (ord, id, room_id, author_id, client_id, body, data) as (
      values ${values}
    ), m as (
      insert into ${messages} (id, room_id, author_id, client_id, body, event_id)
      select v.id, v.room_id, v.author_id, v.client_id, v.body, c.last_event_id - ${n}::int + v.ord from c, v
      returning *
    ), e as (
      insert into ${events} (id, type, room_id, actor_id, data)
      select m.event_id, 'message.created', m.room_id, m.author_id, v.data from m join v on v.id = m.id
      returning id, created_at, data
    )
    select m.*, e.created_at as event_created_at, e.data as event_data from m join e on e.id = m.event_id`.execute(db);
  if (result.rows.length !== n) throw new Error(`partition ${partitionId} is missing: messages not inserted`);
  const byId = new Map(result.rows.map((row) => [row.id, row]));
  return items.map((item) => {
    const { event_created_at, event_data, ...message } = byId.get(item.id)!;
    return {
      message: message as MessageRow,
      event: {
        id: message.event_id,
        type: 'message.created',
        room_id: message.room_id,
        actor_id: message.author_id,
        data: event_data,
        created_at: event_created_at,
      },
    };
  });
}

/** Newest first, `limit + 1` rows so the caller knows whether there is more. */
export function listMessages(
  db: Kysely<Database>,
  partitionId: PartitionId,
  roomId: string,
  opts: { before?: number | undefined; limit: number },
) {
  let q = db
    .selectFrom(ptAs(partitionId, 'messages', 'm'))
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .selectAll('m')
    .select('u.display_name as author_name')
    .where('m.room_id', '=', roomId)
    .orderBy('m.event_id', 'desc')
    .limit(opts.limit + 1);
  if (opts.before !== undefined) q = q.where('m.event_id', '<', opts.before);
  return q.execute() as Promise<MessageWithAuthor[]>;
}

