import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { createRoomInput, roomMemberInput, roomRefInput, setRoomRoleInput, updateRoomInput } from './room.schema.ts';
import * as admin from './room.admin.ts';
import * as service from './room.service.ts';

export const roomRouter = {
  /** Public rooms, the rooms and direct messages you are in, and (workspace owners and admins) every private room. */
  list: partitionProcedure('viewer').query(({ ctx }) => service.listRooms(ctx)),
  /** A public or private room; the creator is its admin. */
  create: partitionProcedure('member')
    .input(createRoomInput)
    .mutation(({ ctx, input }) => service.createRoom(ctx, input)),
  /** Public rooms only: a private room is joined by being added. */
  join: partitionProcedure('viewer')
    .input(roomRefInput)
    .mutation(({ ctx, input }) => service.joinRoom(ctx, input)),
  leave: partitionProcedure('viewer')
    .input(roomRefInput)
    .mutation(({ ctx, input }) => service.leaveRoom(ctx, input)),
  /** Who is in a room, with their room roles (members of the room, or anyone for a public room). */
  members: partitionProcedure('viewer')
    .input(roomRefInput)
    .query(({ ctx, input }) => admin.listRoomMembers(ctx, input)),
  /** Room admins (and workspace owners and admins) change the topic or the name. */
  update: partitionProcedure('member')
    .input(updateRoomInput)
    .mutation(({ ctx, input }) => admin.updateRoom(ctx, input)),
  addMember: partitionProcedure('member')
    .input(roomMemberInput)
    .mutation(({ ctx, input }) => admin.addRoomMember(ctx, input)),
  removeMember: partitionProcedure('member')
    .input(roomMemberInput)
    .mutation(({ ctx, input }) => admin.removeRoomMember(ctx, input)),
  /** Makes a room member an admin of the room, or a plain member again (`role` left out). */
  setRole: partitionProcedure('member')
    .input(setRoomRoleInput)
    .mutation(({ ctx, input }) => admin.setRoomRole(ctx, input)),
} satisfies TRPCRouterRecord;
