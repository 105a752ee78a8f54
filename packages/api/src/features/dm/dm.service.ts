import { pgErrorCode, type Role } from '@parley/db';
import { REFUSAL } from '@parley/rules';
import { AppError } from '../../errors.ts';
import { isBlockedBetween } from '../block/block.service.ts';
import { commitChange } from '../event/event.commit.ts';
import { findMembers } from '../partition/partition.service.ts';
import type { NewEvent } from '../event/event.types.ts';
import { createRoomInTx, findRoomByDmKey, insertRoomMember, joinedEvent, toRoomDto, type InPartition } from '../room/room.service.ts';
import type { RoomListItem } from '../room/room.types.ts';
import type { OpenDmInput } from './dm.schema.ts';

/**
 * The same words whether someone is not in the workspace or a block stands between you: a
 * blocked person must not learn of the block from this answer.
 */
export const DM_UNREACHABLE = REFUSAL.dmUnreachable;

/**
 * Opens the direct message of the caller and `userIds`: found by its members' sorted ids, so
 * opening it again (or by another of its members) gives the same room; created with all of
 * them in it otherwise. Everyone must be a member of the workspace with no block between the
 * caller and any of them.
 */
export async function openDm(ctx: InPartition & { role: Role }, input: OpenDmInput): Promise<RoomListItem> {
  const others = [...new Set(input.userIds)].filter((id) => id !== ctx.user.id);
  if (others.length === 0) throw new AppError('BAD_REQUEST', REFUSAL.dmSelf);
  const memberIds = [ctx.user.id, ...others].sort();
  const dmKey = memberIds.join(',');
  const people = await findMembers(ctx, ctx.partitionId, others);
  if (people.length !== others.length || (await isBlockedBetween(ctx, ctx.user.id, others))) {
    throw new AppError('NOT_FOUND', DM_UNREACHABLE);
  }
  const existing = await findRoomByDmKey(ctx.db, ctx.partitionId, dmKey);
  if (existing) {
    // Someone who left the workspace and came back is let back into the conversation.
    await commitChange(ctx, { kind: 'dm.rejoin' }, async (trx) => {
      const events: NewEvent[] = [];
      for (const person of [{ id: ctx.user.id, display_name: ctx.user.display_name }, ...people]) {
        if (await insertRoomMember(trx, ctx.partitionId, existing.id, person.id)) events.push(joinedEvent(existing.id, person, 'member', ctx.user.id));
      }
      return { result: null, events };
    });
    return { ...toRoomDto(ctx.partitionId, existing, memberIds), joined: true, memberCount: memberIds.length, myRole: 'member' };
  }
  let room;
  try {
    room = await commitChange(ctx, { opId: input.opId, kind: 'dm.open' }, async (trx) => {
      const created = await createRoomInTx(trx, ctx.partitionId, ctx.user, { name: '', kind: 'dm', dmKey, others: people });
      return { result: created.room, events: created.events };
    });
  } catch (error) {
    // Two people opened the same conversation at once: the other's is the one.
    const winner = pgErrorCode(error) === '23505' ? await findRoomByDmKey(ctx.db, ctx.partitionId, dmKey) : undefined;
    if (!winner) throw error;
    room = toRoomDto(ctx.partitionId, winner, memberIds);
  }
  return { ...room, joined: true, memberCount: memberIds.length, myRole: 'member' };
}
