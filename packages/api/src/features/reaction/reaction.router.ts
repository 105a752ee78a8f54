import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { reactionInput } from './reaction.schema.ts';
import * as service from './reaction.service.ts';

export const reactionRouter = {
  /** One of each emoji per person per message: adding it again changes nothing. */
  add: partitionProcedure('member')
    .input(reactionInput)
    .mutation(({ ctx, input }) => service.setReaction(ctx, input, true)),
  remove: partitionProcedure('member')
    .input(reactionInput)
    .mutation(({ ctx, input }) => service.setReaction(ctx, input, false)),
} satisfies TRPCRouterRecord;
