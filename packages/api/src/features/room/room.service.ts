import { uuidv7 } from 'uuidv7';
import type { Kysely } from 'kysely';
import { pgErrorCode, type Database, type PartitionId, type Role, type RoomKind, type RoomRole, type User } from '@parley/db';
import { DEFAULT_ROOM_NAME, REFUSAL, roomExists } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { commitChange } from '../event/event.commit.ts';
import type { NewEvent } from '../event/event.types.ts';
import * as repo from './room.repo.ts';

/** Room rows other features read or change inside their own transaction (dm, message, partition, event). */
export { deleteAllRoomMemberships, findRoom, findRoomByDmKey, insertRoomMember, listUserRoomIds } from './room.repo.ts';
import type { CreateRoomInput, RoomRefInput } from './room.schema.ts';
import type { RoomDto, RoomListItem } from './room.types.ts';

/** Every workspace has it, and every member joins it. */
export { DEFAULT_ROOM_NAME } from '@parley/rules';

export type InPartition = Context & { user: User; partitionId: PartitionId };

type RoomRow = { id: string; name: string; kind: RoomKind; topic: string; created_by: string; created_at: string };

export function toRoomDto(partitionId: string, row: RoomRow, memberIds?: string[] | null): RoomDto {
  return {
    id: row.id,
    partitionId,
    name: row.name,
    kind: row.kind,
    topic: row.topic,
    createdBy: row.created_by,
    createdAt: row.created_at,
    ...(row.kind !== 'public' && memberIds ? { memberIds } : {}),
  };
}

export function joinedEvent(roomId: string, user: Pick<User, 'id' | 'display_name'>, role: RoomRole, addedBy: string | null): NewEvent {
  return {
    type: 'member.joined',
    roomId,
    actorId: addedBy ?? user.id,
    data: { roomId, userId: user.id, displayName: user.display_name, role, ...(addedBy ? { addedBy } : {}) },
  };
}

/**
 * Creates a room with its first members (the creator, its admin; a direct message's people) and
 * returns the events to append: `room.created`, then each `member.joined`. A public room's
 * creation is news for the whole workspace; a private room's or a direct message's names its
 * first members (`memberIds`), and only their streams admit it (and, from it, the joins).
 */
export async function createRoomInTx(
  trx: Kysely<Database>,
  partitionId: PartitionId,
  user: User,
  opts: { name: string; kind: RoomKind; topic?: string | undefined; dmKey?: string; others?: Pick<User, 'id' | 'display_name'>[] },
) {
  const row = await repo.insertRoom(trx, partitionId, {
    id: uuidv7(),
    name: opts.name,
    created_by: user.id,
    kind: opts.kind,
    topic: opts.topic ?? '',
    dm_key: opts.dmKey ?? null,
  });
  const creatorRole: RoomRole = opts.kind === 'dm' ? 'member' : 'admin';
  await repo.insertRoomMember(trx, partitionId, row.id, user.id, creatorRole);
  const joins: NewEvent[] = [joinedEvent(row.id, user, creatorRole, null)];
  for (const other of opts.others ?? []) {
    await repo.insertRoomMember(trx, partitionId, row.id, other.id, 'member');
    joins.push(joinedEvent(row.id, other, 'member', user.id));
  }
  const memberIds = opts.kind === 'public' ? undefined : [user.id, ...(opts.others ?? []).map((o) => o.id)].sort();
  const room = toRoomDto(partitionId, row, memberIds);
  const created: NewEvent = { type: 'room.created', roomId: room.id, actorId: user.id, data: room };
  return { room, events: [created, ...joins] };
}

/** Adds the user to a public room (by id or name); returns the events to append (none if already in). */
export async function joinRoomInTx(
  trx: Kysely<Database>,
  partitionId: PartitionId,
  user: User,
  ref: { roomId: string } | { name: string },
): Promise<NewEvent[]> {
  const room = 'roomId' in ref ? await repo.findRoom(trx, partitionId, ref.roomId) : await repo.findRoomByName(trx, partitionId, ref.name);
  if (!room) throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
  if (room.kind !== 'public') {
    // Already in it: nothing to do. Otherwise a private room is not there for them.
    if (await repo.isRoomMember(trx, partitionId, room.id, user.id)) return [];
    throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
  }
  if (!(await repo.insertRoomMember(trx, partitionId, room.id, user.id))) return [];
  return [joinedEvent(room.id, user, 'member', null)];
}

const isModerator = (role: Role) => role === 'owner' || role === 'admin';

export async function listRooms(ctx: InPartition & { role: Role }): Promise<RoomListItem[]> {
  const rows = await repo.listRooms(ctx.db, ctx.partitionId, ctx.user.id, isModerator(ctx.role));
  return rows.map((r) => ({
    ...toRoomDto(ctx.partitionId, r, r.member_ids),
    joined: r.my_role !== null,
    memberCount: Number(r.member_count ?? 0),
    myRole: r.my_role ?? null,
  }));
}

export async function createRoom(ctx: InPartition, input: CreateRoomInput): Promise<RoomDto> {
  try {
    return await commitChange(ctx, { opId: input.opId, kind: 'room.create' }, async (trx) => {
      const { room, events } = await createRoomInTx(trx, ctx.partitionId, ctx.user, {
        name: input.name,
        kind: input.visibility,
        topic: input.topic,
      });
      return { result: room, events };
    });
  } catch (error) {
    if (pgErrorCode(error) === '23505') {
      throw new AppError('CONFLICT', roomExists(input.name), { cause: error });
    }
    throw error;
  }
}

export async function joinRoom(ctx: InPartition, input: RoomRefInput): Promise<{ joined: true }> {
  await commitChange(ctx, { kind: 'room.join' }, async (trx) => ({
    result: null,
    events: await joinRoomInTx(trx, ctx.partitionId, ctx.user, { roomId: input.roomId }),
  }));
  return { joined: true };
}

/** Takes a user out of a room; returns the events to append (none if they were not in it). */
export async function leaveRoomInTx(
  trx: Kysely<Database>,
  ctx: InPartition,
  room: { id: string; name: string; kind: RoomKind },
  userId: string,
  removedBy: string | null,
): Promise<NewEvent[]> {
  if (room.kind === 'dm') throw new AppError('BAD_REQUEST', 'The people in a direct message are fixed: nobody leaves or is removed.');
  if (room.name.toLowerCase() === DEFAULT_ROOM_NAME) throw new AppError('BAD_REQUEST', REFUSAL.stayInGeneral);
  if (!(await repo.deleteRoomMember(trx, ctx.partitionId, room.id, userId))) return [];
  return [{ type: 'member.left', roomId: room.id, actorId: ctx.user.id, data: { roomId: room.id, userId, ...(removedBy ? { removedBy } : {}) } }];
}

export async function leaveRoom(ctx: InPartition, input: RoomRefInput): Promise<{ left: true }> {
  await commitChange(ctx, { kind: 'room.leave' }, async (trx) => {
    const room = await repo.findRoom(trx, ctx.partitionId, input.roomId);
    if (!room || (room.kind !== 'public' && !(await repo.isRoomMember(trx, ctx.partitionId, room.id, ctx.user.id)))) {
      throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
    }
    return { result: null, events: await leaveRoomInTx(trx, ctx, room, ctx.user.id, null) };
  });
  return { left: true };
}

/** The rooms the user is in (for filtering what they may see). */
export function listJoinedRoomIds(ctx: InPartition): Promise<string[]> {
  return repo.listUserRoomIds(ctx.db, ctx.partitionId, ctx.user.id);
}

export const NO_SUCH_ROOM = REFUSAL.noSuchRoom;
export const ROOM_NOT_JOINED = REFUSAL.joinRoomFirst;

/**
 * Throws unless the user is in the room: FORBIDDEN for a public room they have not joined,
 * NOT_FOUND for a room that does not exist or that they may not know of (private, direct
 * message), so guessing ids reveals nothing. Returns their room role.
 */
export async function assertRoomMember(ctx: InPartition, roomId: string, db: Kysely<Database> = ctx.db): Promise<RoomRole> {
  const role = await repo.findRoomRole(db, ctx.partitionId, roomId, ctx.user.id);
  if (role) return role;
  const room = await repo.findRoom(db, ctx.partitionId, roomId);
  if (!room || room.kind !== 'public') throw new AppError('NOT_FOUND', NO_SUCH_ROOM);
  throw new AppError('FORBIDDEN', ROOM_NOT_JOINED);
}
