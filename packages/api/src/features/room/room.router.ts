import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { createRoomInput, roomRefInput } from './room.schema.ts';
import * as service from './room.service.ts';

export const roomRouter = {
  list: partitionProcedure('viewer').query(({ ctx }) => service.listRooms(ctx)),
  create: partitionProcedure('member').input(createRoomInput).mutation(({ ctx, input }) => service.createRoom(ctx, input)),
  join: partitionProcedure('viewer').input(roomRefInput).mutation(({ ctx, input }) => service.joinRoom(ctx, input)),
  leave: partitionProcedure('viewer').input(roomRefInput).mutation(({ ctx, input }) => service.leaveRoom(ctx, input)),
} satisfies TRPCRouterRecord;
