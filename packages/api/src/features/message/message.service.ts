import { uuidv7 } from 'uuidv7';
import { pgErrorCode, type MessageRow, type PartitionId, type Role, type User } from '@parley/db';
import { REFUSAL, replySnippet } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { describeRule, rateLimitRefusal, type DeferredIpLimit } from '../../rate-limit.ts';
import { findLastEventId, publishEvents, toParleyEvent } from '../event/event.log.ts';
import { stopTyping } from '../presence/presence.service.ts';
import { assertRoomMember, NO_SUCH_ROOM, ROOM_NOT_JOINED } from '../room/room.service.ts';
import * as repo from './message.repo.ts';

/** The rows a reaction reads and changes, inside the reaction's transaction (`reactions_<pid>` is stored with the messages). */
export { countEmojis, deleteReaction, findMessageForUpdate, insertReaction, listReactions } from './message.repo.ts';
import type { WriteOutcome } from './message.repo.ts';
import type { ListMessagesInput, SendMessageInput } from './message.schema.ts';
import type { MessageDto, ReactionDto, ReplyRef } from './message.types.ts';
import type { MessageListRow } from './message.repo.ts';
import { blockedIds } from '../block/block.service.ts';
import { findMembers } from '../partition/partition.service.ts';
import { attachableMedia, attachmentsByMediaId, NOT_ATTACHABLE } from '../media/media.service.ts';
import type { AttachmentDto } from '../media/media.types.ts';
import { resolveMentions } from '../mention/mention.service.ts';
import { pushNewMessage } from '../push/push.service.ts';

export type InPartition = Context & { user: User; partitionId: PartitionId };

/** How much of the original a reply quotes, and the quote: `@parley/rules` (the client makes the same). */
export { REPLY_SNIPPET_CHARS, replySnippet } from '@parley/rules';

type Extras = {
  reactions?: ReactionDto[] | undefined;
  replyTo?: ReplyRef | null | undefined;
  blocked?: ReadonlySet<string> | undefined;
  attachment?: AttachmentDto | null | undefined;
};

export function toMessageDto(partitionId: string, row: MessageRow & { author_name: string }, extras: Extras = {}): MessageDto {
  return {
    id: row.id,
    partitionId,
    roomId: row.room_id,
    clientId: row.client_id,
    authorId: row.author_id,
    authorName: row.author_name,
    body: row.body,
    eventId: row.event_id,
    createdAt: row.created_at,
    replyTo: extras.replyTo ?? null,
    editedAt: row.edited_at ?? null,
    deletedAt: row.deleted_at ?? null,
    pinnedAt: row.pinned_at ?? null,
    pinnedBy: row.pinned_by ?? null,
    reactions: extras.reactions ?? [],
    attachment: extras.attachment ?? null,
    mentions: row.mentions ?? [],
    ...(extras.blocked?.has(row.author_id) ? { authorBlocked: true as const } : {}),
  };
}

function replyRefOf(row: MessageListRow): ReplyRef | null {
  if (!row.reply_to) return null;
  return {
    id: row.reply_to,
    authorId: row.reply_author_id ?? '',
    authorName: row.reply_author_name ?? '',
    snippet: replySnippet(row.reply_body ?? ''),
    deleted: Boolean(row.reply_deleted_at),
  };
}

/** Groups reaction rows by message, then emoji (first reacted first). */
export function groupReactions(rows: readonly { message_id: string; emoji: string; user_id: string }[]): Map<string, ReactionDto[]> {
  const out = new Map<string, ReactionDto[]>();
  for (const r of rows) {
    let list = out.get(r.message_id);
    if (!list) out.set(r.message_id, (list = []));
    let entry = list.find((e) => e.emoji === r.emoji);
    if (!entry) list.push((entry = { emoji: r.emoji, userIds: [] }));
    entry.userIds.push(r.user_id);
  }
  return out;
}

/** Full DTOs of listed rows: reactions in one more query, blocked authors marked for this reader. */
export async function toMessageDtos(ctx: InPartition, rows: readonly MessageListRow[]): Promise<MessageDto[]> {
  const [reactions, blocked, attachments] = await Promise.all([
    repo.listReactions(
      ctx.db,
      ctx.partitionId,
      rows.map((r) => r.id),
    ),
    blockedIds(ctx, ctx.user.id),
    // No query when none of them carries a file.
    attachmentsByMediaId(
      ctx,
      rows.map((r) => r.media_id),
    ),
  ]);
  const byMessage = groupReactions(reactions);
  return rows.map((r) =>
    toMessageDto(ctx.partitionId, r, {
      reactions: byMessage.get(r.id),
      replyTo: replyRefOf(r),
      blocked,
      attachment: r.media_id ? attachments.get(r.media_id) : null,
    }),
  );
}

/** The first message sent with this clientId, if any; someone else's clientId is a conflict. */
async function findPrevious(ctx: InPartition, input: SendMessageInput): Promise<MessageDto | undefined> {
  const previous = await repo.findMessageByClientId(ctx.db, ctx.partitionId, input.clientId);
  if (!previous) return undefined;
  if (previous.author_id !== ctx.user.id || previous.room_id !== input.roomId) {
    throw new AppError('CONFLICT', 'That clientId was already used for another message; generate a new one.');
  }
  return (await toMessageDtos(ctx, [previous]))[0]!;
}

/**
 * A new message as its `message.created` event carries it (the event's id and time are added
 * when it is read): what the group commit stores as the event's data.
 */
export function newMessageEventData(m: {
  id: string;
  partitionId: PartitionId;
  author: Pick<User, 'id' | 'display_name'>;
  input: Pick<SendMessageInput, 'roomId' | 'clientId' | 'body'>;
  replyTo: ReplyRef | null;
  mentions: string[];
  attachment: AttachmentDto | null;
}): Omit<MessageDto, 'eventId' | 'createdAt'> {
  return {
    id: m.id,
    partitionId: m.partitionId,
    roomId: m.input.roomId,
    clientId: m.input.clientId,
    authorId: m.author.id,
    authorName: m.author.display_name,
    body: m.input.body,
    replyTo: m.replyTo,
    editedAt: null,
    deletedAt: null,
    pinnedAt: null,
    pinnedBy: null,
    reactions: [],
    mentions: m.mentions,
    attachment: m.attachment,
  };
}

/**
 * Sends a message exactly once per clientId: a retry returns the first result and consumes
 * no event id. The room membership and the clientId look-up are checked inside the
 * group-commit statement (one round trip for a new message); a duplicate is then read back.
 *
 * The per-user message limit is counted before the statement (it cannot wait for it), with the
 * per-address one when the middleware left that to us (one Redis round trip for both), and
 * given back when the send turns out to be a duplicate or refused, so a retry costs no
 * allowance; a send refused by the limit is checked the slow way first (room, then clientId),
 * so a client retrying a send whose answer it lost gets that answer even over the limit.
 * (Two racing copies of one new send can both be counted for a moment; that is rare and safe.)
 */
export async function sendMessage(
  ctx: InPartition & { ipLimit?: DeferredIpLimit | null; role?: Role | undefined },
  input: SendMessageInput,
): Promise<MessageDto> {
  const rule = ctx.config.rateLimits.messagesPerUser;
  const limitKey = `msg:${ctx.user.id}`;
  // The per-address limit, when the middleware left it to us: both in one round trip.
  const ip = ctx.ipLimit?.pending ? ctx.ipLimit : null;
  if (ip) ip.pending = false;
  const limits = ip
    ? [
        { key: ip.key, rule: ip.rule },
        { key: limitKey, rule },
      ]
    : [{ key: limitKey, rule }];
  const limit = await ctx.limiter.consumeMany(limits);
  if (!limit.ok && ip && limit.index === 0) throw rateLimitRefusal(limit.retryAfterMs, ip.refusal);
  if (!limit.ok) {
    await assertRoomMember(ctx, input.roomId);
    const previous = await findPrevious(ctx, input);
    if (previous) return previous;
    throw rateLimitRefusal(limit.retryAfterMs, `You are sending messages too fast (${describeRule(rule)}).`);
  }
  const id = uuidv7();
  const replyTo = input.replyTo ? await findReplyTarget(ctx, input.roomId, input.replyTo) : null;
  // Checked before the group commit (a query only when the body mentions someone), so the
  // statement just stores them. A refused retry of a send that was stored gets its first answer.
  let mentions: string[];
  let attachment: AttachmentDto | null = null;
  try {
    mentions = await resolveMentions(ctx, input.roomId, input.body);
    if (input.mediaId) attachment = await attachableMedia(ctx, { mediaId: input.mediaId, roomId: input.roomId, clientId: input.clientId });
  } catch (error) {
    await ctx.limiter.refund(limitKey);
    const previous = await findPrevious(ctx, input);
    if (previous) return previous;
    throw error;
  }
  const eventData = newMessageEventData({ id, partitionId: ctx.partitionId, author: ctx.user, input, replyTo, mentions, attachment });
  let outcome: WriteOutcome;
  try {
    outcome = await ctx.messageWriter.write(ctx.partitionId, {
      id,
      roomId: input.roomId,
      authorId: ctx.user.id,
      clientId: input.clientId,
      body: input.body,
      replyTo: replyTo?.id ?? null,
      mentions,
      mediaId: attachment?.id ?? null,
      eventData,
    });
  } catch (error) {
    // Another node committed the same clientId between this statement's snapshot and its insert.
    if (pgErrorCode(error) === '23505') {
      await ctx.limiter.refund(limitKey);
      const winner = await findPrevious(ctx, input);
      if (winner) return winner;
      // Another send (another clientId) attached the same file first.
      if (attachment) throw new AppError('BAD_REQUEST', NOT_ATTACHABLE, { cause: error });
    }
    throw error;
  }
  if (outcome.kind !== 'inserted') await ctx.limiter.refund(limitKey);
  if (outcome.kind === 'refused') {
    throw outcome.roomExists ? new AppError('FORBIDDEN', ROOM_NOT_JOINED) : new AppError('NOT_FOUND', NO_SUCH_ROOM);
  }
  if (outcome.kind === 'duplicate') {
    const previous = await findPrevious(ctx, input);
    if (previous) return previous;
    throw new Error(`message ${input.clientId} reported as stored but not found`);
  }
  publishEvents(ctx, [toParleyEvent(ctx.partitionId, outcome.event)]);
  stopTyping(ctx, input.roomId);
  const sent = toMessageDto(ctx.partitionId, { ...outcome.message, author_name: ctx.user.display_name }, { replyTo, attachment });
  // Web Push to those away (after the answer: it never delays or fails a send).
  void pushNewMessage(ctx, sent);
  return sent;
}

/** The message a new one answers: it must be in the same room (and not deleted for everyone). */
async function findReplyTarget(ctx: InPartition, roomId: string, messageId: string): Promise<ReplyRef> {
  const original = await repo.findMessage(ctx.db, ctx.partitionId, messageId);
  if (!original || original.room_id !== roomId) throw new AppError('BAD_REQUEST', REFUSAL.replyElsewhere);
  if (original.deleted_at) throw new AppError('BAD_REQUEST', REFUSAL.replyDeleted);
  const [author] = await findMembers(ctx, ctx.partitionId, [original.author_id]);
  return { id: original.id, authorId: original.author_id, authorName: author?.display_name ?? '', snippet: replySnippet(original.body), deleted: false };
}

/**
 * Reads in one snapshot (repeatable read) with the partition's position: what is read reflects
 * exactly the events up to `asOf`, so a client can tell which later events still apply to it.
 */
export function readAsOf<T>(ctx: InPartition, read: (reading: InPartition) => Promise<T>): Promise<T & { asOf: number }> {
  return ctx.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const asOf = await findLastEventId(trx, ctx.partitionId);
      return { ...(await read({ ...ctx, db: trx })), asOf };
    });
}

export async function listMessages(ctx: InPartition, input: ListMessagesInput) {
  await assertRoomMember(ctx, input.roomId);
  return readAsOf(ctx, async (r) => {
    if (input.after !== undefined) {
      // Towards the present from a point in the history (one more row: are there newer ones?).
      const rows = await repo.listMessagesAfter(r.db, r.partitionId, input.roomId, r.user.id, input.after, input.limit + 1);
      const page = rows.slice(0, input.limit);
      return {
        messages: await toMessageDtos(r, page),
        nextCursor: page[0]?.event_id ?? null,
        newerCursor: rows.length > input.limit ? page.at(-1)!.event_id : null,
      };
    }
    let before = input.before;
    let newer: MessageListRow[] = [];
    let moreNewer = false;
    if (input.around) {
      // The page that holds the message, and a few newer ones after it.
      const target = await repo.findMessage(r.db, r.partitionId, input.around);
      if (!target || target.room_id !== input.roomId) throw new AppError('NOT_FOUND', REFUSAL.notInThisRoom);
      const half = Math.floor(input.limit / 2);
      newer = await repo.listMessagesAfter(r.db, r.partitionId, input.roomId, r.user.id, target.event_id, half + 1);
      moreNewer = newer.length > half;
      newer = newer.slice(0, half);
      before = target.event_id + 1;
    }
    const rows = await repo.listMessages(r.db, r.partitionId, input.roomId, r.user.id, { before, limit: input.limit });
    const hasMore = rows.length > input.limit;
    const page = [...rows.slice(0, input.limit).reverse(), ...newer];
    const last = page.at(-1);
    return {
      /** Oldest first. */
      messages: await toMessageDtos(r, page),
      /** Pass as `before` for the previous page; null at the beginning of the room. */
      nextCursor: hasMore && page[0] ? page[0].event_id : null,
      /**
       * Pass as `after` for the next newer page; null when this page ends with the room's newest
       * message (the latest page, or an `around` page near the present).
       */
      newerCursor: (input.around ? moreNewer : input.before !== undefined) && last ? last.event_id : null,
    };
  });
}
