import { uuidv7 } from 'uuidv7';
import { pgErrorCode, type MessageRow, type PartitionId, type User } from '@parley/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { describeRule, rateLimitRefusal, type DeferredIpLimit } from '../../rate-limit.ts';
import { toParleyEvent } from '../event/event.repo.ts';
import { publishEvents } from '../event/event.service.ts';
import { stopTyping } from '../presence/presence.service.ts';
import { assertRoomMember, NO_SUCH_ROOM, ROOM_NOT_JOINED } from '../room/room.service.ts';
import * as repo from './message.repo.ts';
import type { WriteOutcome } from './message.repo.ts';
import type { ListMessagesInput, SendMessageInput } from './message.schema.ts';
import type { MessageDto } from './message.types.ts';

type InPartition = Context & { user: User; partitionId: PartitionId };

function toMessageDto(partitionId: string, row: MessageRow & { author_name: string }): MessageDto {
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
  };
}

/** The first message sent with this clientId, if any; someone else's clientId is a conflict. */
async function findPrevious(ctx: InPartition, input: SendMessageInput): Promise<MessageDto | undefined> {
  const previous = await repo.findMessageByClientId(ctx.db, ctx.partitionId, input.clientId);
  if (!previous) return undefined;
  if (previous.author_id !== ctx.user.id || previous.room_id !== input.roomId) {
    throw new AppError('CONFLICT', 'That clientId was already used for another message; generate a new one.');
  }
  return toMessageDto(ctx.partitionId, previous);
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
export async function sendMessage(ctx: InPartition & { ipLimit?: DeferredIpLimit | null }, input: SendMessageInput): Promise<MessageDto> {
  const rule = ctx.config.rateLimits.messagesPerUser;
  const limitKey = `msg:${ctx.user.id}`;
  // The per-address limit, when the middleware left it to us: both in one round trip.
  const ip = ctx.ipLimit?.pending ? ctx.ipLimit : null;
  if (ip) ip.pending = false;
  const limits = ip ? [{ key: ip.key, rule: ip.rule }, { key: limitKey, rule }] : [{ key: limitKey, rule }];
  const limit = await ctx.limiter.consumeMany(limits);
  if (!limit.ok && ip && limit.index === 0) throw rateLimitRefusal(limit.retryAfterMs, ip.refusal);
  if (!limit.ok) {
    await assertRoomMember(ctx, input.roomId);
    const previous = await findPrevious(ctx, input);
    if (previous) return previous;
    throw rateLimitRefusal(limit.retryAfterMs, `You are sending messages too fast (${describeRule(rule)}).`);
  }
  const id = uuidv7();
  const eventData = {
    id,
    partitionId: ctx.partitionId,
    roomId: input.roomId,
    clientId: input.clientId,
    authorId: ctx.user.id,
    authorName: ctx.user.display_name,
    body: input.body,
  };
  let outcome: WriteOutcome;
  try {
    outcome = await ctx.messageWriter.write(ctx.partitionId, {
      id,
      roomId: input.roomId,
      authorId: ctx.user.id,
      clientId: input.clientId,
      body: input.body,
      eventData,
    });
  } catch (error) {
    // Another node committed the same clientId between this statement's snapshot and its insert.
    if (pgErrorCode(error) === '23505') {
      await ctx.limiter.refund(limitKey);
      const winner = await findPrevious(ctx, input);
      if (winner) return winner;
    }
    throw error;
  }
  if (outcome.kind !== 'inserted') await ctx.limiter.refund(limitKey);
  if (outcome.kind === 'refused') {
    throw outcome.roomExists
      ? new AppError('FORBIDDEN', ROOM_NOT_JOINED)
      : new AppError('NOT_FOUND', NO_SUCH_ROOM);
  }
  if (outcome.kind === 'duplicate') {
    const previous = await findPrevious(ctx, input);
    if (previous) return previous;
    throw new Error(`message ${input.clientId} reported as stored but not found`);
  }
  publishEvents(ctx, [toParleyEvent(ctx.partitionId, outcome.event)]);
  stopTyping(ctx, input.roomId);
  return toMessageDto(ctx.partitionId, { ...outcome.message, author_name: ctx.user.display_name });
}

export async function listMessages(ctx: InPartition, input: ListMessagesInput) {
  await assertRoomMember(ctx, input.roomId);
  const rows = await repo.listMessages(ctx.db, ctx.partitionId, input.roomId, { before: input.before, limit: input.limit });
  const hasMore = rows.length > input.limit;
  const page = rows.slice(0, input.limit).reverse();
  return {
    /** Oldest first. */
    messages: page.map((r) => toMessageDto(ctx.partitionId, r)),
    /** Pass as `before` for the previous page; null at the beginning of the room. */
    nextCursor: hasMore && page[0] ? page[0].event_id : null,
  };
}
