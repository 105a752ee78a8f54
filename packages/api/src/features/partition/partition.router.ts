import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure, partitionProcedure } from '../../trpc.ts';
import { createPartitionInput, joinPartitionInput, removeMemberInput, setRoleInput } from './partition.schema.ts';
import * as service from './partition.service.ts';

export const partitionRouter = {
  /** Creates a workspace; the caller becomes its owner. The invite code is returned only here. */
  create: authedProcedure.input(createPartitionInput).mutation(({ ctx, input }) => service.createPartition(ctx, input)),
  join: authedProcedure.input(joinPartitionInput).mutation(({ ctx, input }) => service.joinPartition(ctx, input)),
  list: authedProcedure.query(({ ctx }) => service.listPartitions(ctx)),
  members: partitionProcedure('viewer').query(({ ctx }) => service.listMembers(ctx)),
  /** Replaces the invite code; the old one stops working. Owner or admin. */
  rotateInvite: partitionProcedure('admin').mutation(({ ctx }) => service.rotateInvite(ctx)),
  /**
   * Gives a member the role admin, member or viewer. Owner or admin; only the owner makes or
   * unmakes admins; nobody changes their own role or the owner's.
   */
  setRole: partitionProcedure('admin')
    .input(setRoleInput)
    .mutation(({ ctx, input }) => service.setMemberRole(ctx, input)),
  /** Removes a member from the workspace and all its rooms (owner or admin; an admin only by the owner). */
  removeMember: partitionProcedure('admin')
    .input(removeMemberInput)
    .mutation(({ ctx, input }) => service.removeMember(ctx, input)),
  /** Leaves the workspace (anyone but the owner). */
  leave: partitionProcedure('viewer').mutation(({ ctx }) => service.leavePartition(ctx)),
} satisfies TRPCRouterRecord;
