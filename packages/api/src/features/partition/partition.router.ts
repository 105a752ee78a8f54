import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure, partitionProcedure } from '../../trpc.ts';
import { createPartitionInput, joinPartitionInput } from './partition.schema.ts';
import * as service from './partition.service.ts';

export const partitionRouter = {
  /** Creates a workspace; the caller becomes its owner. The invite code is returned only here. */
  create: authedProcedure.input(createPartitionInput).mutation(({ ctx, input }) => service.createPartition(ctx, input)),
  join: authedProcedure.input(joinPartitionInput).mutation(({ ctx, input }) => service.joinPartition(ctx, input)),
  list: authedProcedure.query(({ ctx }) => service.listPartitions(ctx)),
  members: partitionProcedure('viewer').query(({ ctx }) => service.listMembers(ctx)),
  /** Replaces the invite code; the old one stops working. Owner or admin. */
  rotateInvite: partitionProcedure('admin').mutation(({ ctx }) => service.rotateInvite(ctx)),
} satisfies TRPCRouterRecord;
