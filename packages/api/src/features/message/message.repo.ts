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

/**
 * Inserts the message and its `message.created` event in one statement: the counter row is
 * locked for a single round trip. A duplicate `client_id` aborts the whole statement, so a
 * retried send never consumes an event id.
 */
export async function insertMessageWithEvent(
  db: Kysely<Database>,
  partitionId: PartitionId,
  m: { id: string; roomId: string; authorId: string; clientId: string; body: string; eventData: object },
): Promise<{ message: MessageRow; event: EventRow }> {
  const messages = sql.table(pt(partitionId, 'messages'));
  const events = sql.table(pt(partitionId, 'events'));
  const result = await sql<MessageRow & { event_created_at: string; event_data: unknown }>`
    with c as (
      update partitions set last_event_id = last_event_id + 1 where id = ${partitionId} returning last_event_id
    ), m as (
      insert into ${messages} (id, room_id, author_id, client_id, body, event_id)
      select ${m.id}, ${m.roomId}, ${m.authorId}, ${m.clientId}::uuid, ${m.body}, c.last_event_id from c
      returning *
    ), e as (
      insert into ${events} (id, type, room_id, actor_id, data)
      select m.event_id, 'message.created', m.room_id, m.author_id, ${JSON.stringify(m.eventData)}::jsonb from m
      returning created_at, data
    )
    select m.*, e.created_at as event_created_at, e.data as event_data from m, e`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error(`partition ${partitionId} is missing: message not inserted`);
  const { event_created_at, event_data, ...message } = row;
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

