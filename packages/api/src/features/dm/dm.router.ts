import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { openDmInput } from './dm.schema.ts';
import * as service from './dm.service.ts';

export const dmRouter = {
  /** The direct message between you and `userIds` (2–8 people in all): the same room every time it is opened. */
  open: partitionProcedure('member')
    .input(openDmInput)
    .mutation(({ ctx, input }) => service.openDm(ctx, input)),
} satisfies TRPCRouterRecord;
