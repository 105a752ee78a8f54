import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../../trpc.ts';
import { blockInput } from './block.schema.ts';
import * as service from './block.service.ts';
import { setReceiptsInput } from '../read/read.schema.ts';
import * as read from '../read/read.service.ts';

export const userRouter = {
  /**
   * Blocks a person in every workspace: they cannot open a direct message with you or add you
   * to a room, and their messages reach you marked `authorBlocked` (shown collapsed).
   */
  block: authedProcedure.input(blockInput).mutation(({ ctx, input }) => service.blockUser(ctx, input, true)),
  unblock: authedProcedure.input(blockInput).mutation(({ ctx, input }) => service.blockUser(ctx, input, false)),
  /** The people you have blocked. */
  blocks: authedProcedure.query(({ ctx }) => service.listBlocks(ctx)),
  /** Whether you share read receipts (and see others'): one setting for every workspace. */
  receipts: authedProcedure.query(({ ctx }) => read.receiptsSetting(ctx)),
  /** Off: nobody sees how far you have read, and you see nobody's receipts. */
  setReceipts: authedProcedure.input(setReceiptsInput).mutation(({ ctx, input }) => read.setReceipts(ctx, input)),
} satisfies TRPCRouterRecord;
