import type { Kysely } from 'kysely';
import { pgErrorCode, type Database, type Role, type RoomRole } from '@parley/db';
import { DEFAULT_ROOM_NAME, REFUSAL, roomExists } from '@parley/rules';
import { AppError } from '../../errors.ts';
import { isBlockedBetween } from '../block/block.service.ts';
import { commitChange } from '../event/event.commit.ts';
import { findMembers, NOT_A_MEMBER } from '../partition/partition.service.ts';
import * as repo from './room.repo.ts';
import type { RoomMemberInput, RoomRefInput, SetRoomRoleInput, UpdateRoomInput } from './room.schema.ts';
import { joinedEvent, leaveRoomInTx, NO_SUCH_ROOM, toRoomDto, type InPartition } from './room.service.ts';
import type { RoomDto, RoomMemberDto } from './room.types.ts';

type Managing = InPartition & { role: Role };

export const NOT_ROOM_ADMIN = REFUSAL.notRoomAdmin;
export const DM_FIXED = REFUSAL.dmFixed;

/**
 * The room, if the caller may manage it: a room admin, or a workspace owner or admin (who
 * moderate every room but direct messages). A room the caller may not know of is NOT_FOUND.
 */
async function roomToManage(trx: Kysely<Database>, ctx: Managing, roomId: string) {
  const room = await repo.findRoom(trx, ctx.partitionId, roomId);
  if (!room) throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
  const myRole = await repo.findRoomRole(trx, ctx.partitionId, roomId, ctx.user.id);
  const moderator = ctx.role === 'owner' || ctx.role === 'admin';
  if (room.kind === 'dm') {
    if (!myRole) throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
    throw new AppError('BAD_REQUEST', DM_FIXED);
  }
  if (myRole === 'admin' || moderator) return room;
  if (room.kind === 'private' && !myRole) throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
  throw new AppError('FORBIDDEN', NOT_ROOM_ADMIN);
}

export async function listRoomMembers(ctx: Managing, input: RoomRefInput): Promise<RoomMemberDto[]> {
  const room = await repo.findRoom(ctx.db, ctx.partitionId, input.roomId);
  const visible =
    room &&
    (room.kind === 'public' ||
      (room.kind === 'private' && (ctx.role === 'owner' || ctx.role === 'admin')) ||
      (await repo.isRoomMember(ctx.db, ctx.partitionId, room.id, ctx.user.id)));
  if (!visible) throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
  const rows = await repo.listRoomMembers(ctx.db, ctx.partitionId, input.roomId);
  return rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, role: r.role, joinedAt: r.joined_at }));
}

export async function updateRoom(ctx: Managing, input: UpdateRoomInput): Promise<RoomDto> {
  try {
    return await commitChange(ctx, { opId: input.opId, kind: 'room.update' }, async (trx) => {
      const room = await roomToManage(trx, ctx, input.roomId);
      const rename = input.name !== undefined && input.name !== room.name;
      if (rename && room.name.toLowerCase() === DEFAULT_ROOM_NAME) {
        throw new AppError('BAD_REQUEST', REFUSAL.generalKeepsName);
      }
      const topicChange = input.topic !== undefined && input.topic !== room.topic;
      if (!rename && !topicChange) return { result: toRoomDto(ctx.partitionId, room), events: [] };
      const row = await repo.updateRoom(trx, ctx.partitionId, room.id, {
        ...(rename ? { name: input.name } : {}),
        ...(topicChange ? { topic: input.topic } : {}),
      });
      const dto = toRoomDto(ctx.partitionId, row);
      return { result: dto, events: [{ type: 'room.updated', roomId: room.id, actorId: ctx.user.id, data: dto }] };
    });
  } catch (error) {
    if (pgErrorCode(error) === '23505') throw new AppError('CONFLICT', roomExists(String(input.name)), { cause: error });
    throw error;
  }
}

/**
 * Adds a workspace member to a room. Someone who has blocked the caller (or whom the caller
 * blocked) cannot be added, and the answer is the same as for someone not in the workspace,
 * so it does not reveal the block.
 */
export async function addRoomMember(ctx: Managing, input: RoomMemberInput): Promise<{ userId: string; added: boolean }> {
  return commitChange<{ userId: string; added: boolean }>(ctx, { opId: input.opId, kind: 'room.addMember' }, async (trx) => {
    const room = await roomToManage(trx, ctx, input.roomId);
    const [target] = await findMembers({ db: trx }, ctx.partitionId, [input.userId]);
    if (!target || (input.userId !== ctx.user.id && (await isBlockedBetween({ db: trx }, ctx.user.id, [input.userId])))) {
      throw new AppError('NOT_FOUND', NOT_A_MEMBER);
    }
    if (!(await repo.insertRoomMember(trx, ctx.partitionId, room.id, target.id, 'member'))) {
      return { result: { userId: target.id, added: false }, events: [] };
    }
    return {
      result: { userId: target.id, added: true },
      events: [joinedEvent(room.id, target, 'member', ctx.user.id)],
    };
  });
}

export async function removeRoomMember(ctx: Managing, input: RoomMemberInput): Promise<{ userId: string; removed: boolean }> {
  return commitChange<{ userId: string; removed: boolean }>(ctx, { opId: input.opId, kind: 'room.removeMember' }, async (trx) => {
    const room = await roomToManage(trx, ctx, input.roomId);
    const events = await leaveRoomInTx(trx, ctx, room, input.userId, ctx.user.id);
    return { result: { userId: input.userId, removed: events.length > 0 }, events };
  });
}

export async function setRoomRole(ctx: Managing, input: SetRoomRoleInput): Promise<{ userId: string; role: RoomRole; changed: boolean }> {
  return commitChange<{ userId: string; role: RoomRole; changed: boolean }>(ctx, { opId: input.opId, kind: 'room.setRole' }, async (trx) => {
    const room = await roomToManage(trx, ctx, input.roomId);
    const previous = await repo.findRoomRole(trx, ctx.partitionId, room.id, input.userId);
    if (!previous) throw new AppError('NOT_FOUND', REFUSAL.notInRoom);
    const role: RoomRole = input.role;
    if (previous === role) return { result: { userId: input.userId, role, changed: false }, events: [] };
    if (previous === 'admin' && (await repo.countRoomAdmins(trx, ctx.partitionId, room.id)) <= 1) {
      throw new AppError('BAD_REQUEST', REFUSAL.lastRoomAdmin);
    }
    await repo.updateRoomRole(trx, ctx.partitionId, room.id, input.userId, role);
    return {
      result: { userId: input.userId, role, changed: true },
      events: [
        { type: 'room.role_changed', roomId: room.id, actorId: ctx.user.id, data: { roomId: room.id, userId: input.userId, role, previousRole: previous } },
      ],
    };
  });
}
