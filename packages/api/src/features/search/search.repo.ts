import { sql, type Kysely } from 'kysely';
import { pt, type Database, type PartitionId, type RoomKind } from '@parley/db';

/**
 * The text search configuration of `messages_<pid>.search_tsv` (db/partition/0005_search.ts):
 * a query must be read with the same one, or its words would not be the column's.
 */
const CONFIG = sql`'simple'::regconfig`;

/**
 * The query as PostgreSQL's text search reads it (`websearch_to_tsquery`: words, "phrases",
 * -exclusions, or), in its text form; '' when it has no word at all. Never fails, whatever the
 * text.
 */
export async function parseSearchQuery(db: Kysely<Database>, text: string): Promise<string> {
  const r = await sql<{ q: string }>`select websearch_to_tsquery(${CONFIG}, ${text})::text as q`.execute(db);
  return r.rows[0]?.q ?? '';
}

export interface SearchFilter {
  viewerId: string;
  /** `parseSearchQuery`'s answer (a tsquery's text form). */
  tsquery: string;
  roomId?: string | undefined;
  authorId?: string | undefined;
  /** ISO-8601: at or after. */
  after?: string | undefined;
  /** ISO-8601: strictly before. */
  before?: string | undefined;
  /** An event id: only older hits. */
  cursor?: number | undefined;
  /** Rows to read (the caller asks one more than it shows, to know whether there are more). */
  limit: number;
}

export interface SearchRow {
  id: string;
  room_id: string;
  author_id: string;
  body: string;
  event_id: number;
  created_at: string;
  edited_at: string | null;
  author_name: string;
  room_name: string;
  room_kind: RoomKind;
}

/**
 * The messages matching the query that `viewerId` may see, newest first: only in rooms and
 * direct messages they are a member of now (`room_members`), never deleted for everyone (their
 * text is gone anyway) nor hidden for them. Read in one statement, so the membership and the
 * messages come from one snapshot.
 *
 * Newest first, not by rank: the hits are found in the order of an index (`event_id`,
 * `room_id, event_id` with a room, `created_at, event_id` within dates), so PostgreSQL can stop
 * after `limit` rows instead of ranking every match; for a rare word it uses the GIN index
 * instead and sorts the few matches. The planner picks by the column's statistics.
 */
export function searchMessages(db: Kysely<Database>, partitionId: PartitionId, f: SearchFilter) {
  const messages = sql.table(pt(partitionId, 'messages'));
  const members = sql.table(pt(partitionId, 'room_members'));
  const hides = sql.table(pt(partitionId, 'message_hides'));
  const rooms = sql.table(pt(partitionId, 'rooms'));
  // Within dates, newest first by the time of sending (the `created_at, event_id` index starts
  // at the range's end); otherwise by event id. The two orders agree but for messages whose
  // times and log positions cross (concurrent writes): each search keeps one order for all its pages.
  const byTime = f.after !== undefined || f.before !== undefined;
  const after = byTime
    ? sql`and (m.created_at, m.event_id) < (select c.created_at, c.event_id from ${messages} c where c.event_id = ${f.cursor ?? 0})`
    : sql`and m.event_id < ${f.cursor ?? 0}`;
  const filters = [
    f.roomId === undefined ? null : sql`and m.room_id = ${f.roomId}`,
    f.authorId === undefined ? null : sql`and m.author_id = ${f.authorId}`,
    f.after === undefined ? null : sql`and m.created_at >= ${f.after}::timestamptz`,
    f.before === undefined ? null : sql`and m.created_at < ${f.before}::timestamptz`,
    f.cursor === undefined ? null : after,
  ].filter((s) => s !== null);
  const order = (alias: 'm' | 'h') => (byTime ? sql.raw(`${alias}.created_at desc, ${alias}.event_id desc`) : sql.raw(`${alias}.event_id desc`));
  return sql<SearchRow>`
    select h.id, h.room_id, h.author_id, h.body, h.event_id, h.created_at, h.edited_at,
      u.display_name as author_name, r.name as room_name, r.kind as room_kind
    from (
      select m.id, m.room_id, m.author_id, m.body, m.event_id, m.created_at, m.edited_at
      from ${messages} m
      where m.search_tsv @@ ${f.tsquery}::tsquery
        and m.deleted_at is null
        and m.room_id in (select rm.room_id from ${members} rm where rm.user_id = ${f.viewerId})
        and not exists (select 1 from ${hides} x where x.user_id = ${f.viewerId} and x.message_id = m.id)
        ${filters.length > 0 ? sql.join(filters, sql` `) : sql``}
      order by ${order('m')}
      limit ${f.limit}
    ) h
    join users u on u.id = h.author_id
    join ${rooms} r on r.id = h.room_id
    order by ${order('h')}`
    .execute(db)
    .then((r) => r.rows);
}
