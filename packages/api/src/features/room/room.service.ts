import { uuidv7 } from 'uuidv7';
import type { Kysely } from 'kysely';
import { pgErrorCode, type Database, type PartitionId, type User } from '@parley/db';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { appendEvents } from '../event/event.repo.ts';
import { publishEvents } from '../event/event.service.ts';
import type { NewEvent } from '../event/event.types.ts';
import * as repo from './room.repo.ts';
import type { CreateRoomInput, RoomRefInput } from './room.schema.ts';
import type { RoomDto, RoomListItem } from './room.types.ts';

/** Every workspace has it, and every member joins it. */
export const DEFAULT_ROOM_NAME = 'general';

type InPartition = Context & { user: User; partitionId: PartitionId };

function toRoomDto(partitionId: string, row: { id: string; name: string; created_by: string; created_at: string }): RoomDto {
  return { id: row.id, partitionId, name: row.name, createdBy: row.created_by, createdAt: row.created_at };
}

/** Creates a room and makes its creator a member; returns the events to append. */
export async function createRoomInTx(trx: Kysely<Database>, partitionId: PartitionId, user: User, name: string) {
  const row = await repo.insertRoom(trx, partitionId, { id: uuidv7(), name, created_by: user.id });
  await repo.insertRoomMember(trx, partitionId, row.id, user.id);
  const room = toRoomDto(partitionId, row);
  const events: NewEvent[] = [
    { type: 'room.created', roomId: room.id, actorId: user.id, data: room },
    { type: 'member.joined', roomId: room.id, actorId: user.id, data: { roomId: room.id, userId: user.id, displayName: user.display_name } },
  ];
  return { room, events };
}

/** Adds the user to a room (by id or name); returns the events to append (none if already in). */
export async function joinRoomInTx(
  trx: Kysely<Database>,
  partitionId: PartitionId,
  user: User,
  ref: { roomId: string } | { name: string },
): Promise<NewEvent[]> {
  const room = 'roomId' in ref ? await repo.findRoom(trx, partitionId, ref.roomId) : await repo.findRoomByName(trx, partitionId, ref.name);
  if (!room) throw new AppError('NOT_FOUND', 'No such room in this workspace.');
  if (!(await repo.insertRoomMember(trx, partitionId, room.id, user.id))) return [];
  return [{ type: 'member.joined', roomId: room.id, actorId: user.id, data: { roomId: room.id, userId: user.id, displayName: user.display_name } }];
}

export async function listRooms(ctx: InPartition): Promise<RoomListItem[]> {
  const rows = await repo.listRooms(ctx.db, ctx.partitionId, ctx.user.id);
  return rows.map((r) => ({ ...toRoomDto(ctx.partitionId, r), joined: Boolean(r.joined), memberCount: Number(r.member_count ?? 0) }));
}

export async function createRoom(ctx: InPartition, input: CreateRoomInput): Promise<RoomDto> {
  try {
    const { room, events } = await ctx.db.transaction().execute(async (trx) => {
      const created = await createRoomInTx(trx, ctx.partitionId, ctx.user, input.name);
      return { room: created.room, events: await appendEvents(trx, ctx.partitionId, created.events) };
    });
    publishEvents(ctx, events);
    return room;
  } catch (error) {
    if (pgErrorCode(error) === '23505') {
      throw new AppError('CONFLICT', `A room named "${input.name}" already exists.`, { cause: error });
    }
    throw error;
  }
}

export async function joinRoom(ctx: InPartition, input: RoomRefInput): Promise<{ joined: true }> {
  const events = await ctx.db.transaction().execute(async (trx) => {
    const pending = await joinRoomInTx(trx, ctx.partitionId, ctx.user, { roomId: input.roomId });
    return appendEvents(trx, ctx.partitionId, pending);
  });
  publishEvents(ctx, events);
  return { joined: true };
}

export async function leaveRoom(ctx: InPartition, input: RoomRefInput): Promise<{ left: true }> {
  const events = await ctx.db.transaction().execute(async (trx) => {
    const room = await repo.findRoom(trx, ctx.partitionId, input.roomId);
    if (!room) throw new AppError('NOT_FOUND', 'No such room in this workspace.');
    if (room.name.toLowerCase() === DEFAULT_ROOM_NAME) {
      throw new AppError('BAD_REQUEST', `Everyone stays in #${DEFAULT_ROOM_NAME}.`);
    }
    if (!(await repo.deleteRoomMember(trx, ctx.partitionId, room.id, ctx.user.id))) return [];
    return appendEvents(trx, ctx.partitionId, [
      { type: 'member.left', roomId: room.id, actorId: ctx.user.id, data: { roomId: room.id, userId: ctx.user.id } },
    ]);
  });
  publishEvents(ctx, events);
  return { left: true };
}

/** The rooms the user is in (for filtering what they may see). */
export function listJoinedRoomIds(ctx: InPartition): Promise<string[]> {
  return repo.listUserRoomIds(ctx.db, ctx.partitionId, ctx.user.id);
}

export const NO_SUCH_ROOM = 'No such room in this workspace.';
export const ROOM_NOT_JOINED = 'Join the room first.';

/** Throws unless the user may read and write in the room. */
export async function assertRoomMember(ctx: InPartition, roomId: string): Promise<void> {
  if (await repo.isRoomMember(ctx.db, ctx.partitionId, roomId, ctx.user.id)) return;
  if (!(await repo.findRoom(ctx.db, ctx.partitionId, roomId))) throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
  throw new AppError('FORBIDDEN', ROOM_NOT_JOINED);
}
