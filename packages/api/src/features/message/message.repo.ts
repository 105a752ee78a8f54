import { sql, type Kysely } from 'kysely';
import { MESSAGE_COLUMNS, PREPARED, pt, ptAs, type Database, type EventRow, type MessageRow, type PartitionId } from '@parley/db';

type MessageWithAuthor = MessageRow & { author_name: string };

export interface NewMessage {
  id: string;
  roomId: string;
  authorId: string;
  clientId: string;
  body: string;
  /** The id of the message it answers (checked by the caller: same room). */
  replyTo: string | null;
  /** Who it mentions (checked by the caller: members of the room; `'room'` for `@room`). */
  mentions: readonly string[];
  /** The file it carries (checked by the caller: uploaded by the author to this room, carried by no other message). */
  mediaId?: string | null | undefined;
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
export async function insertMessagesWithEvents(db: Kysely<Database>, partitionId: PartitionId, items: readonly NewMessage[]): Promise<WriteOutcome[]> {
  if (items.length === 0) return [];
  if (items.length === 1) return [await insertOneMessageWithEvent(db, partitionId, items[0]!)];
  const messages = sql.table(pt(partitionId, 'messages'));
  const events = sql.table(pt(partitionId, 'events'));
  const rooms = sql.table(pt(partitionId, 'rooms'));
  const roomMembers = sql.table(pt(partitionId, 'room_members'));
  // (`unnest` flattens an array of arrays, so each message's mentions travel as one
  // space-separated string: ids never hold a space, and '' becomes '{}'.)
  // The inputs as one array per column: the statement's text is the same for any batch, so it
  // is prepared once per connection and partition (PREPARED), not parsed and planned per send.
  // Each check is a lateral probe (`limit 1`) of a unique index, never an EXISTS: PostgreSQL may
  // answer an EXISTS with a hash of the whole table, and a plan made while the table was small
  // would keep doing so (run on `writeDb`, whose sessions plan without sequential scans).
  const column = <T>(pick: (m: NewMessage) => T) => items.map(pick);
  const result = await sql<{
    ord: number;
    member: boolean;
    room_exists: boolean;
    fresh: boolean;
    event_id: number | null;
    created_at: string | null;
  }>`${sql.raw(PREPARED)}
    with v (ord, id, room_id, author_id, client_id, body, reply_to, mentions, media_id, data) as (
      select * from unnest(
        ${items.map((_, i) => i + 1)}::int[], ${column((m) => m.id)}::text[], ${column((m) => m.roomId)}::text[],
        ${column((m) => m.authorId)}::text[], ${column((m) => m.clientId)}::uuid[], ${column((m) => m.body)}::text[],
        ${column((m) => m.replyTo)}::text[], ${column((m) => m.mentions.join(' '))}::text[],
        ${column((m) => m.mediaId ?? null)}::text[], ${column((m) => JSON.stringify(m.eventData))}::jsonb[]
      )
    ), checked as (
      select v.*, rm.hit is not null as member, p.hit is not null as stored
      from v
      left join lateral (select true as hit from ${roomMembers} rm where rm.room_id = v.room_id and rm.user_id = v.author_id limit 1) rm on true
      left join lateral (select true as hit from ${messages} p where p.client_id = v.client_id limit 1) p on true
    ), survivors as (
      select distinct on (client_id) * from checked where member and not stored order by client_id, ord
    ), numbered as (
      select s.*, row_number() over (order by s.ord) as n, count(*) over () as total from survivors s
    ), c as (
      update partitions set last_event_id = last_event_id + (select count(*) from survivors)::int
      where id = ${partitionId} and exists (select 1 from survivors)
      returning last_event_id
    ), m as (
      insert into ${messages} (id, room_id, author_id, client_id, body, reply_to, mentions, media_id, event_id)
      select n.id, n.room_id, n.author_id, n.client_id, n.body, n.reply_to, string_to_array(n.mentions, ' '), n.media_id, c.last_event_id - n.total + n.n
      from c, numbered n
      returning id, event_id, created_at
    ), e as (
      insert into ${events} (id, type, room_id, actor_id, data)
      select m.event_id, 'message.created', n.room_id, n.author_id, n.data from m join numbered n on n.id = m.id
    )
    select ch.ord, ch.member, m.event_id, m.created_at,
      ch.member or coalesce(r.public, false) as room_exists,
      exists (select 1 from survivors s where s.ord = ch.ord) as fresh
    from checked ch left join m on m.id = ch.id
      left join lateral (select r.kind = 'public' as public from ${rooms} r where not ch.member and r.id = ch.room_id limit 1) r on true
    order by ch.ord`.execute(db);
  // Only the new rows' positions and time come back: the rest of each message and its event is
  // what was sent (no row and no event data makes the round trip back, nor is parsed again).
  return result.rows.map((row, i): WriteOutcome => {
    if (!row.member) return { kind: 'refused', roomExists: row.room_exists };
    if (!row.fresh) return { kind: 'duplicate' };
    return inserted(partitionId, items[i]!, row);
  });
}

/**
 * A batch of one (every send at low load): the same checks and answers as the batch statement
 * in a statement of a few nodes, which costs PostgreSQL about a third less CPU (no unnest, no
 * window, no distinct). Whether a refused send's room exists is asked only when it is refused.
 */
async function insertOneMessageWithEvent(db: Kysely<Database>, partitionId: PartitionId, item: NewMessage): Promise<WriteOutcome> {
  const messages = sql.table(pt(partitionId, 'messages'));
  const result = await sql<{ member: boolean; stored: boolean; event_id: number | null; created_at: string | null }>`${sql.raw(PREPARED)}
    with k as (
      select (select true from ${sql.table(pt(partitionId, 'room_members'))} rm where rm.room_id = ${item.roomId}::text and rm.user_id = ${item.authorId}::text limit 1) is not null as member,
        (select true from ${messages} p where p.client_id = ${item.clientId}::uuid limit 1) is not null as stored
    ), c as (
      update partitions set last_event_id = last_event_id + 1
      where id = ${partitionId}::text and (select member and not stored from k)
      returning last_event_id
    ), m as (
      insert into ${messages} (id, room_id, author_id, client_id, body, reply_to, mentions, media_id, event_id)
      select ${item.id}::text, ${item.roomId}::text, ${item.authorId}::text, ${item.clientId}::uuid, ${item.body}::text, ${item.replyTo}::text,
        string_to_array(${item.mentions.join(' ')}::text, ' '), ${item.mediaId ?? null}::text, c.last_event_id
      from c
      returning event_id, created_at
    ), e as (
      insert into ${sql.table(pt(partitionId, 'events'))} (id, type, room_id, actor_id, data)
      select m.event_id, 'message.created', ${item.roomId}::text, ${item.authorId}::text, ${JSON.stringify(item.eventData)}::jsonb from m
    )
    select k.member, k.stored, m.event_id, m.created_at from k left join m on true`.execute(db);
  const row = result.rows[0]!;
  if (!row.member) {
    const room = await sql<{ kind: string }>`select kind from ${sql.table(pt(partitionId, 'rooms'))} where id = ${item.roomId}`.execute(db);
    return { kind: 'refused', roomExists: room.rows[0]?.kind === 'public' };
  }
  if (row.stored) return { kind: 'duplicate' };
  return inserted(partitionId, item, row);
}

/** What an inserted send became: the message and its event as the statement wrote them (only the position and time come back from it). */
function inserted(partitionId: PartitionId, item: NewMessage, row: { event_id: number | null; created_at: string | null }): WriteOutcome {
  if (row.event_id === null || row.created_at === null) throw new Error(`partition ${partitionId} is missing: messages not inserted`);
  const message: MessageRow = {
    id: item.id,
    room_id: item.roomId,
    author_id: item.authorId,
    client_id: item.clientId,
    body: item.body,
    event_id: row.event_id,
    media_id: item.mediaId ?? null,
    created_at: row.created_at,
    reply_to: item.replyTo,
    edited_at: null,
    deleted_at: null,
    deleted_by: null,
    pinned_at: null,
    pinned_by: null,
    mentions: [...item.mentions],
  };
  return {
    kind: 'inserted',
    message,
    event: { id: row.event_id, type: 'message.created', room_id: item.roomId, actor_id: item.authorId, data: item.eventData, created_at: row.created_at },
  };
}

export type MessageListRow = MessageWithAuthor & {
  reply_author_id: string | null;
  reply_author_name: string | null;
  reply_body: string | null;
  reply_deleted_at: string | null;
};

/**
 * Messages with their author's name and the message each answers, minus those `viewerId`
 * deleted for themselves (null: all of them).
 */
function selectMessages(db: Kysely<Database>, partitionId: PartitionId, viewerId: string | null) {
  const original = sql.table(pt(partitionId, 'messages'));
  const q = db
    .selectFrom(ptAs(partitionId, 'messages', 'm'))
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(MESSAGE_COLUMNS.map((c) => `m.${c}` as const))
    .select([
      'u.display_name as author_name',
      sql<string | null>`(select o.author_id from ${original} o where o.id = m.reply_to)`.as('reply_author_id'),
      sql<string | null>`(select ou.display_name from ${original} o join users ou on ou.id = o.author_id where o.id = m.reply_to)`.as('reply_author_name'),
      sql<string | null>`(select o.body from ${original} o where o.id = m.reply_to)`.as('reply_body'),
      sql<string | null>`(select o.deleted_at from ${original} o where o.id = m.reply_to)`.as('reply_deleted_at'),
    ]);
  if (viewerId === null) return q;
  return q.where((eb) =>
    eb.not(
      eb.exists(
        eb
          .selectFrom(ptAs(partitionId, 'message_hides', 'h'))
          .select('h.message_id')
          .whereRef('h.message_id', '=', 'm.id')
          .where('h.user_id', '=', viewerId),
      ),
    ),
  );
}

/** The message stored with this clientId (hidden or not), as a list shows it. */
export function findMessageByClientId(db: Kysely<Database>, partitionId: PartitionId, clientId: string) {
  return selectMessages(db, partitionId, null).where('m.client_id', '=', clientId).executeTakeFirst() as Promise<MessageListRow | undefined>;
}

/** Newest first, `limit + 1` rows so the caller knows whether there is more. */
export function listMessages(
  db: Kysely<Database>,
  partitionId: PartitionId,
  roomId: string,
  viewerId: string,
  opts: { before?: number | undefined; limit: number },
) {
  let q = selectMessages(db, partitionId, viewerId)
    .where('m.room_id', '=', roomId)
    .orderBy('m.event_id', 'desc')
    .limit(opts.limit + 1);
  if (opts.before !== undefined) q = q.where('m.event_id', '<', opts.before);
  return q.execute() as Promise<MessageListRow[]>;
}

/** Up to `limit` messages after `eventId` (exclusive), oldest first. */
export function listMessagesAfter(db: Kysely<Database>, partitionId: PartitionId, roomId: string, viewerId: string, eventId: number, limit: number) {
  return selectMessages(db, partitionId, viewerId)
    .where('m.room_id', '=', roomId)
    .where('m.event_id', '>', eventId)
    .orderBy('m.event_id', 'asc')
    .limit(limit)
    .execute() as Promise<MessageListRow[]>;
}

export function listPinnedMessages(db: Kysely<Database>, partitionId: PartitionId, roomId: string, viewerId: string) {
  return selectMessages(db, partitionId, viewerId)
    .where('m.room_id', '=', roomId)
    .where('m.pinned_at', 'is not', null)
    .orderBy('m.pinned_at', 'desc')
    .limit(100)
    .execute() as Promise<MessageListRow[]>;
}

export function findMessage(db: Kysely<Database>, partitionId: PartitionId, messageId: string) {
  return db.selectFrom(pt(partitionId, 'messages')).select(MESSAGE_COLUMNS).where('id', '=', messageId).executeTakeFirst();
}

/** The message locked for a change, with whether its edit window (database clock) is still open and when it closes. */
export function findMessageForUpdate(db: Kysely<Database>, partitionId: PartitionId, messageId: string, editWindowMs: number) {
  return db
    .selectFrom(pt(partitionId, 'messages'))
    .select(MESSAGE_COLUMNS)
    .select([
      sql<boolean>`now() < created_at + make_interval(secs => ${editWindowMs / 1000})`.as('editable'),
      sql<string>`created_at + make_interval(secs => ${editWindowMs / 1000})`.as('editable_until'),
    ])
    .where('id', '=', messageId)
    .forUpdate()
    .executeTakeFirst();
}

export function listReactions(db: Kysely<Database>, partitionId: PartitionId, messageIds: readonly string[]) {
  if (messageIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom(pt(partitionId, 'reactions'))
    .select(['message_id', 'emoji', 'user_id'])
    .where('message_id', 'in', messageIds)
    .orderBy('created_at')
    .execute();
}

export async function insertReaction(db: Kysely<Database>, partitionId: PartitionId, messageId: string, userId: string, emoji: string) {
  const r = await db
    .insertInto(pt(partitionId, 'reactions'))
    .values({ message_id: messageId, user_id: userId, emoji })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function deleteReaction(db: Kysely<Database>, partitionId: PartitionId, messageId: string, userId: string, emoji: string) {
  const r = await db
    .deleteFrom(pt(partitionId, 'reactions'))
    .where('message_id', '=', messageId)
    .where('user_id', '=', userId)
    .where('emoji', '=', emoji)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export function countEmojis(db: Kysely<Database>, partitionId: PartitionId, messageId: string) {
  return db
    .selectFrom(pt(partitionId, 'reactions'))
    .select((eb) => eb.fn.count<number>('emoji').distinct().as('n'))
    .where('message_id', '=', messageId)
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
}

export function updateMessageBody(db: Kysely<Database>, partitionId: PartitionId, messageId: string, body: string) {
  return db
    .updateTable(pt(partitionId, 'messages'))
    .set({ body, edited_at: sql`now()` })
    .where('id', '=', messageId)
    .returning(['edited_at'])
    .executeTakeFirstOrThrow();
}

export function insertEdit(
  db: Kysely<Database>,
  partitionId: PartitionId,
  values: { message_id: string; event_id: number; editor_id: string; previous_body: string },
) {
  return db.insertInto(pt(partitionId, 'message_edits')).values(values).execute();
}

/**
 * Deletes a message for everyone: its text goes from every place it is stored (the row, its
 * edit history, the log's events that carried it, the quotes of it in replies and their
 * events), its reactions, pin and attachment with it (the caller deletes the file). Returns the tombstone's time.
 */
export async function tombstoneMessage(db: Kysely<Database>, partitionId: PartitionId, message: { id: string; event_id: number }, deletedBy: string) {
  const events = sql.table(pt(partitionId, 'events'));
  const edits = await db.deleteFrom(pt(partitionId, 'message_edits')).where('message_id', '=', message.id).returning('event_id').execute();
  await db.deleteFrom(pt(partitionId, 'reactions')).where('message_id', '=', message.id).execute();
  const row = await db
    .updateTable(pt(partitionId, 'messages'))
    .set({ body: '', deleted_at: sql`now()`, deleted_by: deletedBy, pinned_at: null, pinned_by: null, media_id: null })
    .where('id', '=', message.id)
    .returning('deleted_at')
    .executeTakeFirstOrThrow();
  const ids = [message.event_id, ...edits.map((e) => e.event_id)];
  await sql`update ${events} set data = jsonb_set(jsonb_set(data, '{body}', '""'), '{attachment}', 'null', false) where id in (${sql.join(ids)})`.execute(db);
  const replies = await db.selectFrom(pt(partitionId, 'messages')).select('event_id').where('reply_to', '=', message.id).execute();
  if (replies.length > 0) {
    await sql`update ${events} set data = jsonb_set(jsonb_set(data, '{replyTo,snippet}', '""'), '{replyTo,deleted}', 'true')
      where id in (${sql.join(replies.map((r) => r.event_id))}) and data ? 'replyTo' and jsonb_typeof(data->'replyTo') = 'object'`.execute(db);
  }
  return row.deleted_at!;
}

export async function insertHide(db: Kysely<Database>, partitionId: PartitionId, messageId: string, userId: string) {
  const r = await db
    .insertInto(pt(partitionId, 'message_hides'))
    .values({ message_id: messageId, user_id: userId })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export function setPin(db: Kysely<Database>, partitionId: PartitionId, messageId: string, by: string | null) {
  return db
    .updateTable(pt(partitionId, 'messages'))
    .set(by ? { pinned_at: sql`now()`, pinned_by: by } : { pinned_at: null, pinned_by: null })
    .where('id', '=', messageId)
    .returning(['pinned_at'])
    .executeTakeFirstOrThrow();
}

export function countPins(db: Kysely<Database>, partitionId: PartitionId, roomId: string) {
  return db
    .selectFrom(pt(partitionId, 'messages'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('room_id', '=', roomId)
    .where('pinned_at', 'is not', null)
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
}
