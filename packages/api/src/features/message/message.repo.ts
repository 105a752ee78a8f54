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

/** What the group-commit statement did with one input. */
export type WriteOutcome =
  | { kind: 'inserted'; message: MessageRow; event: EventRow }
  /** Its `client_id` was already stored, or taken by an earlier input of the same batch: nothing written. */
  | { kind: 'duplicate' }
  /** The author is not in the room (`roomExists` false: there is no such room): nothing written. */
  | { kind: 'refused'; roomExists: boolean };

/**
 * Writes a batch of sends in one statement (group commit), with every check a send needs
 * inside it, so a new message costs one round trip: for each input, in input order, the
 * author must be in the room (else `refused`) and its `client_id` must be neither stored nor
 * taken by an earlier input of the batch (else `duplicate`). Only the survivors are numbered
 * (`row_number()` in input order) and the counter row is bumped by their count, so a
 * duplicate or a refusal never consumes an event id (DESIGN.md: a consumed id with no event
 * is a permanent gap); the counter is not even locked when nothing survives.
 *
 * Every part of the statement sees one snapshot, taken when it starts. A copy of a
 * `client_id` committed by another node after that (while this statement waited for the
 * counter row's lock, say) is not seen by the checks, so the insert hits the unique index
 * and the whole statement fails with 23505, consuming nothing: the caller retries on a fresh
 * snapshot, which then reports the duplicate. Returns one outcome per input, in input order.
 */
export async function insertMessagesWithEvents(
  db: Kysely<Database>,
  partitionId: PartitionId,
  items: readonly NewMessage[],
): Promise<WriteOutcome[]> {
  if (items.length === 0) return [];
  const messages = sql.table(pt(partitionId, 'messages'));
  const events = sql.table(pt(partitionId, 'events'));
  const rooms = sql.table(pt(partitionId, 'rooms'));
  const roomMembers = sql.table(pt(partitionId, 'room_members'));
  const values = sql.join(
    items.map(
      (m, i) =>
        sql`(${i + 1}::int, ${m.id}::text, ${m.roomId}::text, ${m.authorId}::text, ${m.clientId}::uuid, ${m.body}::text, ${JSON.stringify(m.eventData)}::jsonb)`,
    ),
  );
  const result = await sql<
    Partial<MessageRow> & { ord: number; member: boolean; room_exists: boolean; fresh: boolean; event_created_at: string | null; event_data: unknown }
  >`
    with v (ord, id, room_id, author_id, client_id, body, data) as (
      values ${values}
    ), checked as (
      select v.*,
        exists (select 1 from ${roomMembers} rm where rm.room_id = v.room_id and rm.user_id = v.author_id) as member,
        exists (select 1 from ${messages} p where p.client_id = v.client_id) as stored
      from v
    ), survivors as (
      select distinct on (client_id) * from checked where member and not stored order by client_id, ord
    ), numbered as (
      select s.*, row_number() over (order by s.ord) as n, count(*) over () as total from survivors s
    ), c as (
      update partitions set last_event_id = last_event_id + (select count(*) from survivors)::int
      where id = ${partitionId} and exists (select 1 from survivors)
      returning last_event_id
    ), m as (
      insert into ${messages} (id, room_id, author_id, client_id, body, event_id)
      select n.id, n.room_id, n.author_id, n.client_id, n.body, c.last_event_id - n.total + n.n from c, numbered n
      returning *
    ), e as (
      insert into ${events} (id, type, room_id, actor_id, data)
      select m.event_id, 'message.created', m.room_id, m.author_id, n.data from m join numbered n on n.id = m.id
      returning id, created_at, data
    )
    select m.*, ch.ord, ch.member,
      ch.member or exists (select 1 from ${rooms} r where r.id = ch.room_id) as room_exists,
      exists (select 1 from survivors s where s.ord = ch.ord) as fresh,
      e.created_at as event_created_at, e.data as event_data
    from checked ch left join m on m.id = ch.id left join e on e.id = m.event_id
    order by ch.ord`.execute(db);
  return result.rows.map((row): WriteOutcome => {
    if (!row.member) return { kind: 'refused', roomExists: row.room_exists };
    if (!row.fresh) return { kind: 'duplicate' };
    if (row.id === null || row.id === undefined) throw new Error(`partition ${partitionId} is missing: messages not inserted`);
    const { ord: _ord, member: _member, room_exists: _roomExists, fresh: _fresh, event_created_at, event_data, ...message } = row;
    const written = message as MessageRow;
    return {
      kind: 'inserted',
      message: written,
      event: {
        id: written.event_id,
        type: 'message.created',
        room_id: written.room_id,
        actor_id: written.author_id,
        data: event_data,
        created_at: event_created_at!,
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

