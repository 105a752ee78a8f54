import type { Kysely } from 'kysely';
import type { Database, Role, RoomRole } from '@parley/db';
import { canManageRoom, editWindowClosed, PINS_PER_ROOM, REFUSAL } from '@parley/rules';
import { AppError } from '../../errors.ts';
import { commitChange } from '../event/event.commit.ts';
import { resolveMentions } from '../mention/mention.service.ts';
import { deleteMediaInTx, deleteStoredObject } from '../media/media.service.ts';
import type { StoredBytes } from '../media/media.storage.ts';
import { assertRoomMember, findRoom } from '../room/room.service.ts';
import * as repo from './message.repo.ts';
import { EDIT_WINDOW_MS, type DeleteMessageInput, type EditMessageInput, type ListPinsInput, type MessageRefInput } from './message.schema.ts';
import { readAsOf, toMessageDtos, type InPartition } from './message.service.ts';
import type { MessageDto } from './message.types.ts';

type Acting = InPartition & { role: Role };

export interface EditResult {
  id: string;
  roomId: string;
  body: string;
  editedAt: string | null;
}
export interface DeleteResult {
  id: string;
  roomId: string;
  scope: 'everyone' | 'me';
}
export interface PinResult {
  id: string;
  roomId: string;
  pinned: boolean;
}

export const NO_SUCH_MESSAGE = REFUSAL.noSuchMessage;
export const MESSAGE_DELETED = REFUSAL.messageDeleted;
export { PINS_PER_ROOM } from '@parley/rules';

/**
 * The message, locked for the change, and the caller's role in its room. A message of a room
 * the caller is not in answers like one that does not exist (its room may be private).
 */
async function messageToChange(trx: Kysely<Database>, ctx: Acting, messageId: string) {
  const message = await repo.findMessageForUpdate(trx, ctx.partitionId, messageId, EDIT_WINDOW_MS);
  if (!message) throw new AppError('NOT_FOUND', NO_SUCH_MESSAGE);
  let roomRole: RoomRole;
  try {
    roomRole = await assertRoomMember(ctx, message.room_id, trx);
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') throw new AppError('NOT_FOUND', NO_SUCH_MESSAGE);
    throw error;
  }
  return { message, roomRole };
}

/**
 * Changes the text of your own message within {@link EDIT_WINDOW_MS} of sending it, on the
 * database clock (no node's clock decides). The previous text is kept in `message_edits_<pid>`.
 */
export async function editMessage(ctx: Acting, input: EditMessageInput) {
  return commitChange<EditResult>(ctx, { opId: input.opId, kind: 'message.edit' }, async (trx) => {
    const { message } = await messageToChange(trx, ctx, input.messageId);
    if (message.author_id !== ctx.user.id) throw new AppError('FORBIDDEN', REFUSAL.notYourMessage);
    if (message.deleted_at) throw new AppError('BAD_REQUEST', MESSAGE_DELETED);
    if (!message.editable) {
      throw new AppError('PRECONDITION_FAILED', editWindowClosed(message.editable_until));
    }
    const unchanged = { id: message.id, roomId: message.room_id, body: message.body, editedAt: message.edited_at ?? null };
    if (message.body === input.body) return { result: unchanged, events: [] };
    // New mentions in the text must be of room members (as when sending); they notify nobody
    // and `mentions` stays as sent (see MessageDto.mentions).
    await resolveMentions({ ...ctx, db: trx }, message.room_id, input.body, message.mentions);
    const { edited_at } = await repo.updateMessageBody(trx, ctx.partitionId, message.id, input.body);
    const data = { id: message.id, roomId: message.room_id, body: input.body, editedAt: edited_at! };
    return {
      result: data,
      events: [{ type: 'message.edited', roomId: message.room_id, actorId: ctx.user.id, data }],
      afterAppend: (t, [event]) =>
        repo.insertEdit(t, ctx.partitionId, { message_id: message.id, event_id: event!.id, editor_id: ctx.user.id, previous_body: message.body }),
    };
  });
}

/**
 * `everyone`: the author any time, and as moderation a room admin or a workspace owner or admin
 * (not in direct messages, which only their people see): a tombstone whose text is removed from
 * storage. `me`: hidden for the caller alone, on every device (seed 003's per-user deletion
 * record); anyone in the room may.
 */
export async function deleteMessage(ctx: Acting, input: DeleteMessageInput) {
  // Its file's S3 object, deleted once the tombstone is committed.
  let removedFile: StoredBytes | null = null;
  const deleted = await commitChange<DeleteResult>(ctx, { opId: input.opId, kind: `message.delete.${input.scope}` }, async (trx) => {
    const { message, roomRole } = await messageToChange(trx, ctx, input.messageId);
    if (input.scope === 'me') {
      const hidden = await repo.insertHide(trx, ctx.partitionId, message.id, ctx.user.id);
      const data = { id: message.id, roomId: message.room_id, userId: ctx.user.id };
      return {
        result: { id: message.id, roomId: message.room_id, scope: 'me' },
        events: hidden ? [{ type: 'message.hidden' as const, roomId: message.room_id, actorId: ctx.user.id, data }] : [],
      };
    }
    const result: DeleteResult = { id: message.id, roomId: message.room_id, scope: 'everyone' };
    if (message.deleted_at) return { result, events: [] };
    if (message.author_id !== ctx.user.id) {
      const room = await findRoom(trx, ctx.partitionId, message.room_id);
      const moderator = canManageRoom({ kind: room?.kind ?? 'public', myRole: roomRole }, ctx.role);
      if (!moderator) throw new AppError('FORBIDDEN', REFUSAL.notMessageModerator);
    }
    const deletedAt = await repo.tombstoneMessage(trx, ctx.partitionId, message, ctx.user.id);
    removedFile = message.media_id ? await deleteMediaInTx(trx, ctx.partitionId, message.media_id) : null;
    return {
      result,
      events: [
        {
          type: 'message.deleted',
          roomId: message.room_id,
          actorId: ctx.user.id,
          data: { id: message.id, roomId: message.room_id, deletedAt, deletedBy: ctx.user.id },
        },
      ],
    };
  });
  await deleteStoredObject(ctx, removedFile);
  return deleted;
}

/** Pins or unpins a message of a room you are in (members and up; a viewer cannot). */
export async function setPinned(ctx: Acting, input: MessageRefInput, pinned: boolean) {
  return commitChange<PinResult>(ctx, { opId: input.opId, kind: pinned ? 'message.pin' : 'message.unpin' }, async (trx) => {
    const { message } = await messageToChange(trx, ctx, input.messageId);
    const result = { id: message.id, roomId: message.room_id, pinned };
    if (pinned && message.deleted_at) throw new AppError('BAD_REQUEST', MESSAGE_DELETED);
    if (Boolean(message.pinned_at) === pinned) return { result, events: [] };
    if (pinned && (await repo.countPins(trx, ctx.partitionId, message.room_id)) >= PINS_PER_ROOM) {
      throw new AppError('BAD_REQUEST', REFUSAL.tooManyPins);
    }
    const { pinned_at } = await repo.setPin(trx, ctx.partitionId, message.id, pinned ? ctx.user.id : null);
    return {
      result,
      events: [
        pinned
          ? {
              type: 'message.pinned' as const,
              roomId: message.room_id,
              actorId: ctx.user.id,
              data: { id: message.id, roomId: message.room_id, pinnedAt: pinned_at!, pinnedBy: ctx.user.id },
            }
          : { type: 'message.unpinned' as const, roomId: message.room_id, actorId: ctx.user.id, data: { id: message.id, roomId: message.room_id } },
      ],
    };
  });
}

export async function listPins(ctx: InPartition, input: ListPinsInput): Promise<{ messages: MessageDto[]; asOf: number }> {
  await assertRoomMember(ctx, input.roomId);
  return readAsOf(ctx, async (r) => ({ messages: await toMessageDtos(r, await repo.listPinnedMessages(r.db, r.partitionId, input.roomId, r.user.id)) }));
}
