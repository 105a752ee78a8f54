import type { PartitionId, User } from '@parley/db';
import { REFUSAL, searchSnippet } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { blockedIds } from '../block/block.service.ts';
import { isOrWasMember } from '../partition/partition.service.ts';
import { assertRoomMember } from '../room/room.service.ts';
import { positiveLexemes } from './search.query.ts';
import * as repo from './search.repo.ts';
import type { SearchMessagesInput } from './search.schema.ts';
import type { SearchHitDto, SearchPage } from './search.types.ts';

type InPartition = Context & { user: User; partitionId: PartitionId };

/**
 * `search.messages`: the caller's hits, newest first. Which messages a caller may find is the
 * rule of `message.list`: those of the rooms and direct messages they are in now (a public
 * room they have not joined is not searched: join it first, as to read it), minus the ones
 * deleted for everyone or hidden for them. A `roomId` they may not read is refused as
 * `message.list` refuses it (NOT_FOUND for a private room or DM, FORBIDDEN for a public room
 * not joined); an `authorId` who never was a member of the workspace is NOT_FOUND (one who left
 * is fine: their messages stay).
 */
export async function searchMessages(ctx: InPartition, input: SearchMessagesInput): Promise<SearchPage> {
  if (input.after !== undefined && input.before !== undefined && Date.parse(input.after) >= Date.parse(input.before)) {
    throw new AppError('BAD_REQUEST', REFUSAL.searchDateRange);
  }
  if (input.roomId !== undefined) await assertRoomMember(ctx, input.roomId);
  // Someone who left is still an author here; someone who never was is nobody of this workspace.
  if (input.authorId !== undefined && !(await isOrWasMember(ctx, ctx.partitionId, input.authorId))) {
    throw new AppError('NOT_FOUND', REFUSAL.notAMember);
  }
  const tsquery = await repo.parseSearchQuery(ctx.db, input.query);
  const terms = positiveLexemes(tsquery);
  // A query of punctuation alone matches nothing; one of exclusions alone would match almost
  // everything, one message at a time (no index can find "not x").
  if (tsquery === '') throw new AppError('BAD_REQUEST', REFUSAL.searchNoWords);
  if (terms.length === 0) throw new AppError('BAD_REQUEST', REFUSAL.searchOnlyExcluded);
  const [rows, blocked] = await Promise.all([
    repo.searchMessages(ctx.db, ctx.partitionId, {
      viewerId: ctx.user.id,
      tsquery,
      roomId: input.roomId,
      authorId: input.authorId,
      after: input.after,
      before: input.before,
      cursor: input.cursor,
      limit: input.limit + 1,
    }),
    blockedIds(ctx, ctx.user.id),
  ]);
  const page = rows.slice(0, input.limit);
  return {
    hits: page.map((row): SearchHitDto => ({
      messageId: row.id,
      partitionId: ctx.partitionId,
      roomId: row.room_id,
      roomName: row.room_name,
      roomKind: row.room_kind,
      authorId: row.author_id,
      authorName: row.author_name,
      createdAt: row.created_at,
      editedAt: row.edited_at,
      eventId: row.event_id,
      snippet: searchSnippet(row.body, terms),
      ...(blocked.has(row.author_id) ? { authorBlocked: true as const } : {}),
    })),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.event_id ?? null) : null,
    terms,
  };
}
