import { uuidv7 } from 'uuidv7';
import { pgErrorCode, type MessageRow, type PartitionId, type User } from '@parley/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { describeRule, enforceRateLimit } from '../../rate-limit.ts';
import { toParleyEvent } from '../event/event.repo.ts';
import { publishEvents } from '../event/event.service.ts';
import { stopTyping } from '../presence/presence.service.ts';
import { assertRoomMember } from '../room/room.service.ts';
import * as repo from './message.repo.ts';
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
 * no event id (the duplicate is found first or, when two race, the unique index aborts the
 * loser's single statement before anything is committed).
 *
 * The per-user message limit is checked after the duplicate lookup: a client retrying a send
 * whose answer it lost gets that answer even when it is over the limit, and a retry costs no
 * allowance. (Two racing copies of one new send can both be counted; that is rare and safe.)
 */
export async function sendMessage(ctx: InPartition, input: SendMessageInput): Promise<MessageDto> {
  await assertRoomMember(ctx, input.roomId);
  const previous = await findPrevious(ctx, input);
  if (previous) return previous;
  const rule = ctx.config.rateLimits.messagesPerUser;
  await enforceRateLimit(ctx, `msg:${ctx.user.id}`, rule, `You are sending messages too fast (${describeRule(rule)}).`);
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
  try {
    const { message, event } = await ctx.messageWriter.write(ctx.partitionId, {
      id,
      roomId: input.roomId,
      authorId: ctx.user.id,
      clientId: input.clientId,
      body: input.body,
      eventData,
    });
    publishEvents(ctx, [toParleyEvent(ctx.partitionId, event)]);
    stopTyping(ctx, input.roomId);
    return toMessageDto(ctx.partitionId, { ...message, author_name: ctx.user.display_name });
  } catch (error) {
    if (pgErrorCode(error) === '23505') {
      const winner = await findPrevious(ctx, input);
      if (winner) return winner;
    }
    throw error;
  }
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
