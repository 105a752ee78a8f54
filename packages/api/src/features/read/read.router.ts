import type { TRPCRouterRecord } from '@trpc/server';
import { partitionProcedure } from '../../trpc.ts';
import { markAllReadInput, markReadInput, readReceiptsInput } from './read.schema.ts';
import * as service from './read.service.ts';

export const readRouter = {
  /**
   * Moves the caller's read position in a room forward to a message's `eventId` (never back:
   * an older or repeated mark changes nothing). Past the room's last message: BAD_REQUEST.
   */
  mark: partitionProcedure('viewer')
    .input(markReadInput)
    .mutation(({ ctx, input }) => service.markRead(ctx, input)),
  /** Every room and direct message of the caller, read up to its last message. */
  markAll: partitionProcedure('viewer')
    .input(markAllReadInput)
    .mutation(({ ctx, input }) => service.markAllRead(ctx, input)),
  /** Per room and direct message of the caller: where they have read up to, unread and mention counts. */
  summary: partitionProcedure('viewer').query(({ ctx }) => service.readSummary(ctx)),
  /** In a direct message or a room of at most 20: how far each other member has read (receipts). */
  receipts: partitionProcedure('viewer')
    .input(readReceiptsInput)
    .query(({ ctx, input }) => service.readReceipts(ctx, input)),
} satisfies TRPCRouterRecord;
