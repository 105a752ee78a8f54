import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { setNotifyInput } from './notify.schema.ts';
import * as service from './notify.service.ts';

export const notifyRouter = {
  /** Your level (`all`, `mentions`, `mute`) for every room and direct message you are in; defaults: DM `all`, room `mentions`. */
  list: partitionProcedure('viewer').query(({ ctx }) => service.listNotifyLevels(ctx)),
  /** Idempotent by `opId`; your other devices follow through `notify.changed` (yours alone). */
  set: partitionProcedure('viewer')
    .input(setNotifyInput)
    .mutation(({ ctx, input }) => service.setNotifyLevel(ctx, input)),
} satisfies TRPCRouterRecord;
