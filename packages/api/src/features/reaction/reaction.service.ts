import type { Role } from '@parley/db';
import { EMOJIS_PER_MESSAGE, REFUSAL } from '@parley/rules';
import { AppError } from '../../errors.ts';
import { commitChange } from '../event/event.commit.ts';
import * as messages from '../message/message.service.ts';
import { assertRoomMember } from '../room/room.service.ts';
import type { InPartition } from '../message/message.service.ts';
import { MESSAGE_DELETED, NO_SUCH_MESSAGE } from '../message/message.actions.ts';
import type { ReactionInput } from './reaction.schema.ts';

/** Different emoji on one message (each person may use each once). */
export { EMOJIS_PER_MESSAGE } from '@parley/rules';

/** Adds or takes back the caller's `emoji` on a message of a room they are in. Repeating either changes nothing. */
export async function setReaction(ctx: InPartition & { role: Role }, input: ReactionInput, on: boolean) {
  return commitChange<{ messageId: string; roomId: string; emoji: string; reacted: boolean }>(
    ctx,
    { opId: input.opId, kind: on ? 'reaction.add' : 'reaction.remove' },
    async (trx) => {
      // Locked like every other change of the message, so a reaction cannot outlive a concurrent delete.
      const message = await messages.findMessageForUpdate(trx, ctx.partitionId, input.messageId, 0);
      if (!message) throw new AppError('NOT_FOUND', NO_SUCH_MESSAGE);
      try {
        await assertRoomMember(ctx, message.room_id, trx);
      } catch (error) {
        if (error instanceof AppError && error.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', NO_SUCH_MESSAGE);
        throw error;
      }
      const result = { messageId: message.id, roomId: message.room_id, emoji: input.emoji, reacted: on };
      if (on && message.deleted_at) throw new AppError('BAD_REQUEST', MESSAGE_DELETED);
      if (on && (await messages.countEmojis(trx, ctx.partitionId, message.id)) >= EMOJIS_PER_MESSAGE) {
        const existing = await messages.listReactions(trx, ctx.partitionId, [message.id]);
        if (!existing.some((r) => r.emoji === input.emoji)) {
          throw new AppError('BAD_REQUEST', REFUSAL.tooManyEmojis);
        }
      }
      const changed = on
        ? await messages.insertReaction(trx, ctx.partitionId, message.id, ctx.user.id, input.emoji)
        : await messages.deleteReaction(trx, ctx.partitionId, message.id, ctx.user.id, input.emoji);
      if (!changed) return { result, events: [] };
      const data = { messageId: message.id, roomId: message.room_id, userId: ctx.user.id, emoji: input.emoji };
      return {
        result,
        events: [{ type: on ? ('reaction.added' as const) : ('reaction.removed' as const), roomId: message.room_id, actorId: ctx.user.id, data }],
      };
    },
  );
}
