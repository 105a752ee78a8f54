import { defaultNotifyLevel, type NotifyLevel } from '@parley/rules';
import { commitChange } from '../event/event.commit.ts';
import { assertRoomMember, findRoom, type InPartition } from '../room/room.service.ts';
import * as repo from './notify.repo.ts';
import type { SetNotifyInput } from './notify.schema.ts';
import type { NotifyChange, RoomNotifyDto } from './notify.types.ts';

/** Your level for every room and direct message you are in, defaults filled in. */
export async function listNotifyLevels(ctx: InPartition): Promise<RoomNotifyDto[]> {
  const rows = await repo.listRoomLevels(ctx.db, ctx.partitionId, ctx.user.id);
  return rows.map((r) => ({ roomId: r.room_id, level: r.level ?? defaultNotifyLevel(r.kind), explicit: r.level !== null }));
}

/**
 * Sets how a room you are in notifies you, on all your devices: `notify.changed` goes to your
 * own streams only. Setting the level it already has changes nothing and logs nothing.
 */
export async function setNotifyLevel(ctx: InPartition, input: SetNotifyInput): Promise<NotifyChange> {
  return commitChange(ctx, { opId: input.opId, kind: 'notify.set' }, async (trx) => {
    await assertRoomMember(ctx, input.roomId, trx);
    const result: NotifyChange = { roomId: input.roomId, userId: ctx.user.id, level: input.level };
    const chosen = await repo.findLevel(trx, ctx.partitionId, input.roomId, ctx.user.id);
    const room = chosen === null ? await findRoom(trx, ctx.partitionId, input.roomId) : undefined;
    const current: NotifyLevel = chosen ?? defaultNotifyLevel(room?.kind ?? 'public');
    if (current === input.level && chosen !== null) return { result, events: [] };
    await repo.upsertLevel(trx, ctx.partitionId, input.roomId, ctx.user.id, input.level);
    if (current === input.level) return { result, events: [] };
    return { result, events: [{ type: 'notify.changed', roomId: input.roomId, actorId: ctx.user.id, data: result }] };
  });
}
