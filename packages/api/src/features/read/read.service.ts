import type { PartitionId, User } from '@parley/db';
import { READ_PAST_END, RECEIPTS_MAX_MEMBERS } from '@parley/rules';
import type { Context } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { commitChange } from '../event/event.commit.ts';
import type { NewEvent } from '../event/event.types.ts';
import { assertRoomMember } from '../room/room.service.ts';
import * as repo from './read.repo.ts';
import type { MarkAllReadInput, MarkReadInput, ReadReceiptsInput, SetReceiptsInput } from './read.schema.ts';
import type { ReadReceiptsDto, ReadStateDto, ReadUpdatedData } from './read.types.ts';

type InPartition = Context & { user: User; partitionId: PartitionId };
type Authed = Context & { user: User };

/** Whether a room is small enough for receipts: every direct message, rooms of up to 20 members. */
export function receiptsRoom(room: { kind: string; members: number }): boolean {
  return room.kind === 'dm' || room.members <= RECEIPTS_MAX_MEMBERS;
}

/** What `read.mark` answers: where the position is now, and whether this call moved it. */
export interface MarkReadResult {
  roomId: string;
  eventId: number;
  moved: boolean;
}

/**
 * `read.mark`: moves the caller's position in a room forward to `eventId`. A position at or past
 * it changes nothing and appends no event (a repeat, an older mark arriving late, another
 * device ahead), so a client may send its marks freely; one past the room's last message is
 * refused. A move is one `read.updated` event, which the room's other members see only where
 * receipts apply (see {@link ReadUpdatedData.receipts}).
 */
export async function markRead(ctx: InPartition, input: MarkReadInput): Promise<MarkReadResult> {
  return commitChange<MarkReadResult>(ctx, { opId: input.opId, kind: 'read.mark' }, async (trx) => {
    await assertRoomMember(ctx, input.roomId, trx);
    const [position] = await repo.listPositions(trx, ctx.partitionId, ctx.user.id, input.roomId);
    if (!position || input.eventId > position.last_message) throw new AppError('BAD_REQUEST', READ_PAST_END);
    if (input.eventId <= position.last_read) return { result: { roomId: input.roomId, eventId: position.last_read, moved: false }, events: [] };
    const moved = await repo.advancePosition(trx, ctx.partitionId, input.roomId, ctx.user.id, input.eventId);
    if (!moved) return { result: { roomId: input.roomId, eventId: position.last_read, moved: false }, events: [] };
    const event = await readEvent(ctx, trx, input.roomId, input.eventId);
    return { result: { roomId: input.roomId, eventId: input.eventId, moved: true }, events: [event] };
  });
}

/**
 * `read.markAll`: every room and direct message of the caller up to its last message, one
 * `read.updated` per room that moved (none for rooms already read).
 */
export async function markAllRead(ctx: InPartition, input: MarkAllReadInput): Promise<{ rooms: MarkReadResult[] }> {
  return commitChange<{ rooms: MarkReadResult[] }>(ctx, { opId: input.opId, kind: 'read.markAll' }, async (trx) => {
    const positions = await repo.listPositions(trx, ctx.partitionId, ctx.user.id);
    const rooms: MarkReadResult[] = [];
    const events: NewEvent[] = [];
    for (const p of positions) {
      if (p.last_message <= p.last_read) continue;
      if (!(await repo.advancePosition(trx, ctx.partitionId, p.room_id, ctx.user.id, p.last_message))) continue;
      rooms.push({ roomId: p.room_id, eventId: p.last_message, moved: true });
      events.push(await readEvent(ctx, trx, p.room_id, p.last_message));
    }
    return { result: { rooms }, events };
  });
}

async function readEvent(ctx: InPartition, trx: Parameters<typeof repo.findRoomSize>[0], roomId: string, eventId: number): Promise<NewEvent> {
  const [room, sharing] = await Promise.all([repo.findRoomSize(trx, ctx.partitionId, roomId), repo.findReceiptsEnabled(trx, ctx.user.id)]);
  const data: ReadUpdatedData = { roomId, userId: ctx.user.id, eventId, receipts: sharing && room !== undefined && receiptsRoom(room) };
  return { type: 'read.updated', roomId, actorId: ctx.user.id, data };
}

/** `read.summary`: every room and direct message the caller is in, with unread and mention counts. */
export async function readSummary(ctx: InPartition): Promise<ReadStateDto[]> {
  const rows = await repo.listReadStates(ctx.db, ctx.partitionId, ctx.user.id);
  return rows.map((r) => ({ roomId: r.room_id, lastReadEventId: r.last_read, lastMessageEventId: r.last_message, unread: r.unread, mentions: r.mentions }));
}

/**
 * `read.receipts`: how far each other member of a direct message or a room of at most 20 has
 * read it (only those who share receipts and have read something). Nothing when the caller
 * does not share theirs, or the room is bigger.
 */
export async function readReceipts(ctx: InPartition, input: ReadReceiptsInput): Promise<ReadReceiptsDto> {
  await assertRoomMember(ctx, input.roomId);
  const [room, sharing] = await Promise.all([repo.findRoomSize(ctx.db, ctx.partitionId, input.roomId), repo.findReceiptsEnabled(ctx.db, ctx.user.id)]);
  if (!sharing) return { roomId: input.roomId, status: 'off', readers: [] };
  if (!room || !receiptsRoom(room)) return { roomId: input.roomId, status: 'too-big', readers: [] };
  const { rows } = await repo.listReaders(ctx.db, ctx.partitionId, input.roomId, ctx.user.id);
  return {
    roomId: input.roomId,
    status: 'shown',
    readers: rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, eventId: Number(r.event_id), at: r.updated_at })),
  };
}

/** `user.receipts`: the caller's setting. */
export async function receiptsSetting(ctx: Authed): Promise<{ enabled: boolean }> {
  return { enabled: await repo.findReceiptsEnabled(ctx.db, ctx.user.id) };
}

/**
 * `user.setReceipts`: one setting for every workspace. Off: nobody sees how far this user has
 * read (their `read.updated` events go to their own streams only, and `read.receipts` leaves
 * them out), and they see nobody's. Idempotent by nature: it sets a state.
 */
export async function setReceipts(ctx: Authed, input: SetReceiptsInput): Promise<{ enabled: boolean }> {
  await repo.updateReceiptsEnabled(ctx.db, ctx.user.id, input.enabled);
  // Every node drops the user row its sessions cached: new streams open with the new setting
  // (a stream already open keeps the one it opened with; the client store filters too).
  await ctx.access.changed({ kind: 'user', userId: ctx.user.id });
  return { enabled: input.enabled };
}
